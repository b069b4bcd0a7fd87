"""Excel (.xlsx, .xlsm, .xls, .ods) through python-calamine (Rust; no per-cell Python objects until
the rows are handed over), merged ranges included.

* Sheet: ``sheet:`` by name or 0-based index; default the first visible worksheet.
* Header: found like CSV's among the first 50 rows; a header cell merged across columns
  (「户主信息」 over 「姓名」「身份证号」) makes a two-row header whose names are joined
  ``户主信息-姓名``; a cell merged down over both header rows keeps its one name. The row under
  it stays data when it looks like data (a date, a number, an ID) or, with mapped columns, when
  the one-row reading names more of them.
* Cells become text as Excel shows them: integral numbers without ``.0``, other numbers with
  at most 15 significant digits and no exponent, dates ``YYYY-MM-DD``, date-times
  ``YYYY-MM-DD HH:MM:SS``, booleans ``TRUE``/``FALSE``. A number of 16 or more digits (an ID
  number typed into a number cell: 1.40502199003071E+17) has lost its last digits in Excel
  itself; it is given as Excel holds it and noted.
* What calamine does not give is read from the file itself (:mod:`._excel_cells`): integers
  under a code format (``000``: ``002``), error cells as their text (``#N/A``, noted), and
  formulas without a computed value (a program wrote the file; noted, read as empty).
* Merged cells in the data area (a 户号 merged down over a household's members) give every
  row of the range the value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from shuzhi.errors import DataError
from shuzhi.ingest._readers._common import (
    HEADER_SCAN,
    NO_ROWS,
    ROW,
    Context,
    SourceTable,
    clean_name,
    delete_blank_rows,
    delete_footer,
    find_header,
    finish,
    ident,
    insert_arrow,
    mapped_count,
    unique_names,
)
from shuzhi.ingest._readers._detect import UNREADABLE
from shuzhi.ingest._readers._excel_cells import CellMarks, xls_marks, xlsx_marks

__all__ = ["cell_text", "read_excel"]

Cell = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta
Merge = tuple[tuple[int, int], tuple[int, int]]

_UNIT = ("行", "row")
#: formulas without a value: what it is, and what the clerk does (Chinese, English)
_UNCOMPUTED = (
    "公式没有计算结果（文件由程序生成、未在 Excel/WPS 中计算过）",
    "formulas without a computed value (the file was written by a program and never calculated)",
)
_RESAVE = ("请用 Excel/WPS 打开并保存后再提交", "open and save the file in Excel/WPS, then submit it again")
#: Excel keeps 15 significant digits; integers from here on may have lost digits
_EXACT = 10**15
_BATCH = 50_000


def _number(v: float) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v.is_integer() and abs(v) < _EXACT:
        return str(int(v))
    return format(Decimal(format(v, ".15g")), "f")


def _duration(v: dt.timedelta) -> str:
    seconds = int(v.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _same(v: str) -> str:
    return v


_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: _same,
    bool: lambda v: "TRUE" if v else "FALSE",
    int: str,
    float: _number,
    dt.datetime: lambda v: v.isoformat(sep=" "),
    dt.date: dt.date.isoformat,
    dt.time: dt.time.isoformat,
    dt.timedelta: _duration,
}


def cell_text(v: Cell) -> str:
    """A cell's value as the text Excel shows (see the module docstring)."""
    return _BY_TYPE.get(type(v), str)(v)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _pick_sheet(ctx: Context, wb: CalamineWorkbook) -> str:
    names = list(wb.sheet_names)
    wanted = ctx.options.sheet
    listing = "、".join(names)
    if wanted is None:
        visible = [
            m.name
            for m in wb.sheets_metadata
            if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet
        ] or names
        if not visible:
            raise ctx.error("工作簿里没有工作表 / the workbook has no sheets")
        if len(names) > 1:
            ctx.note(
                f"工作簿有 {len(names)} 个工作表（{listing}），读取「{visible[0]}」；"
                "用 sheet: 选择其他工作表",
                f"the workbook has {len(names)} sheets ({', '.join(names)}); "
                f"read {visible[0]!r} (choose with sheet:)",
            )
        return visible[0]
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit() and wanted not in names):
        index = int(wanted)
        if 0 <= index < len(names):
            return names[index]
    elif wanted in names:
        return wanted
    else:
        close = [n for n in names if clean_name(n) == clean_name(wanted)]
        if len(close) == 1:
            return close[0]
    raise DataError(
        f"工作簿里没有工作表「{wanted}」，现有：{listing} / no sheet {wanted!r} in the workbook; "
        f"sheets: {', '.join(names)}",
        file=ctx.file,
    )


