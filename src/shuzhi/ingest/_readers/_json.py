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
* An item on the path without the rest of it (the key missing, or null) gives no records, like
  ``[]``, and is counted in a note; anything else that does not fit the path is an error located
  by a 1-based index path (``data.households[3].members``), see :class:`_Walker`.
* Fields that flatten to the same name are distinct columns (``addr.city``, ``addr.city_2``),
  see :data:`Key`.
* Malformed JSON: the parser's line and column. JSON Lines: every bad line (not JSON, not an
  object, not fitting the records path) is collected and the first few are reported with their
  line numbers. A ``.json`` file that holds one object per line is read as JSON Lines (noted).
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


def _kind(v: Any) -> tuple[str, str]:
    """What a JSON value is, in words (with the value when it is short)."""
    if v is None:
        return "null", "null"
    if isinstance(v, bool):
        return f"布尔值 {_dump(v)}", f"a boolean, {_dump(v)}"
    if isinstance(v, list):
        return "数组", "an array"
    if isinstance(v, dict):
        return "对象", "an object"
    text = _dump(v)
    text = text if len(text) <= 20 else text[:19] + "…"
    if isinstance(v, _Num):
        return f"数字 {text}", f"a number, {text}"
    return f"文本 {text}", f"a string, {text}"


_INDEXED = re.compile(r"\[\d")


def _index_hint(text: str) -> tuple[str, str]:
    """The remark on index paths (中文, English), when ``text`` holds one."""
    if not _INDEXED.search(text):
        return "", ""
    return "（[n] 为第 n 项，从 1 数起）", " ([n] is item n, counting from 1)"


#: the level of a JSON Lines line (the records path applies inside each line)
LINE = -1


@dataclass
class _Absent:
    """Items of one level (an array's items, or JSON Lines lines) without the rest of the path."""

    count: int = 0
    #: where the first few are (index paths, or line numbers)
    where: list[str] = dataclasses.field(default_factory=list)
    #: the first one whose key is missing: (its line or None, where, the path as written, its keys)
    missing: tuple[int | None, str, str, str] | None = None
    #: how many have the key, null
    nulls: int = 0


