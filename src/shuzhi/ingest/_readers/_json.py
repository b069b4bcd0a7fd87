"""JSON and JSON Lines, with Python's json module (C accelerated) and Arrow batches.

* JSON: a top-level array of records, or an object holding them at ``records:`` — a dot path
  with ``[]`` for arrays, e.g. ``data.households[].members[]``: each member is a record and
  carries its household's fields as ``households.addr`` … (the array's key, a dot, the field).
  Without ``records:`` an object with exactly one array of objects inside (``data.list``,
  ``result.rows``, up to three levels down) is read from there, and noted.
* Inside a record, nested objects are flattened with dots (``addr.city``); arrays are kept as
  JSON text; numbers keep the digits as written (``1.50`` stays ``1.50``); true/false as written;
  null is NULL.
* ``_row``: JSON, the 1-based index of the record in document order; JSON Lines, the line number
  (several records may share a line when ``records:`` points into each line's object).
* Malformed JSON: the parser's line and column. JSON Lines: every bad line is collected and the
  first few are reported with their line numbers. A ``.json`` file that holds one object per line
  is read as JSON Lines (noted).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from shuzhi._yaml import json_message_zh
from shuzhi.errors import DataError
from shuzhi.ingest._readers._common import (
    NO_ROWS,
    ROW,
    Context,
    SourceTable,
    chinese_names,
    finish,
    ident,
    insert_arrow,
    unique_names,
)
from shuzhi.ingest._readers._text import prepare_text

__all__ = ["flatten", "parse_path", "read_json"]

_BATCH = 50_000
_SHOW = 5
_SEGMENT = re.compile(r"^([^\[\]]+)(\[\])?$")


class _Num(str):
    """A JSON number, kept as the text written."""

    __slots__ = ()


def _loads(text: str | bytes) -> Any:
    return json.loads(text, parse_int=_Num, parse_float=_Num, parse_constant=_Num)


def _dump(v: Any) -> str:
    """JSON text of a parsed value, numbers as written."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, _Num):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_dump(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_dump(x)}" for k, x in v.items())
            + "}"
        )
    return json.dumps(v, ensure_ascii=False)


def _scalar(v: Any) -> str | None:
    if v is None:
        return None
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return str(v)
    return _dump(v)


#: a flattened field: a record's own top-level key (``str``), or a path of keys (``tuple``) — a
#: nested object's (``("addr", "city")``), or a carried parent field's, which starts with the
#: index of its array in the records path (``(0, "households", "hid")``). A key ``"addr.city"``
#: and a nested ``addr`` → ``city`` are thus two columns (the second named ``addr.city_2``), not
#: one value overwriting the other.
Key = str | tuple[str | int, ...]


def column_name(key: Key) -> str:
    """The column name of a flattened field: its keys joined with dots."""
    return key if isinstance(key, str) else ".".join(k for k in key if isinstance(k, str))


def flatten(
    obj: dict[str, Any],
    prefix: tuple[str | int, ...] = (),
    out: dict[Key, str | None] | None = None,
    skip: tuple[str, ...] = (),
) -> dict[Key, str | None]:
    """A record's fields (see :data:`Key`) to text; ``skip`` is a path not to include (the array
    the records path descends into)."""
    if out is None:
        out = {}
    for key, value in obj.items():
        k = str(key)
        if skip and k == skip[0]:
            if len(skip) == 1:
                continue
            if isinstance(value, dict):
                flatten(value, (*prefix, k), out, skip[1:])
                continue
        if isinstance(value, dict) and value:
            flatten(value, (*prefix, k), out)
        elif isinstance(value, (dict, list)):
            out[(*prefix, k) if prefix else k] = _dump(value)
        else:
            out[(*prefix, k) if prefix else k] = _scalar(value)
    return out


@dataclass(frozen=True)
class _Segment:
    key: str
    array: bool


def parse_path(path: str) -> list[_Segment]:
    """``data.households[].members[]`` → segments (key, is it an array to iterate)."""
    segments = []
    for part in path.strip().split("."):
        m = _SEGMENT.match(part.strip())
        if not m:
            raise DataError(
                f"records 路径写法不对 / bad records path {path!r}: use keys separated by dots, "
                "[] after arrays (e.g. data.households[].members[])"
            )
        segments.append(_Segment(m.group(1), bool(m.group(2))))
    return segments


