"""What every reader shares: the result type, header cleaning and detection, SQL quoting, Arrow
batches into DuckDB, and the finishing steps (blank rows, footer rows, empty results, unnamed
empty columns)."""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shuzhi.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

    from shuzhi.engine import Engine
    from shuzhi.ingest.mapping import SourceOptions

__all__ = [
    "HEADER_SCAN",
    "NO_ROWS",
    "ROW",
    "Context",
    "Progress",
    "SourceTable",
    "blank_condition",
    "chinese_names",
    "clean_name",
    "delete_blank_rows",
    "delete_footer",
    "describe_rows",
    "drop_empty_generated",
    "find_header",
    "finish",
    "ident",
    "insert_arrow",
    "literal",
    "mapped_count",
    "mode",
    "note_footer",
    "null_list",
    "projection",
    "unique_names",
]

#: the column holding the row number a clerk would look for
ROW = "_row"
#: how many lines/rows from the top are searched for the header
HEADER_SCAN = 50
#: the error of a source without data rows (an empty file, or a header alone)
NO_ROWS = "文件中没有数据行 / the file has no data rows"

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class SourceTable:
    """A source read into a DuckDB table: every source column as VARCHAR plus BIGINT ``_row``."""

    #: name of the DuckDB table holding the rows
    table: str
    #: source column names in source order (cleaned, unique; ``_row`` not included)
    columns: list[str]
    rows: int
    #: what the user gave: a path as given, or a SQL URL with the password masked
    file: str
    #: csv | excel | json | jsonl | parquet | sql
    format: str
    #: text encoding detected or given (CSV, JSON, JSON Lines), e.g. ``utf-8``, ``utf-8-sig``, ``gb18030``
    encoding: str | None
    #: of the file's bytes; for SQL, of the masked URL and the table or query
    sha256: str
    #: bytes (None for SQL)
    size: int | None
    #: 1-based line (CSV) or row (Excel) of the (first) header row
    header_row: int | None
    delimiter: str | None
    sheet: str | None
    #: what detection decided, bilingual, for the load report
    notes: list[str]
    #: Excel: the rows (``_row``) of each column whose cell held a number of 16+ digits, which
    #: Excel keeps to 15 significant digits — the value read is not the one typed
    lossy: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Context:
    """One read: where the rows go and what has been decided so far."""

    engine: Engine
    file: str
    options: SourceOptions
    table: str
    expected: list[str]
    tmp_dir: Path
    progress: Progress | None = None
    notes: list[str] = field(default_factory=list)

    def note(self, zh: str, en: str) -> None:
        self.notes.append(f"{zh} / {en}")

    def tick(self, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def scratch(self, kind: str) -> str:
        """A unique name for a scratch view or table."""
        return f"_sz_{kind}_{uuid.uuid4().hex[:12]}"

    def error(self, message: str, *, row: int | None = None, column: str | None = None) -> DataError:
        return DataError(message, file=self.file, row=row, column=column)

    def drop(self) -> None:
        self.engine.execute(f"DROP TABLE IF EXISTS {ident(self.table)}")


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- column names ------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
_BREAK = re.compile(r"\s*[\r\n]+\s*")


def _join_break(m: re.Match[str]) -> str:
    s = m.string
    before = s[m.start() - 1] if m.start() > 0 else ""
    after = s[m.end()] if m.end() < len(s) else ""
    return "" if _CJK.match(before) or _CJK.match(after) else " "


def clean_name(value: object) -> str:
    """Header text as a column name: BOM and zero-width characters removed, line breaks inside
    removed (between Chinese characters) or made one space, surrounding blanks (full-width too)
    trimmed."""
    text = "" if value is None else str(value)
    text = text.translate(_INVISIBLE)
    text = _BREAK.sub(_join_break, text.strip())
    return text.strip()


def chinese_names(raw: Sequence[str]) -> bool:
    return any(_CJK.search(clean_name(n)) for n in raw)


def unique_names(
    ctx: Context, raw: Sequence[str], *, chinese: bool | None = None
) -> tuple[list[str], set[str]]:
    """Cleaned header texts made into unique column names (DuckDB compares names without case).

    Empty headers are named ``列3`` (or ``column_3`` when no header is Chinese); duplicates become
    ``姓名_2``; ``_row`` is reserved. Returns the names and the set of names made for empty headers.
    """
    cleaned = [clean_name(v) for v in raw]
    if chinese is None:
        chinese = any(_CJK.search(n) for n in cleaned)
    taken = {ROW.casefold()} | {n.casefold() for n in cleaned if n}
    names: list[str] = []
    generated: set[str] = set()
    seen: dict[str, list[int]] = {}
    used: set[str] = {ROW.casefold()}
    empty: list[int] = []
    for i, name in enumerate(cleaned, 1):
        if not name:
            base = f"列{i}" if chinese else f"column_{i}"
            candidate, n = base, 1
            while candidate.casefold() in taken or candidate.casefold() in used:
                n += 1
                candidate = f"{base}_{n}"
            generated.add(candidate)
            empty.append(i)
        else:
            seen.setdefault(name.casefold(), []).append(i)
            candidate, n = name, 1
            while candidate.casefold() in used:
                n += 1
                candidate = f"{name}_{n}"
        used.add(candidate.casefold())
        names.append(candidate)
    for positions in seen.values():
        if len(positions) > 1 or names[positions[0] - 1] != cleaned[positions[0] - 1]:
            first = cleaned[positions[0] - 1]
            cols = "、".join(str(p) for p in positions)
            renamed = ", ".join(names[p - 1] for p in positions if names[p - 1] != cleaned[p - 1])
            ctx.note(
                f"表头重复：「{first}」出现在第 {cols} 列，改名为 {renamed}",
                f"duplicate header {first!r} (columns {cols.replace('、', ', ')}): renamed {renamed}",
            )
    if empty:
        shown = ", ".join(names[i - 1] for i in empty)
        ctx.note(
            f"{len(empty)} 列表头为空，命名为 {shown}",
            f"{len(empty)} column(s) without a header text, named {shown}",
        )
    return names, generated


# -- the header row ------------------------------------------------------------------------------


def _matches(names: Sequence[str], wanted: set[str]) -> int:
    return len({clean_name(n).casefold() for n in names} & wanted)


def _wanted(ctx: Context) -> set[str]:
    return {clean_name(e).casefold() for e in ctx.expected if clean_name(e)}


def mapped_count(ctx: Context, names: Sequence[str]) -> int:
    """How many of the mapped (expected) columns are among ``names`` (without case, as DuckDB
    compares names)."""
    return _matches(names, _wanted(ctx))


def find_header(
    ctx: Context,
    rows: Sequence[Sequence[str]],
    numbers: Sequence[int],
    *,
    alternatives: Callable[[int], list[list[str]]] | None = None,
    unit: tuple[str, str] = ("行", "line"),
) -> int:
    """Index (into ``rows``) of the header among the first lines/rows of a table.

    With expected (mapped) column names: the first row naming the most of them, at least half;
    none such is a :class:`DataError` naming what is missing and what looks like the header.
    Without: the first row whose non-empty cells are at least half of the widest row's
    (at least two when any row has two), which passes over titles such as
    ``晋城市城区低保对象名单（2024年3月）`` and blank lines above the header. The widest row is
    looked for among the rows of the table's own width (the commonest number of cells), so that
    one ragged line with extra cells below the header is not taken for it.
    ``alternatives(i)`` gives other readings of row ``i`` (e.g. two rows joined under merged cells).
    """
    filled = [sum(1 for c in r if clean_name(c)) for r in rows]
    widths = Counter(len(r) for r, n in zip(rows, filled, strict=True) if n)
    table_width = max(widths, key=lambda w: (widths[w], w)) if widths else 0
    widest = max((n for r, n in zip(rows, filled, strict=True) if len(r) == table_width), default=0)
    need = 1 if widest <= 1 else max(2, math.ceil(widest / 2))
    layout = next((i for i, n in enumerate(filled) if n >= need), None)
    if not ctx.expected:
        if layout is None:
            raise ctx.error(NO_ROWS)
        return layout
    wanted = _wanted(ctx)
    best, best_score = None, 0
    for i, row in enumerate(rows):
        readings = alternatives(i) if alternatives is not None else [list(row)]
        score = max(_matches(r, wanted) for r in readings)
        if score > best_score:
            best, best_score = i, score
    if best is not None and best_score >= math.ceil(len(wanted) / 2):
        return best
    shown = best if best is not None else layout
    found = [clean_name(c) for c in rows[shown]] if shown is not None else []
    found_cells = [c for c in found if c]
    have = {c.casefold() for c in found_cells}
    missing = [e for e in ctx.expected if clean_name(e).casefold() not in have]
    zh_unit, en_unit = unit
    where_zh = (
        f"第 {numbers[shown]} {zh_unit}像表头：{_preview(found_cells, '、')}"
        if shown is not None
        else "没有内容"
    )
    where_en = (
        f"{en_unit} {numbers[shown]} looks like the header: {_preview(found_cells, ', ')}"
        if shown is not None
        else "nothing found"
    )
    if best_score == 0:  # not one mapped column: rarely a typo, usually the wrong file or encoding
        hint_zh = (
            "；一个映射列也没有找到：请确认文件是否选对、是否为表格，"
            "编码不对时可在映射的 source: 下写 encoding: gbk"
        )
        hint_en = (
            "; not one mapped column was found: check that this is the right file and a table; "
            "if its encoding is wrong, give encoding: gbk under source: of the mapping"
        )
    else:  # some found: the header may be elsewhere, or span another number of rows
        hint_zh = (
            f"；表头在别的{zh_unit}时，在映射的 source: 下写 header_row: {zh_unit}号，"
            f"表头占几{zh_unit}写 header_rows: 1 或 2"
        )
        hint_en = (
            f"; to say where the header is, give header_row: N under source: of the mapping, "
            f"and header_rows: 1 or 2 for the {en_unit}s it spans"
        )
    raise DataError(
        f"前 {HEADER_SCAN} {zh_unit}中找不到含有映射列的表头（缺少 {'、'.join(missing)}）；"
        f"{where_zh}{hint_zh} / "
        f"no header row among the first {HEADER_SCAN} {en_unit}s names most of the mapped columns "
        f"(missing: {', '.join(missing)}); {where_en}{hint_en}",
        file=ctx.file,
        row=numbers[shown] if shown is not None else None,
    )


def _preview(cells: Sequence[str], sep: str, limit: int = 80) -> str:
    """The cells joined, cut at about ``limit`` characters (a binary file read as text gives
    thousands of them)."""
    text = sep.join(cells)
    return text if len(text) <= limit else text[:limit] + f"…（共 {len(cells)} 格 / {len(cells)} cells）"


# -- Arrow batches into the table --------------------------------------------------------------


def null_list(ctx: Context) -> list[str]:
    """The values a reader makes NULL: only the empty text, when it is a null value. The other
    null values (无, 不详, NULL, …) stay as written in the source table, so that a quarantined row
    shows what the department wrote; cleansing reads them as missing."""
    return [""] if "" in ctx.options.null_values else []


def _null_mapped(ctx: Context, expr: str) -> str:
    return f"nullif({expr}, '')" if null_list(ctx) else expr


def projection(ctx: Context, columns: Sequence[tuple[str, str]]) -> str:
    """``expr AS name`` for each (expression, name), with the null values made NULL."""
    return ", ".join(f"{_null_mapped(ctx, expr)} AS {ident(name)}" for expr, name in columns)


def insert_arrow(ctx: Context, batch: pa.Table, names: Sequence[str], *, first: bool) -> None:
    """Add an Arrow batch (text columns ``names`` plus int64 ``_row``) to the table, creating it
    with the first batch; the null values become NULL on the way."""
    view = ctx.scratch("in")
    ctx.engine.register(view, batch)
    try:
        select = projection(ctx, [(ident(n), n) for n in names])
        select = f"{select}, {ident(ROW)}" if select else ident(ROW)
        if first:
            ctx.engine.execute(
                f"CREATE OR REPLACE TABLE {ident(ctx.table)} AS SELECT {select} FROM {ident(view)}"
            )
        else:
            ctx.engine.execute(f"INSERT INTO {ident(ctx.table)} BY NAME SELECT {select} FROM {ident(view)}")
    finally:
        ctx.engine.unregister(view)


# -- finishing ---------------------------------------------------------------------------------

_BLANKS = " \t\r\n\u3000\u00a0"
_BLANK_CHARS = literal(_BLANKS)
_BLANK_SET = "(" + ", ".join(literal(ch) for ch in _BLANKS) + ")"


def blank_condition(columns: Sequence[str]) -> str:
    """SQL true when every one of ``columns`` is NULL or blank. ``trim`` with a set of characters
    is slow: it runs only on values that start with one of them."""
    if not columns:
        return "true"
    return " AND ".join(
        f"({c} IS NULL OR {c} = '' OR ({c}[1] IN {_BLANK_SET} AND trim({c}, {_BLANK_CHARS}) = ''))"
        for c in map(ident, columns)
    )


def _count(ctx: Context, sql: str) -> int:
    rows = ctx.engine.fetch_rows(sql)
    return int(rows[0][0]) if rows else 0


def delete_blank_rows(ctx: Context, columns: Sequence[str]) -> int:
    """Remove rows in which every cell is empty; ``_row`` of the others is unchanged."""
    deleted = _count(ctx, f"DELETE FROM {ident(ctx.table)} WHERE {blank_condition(columns)}")
    if deleted:
        ctx.note(f"跳过 {deleted} 个空行", f"{deleted} blank row(s) skipped")
    return deleted


def describe_rows(ctx: Context, columns: Sequence[str], where: str) -> list[tuple[int, str]]:
    """(_row, the row's text shortened) for the rows matching ``where``, for notes."""
    text = "concat_ws(' ', " + ", ".join(ident(c) for c in columns) + ")" if columns else "''"
    rows = ctx.engine.fetch_rows(
        f"SELECT {ident(ROW)}, {text} FROM {ident(ctx.table)} WHERE {where} ORDER BY {ident(ROW)}"
    )
    return [(int(r), _short(str(t or ""))) for r, t in rows]


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def note_footer(ctx: Context, skipped: Sequence[tuple[int, str]], unit: tuple[str, str]) -> None:
    if not skipped:
        return
    zh_unit, en_unit = unit
    shown = "；".join(f"第 {r} {zh_unit}「{t}」" for r, t in skipped)
    ctx.note(
        f"按 skip_footer 跳过末尾 {len(skipped)} {zh_unit}：{shown}",
        f"skipped the last {len(skipped)} {en_unit}(s) (skip_footer): "
        f"{', '.join(str(r) for r, _ in skipped)}",
    )


def delete_footer(ctx: Context, columns: Sequence[str], unit: tuple[str, str]) -> None:
    """``skip_footer``: drop the last N non-blank rows (合计, 制表人 …)."""
    n = ctx.options.skip_footer
    if n <= 0:
        return
    last = ctx.engine.fetch_rows(
        f"SELECT {ident(ROW)} FROM {ident(ctx.table)} ORDER BY {ident(ROW)} DESC LIMIT {int(n)}"
    )
    if not last:
        return
    cut = min(int(r[0]) for r in last)
    skipped = describe_rows(ctx, columns, f"{ident(ROW)} >= {cut}")
    ctx.engine.execute(f"DELETE FROM {ident(ctx.table)} WHERE {ident(ROW)} >= {cut}")
    note_footer(ctx, skipped, unit)


def drop_empty_generated(ctx: Context, columns: list[str], generated: set[str]) -> list[str]:
    """Columns without a header text and without any value are dropped (trailing delimiters,
    empty Excel columns); those with values are kept under their made-up names."""
    candidates = [c for c in columns if c in generated]
    if not candidates:
        return columns
    counts = ctx.engine.fetch_rows(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE coalesce(trim({ident(c)}), '') <> '')" for c in candidates)
        + f" FROM {ident(ctx.table)}"
    )[0]
    empty = [c for c, n in zip(candidates, counts, strict=True) if int(n) == 0]
    for c in empty:
        ctx.engine.execute(f"ALTER TABLE {ident(ctx.table)} DROP COLUMN {ident(c)}")
    if empty:
        ctx.note(
            f"删除没有表头也没有数据的列：{'、'.join(empty)}",
            f"dropped column(s) with neither header nor values: {', '.join(empty)}",
        )
    kept = [c for c in candidates if c not in empty]
    if kept:
        ctx.note(
            f"这些列没有表头但有数据，请在映射中按此名称引用：{'、'.join(kept)}",
            f"column(s) with values but no header, refer to them by these names: {', '.join(kept)}",
        )
    return [c for c in columns if c not in empty]