def _merge_at(merges: list[Merge], r: int, c: int) -> Merge | None:
    for m in merges:
        (r0, c0), (r1, c1) = m
        if r0 <= r <= r1 and c0 <= c <= c1:
            return m
    return None


def _header_names(texts: list[list[str]], merges: list[Merge], r: int, k: int, width: int) -> list[str]:
    """Names from header rows r .. r+k-1: merged cells take their range's value; parts from
    different cells joined with '-'; a cell merged down over several header rows counts once."""
    names = []
    for c in range(width):
        parts: list[str] = []
        last: Merge | None = None
        for rr in range(r, r + k):
            m = _merge_at(merges, rr, c)
            if m is not None and m is last:
                continue
            last = m
            (r0, c0) = m[0] if m is not None else (rr, c)
            value = texts[r0][c0] if r0 < len(texts) and c0 < len(texts[r0]) else ""
            if value and (not parts or parts[-1] != value):
                parts.append(value)
        names.append("-".join(parts))
    return names


def _merged_from_above(texts: list[list[str]], merges: list[Merge], r: int) -> list[str]:
    """Row ``r``'s names, an empty cell inside a cell merged down from a row above taking that
    cell's name (``texts``: the rows' cleaned texts, row ``r`` included)."""
    names = list(texts[r])
    for c, name in enumerate(names):
        m = _merge_at(merges, r, c) if not name else None
        if m is not None and m[0][0] < r:
            r0, c0 = m[0]
            names[c] = texts[r0][c0] if c0 < len(texts[r0]) else ""
    return names


def _spans_columns(merges: list[Merge], r: int) -> bool:
    return any(r0 == r == r1 and c1 > c0 for (r0, c0), (r1, c1) in merges)


#: a code of digits: an ID or phone number, a date written as text, a serial number
_CODE = re.compile(r"[0-9][0-9 ()+\-./:Xx]*")


def _looks_like_data(v: Cell, under_merged: bool) -> bool:
    """A value no column label is: a date or time, a truth value, a number or a code of digits.
    Under a header cell merged across columns, numbers and codes of fewer than 5 digits may be
    sub-headers (2023, 1) and do not count."""
    if isinstance(v, bool | dt.date | dt.time | dt.timedelta):
        return True
    if isinstance(v, int | float):
        return not under_merged or not float(v).is_integer() or abs(v) >= 10_000
    if not _CODE.fullmatch(v.strip()):
        return False
    return not under_merged or sum(ch.isdigit() for ch in v) >= 5


def _header_goes_on(
    ctx: Context, row: list[Cell], merges: list[Merge], r: int, shorter: list[str], longer: list[str]
) -> bool:
    """Whether row ``r``, under a header row with a cell merged across columns, is a header row
    too (sub-headers such as 手机 | 座机 under 联系电话). With mapped columns, the reading that
    names more of them decides; when both name as many, or nothing is mapped, the row is taken
    for data when it looks like data (a date, a number, an ID)."""
    if ctx.expected:
        now, then = mapped_count(ctx, shorter), mapped_count(ctx, longer)
        if now != then:
            return then > now
    under = {c for (r0, c0), (r1, c1) in merges if r0 == r1 == r - 1 and c1 > c0 for c in range(c0, c1 + 1)}
    return not any(_looks_like_data(v, c in under) for c, v in enumerate(row))