def _records_at(
    ctx: Context, doc: Any, segments: list[_Segment], where: str
) -> Iterator[dict[Key, str | None]]:
    """Flattened records under ``segments``, each with its array ancestors' fields."""

    def walk(
        node: Any, i: int, carried: dict[Key, str | None], trail: str
    ) -> Iterator[dict[Key, str | None]]:
        if i == len(segments):
            items = node if isinstance(node, list) else None
            if items is None:
                if isinstance(node, dict):
                    items = [node]
                else:
                    raise ctx.error(f"{trail} 不是记录数组 / {trail} is not an array of records")
            for n, item in enumerate(items, 1):
                if not isinstance(item, dict):
                    raise ctx.error(
                        f"{trail} 第 {n} 项不是对象（记录）/ item {n} of {trail} is not an object (a record)"
                    )
                yield {**carried, **flatten(item)} if carried else flatten(item)
            return
        seg = segments[i]
        if not isinstance(node, dict) or seg.key not in node:
            keys = ", ".join(map(str, node)) if isinstance(node, dict) else type(node).__name__
            raise ctx.error(
                f"records 路径 {where} 中 {trail + seg.key} 不存在（这一层有：{keys}）/ "
                f"records path {where}: {trail + seg.key} not found (here: {keys})"
            )
        child = node[seg.key]
        if not seg.array:
            yield from walk(child, i + 1, carried, f"{trail}{seg.key}.")
            return
        if not isinstance(child, list):
            raise ctx.error(f"{trail}{seg.key} 不是数组 / {trail}{seg.key} is not an array")
        last = i == len(segments) - 1
        # the path down to the next array is left out of this level's carried fields
        rest: list[str] = []
        for later in segments[i + 1 :]:
            rest.append(later.key)
            if later.array:
                break
        for n, item in enumerate(child, 1):
            if not isinstance(item, dict):
                raise ctx.error(
                    f"{trail}{seg.key}[] 第 {n} 项不是对象 / item {n} of {trail}{seg.key}[] is not an object"
                )
            if last:
                yield {**carried, **flatten(item)} if carried else flatten(item)
            else:
                mine = flatten(item, (i, seg.key), skip=tuple(rest))
                yield from walk(item, i + 1, {**carried, **mine}, f"{trail}{seg.key}[].")

    yield from walk(doc, 0, {}, "")


def _find_records(doc: Any, depth: int = 3, trail: str = "") -> list[str]:
    """Paths of arrays of objects inside ``doc`` (for guessing ``records:``)."""
    found = []
    if isinstance(doc, dict) and depth > 0:
        for k, v in doc.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                found.append(f"{trail}{k}")
            elif isinstance(v, dict):
                found.extend(_find_records(v, depth - 1, f"{trail}{k}."))
    return found