class _Walker:
    """The records at a records path (or in a top-level array), flattened, each with its array
    ancestors' fields.

    An item of an array on the path (or a JSON Lines line) without the rest of the path — the key
    missing, or null — gives no records, like an empty array; these are counted in
    :attr:`absent` by level. Whatever else does not fit the path (a value that is not an array, an
    item that is not an object) is a problem: :attr:`problems` counts them and keeps the first
    few as (中文, English, row), located by an index path with 1-based indices
    (``data.households[3].members[1]``); ``row`` is the record number the item would have had
    (None where no record is concerned). Walking goes on after a problem, to count them all.
    """

    def __init__(self, segments: list[_Segment], path: str) -> None:
        self.segments = segments
        self.path = path
        # for each array segment: the keys below it down to the next array (not carried)
        self.rest: list[tuple[str, ...]] = []
        for i in range(len(segments)):
            rest: list[str] = []
            for later in segments[i + 1 :]:
                rest.append(later.key)
                if later.array:
                    break
            self.rest.append(tuple(rest))
        self.absent: dict[int, _Absent] = {}
        self.problems = 0
        self.found: list[tuple[str, str, int | None]] = []
        #: record positions passed so far (records and items that should have been records)
        self.number = 0
        #: the JSON Lines line being read
        self.line: int | None = None

    def records(self, doc: Any, level: int | None = None) -> Iterator[dict[Key, str | None]]:
        """``level`` is :data:`LINE` for a JSON Lines line, None for a whole document."""
        return self._walk(doc, 0, {}, "", "", level)

    def _problem(self, zh: str, en: str, row: int | None = None) -> None:
        self.problems += 1
        if len(self.found) < _SHOW:
            self.found.append((zh, en, row))

    def _record(
        self, item: Any, loc: str, carried: dict[Key, str | None], loc_en: str | None = None
    ) -> Iterator[dict[Key, str | None]]:
        self.number += 1
        if isinstance(item, dict):
            yield {**carried, **flatten(item)} if carried else flatten(item)
        else:
            zh, en = _kind(item)
            self._problem(
                f"{loc} 不是对象（记录），是{zh}",
                f"{loc_en or loc} is not an object (a record) but {en}",
                self.number,
            )

    def _absent(self, level: int, loc: str, node: dict[str, Any], key: str, gen: str) -> None:
        a = self.absent.setdefault(level, _Absent())
        a.count += 1
        if len(a.where) < _SHOW:
            a.where.append(str(self.line) if level == LINE else loc)
        if key in node:
            a.nulls += 1
        elif a.missing is None:
            line = self.line if level == LINE else None
            a.missing = (line, loc, gen, ", ".join(map(str, node)) or "—")

    def _walk(
        self, node: Any, i: int, carried: dict[Key, str | None], loc: str, gen: str, level: int | None
    ) -> Iterator[dict[Key, str | None]]:
        """``loc``: where ``node`` is, with indices (``data.households[3]``); ``gen``: the same as
        the records path writes it (``data.households[]``); ``level``: the array segment whose
        item ``node`` is in (or :data:`LINE`), None at the top of a document."""
        shown = loc or "顶层"
        shown_en = loc or "the top level"
        if i == len(self.segments):
            if isinstance(node, list):
                for n, item in enumerate(node, 1):
                    if loc:
                        yield from self._record(item, f"{loc}[{n}]", carried)
                    else:  # a top-level array
                        yield from self._record(item, f"第 {n} 条记录", carried, f"record {n}")
            elif isinstance(node, dict):
                yield from self._record(node, loc, carried)
            else:
                zh, en = _kind(node)
                self._problem(
                    f"{shown} 不是记录数组，是{zh}", f"{shown_en} is not an array of records but {en}"
                )
            return
        seg = self.segments[i]
        key = seg.key
        here, here_gen = (f"{loc}.{key}", f"{gen}.{key}") if loc else (key, key)
        if not isinstance(node, dict):
            if isinstance(node, list):
                self._problem(
                    f"{shown} 是数组：records 路径应写作 {gen}[]（{self.path}）",
                    f"{shown_en} is an array: write {gen}[] in the records path ({self.path})",
                )
            else:
                zh, en = _kind(node)
                self._problem(
                    f"{shown} 不是对象，是{zh}：records 路径 {self.path} 在此走不下去",
                    f"{shown_en} is not an object but {en}: the records path {self.path} cannot go on",
                )
            return
        child = node.get(key)
        if child is None:
            if level is not None:  # inside an item: no records from it, like []
                self._absent(level, loc, node, key, here_gen)
                return
            if key not in node:
                keys = ", ".join(map(str, node)) or "—"
                self._problem(
                    f"records 路径 {self.path} 中 {here_gen} 不存在（这一层有：{keys}）",
                    f"records path {self.path}: {here_gen} not found (here: {keys})",
                )
                return
        if not seg.array:
            yield from self._walk(child, i + 1, carried, here, here_gen, level)
            return
        if not isinstance(child, list):
            zh, en = _kind(child)
            self._problem(f"{here} 不是数组，是{zh}", f"{here} is not an array but {en}")
            return
        last = i == len(self.segments) - 1
        for n, item in enumerate(child, 1):
            at = f"{here}[{n}]"
            if last:
                yield from self._record(item, at, carried)
            elif not isinstance(item, dict):
                zh, en = _kind(item)
                self._problem(f"{at} 不是对象，是{zh}", f"{at} is not an object but {en}")
            else:
                mine = flatten(item, (i, key), skip=self.rest[i])
                yield from self._walk(item, i + 1, {**carried, **mine}, at, f"{here_gen}[]", i)

    def note_absent(self, ctx: Context) -> None:
        """One note per level: how many items gave no records, and the first few."""
        for level, a in self.absent.items():
            what = ".".join(self.rest[level] if level != LINE else self._first_keys())
            more = "…" if a.count > len(a.where) else ""
            if level == LINE:
                lines = "、".join(a.where)
                ctx.note(
                    f"{a.count} 行没有 {what}（缺失或为 null），不产生记录：第 {lines} 行{more}",
                    f"{a.count} line(s) have no {what} (missing or null): no records "
                    f"(line(s) {', '.join(a.where)}{more})",
                )
            else:
                unit = self.segments[level].key
                ctx.note(
                    f"{a.count} 个 {unit} 没有 {what}（缺失或为 null），不产生记录："
                    f"{'、'.join(a.where)}{more}",
                    f"{a.count} {unit} have no {what} (missing or null): no records "
                    f"({', '.join(a.where)}{more}; [n] is item n, counting from 1)",
                )

    def no_records(self, ctx: Context) -> DataError | None:
        """The error when nothing but absent items was found: the path is likely wrong."""
        if not self.absent:
            return None
        level, a = next(iter(self.absent.items()))
        if a.missing is not None and not a.nulls:  # never there: the path is likely misspelt
            line, loc, gen, keys = a.missing
            where, where_en = (f"第 {line} 行", f"line {line}") if line is not None else (loc, loc)
            hint_zh, hint_en = _index_hint(where)
            return ctx.error(
                f"records 路径 {self.path} 中 {gen} 不存在（{where}有：{keys}）{hint_zh}，没有记录 / "
                f"records path {self.path}: {gen} not found ({where_en} has: {keys}){hint_en}, no records",
                row=line,
            )
        what = ".".join(self.rest[level] if level != LINE else self._first_keys())
        unit, unit_en = ("行", "line") if level == LINE else (f"个 {self.segments[level].key} ", "item")
        of = "" if level == LINE else f" of {self.segments[level].key}"
        return ctx.error(
            f"文件中没有数据行：每{unit}的 {what} 都缺失或为 null / the file has no data rows: "
            f"{what} is missing or null in every {unit_en}{of}"
        )

    def _first_keys(self) -> tuple[str, ...]:
        keys: list[str] = []
        for seg in self.segments:
            keys.append(seg.key)
            if seg.array:
                break
        return tuple(keys)

    def error(self, ctx: Context) -> DataError:
        """The problems of a whole document as one error."""
        more = f"（另有 {self.problems - len(self.found)} 处）" if self.problems > len(self.found) else ""
        more_en = f" (and {self.problems - len(self.found)} more)" if self.problems > len(self.found) else ""
        zh = "；".join(zh for zh, _, _ in self.found)
        en = "; ".join(en for _, en, _ in self.found)
        return ctx.error(
            f"{self.problems} 处记录有问题：{zh}{more}{_index_hint(zh)[0]} / "
            f"{self.problems} problem(s) with the records: {en}{more_en}{_index_hint(zh)[1]}",
            row=self.found[0][2],
        )


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
        walker: _Walker | None = None
        if lines:
            walker = _read_lines(ctx, tf.path, batches)
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
                    walker = _read_lines(ctx, tf.path, batches)
                else:
                    raise _bad_json(ctx, e) from None
            else:
                walker = _read_document(ctx, doc, batches)
        batches.flush()
        if batches.total == 0:
            raise (walker.no_records(ctx) if walker is not None else None) or ctx.error(NO_ROWS)
        if walker is not None:
            walker.note_absent(ctx)
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