def read_excel(ctx: Context, path: Path) -> SourceTable:
    import hashlib

    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine's errors are not a public hierarchy
        raise DataError(
            f"{UNREADABLE}（Excel 工作簿损坏、不完整（没有传完或下载完？）或加密 / a damaged, "
            f"incomplete (cut short in upload or download?) or encrypted workbook: {_first_line(e)}）",
            file=ctx.file,
        ) from None
    try:
        with wb:
            name = _pick_sheet(ctx, wb)
            sheet = wb.get_sheet_by_name(name)
            grid = sheet.to_python(skip_empty_area=False)
            merges = [
                ((int(a), int(b)), (int(c), int(d))) for (a, b), (c, d) in (sheet.merged_cell_ranges or [])
            ]
    except DataError:
        raise
    except Exception as e:  # reading the sheet: a workbook cut short fails only here (xls)
        raise DataError(
            f"{UNREADABLE}（Excel 工作簿损坏或不完整，可能没有传完或下载完，请重新导出后再上传 / "
            f"a damaged or incomplete workbook, cut short in upload or download?: {_first_line(e)}）",
            file=ctx.file,
        ) from None
    # what calamine does not give: code formats, error cells, formulas without a value
    marks = xls_marks(data, name) if data[:4] == b"\xd0\xcf\x11\xe0" else xlsx_marks(data, name)
    _apply_marks(grid, marks)
    try:
        return _read(ctx, grid, merges, marks, name, digest, len(data))
    except BaseException:
        ctx.drop()
        raise


def _apply_marks(grid: list[list[Cell]], marks: CellMarks) -> None:
    """Error cells become their text; integers under a code format the text Excel shows."""
    for (r, c), text in marks.errors.items():
        if r < len(grid) and c < len(grid[r]) and grid[r][c] == "":
            grid[r][c] = text
    for (r, c), show in marks.formats.items():
        if r < len(grid) and c < len(grid[r]):
            v = grid[r][c]
            if type(v) is int or (type(v) is float and v.is_integer() and abs(v) < _EXACT):
                grid[r][c] = show(int(v))


