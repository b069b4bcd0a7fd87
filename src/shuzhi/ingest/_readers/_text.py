"""Text files: which encoding, and a UTF-8 file DuckDB can read, at C speed.

* A byte-order mark decides: UTF-8 (``utf-8-sig``), UTF-16 or UTF-32.
* Otherwise strict UTF-8 is checked on the whole file; the first undecodable byte switches to
  GB18030 (a superset of GBK and GB2312, so characters such as 𠀀 or 䶮 outside GBK decode too).
* An explicit ``encoding:`` wins (``gbk``/``gb2312`` are read as GB18030, their superset).

UTF-8 files are read where they are; anything else is transcoded into a UTF-8 file in
``tmp_dir`` with Python's codecs, in chunks of 8 MB cut at line feeds (C code, no per-row
Python), so an undecodable byte is reported with its line number and byte offset. A file of
32 MB or more is cut into one range per core (at most 4) and the ranges are done at once, the
others by worker processes running :mod:`._transcoder` (standard library only, so they start in
milliseconds); a worker that cannot start or fails is done in process instead.

The same pass counts lines, finds the blank lines (DuckDB skips them, so ``_row`` must step over
them) and notes whether the quote character occurs at all (if not, no record can span lines);
a thread hashes the original bytes meanwhile (hashlib releases the GIL).
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shuzhi.errors import DataError, ValidationError
from shuzhi.ingest._readers import _transcoder
from shuzhi.ingest._readers._common import Context
from shuzhi.ingest._readers._transcoder import CHUNK, Scan, transcode_range
from shuzhi.ingest.mapping import codec_name

__all__ = ["PARALLEL_MIN", "TextFile", "prepare_text", "sample_text"]

#: files from this size are transcoded (or checked) in parallel ranges
PARALLEL_MIN = 32 << 20
#: at most this many ranges
_MAX_WORKERS = 4

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
#: names people give for encodings read as their superset
_WIDEN = {"gbk": "gb18030", "gb2312": "gb18030"}
#: encodings whose bytes cannot be cut at line feeds
_STATEFUL = ("utf_16", "utf_32", "utf-16", "utf-32", "utf_7", "utf-7", "hz", "iso2022")


@dataclass
class TextFile:
    """A text source ready for reading: ``path`` is UTF-8 (the original file or a copy)."""

    path: Path
    encoding: str
    sha256: str
    size: int
    #: number of line feeds
    lines: int = 0
    #: 1-based numbers of the empty lines
    blank_lines: list[int] = field(default_factory=list)
    #: whether the quote character occurs anywhere
    has_quote: bool = False
    #: ``path`` is a transcoded copy (delete it when done)
    temporary: bool = False

    def discard(self) -> None:
        if self.temporary:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def _requested(ctx: Context) -> str | None:
    """The encoding the options ask for (a Python codec name), or None for auto."""
    try:  # checked when the options were read; options built without validation end here
        name = codec_name(ctx.options.encoding)
    except ValueError as e:
        raise ValidationError({"encoding": [str(e)]}) from None
    if name is None:
        return None
    asked = ctx.options.encoding.strip()
    if name in _WIDEN:
        ctx.note(
            f"按 GB18030 读取指定的 {asked}（GB18030 包含 {asked} 的全部字符）",
            f"read the given {asked} as GB18030, its superset",
        )
        return _WIDEN[name]
    return name


def _bom(head: bytes) -> str | None:
    for mark, name in _BOMS:
        if head.startswith(mark):
            return name
    return None


def _line_safe(encoding: str) -> bool:
    """Whether the encoding's bytes can be cut at line feeds (ASCII-compatible, not stateful)."""
    if encoding.startswith(_STATEFUL):
        return False
    try:
        return "\n".encode(encoding) == b"\n" and "\r".encode(encoding) == b"\r"
    except (LookupError, UnicodeError):
        return False


def _label(encoding: str) -> str:
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gb18030": "GB18030"}.get(encoding, encoding)


def _hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


class _Undecodable(Exception):
    def __init__(self, where: dict[str, Any]) -> None:
        super().__init__(where)
        self.where = where