def _read_document(ctx: Context, doc: Any, batches: _Batches) -> _Walker:
    path = ctx.options.records
    if path:
        walker = _Walker(parse_path(path), path)
        ctx.note(f"记录位置 {path}", f"records at {path}")
    elif isinstance(doc, list):
        walker = _Walker([], "")
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
        walker = _Walker(parse_path(found[0]), found[0])
    else:
        raise ctx.error("JSON 文件里没有记录 / the JSON holds no records (expected an array or an object)")
    for record in walker.records(doc):
        if not walker.problems:  # after one, only looking for more
            batches.add(record, walker.number)
    if walker.problems:
        raise walker.error(ctx)
    return walker


def _read_lines(ctx: Context, path: Path, batches: _Batches) -> _Walker | None:
    walker = _Walker(parse_path(ctx.options.records), ctx.options.records) if ctx.options.records else None
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
                ok = isinstance(doc, dict)
                problem = None if ok else (f"第 {number} 行不是对象", f"line {number}: not an object")
            if problem is None and walker is not None:
                walker.line, walker.problems, walker.found = number, 0, []
                for record in walker.records(doc, LINE):
                    if not n_bad and not walker.problems:
                        batches.add(record, number)
                if walker.problems:  # the line is named by its first problem
                    zh, en, _ = walker.found[0]
                    more, more_en = (
                        (
                            f"（本行另有 {walker.problems - 1} 处）",
                            f" (and {walker.problems - 1} more in the line)",
                        )
                        if walker.problems > 1
                        else ("", "")
                    )
                    problem = (f"第 {number} 行：{zh}{more}", f"line {number}: {en}{more_en}")
            elif problem is None and not n_bad:
                batches.add(flatten(doc), number)
            if problem is not None:
                n_bad += 1
                if len(bad) < _SHOW:
                    bad.append((number, *problem))
            if number % 100_000 == 0:
                ctx.tick(done, size)
    if n_bad:
        more = f"（另有 {n_bad - len(bad)} 行）" if n_bad > len(bad) else ""
        more_en = f" (and {n_bad - len(bad)} more)" if n_bad > len(bad) else ""
        zh = "；".join(z for _, z, _ in bad)
        raise DataError(
            f"{n_bad} 行无法读取：{zh}{more}{_index_hint(zh)[0]} / "
            f"{n_bad} line(s) cannot be read: {'; '.join(en for _, _, en in bad)}{more_en}"
            f"{_index_hint(zh)[1]}",
            file=ctx.file,
            row=bad[0][0],
        )
    return walker