def finish(
    ctx: Context,
    *,
    fmt: str,
    columns: list[str],
    generated: set[str] = frozenset(),  # type: ignore[assignment]
    encoding: str | None = None,
    sha256: str,
    size: int | None,
    header_row: int | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    footer_done: bool = False,
    blanks_done: bool = False,
    unit: tuple[str, str] = ("行", "row"),
    lossy: dict[str, list[int]] | None = None,
) -> SourceTable:
    """Blank rows out, footer rows out, empty results refused, unnamed empty columns dropped."""
    if not blanks_done:
        delete_blank_rows(ctx, columns)
    if not footer_done:
        delete_footer(ctx, columns, unit)
    rows = _count(ctx, f"SELECT count(*) FROM {ident(ctx.table)}")
    if rows == 0:
        raise ctx.error(NO_ROWS)
    columns = drop_empty_generated(ctx, columns, set(generated))
    return SourceTable(
        table=ctx.table,
        columns=columns,
        rows=rows,
        file=ctx.file,
        format=fmt,
        encoding=encoding,
        sha256=sha256,
        size=size,
        header_row=header_row,
        delimiter=delimiter,
        sheet=sheet,
        notes=list(ctx.notes),
        lossy={c: rows for c, rows in (lossy or {}).items() if c in columns},
    )


def mode(values: Sequence[int]) -> tuple[int, int]:
    """(most common value, its count); ties go to the first seen."""
    if not values:
        return 0, 0
    value, count = Counter(values).most_common(1)[0]
    return value, count