def _read(
    ctx: Context,
    grid: list[list[Cell]],
    merges: list[Merge],
    marks: CellMarks,
    sheet: str,
    digest: str,
    size: int,
) -> SourceTable:
    opts = ctx.options
    width = max((len(r) for r in grid), default=0)
    if not grid or width == 0:
        raise ctx.error(NO_ROWS)
    top = [[clean_name(cell_text(v)) for v in row] for row in grid[:HEADER_SCAN]]
    top = [row + [""] * (width - len(row)) for row in top]

    def readings(i: int) -> list[list[str]]:
        out = [top[i]]
        filled = _merged_from_above(top, merges, i)
        if filled != top[i]:  # the lower row of a two-row header, named by a mapping's sub-headers
            out.append(filled)
        if i + 1 < len(top) and _spans_columns(merges, i):
            out.append(_header_names(top, merges, i, 2, width))
        return out

    if isinstance(opts.header_row, int):
        h = opts.header_row - 1
        if h >= len(grid):
            raise ctx.error(
                f"header_row {opts.header_row} 超出工作表 / beyond the sheet", row=opts.header_row
            )
    else:
        h = find_header(ctx, top, list(range(1, len(top) + 1)), alternatives=readings)

    def header(k: int) -> list[str]:
        """The names read from the k rows from row h on. In a one-row header, a cell inside a
        cell merged down from above takes its value: under a two-row header whose sub-headers
        the mapping names (姓名 | 电话 under 负责人), 统一社会信用代码 merged down both rows was
        read as an empty cell (列1)."""
        heads = [[clean_name(cell_text(v)) for v in row] for row in grid[h : h + k]]
        heads = [row + [""] * (width - len(row)) for row in heads]
        if k > 1:
            return _header_names([[""] * width] * h + heads, merges, h, k, width)
        above = [[clean_name(cell_text(v)) for v in row] for row in grid[:h]]
        return _merged_from_above([*above, heads[0]], merges, h)

    if isinstance(opts.header_rows, int):
        k = opts.header_rows
    else:
        k = 1
        while (
            k < 5
            and h + k < len(grid)
            and _spans_columns(merges, h + k - 1)
            and _header_goes_on(ctx, grid[h + k], merges, h + k, header(k), header(k + 1))
        ):
            k += 1
    raw = header(k)
    from_above = [n for n, own in zip(raw, top[h] if h < len(top) else [], strict=False) if n and not own]
    if h > 0 and k == 1 and from_above:
        ctx.note(
            f"表头在第 {h + 1} 行；{'、'.join(from_above[:3])}{'等' if len(from_above) > 3 else ''}列名取自"
            "上方向下合并的单元格（上方的其他表头行未并入列名）",
            f"header on row {h + 1}; {', '.join(from_above[:3])} taken from cells merged down from "
            "above (the header rows above are not joined into the names)",
        )
    elif h > 0:
        ctx.note(
            f"表头在第 {h + 1} 行（上方 {h} 行为标题或空行，已跳过）",
            f"header on row {h + 1} ({h} row(s) above it skipped: titles, blank rows)",
        )
    if k > 1:
        joined = [n for n, single in zip(raw, header(1), strict=False) if n != single and "-" in n]
        ctx.note(
            f"表头占 {k} 行（合并单元格），列名按「上级-下级」拼接，如 {'、'.join(joined[:3])}"
            "（表头只有一行时，在映射的 source: 下写 header_rows: 1）",
            f"a {k}-row header under merged cells; names joined as upper-lower, e.g. {', '.join(joined[:3])} "
            "(if the header is one row, give header_rows: 1 under source: of the mapping)",
        )
    ctx.note(f"工作表「{sheet}」", f"sheet {sheet!r}")
    names, generated = unique_names(ctx, raw)
    start = h + k
    body = grid[start:]
    if any(len(r) != width for r in body):  # calamine gives one width; be safe anyway
        body = [r + [""] * (width - len(r)) for r in body]
    filled = _fill_merged(merges, body, start)
    if filled:
        ctx.note(
            f"数据区有 {filled} 个单元格在合并区域中，已填入合并单元格的值",
            f"{filled} cell(s) inside merged ranges in the data area were given the merged value",
        )
    long_numbers: dict[str, list[int]] = {}
    total = len(body)
    first = True
    for b in range(0, max(total, 1), _BATCH):
        rows = body[b : b + _BATCH]
        columns: dict[str, pa.Array] = {}
        for c, col_name in enumerate(names):
            values = [row[c] for row in rows]
            kinds = set(map(type, values))
            if kinds == {str}:
                texts: list[str] = values  # type: ignore[assignment]
            else:
                one = _BY_TYPE.get(next(iter(kinds))) if len(kinds) == 1 else None
                texts = list(map(one or cell_text, values))
                if float in kinds:
                    lost = [
                        start + b + 1 + i
                        for i, v in enumerate(values)
                        if type(v) is float and v.is_integer() and abs(v) >= _EXACT
                    ]
                    if lost:
                        long_numbers.setdefault(col_name, []).extend(lost)
            columns[col_name] = pa.array(texts, type=pa.string())
        columns[ROW] = pa.array(range(start + b + 1, start + b + len(rows) + 1), type=pa.int64())
        insert_arrow(ctx, pa.table(columns), names, first=first)
        first = False
        ctx.tick(b + len(rows), total)
    for col_name, lost_rows in long_numbers.items():
        n = len(lost_rows)
        ctx.note(
            f"列「{col_name}」有 {n} 个超过 15 位的数字存成了数值（如身份证号），Excel 只保留 15 位有效数字，"
            f"末尾几位可能已变成 0；请把该列设为文本格式后重新录入或导出",
            f"column {col_name!r}: {n} number(s) of 16+ digits stored as numbers (e.g. ID numbers); "
            "Excel keeps "
            f"15 significant digits, so the last digits may have become 0; store the column as text",
        )
    delete_blank_rows(ctx, names)
    delete_footer(ctx, names, _UNIT)
    _note_marks(ctx, names, start, marks)
    return finish(
        ctx,
        fmt="excel",
        columns=names,
        generated=generated,
        sha256=digest,
        size=size,
        header_row=h + 1,
        sheet=sheet,
        blanks_done=True,
        footer_done=True,
        unit=_UNIT,
        lossy=long_numbers,
    )