def _ranges(path: Path, size: int) -> list[tuple[int, int]]:
    """Byte ranges starting at line starts: one per core when the file is big."""
    n = min(os.cpu_count() or 1, _MAX_WORKERS)
    if size < PARALLEL_MIN or n < 2:
        return [(0, size)]
    bounds = [0]
    with open(path, "rb") as f:
        for i in range(1, n):
            f.seek(size * i // n)
            k = f.read(1 << 20).find(b"\n")
            cut = size * i // n + k + 1
            if k >= 0 and bounds[-1] < cut < size:
                bounds.append(cut)
    bounds.append(size)
    return list(itertools.pairwise(bounds))


def _worker(
    path: Path, start: int, end: int, out: Path | None, encoding: str, quote: bytes | None
) -> subprocess.Popen[bytes] | None:
    if getattr(sys, "frozen", False) or not sys.executable:  # a bundled app: no interpreter to run
        return None
    try:
        return subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-S",
                _transcoder.__file__,
                str(path),
                str(start),
                str(end),
                str(out) if out is not None else "-",
                encoding,
                quote.hex() if quote else "-",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _run(ctx: Context, path: Path, target: Path | None, encoding: str, quote: bytes | None) -> Scan:
    """Transcode ``path`` into ``target`` (or only check it when None), in parallel ranges for a
    big file; the merged line facts. An undecodable byte raises :class:`_Undecodable`."""
    size = path.stat().st_size
    ranges = _ranges(path, size)
    parts = [target] + [
        None if target is None else target.with_name(f"{target.name}.part{i}") for i in range(1, len(ranges))
    ]
    workers = [
        _worker(path, a, b, out, encoding, quote) for (a, b), out in zip(ranges[1:], parts[1:], strict=True)
    ]
    first_end = ranges[0][1]
    results: list[dict[str, Any]] = []
    try:
        results.append(
            transcode_range(
                str(path),
                0,
                first_end,
                None if target is None else str(target),
                encoding,
                quote,
                progress=lambda done: ctx.tick(done * size // max(first_end, 1), size),
            )
        )
        for (a, b), out, proc in zip(ranges[1:], parts[1:], workers, strict=True):
            if "error" in results[-1]:
                break  # the first undecodable byte is the one reported
            result: dict[str, Any] | None = None
            if proc is not None:
                stdout, _ = proc.communicate()
                if proc.returncode == 0:
                    try:
                        result = json.loads(stdout)
                    except ValueError:
                        result = None
            if result is None:  # no worker: do it here
                result = transcode_range(str(path), a, b, None if out is None else str(out), encoding, quote)
            results.append(result)
        scan = Scan(quote)
        for result in results:
            if "error" in result:
                where = dict(result["error"])
                where["line"] += scan.lines
                raise _Undecodable(where)
            scan.blanks.extend(b + scan.lines for b in result["blanks"])
            scan.lines += int(result["lines"])
            scan.has_quote = scan.has_quote or bool(result["has_quote"])
        if target is not None and len(parts) > 1:
            with open(target, "ab") as sink:
                for part in parts[1:]:
                    assert part is not None
                    with open(part, "rb") as source:
                        _append(source, sink)
        ctx.tick(size, size)
        return scan
    finally:
        for proc in workers:
            if proc is not None:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                if proc.stdout is not None:
                    proc.stdout.close()
        for part in parts[1:]:
            if part is not None:
                part.unlink(missing_ok=True)


def _append(source: Any, sink: Any) -> None:
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        try:
            while copy(source.fileno(), sink.fileno(), 1 << 30):
                pass
            return
        except OSError:
            pass
    while chunk := source.read(CHUNK):
        sink.write(chunk)


def _incremental(ctx: Context, path: Path, target: Path, encoding: str, quote: bytes | None) -> Scan:
    """UTF-16/32 and stateful encodings: not cut at line feeds; an error names the byte offset."""
    size = path.stat().st_size
    scan = Scan(quote)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, first = 0, True
    with open(path, "rb") as f, open(target, "wb") as out:
        while True:
            chunk = f.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                raise DataError(
                    f"无法按 {encoding} 解码：字节偏移约 {offset + e.start} / undecodable {encoding} "
                    f"text near byte offset {offset + e.start}",
                    file=ctx.file,
                ) from None
            if first and text.startswith("\ufeff"):
                text = text[1:]
            first = False
            data = text.encode("utf-8")
            out.write(data)
            scan.feed(data)
            if not chunk:
                break
            offset += len(chunk)
            ctx.tick(offset, size)
    scan.close()
    return scan


def _undecodable(ctx: Context, where: dict[str, Any], tried: list[str]) -> DataError:
    line, at, col, bad = where["line"], where["offset"], where["column"], where["bytes"]
    names = "、".join(_label(t) for t in tried)
    names_en = ", ".join(_label(t) for t in tried)
    if codec_name(ctx.options.encoding) is not None:  # the mapping named the encoding: check it
        advice = (
            f"请确认映射文件 source: 中的 encoding: {ctx.options.encoding} 是否就是文件的编码",
            f"check that encoding: {ctx.options.encoding} under source: is the file's encoding",
        )
    else:
        advice = (
            "请在映射文件的 source: 中用 encoding: 指定文件的编码",
            "set encoding: under source: in the mapping file",
        )
    return DataError(
        f"无法解码：第 {line} 行（字节偏移 {at}，该行第 {col} 字节）的字节 {bad} "
        f"不是 {names} 编码的文字；已尝试 {names}，{advice[0]} / "
        f"undecodable bytes {bad} at line {line}, byte offset {at}: not valid {names_en} text "
        f"(tried {names_en}; {advice[1]})",
        file=ctx.file,
        row=line,
    )


_MIXED_ADVICE = (
    "请在原系统中统一导出为一种编码（最好是 UTF-8），或用文本编辑器把整个文件另存为 UTF-8",
    "export the whole file in one encoding (UTF-8 preferably), or save it all as UTF-8 in a text editor",
)


def _mixed(ctx: Context, not_utf8: dict[str, Any], not_gb: dict[str, Any]) -> DataError:
    """Neither encoding reads the whole file, and they stop at different lines: two encodings."""
    a, b = not_utf8["line"], not_gb["line"]
    return DataError(
        f"文件混用了两种编码：第 {a} 行不是 UTF-8（像是 GBK），第 {b} 行不是 GBK/GB18030（像是 UTF-8）；"
        f"{_MIXED_ADVICE[0]} / the file mixes two encodings: line {a} is not UTF-8 (GBK, it seems), "
        f"line {b} is not GBK/GB18030 (UTF-8, it seems); {_MIXED_ADVICE[1]}",
        file=ctx.file,
        row=min(a, b),
    )


def _reads(path: Path, fault: dict[str, Any], encoding: str) -> bool:
    """Whether the line of ``fault`` (where another encoding failed) is text in ``encoding``."""
    start = int(fault["offset"]) - int(fault["column"]) + 1
    with open(path, "rb") as f:
        f.seek(start)
        line = f.read(1 << 20).split(b"\n", 1)[0]
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _refuse_mixed(ctx: Context, path: Path, not_utf8: dict[str, Any]) -> None:
    """Before GB18030 is tried because line N is not UTF-8: the lines before it were read as
    UTF-8; if they hold any non-ASCII text, that text is UTF-8 — and GB18030 would decode it
    into wrong characters without an error (王伟 → 鐜嬩紵). A file of one encoding never does
    this: GBK text is not valid UTF-8, so the first Chinese word of a GBK file is where UTF-8
    stops."""
    end = int(not_utf8["offset"])
    line_start = end - int(not_utf8["column"]) + 1  # the bad line's own bytes are not UTF-8
    with open(path, "rb") as f:
        done = 3 if f.read(3) == codecs.BOM_UTF8 else 0  # a BOM is not text
        f.seek(done)
        while done < line_start:
            chunk = f.read(min(CHUNK, line_start - done))
            if not chunk:
                return
            try:
                chunk.decode("ascii")
            except UnicodeDecodeError as e:
                if not _reads(path, not_utf8, "gb18030"):  # a UTF-8 file with bad bytes
                    raise _undecodable(ctx, not_utf8, ["utf-8", "gb18030"]) from None
                f.seek(0)
                before = f.read(done + e.start)
                first, bad = before.count(b"\n") + 1, not_utf8["line"]
                raise DataError(
                    f"文件混用了两种编码：第 {first} 行是 UTF-8 编码的中文，"
                    f"第 {bad} 行却不是 UTF-8（像是 GBK）；"
                    f"按任何一种编码读都会把另一部分读成乱码。{_MIXED_ADVICE[0]} / the file mixes two "
                    f"encodings: line {first} holds UTF-8 text, line {bad} is not UTF-8 (GBK, it seems); "
                    f"either way part of it would be read as wrong characters. {_MIXED_ADVICE[1]}",
                    file=ctx.file,
                    row=int(not_utf8["line"]),
                ) from None
            done += len(chunk)


def prepare_text(ctx: Context, path: Path, *, quote: bytes | None = None) -> TextFile:
    """Decide the encoding of ``path`` and give a UTF-8 file for it (see the module docstring)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4)
    bom = _bom(head)
    asked = _requested(ctx)
    if asked is None:
        encoding = bom or "utf-8"
    elif asked == "utf-8" and bom == "utf-8-sig":
        encoding = "utf-8-sig"
    else:
        encoding = asked
    utf8_fault: dict[str, Any] | None = None  # where UTF-8 failed, when GB18030 is tried next
    with ThreadPoolExecutor(1, thread_name_prefix="shuzhi-sha256") as pool:
        digest: Future[str] = pool.submit(_hash, path)
        if encoding in ("utf-8", "utf-8-sig"):
            try:
                scan = _run(ctx, path, None, "utf-8", quote)
            except _Undecodable as e:
                if asked is not None:
                    raise _undecodable(ctx, e.where, [encoding]) from None
                utf8_fault = e.where
                _refuse_mixed(ctx, path, utf8_fault)
                encoding = "gb18030"
                ctx.note(
                    f"编码 GB18030（自动识别：第 {e.where['line']} 行不是 UTF-8）",
                    f"encoding GB18030 (detected: line {e.where['line']} is not UTF-8)",
                )
            else:
                how = ("自动识别", "detected") if asked is None else ("指定", "given")
                ctx.note(f"编码 {_label(encoding)}（{how[0]}）", f"encoding {_label(encoding)} ({how[1]})")
                return TextFile(
                    path, encoding, digest.result(), size, scan.lines, scan.blanks, scan.has_quote
                )
        elif asked is None:
            ctx.note(
                f"编码 {_label(encoding)}（按字节顺序标记）", f"encoding {_label(encoding)} (byte-order mark)"
            )
        else:
            ctx.note(f"编码 {_label(encoding)}（指定）", f"encoding {_label(encoding)} (given)")
        tried = ["utf-8", "gb18030"] if asked is None and bom is None else [encoding]
        ctx.tmp_dir.mkdir(parents=True, exist_ok=True)
        target = ctx.tmp_dir / f".shuzhi-{uuid.uuid4().hex[:12]}.utf8"
        try:
            if _line_safe(encoding):
                scan = _run(ctx, path, target, encoding, quote)
            else:
                scan = _incremental(ctx, path, target, encoding, quote)
        except _Undecodable as e:
            target.unlink(missing_ok=True)
            where = e.where
            if (
                utf8_fault is not None
                and utf8_fault["line"] != where["line"]
                and _reads(path, where, "utf-8")
            ):
                raise _mixed(ctx, utf8_fault, where) from None
            if utf8_fault is not None and utf8_fault["offset"] > where["offset"]:
                # neither fits: the bad bytes are where the encoding that read further stopped
                # (a UTF-8 file with one bad line is not reported at its first Chinese word)
                where = utf8_fault
            raise _undecodable(ctx, where, tried) from None
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return TextFile(
            target, encoding, digest.result(), size, scan.lines, scan.blanks, scan.has_quote, True
        )


def sample_text(path: Path, limit: int = 1 << 20) -> tuple[str, bool]:
    """The first ``limit`` bytes of a UTF-8 file (cut at a line end) as text, and whether that is
    the whole file."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    complete = len(data) <= limit
    if not complete:
        cut = data.rfind(b"\n", 0, limit) + 1
        data = data[:cut] if cut else data[:limit]
    text = data.decode("utf-8", errors="replace")
    return (text[1:] if text.startswith("\ufeff") else text), complete
