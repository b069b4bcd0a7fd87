"""Transcoding a byte range of a text file to UTF-8, with the line facts the CSV reader needs.

Standard library only, so that it also runs as a worker process (``python -I -S _transcoder.py
SRC START END OUT ENCODING QUOTE_HEX``, printing one JSON object) without importing shuzhi: a big
GBK file is cut at line feeds into one range per core and the ranges are transcoded at once.

A range is read in chunks cut at line feeds (byte 0x0A never occurs inside a multi-byte character
of UTF-8 or of the GB encodings), so an undecodable byte is located by line and byte offset.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["CHUNK", "Scan", "decode", "line_chunks", "transcode_range"]

CHUNK = 8 << 20

_BLANK = re.compile(rb"\n(?=\r?\n)")
_ANY_BLANK = re.compile(rb"\n\r?\n")  # one scan (two ``in`` tests took four times as long)


class Scan:
    """Counts line feeds, finds the blank lines and the quote character in UTF-8 bytes fed in
    any pieces (line numbers relative to the first byte fed)."""

    def __init__(self, quote: bytes | None) -> None:
        self.quote = quote
        self.lines = 0
        self.blanks: list[int] = []
        self.has_quote = False
        self._carry = b""

    def feed(self, data: bytes) -> None:
        buf = self._carry + data if self._carry else data
        cut = buf.rfind(b"\n") + 1
        self._carry = buf[cut:]
        if cut:
            self._block(buf[:cut] if cut < len(buf) else buf)

    def close(self) -> None:
        if self._carry:
            self._block(self._carry)
            self._carry = b""

    def _block(self, block: bytes) -> None:
        """``block`` starts at the start of a line."""
        if self.quote is not None and not self.has_quote and self.quote in block:
            self.has_quote = True
        if block[:1] in (b"\n", b"\r") or _ANY_BLANK.search(block):
            line, pos = self.lines, 0
            for m in _BLANK.finditer(b"\n" + block):
                p = m.start()  # the blank line starts at block[p]
                line += block.count(b"\n", pos, p)
                pos = p
                self.blanks.append(line + 1)
        self.lines += block.count(b"\n")


def decode(chunk: bytes, encoding: str) -> str:
    """``chunk.decode(encoding)``; GB18030 tries the faster GBK codec first, which decodes every
    sequence it accepts exactly as GB18030 does (GB18030 only adds sequences GBK refuses)."""
    if encoding == "gb18030":
        try:
            return chunk.decode("gbk")
        except UnicodeDecodeError:
            pass
    return chunk.decode(encoding)


def line_chunks(f: IO[bytes], size: int = CHUNK, limit: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset from the start, bytes) pieces of ``f`` from its position, each ending at a line
    feed except the last; at most ``limit`` bytes."""
    offset, carry, left = 0, b"", limit
    while True:
        want = size if left is None else min(size, left)
        data = f.read(want) if want > 0 else b""
        if left is not None:
            left -= len(data)
        if not data:
            if carry:
                yield offset, carry
            return
        buf = carry + data if carry else data
        cut = buf.rfind(b"\n") + 1
        if cut == 0:
            carry = buf
            continue
        yield offset, buf[:cut]
        offset += cut
        carry = buf[cut:]


def _error(e: UnicodeDecodeError, offset: int, lines: int, chunk: bytes) -> dict[str, Any]:
    line_start = chunk.rfind(b"\n", 0, e.start) + 1
    return {
        "offset": offset + e.start,
        "line": lines + chunk.count(b"\n", 0, e.start) + 1,
        "column": e.start - line_start + 1,
        "bytes": chunk[e.start : min(e.end + 2, e.start + 4, len(chunk))].hex(" ").upper(),
    }


def transcode_range(
    src: str,
    start: int,
    end: int,
    out: str | None,
    encoding: str,
    quote: bytes | None,
    progress: Any = None,
) -> dict[str, Any]:
    """Decode bytes [start, end) of ``src`` (an ASCII-compatible encoding; ``start`` at a line
    start) and write them as UTF-8 to ``out`` (None: only check). Returns the line facts
    relative to ``start`` — ``lines``, ``blanks``, ``has_quote`` — or ``error`` (its ``offset``
    absolute, its ``line`` relative)."""
    scan = Scan(quote)
    with open(src, "rb") as f, open(out, "wb") if out is not None else _Null() as sink:
        f.seek(start)
        for offset, chunk in line_chunks(f, limit=end - start):
            try:
                text = decode(chunk, encoding)
            except UnicodeDecodeError as e:
                return {"error": _error(e, start + offset, scan.lines, chunk)}
            if start == 0 and offset == 0 and text.startswith("\ufeff"):
                text = text[1:]
            data = text.encode("utf-8") if out is not None else chunk
            sink.write(data)
            scan.feed(data)
            if progress is not None:
                progress(offset + len(chunk))
    scan.close()
    return {"lines": scan.lines, "blanks": scan.blanks, "has_quote": scan.has_quote}


class _Null:
    def write(self, data: bytes) -> int:
        return len(data)

    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    src_, start_, end_, out_, encoding_, quote_ = sys.argv[1:7]
    result = transcode_range(
        src_,
        int(start_),
        int(end_),
        out_ if out_ != "-" else None,
        encoding_,
        bytes.fromhex(quote_) if quote_ != "-" else None,
    )
    sys.stdout.write(json.dumps(result))