def _note_marks(ctx: Context, names: list[str], start: int, marks: CellMarks) -> None:
    """Notes on the error cells and the formulas without a value in the rows read (not in title,
    header, blank or footer rows), by column."""
    formulas_at = {r + 1 for r, c in marks.uncomputed if r >= start and c < len(names)}
    flagged = formulas_at | {r + 1 for r, c in marks.errors if r >= start and c < len(names)}
    if not flagged:
        return
    view = ctx.scratch("marks")
    ctx.engine.register(view, pa.table({"r": pa.array(sorted(flagged), type=pa.int64())}))
    try:
        kept = {
            int(r)
            for (r,) in ctx.engine.fetch_rows(
                f"SELECT r FROM {ident(view)} WHERE r IN (SELECT {ident(ROW)} FROM {ident(ctx.table)})"
            )
        }
    finally:
        ctx.engine.unregister(view)
    errors: dict[int, list[str]] = {}
    for (r, c), text in marks.errors.items():
        if r + 1 in kept and c < len(names):
            errors.setdefault(c, []).append(text)
    if errors:
        zh, en = [], []
        for c, texts in sorted(errors.items()):
            shown = list(dict.fromkeys(texts))[:3]
            zh.append(f"列「{names[c]}」有 {len(texts)} 个错误单元格（如 {'、'.join(shown)}）")
            en.append(f"column {names[c]} has {len(texts)} error cell(s) (e.g. {', '.join(shown)})")
        ctx.note(
            "；".join(zh) + "；按单元格显示的文字读取，请在 Excel 中改正公式或数据",
            "; ".join(en) + "; read as the text shown: correct the formulas or data in Excel",
        )
    uncomputed: dict[int, int] = {}
    for r, c in marks.uncomputed:
        if r + 1 in kept and c < len(names):
            uncomputed[c] = uncomputed.get(c, 0) + 1
    if uncomputed:
        counts = sorted(uncomputed.items())
        ctx.note(
            f"{_UNCOMPUTED[0]}，读为空："
            + "、".join(f"列「{names[c]}」{n} 个" for c, n in counts)
            + f"；{_RESAVE[0]}",
            f"{_UNCOMPUTED[1]}, read as empty: "
            + ", ".join(f"column {names[c]} {n}" for c, n in counts)
            + f"; {_RESAVE[1]}",
        )
    elif formulas_at and not kept and not ctx.engine.fetch_rows(f"FROM {ident(ctx.table)} LIMIT 1"):
        # every row was left blank by formulas without a value: say why there are no rows
        raise ctx.error(
            f"文件中没有数据行：{_UNCOMPUTED[0]}；{_RESAVE[0]} / "
            f"the file has no data rows: {_UNCOMPUTED[1]}; {_RESAVE[1]}"
        )


def _fill_merged(merges: list[Merge], body: list[list[Cell]], start: int) -> int:
    filled = 0
    for (r0, c0), (r1, c1) in merges:
        if r0 < start or (r0 == r1 and c0 == c1):
            continue
        origin = body[r0 - start][c0] if r0 - start < len(body) and c0 < len(body[r0 - start]) else ""
        for r in range(r0, r1 + 1):
            if r - start >= len(body):
                break
            row = body[r - start]
            for c in range(c0, min(c1 + 1, len(row))):
                if (r, c) != (r0, c0):
                    row[c] = origin
                    filled += 1
    return filled