class _Batches:
    """Records (dicts of :data:`Key` → text) into the table in Arrow batches; the columns are the
    union of keys in order of first appearance, named by :func:`column_name` (made unique)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.raw: list[Key] = []
        self.shown: list[str] = []  # column_name of each raw key
        self.index: dict[Key, int] = {}
        self.rows: list[dict[Key, str | None]] = []
        self.numbers: list[int] = []
        self.created: list[Key] = []  # raw keys in the table so far (by position)
        self.names: list[str] = []
        self.chinese: bool | None = None
        self.total = 0

    def add(self, record: dict[Key, str | None], number: int) -> None:
        for k in record:
            if k not in self.index:
                self.index[k] = len(self.raw)
                self.raw.append(k)
                self.shown.append(column_name(k))
        self.rows.append(record)
        self.numbers.append(number)
        if len(self.rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        ctx = self.ctx
        # names for every raw key seen so far (earlier ones keep theirs: new names only ever
        # come after them); notes are made once, at the end
        if self.chinese is None:
            self.chinese = chinese_names(self.shown)
        names, _ = unique_names(dataclasses.replace(ctx, notes=[]), self.shown, chinese=self.chinese)
        first = not self.created
        if not first:
            for name in names[len(self.created) :]:
                ctx.engine.execute(f"ALTER TABLE {ident(ctx.table)} ADD COLUMN {ident(name)} VARCHAR")
        self.created = list(self.raw)
        self.names = names
        columns = {
            name: pa.array([r.get(raw) for r in self.rows], type=pa.string())
            for raw, name in zip(self.raw, names, strict=True)
        }
        columns[ROW] = pa.array(self.numbers, type=pa.int64())
        insert_arrow(ctx, pa.table(columns), names, first=first)
        self.total += len(self.rows)
        self.rows, self.numbers = [], []

    def note_names(self) -> None:
        """The notes on column names, once: duplicates and empty keys (as for CSV headers), and
        which fields flattened to the same name (``"addr.city"`` and ``addr`` → ``city``)."""
        unique_names(self.ctx, self.shown, chinese=self.chinese)
        same: dict[str, list[int]] = {}
        for i, shown in enumerate(self.shown):
            same.setdefault(shown, []).append(i)
        for positions in same.values():
            if len(positions) < 2:
                continue
            zh = "、".join(f"{_spelled(self.raw[i])[0]}" for i in positions)
            en = ", ".join(f"{_spelled(self.raw[i])[1]}" for i in positions)
            renamed = ", ".join(self.names[i] for i in positions[1:])
            self.ctx.note(
                f"这些字段展开后同名 {self.shown[positions[0]]}：{zh}；后出现的改名为 {renamed}",
                f"these fields flatten to the same name {self.shown[positions[0]]}: {en}; "
                f"the later one(s) renamed {renamed}",
            )


def _spelled(key: Key) -> tuple[str, str]:
    """How a flattened field is written in the JSON (中文, English)."""
    if isinstance(key, str):
        return f"键 {_dump(key)}", f"key {_dump(key)}"
    if isinstance(key[0], int):  # (level, the array's key, the field's keys)
        path = " → ".join(_dump(k) for k in key[2:])
        return f"上级 {key[1]} 的 {path}", f"{path} of the parent {key[1]}"
    path = " → ".join(_dump(k) for k in key)
    return f"嵌套的 {path}", f"nested {path}"


def _bad_json(ctx: Context, e: json.JSONDecodeError, line_offset: int = 0) -> DataError:
    line = e.lineno + line_offset
    return DataError(
        f"JSON 格式错误：第 {line} 行第 {e.colno} 列：{json_message_zh(e.msg)} / "
        f"malformed JSON at line {line}, column {e.colno}: {e.msg}",
        file=ctx.file,
        row=line,
    )


def read_json(ctx: Context, path: Path, *, lines: bool) -> SourceTable:
    if path.stat().st_size == 0:
        raise ctx.error(NO_ROWS)
    tf = prepare_text(ctx, path)
    try:
        batches = _Batches(ctx)
        if lines:
            _read_lines(ctx, tf.path, batches)
        else:
            text = tf.path.read_bytes().decode("utf-8-sig")
            try:
                doc = _loads(text)
            except json.JSONDecodeError as e:
                if e.msg == "Extra data" and _one_object_per_line(text):
                    ctx.note(
                        "文件每行一个 JSON 对象，按 JSON Lines 读取",
                        "one JSON object per line: read as JSON Lines",
                    )
                    lines = True
                    _read_lines(ctx, tf.path, batches)
                else:
                    raise _bad_json(ctx, e) from None
            else:
                _read_document(ctx, doc, batches)
        batches.flush()
        if batches.total == 0:
            raise ctx.error(NO_ROWS)
        names = batches.names
        batches.note_names()  # the notes (duplicates, empty keys), once
        return finish(
            ctx,
            fmt="jsonl" if lines else "json",
            columns=names,
            encoding=tf.encoding,
            sha256=tf.sha256,
            size=tf.size,
            unit=("行", "line") if lines else ("条记录", "record"),
        )
    except BaseException:
        ctx.drop()
        raise
    finally:
        tf.discard()


def _one_object_per_line(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _read_document(ctx: Context, doc: Any, batches: _Batches) -> None:
    path = ctx.options.records
    if path:
        segments = parse_path(path)
        ctx.note(f"记录位置 {path}", f"records at {path}")
        records = _records_at(ctx, doc, segments, path)
    elif isinstance(doc, list):
        records = _records_at(ctx, doc, [], "")
    elif isinstance(doc, dict):
        found = _find_records(doc)
        if len(found) != 1:
            where = "、".join(found) if found else "无"
            raise ctx.error(
                f"找不到记录：请用 records: 指出记录数组的位置（候选：{where}）/ "
                "where are the records? set records: to the array's path "
                f"(candidates: {', '.join(found) or 'none'})"
            )
        ctx.note(f"记录位置 {found[0]}（自动识别）", f"records at {found[0]} (detected)")
        records = _records_at(ctx, doc, parse_path(found[0]), found[0])
    else:
        raise ctx.error("JSON 文件里没有记录 / the JSON holds no records (expected an array or an object)")
    for n, record in enumerate(records, 1):
        batches.add(record, n)


def _read_lines(ctx: Context, path: Path, batches: _Batches) -> None:
    segments = parse_path(ctx.options.records) if ctx.options.records else []
    bad: list[tuple[int, str, str]] = []
    n_bad = 0
    size = path.stat().st_size
    done = 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            done += len(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                doc = _loads(raw)
            except json.JSONDecodeError as e:
                problem: tuple[str, str] | None = (
                    f"第 {number} 行第 {e.colno} 列：{json_message_zh(e.msg)}",
                    f"line {number}, column {e.colno}: {e.msg}",
                )
            else:
                ok = isinstance(doc, dict) or (bool(segments) and doc is not None)
                problem = None if ok else (f"第 {number} 行不是对象", f"line {number}: not an object")
            if problem is not None:
                n_bad += 1
                if len(bad) < _SHOW:
                    bad.append((number, *problem))
                continue
            if n_bad:
                continue  # only looking for more bad lines now
            if segments:
                for record in _records_at(ctx, doc, segments, ctx.options.records or ""):
                    batches.add(record, number)
            else:
                batches.add(flatten(doc), number)
            if number % 100_000 == 0:
                ctx.tick(done, size)
    if n_bad:
        more = f"（另有 {n_bad - len(bad)} 行）" if n_bad > len(bad) else ""
        more_en = f" (and {n_bad - len(bad)} more)" if n_bad > len(bad) else ""
        raise DataError(
            f"{n_bad} 行不是合法的 JSON 对象：{'；'.join(z for _, z, _ in bad)}{more} / "
            f"{n_bad} line(s) are not valid JSON objects: {'; '.join(en for _, _, en in bad)}{more_en}",
            file=ctx.file,
            row=bad[0][0],
        )
