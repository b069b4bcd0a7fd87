"""CSV: encoding, delimiter and header row detected in Python on the first megabyte; the rows
read by DuckDB's ``read_csv`` (all VARCHAR, strict, every bad line collected) straight into the
table.

Row numbers (``_row``) are physical line numbers counting the title and header lines. DuckDB
keeps a single file's records in order (``rowid``), so line = first data line + rowid, adjusted
where DuckDB consumed lines without producing a row: blank lines (which it skips; found by the
text pass) and records whose quoted fields hold line breaks (found with one SQL scan when the
file contains the quote character at all). A record spanning lines is numbered by its first
line. Lines are counted at line feeds; files that end lines with a bare CR (classic Mac OS) are
read correctly but numbered as one line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shuzhi.errors import DataError
from shuzhi.ingest._readers._common import (
    HEADER_SCAN,
    NO_ROWS,
    ROW,
    Context,
    SourceTable,
    blank_condition,
    delete_blank_rows,
    describe_rows,
    find_header,
    finish,
    ident,
    literal,
    mode,
    note_footer,
    null_list,
    unique_names,
)
from shuzhi.ingest._readers._text import TextFile, prepare_text, sample_text
from shuzhi.ingest._readers._transcoder import CHUNK

__all__ = ["DELIMITERS", "read_csv", "sniff_delimiter"]

#: candidates for ``delimiter: auto``, in order of preference on a tie
DELIMITERS = [",", "\t", ";", "|", "^"]
_DELIMITER_NAMES = {
    ",": ("逗号", "comma"),
    "\t": ("制表符", "tab"),
    ";": ("分号", "semicolon"),
    "|": ("竖线", "vertical bar"),
    "^": ("脱字符", "caret"),
}
#: when nothing should be read as NULL (DuckDB wants a non-empty list)
_NO_NULL = "\x00\x01"
#: how many of the first lines vote on the delimiter
_SNIFF_LINES = 200
#: bad lines listed in an error message
_SHOW = 5
_EXPECTED_FOUND = re.compile(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)")
#: a rejected line with nothing but these is a blank line, not an error
_BLANKISH = " \t\r\n,;|^\"'\u3000\u00a0"


@dataclass
class _Rec:
    unit: int  # 0-based record counting blank lines (DuckDB's ``skip`` counts the same way)
    first: int  # 1-based physical line where it starts
    last: int  # and ends
    fields: list[str]


def _records(
    text: str, delimiter: str, quote: str | None, complete: bool, max_lines: int | None = None
) -> list[_Rec]:
    reader = csv.reader(
        io.StringIO(text, newline="\n"),
        delimiter=delimiter,
        quotechar=quote or '"',
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
        doublequote=True,
        strict=False,
    )
    out: list[_Rec] = []
    previous, stopped = 0, False
    try:
        for fields in reader:
            out.append(_Rec(len(out), previous + 1, reader.line_num, fields))
            previous = reader.line_num
            if max_lines is not None and previous >= max_lines:
                stopped = True
                break
    except csv.Error:  # a field over the csv module's size limit, or the sample ends inside quotes
        stopped = False
    if not complete and not stopped and out:
        out.pop()  # may be cut off by the end of the sample
    return out


def _option_delimiter(value: str) -> str | None:
    if value in ("auto", ""):
        return None
    return value  # names (semicolon, 分号) are made characters by SourceOptions


def _option_quote(value: str) -> str | None:
    return value or None


def sniff_delimiter(text: str, quote: str | None, complete: bool) -> str | None:
    """The candidate that splits most of the first lines into the same number (> 1) of fields;
    None when none splits any line (a one-column file)."""
    best: tuple[tuple[int, int, int], str] | None = None
    head = text[: 1 << 16]
    head_complete = complete and len(head) == len(text)
    for i, delimiter in enumerate(DELIMITERS):
        recs = _records(head, delimiter, quote, head_complete, _SNIFF_LINES)
        widths = [len(r.fields) for r in recs if any(f.strip() for f in r.fields) and len(r.fields) > 1]
        width, freq = mode(widths)
        score = (freq, width, -i)
        if freq and (best is None or score > best[0]):
            best = (score, delimiter)
    return best[1] if best else None


def _combine(rows: list[list[str]]) -> list[str]:
    """Header rows stacked in a CSV (saved from merged Excel cells): an empty upper cell belongs to
    the non-empty one on its left while the lower rows have names there; names joined with '-'."""
    width = max(len(r) for r in rows)
    grid = [[(r[c] if c < len(r) else "").strip() for c in range(width)] for r in rows]
    for upper in range(len(grid) - 1):
        carry = ""
        for c in range(width):
            below = any(grid[x][c] for x in range(upper + 1, len(grid)))
            if grid[upper][c]:
                carry = grid[upper][c]
            elif carry and below:
                grid[upper][c] = carry
            else:
                carry = ""
    names = []
    for c in range(width):
        parts: list[str] = []
        for r in grid:
            if r[c] and (not parts or parts[-1] != r[c]):
                parts.append(r[c])
        names.append("-".join(parts))
    return names


def _lines_at(path: Path, offsets: list[int]) -> dict[int, int]:
    """Physical line numbers of DuckDB's reported line positions. DuckDB's
    ``line_byte_position`` is the line's first byte or the one after it, so the line is one more
    than the line feeds strictly before the position."""
    wanted = sorted(set(offsets))
    found: dict[int, int] = {}
    if not wanted:
        return found
    i, pos, lines = 0, 0, 0
    with open(path, "rb") as f:
        while i < len(wanted):
            chunk = f.read(CHUNK)
            if not chunk:
                break
            end = pos + len(chunk)
            while i < len(wanted) and wanted[i] <= end:
                found[wanted[i]] = lines + chunk.count(b"\n", 0, wanted[i] - pos) + 1
                i += 1
            lines += chunk.count(b"\n")
            pos = end
    for off in wanted[i:]:
        found[off] = lines + 1
    return found


def line_offsets(base: int, blanks: list[int], multi: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Breakpoints (from rowid, offset) so that line(rowid) = base + rowid + offset.

    ``blanks`` are the physical lines DuckDB skipped (sorted); ``multi`` the (rowid, extra line
    feeds) of records spanning lines (sorted). A blank line inside such a record belongs to it.
    """
    off, out = 0, []
    bi = mi = 0
    while bi < len(blanks) or mi < len(multi):
        if mi < len(multi):
            k, n = multi[mi]
            start = base + k + off
            if bi < len(blanks) and blanks[bi] <= start:
                pass  # the blank line comes first (a record never starts on a blank line)
            elif bi < len(blanks) and blanks[bi] <= start + n:
                bi += 1  # a blank line inside the quoted field
                continue
            else:
                off += n
                out.append((k + 1, off))
                mi += 1
                continue
        b = blanks[bi]
        off += 1
        out.append((b - base - (off - 1), off))
        bi += 1
    merged: dict[int, int] = {}
    for k, o in out:
        merged[k] = o
    return sorted(merged.items())


def _describe_reject(
    kind: str, message: str, line: int, columns: int, fields: int | None = None
) -> tuple[str, str]:
    m = _EXPECTED_FOUND.search(message or "")
    found = int(m.group(2)) if m else None
    if kind == "TOO MANY COLUMNS":
        # DuckDB stops counting at the first field too many; the line itself says how many it has
        found = max(found or 0, fields or 0) or None
        n = f"有 {found} 个字段" if found else "字段多于表头"
        return (
            f"第 {line} 行{n}（表头 {columns} 列）",
            f"line {line}: {found or 'more'} fields, header has {columns}",
        )
    if kind == "MISSING COLUMNS":
        n = f"只有 {found} 个字段" if found else "字段少于表头"
        return (
            f"第 {line} 行{n}（表头 {columns} 列）",
            f"line {line}: {found or 'fewer'} fields, header has {columns}",
        )
    if kind == "UNQUOTED VALUE":
        return f"第 {line} 行引号不配对", f"line {line}: unbalanced quote"
    if kind == "LINE SIZE OVER MAXIMUM":
        return f"第 {line} 行过长", f"line {line}: line too long"
    if kind == "INVALID ENCODING":
        return f"第 {line} 行编码错误", f"line {line}: invalid UTF-8"
    return f"第 {line} 行无法读取（{message}）", f"line {line}: {message}"


def _field_count(line: str | None, delimiter: str, quote: str | None) -> int | None:
    records = _records(line or "", delimiter, quote, complete=True) if line else []
    return len(records[0].fields) if len(records) == 1 else None


def _bad_lines(
    ctx: Context,
    first_bad: list[tuple[Any, ...]],
    skipped: set[int],
    remaining: int,
    lines: dict[int, int],
    width: int,
    delimiter: str,
    quote: str | None,
) -> DataError:
    """All lines that do not fit the header, counted; the first few named."""
    shown = [r for r in first_bad if int(r[0]) not in skipped][:_SHOW]
    parts = [
        _describe_reject(
            str(r[1]), str(r[3] or ""), lines[int(r[0])], width, _field_count(r[2], delimiter, quote)
        )
        for r in shown
    ]
    more_zh = f" 等 {remaining} 行" if remaining > len(parts) else ""
    more_en = f" (and {remaining - len(parts)} more)" if remaining > len(parts) else ""
    return DataError(
        f"{remaining} 行与表头的 {width} 列对不上：{'；'.join(p[0] for p in parts)}{more_zh} / "
        f"{remaining} line(s) do not match the header's {width} columns: "
        f"{'; '.join(p[1] for p in parts)}{more_en}",
        file=ctx.file,
        row=lines[int(shown[0][0])] if shown else None,
    )


def read_csv(ctx: Context, path: Path) -> SourceTable:
    opts = ctx.options
    if path.stat().st_size == 0:
        raise ctx.error(NO_ROWS)
    quote = _option_quote(opts.quote)
    text_file = prepare_text(ctx, path, quote=quote.encode("utf-8") if quote else None)
    try:
        return _read(ctx, text_file, quote)
    except BaseException:
        ctx.drop()
        raise
    finally:
        text_file.discard()


def _read(ctx: Context, tf: TextFile, quote: str | None) -> SourceTable:
    opts = ctx.options
    sample, complete = sample_text(tf.path)
    delimiter = _option_delimiter(opts.delimiter)
    if delimiter is None:
        delimiter = sniff_delimiter(sample, quote, complete) or ","
        zh, en = _DELIMITER_NAMES.get(delimiter, (repr(delimiter), repr(delimiter)))
        ctx.note(f"分隔符：{zh}（自动识别）", f"delimiter: {en} (detected)")
    records = _records(sample, delimiter, quote, complete)
    if not any(any(f.strip() for f in r.fields) for r in records):
        raise ctx.error(NO_ROWS)

    # -- the header
    header_rows = opts.header_rows if isinstance(opts.header_rows, int) else 1
    if isinstance(opts.header_row, int):
        at = next((i for i, r in enumerate(records) if r.first <= opts.header_row <= r.last), None)
        if at is None or not any(f.strip() for f in records[at].fields):
            raise ctx.error(
                f"header_row {opts.header_row} 处没有表头（空行或超出文件开头 1 MB）/ "
                f"no header at line {opts.header_row} (blank, or beyond the first megabyte)",
                row=opts.header_row,
            )
    else:
        top = [r for r in records if r.first <= HEADER_SCAN]
        at = find_header(ctx, [r.fields for r in top], [r.first for r in top])
    heads = records[at : at + header_rows]
    if len(heads) < header_rows:
        raise ctx.error(NO_ROWS)
    raw_names = heads[0].fields if header_rows == 1 else _combine([h.fields for h in heads])
    header_line, header_end = heads[0].first, heads[-1].last
    if header_line > 1:
        ctx.note(
            f"表头在第 {header_line} 行（上方 {header_line - 1} 行为标题或空行，已跳过）",
            f"header on line {header_line} ({header_line - 1} line(s) above it skipped: titles, blank lines)",
        )
    names, generated = unique_names(ctx, raw_names)
    skip = heads[-1].unit + 1

    # -- the rows, by DuckDB
    rejects, scan = ctx.scratch("rej"), ctx.scratch("rejscan")
    nulls = null_list(ctx) or [_NO_NULL]
    spec = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    q = literal(quote or "")
    try:
        try:
            ctx.engine.execute(
                f"CREATE OR REPLACE TABLE {ident(ctx.table)} AS SELECT * FROM "
                f"read_csv({literal(str(tf.path))}, columns = {spec}, header = false, skip = {skip}, "
                f"delim = {literal(delimiter)}, "
                f"quote = {q}, escape = {q}, auto_detect = false, strict_mode = true, "
                f"nullstr = [{', '.join(literal(v) for v in nulls)}], "
                f"ignore_errors = true, store_rejects = true, rejects_table = {literal(rejects)}, "
                f"rejects_scan = {literal(scan)})"
            )
        except duckdb.Error as e:
            first = str(e).strip().splitlines()[0]
            raise ctx.error(
                f"无法读取 CSV（常见原因：引号不配对，或字段中有未加引号的回车符）/ cannot read the CSV "
                f"(often an unbalanced quote or a bare carriage return inside a field): {first}"
            ) from None
        return _rows(ctx, tf, names, generated, delimiter, quote, header_line, header_end, rejects)
    finally:
        ctx.engine.execute(f"DROP TABLE IF EXISTS {ident(rejects)}")
        ctx.engine.execute(f"DROP TABLE IF EXISTS {ident(scan)}")


def _rows(
    ctx: Context,
    tf: TextFile,
    names: list[str],
    generated: set[str],
    delimiter: str,
    quote: str | None,
    header_line: int,
    header_end: int,
    rejects: str,
) -> SourceTable:
    eng, t = ctx.engine, ident(ctx.table)
    width = len(names)
    blankish = f"trim(coalesce(csv_line, ''), {literal(_BLANKISH)}) = ''"
    rej = ident(rejects)
    # lines DuckDB rejected that hold nothing (spaces, delimiters only) are blank lines
    empty_positions = [
        int(r[0]) for r in eng.fetch_rows(f"SELECT DISTINCT line_byte_position FROM {rej} WHERE {blankish}")
    ]
    bad_total = int(
        eng.fetch_rows(f"SELECT count(DISTINCT line_byte_position) FROM {rej} WHERE NOT ({blankish})")[0][0]
    )
    fields = "line_byte_position, error_type::VARCHAR, csv_line, error_message"
    first_bad = eng.fetch_rows(
        f"SELECT DISTINCT ON (line_byte_position) {fields} FROM {rej} WHERE NOT ({blankish}) "
        f"ORDER BY line_byte_position LIMIT {_SHOW}"
    )
    n_footer = max(ctx.options.skip_footer, 0)
    last_bad = (
        eng.fetch_rows(
            f"SELECT DISTINCT ON (line_byte_position) {fields} FROM {rej} WHERE NOT ({blankish}) "
            f"ORDER BY line_byte_position DESC LIMIT {n_footer}"
        )
        if n_footer
        else []
    )
    lines = _lines_at(tf.path, empty_positions + [int(r[0]) for r in first_bad + last_bad])
    if bad_total and not n_footer:
        raise _bad_lines(ctx, first_bad, set(), bad_total, lines, width, delimiter, quote)

    # -- _row: physical line numbers
    base = header_end + 1
    blanks = sorted({b for b in tf.blank_lines if b > header_end} if width > 1 else set())
    blanks = sorted(set(blanks) | {lines[p] for p in empty_positions})
    multi: list[tuple[int, int]] = []
    if tf.has_quote:
        nl = " + ".join(
            f"coalesce(length({ident(c)}) - length(replace({ident(c)}, chr(10), '')), 0)" for c in names
        )
        anywhere = " OR ".join(f"contains({ident(c)}, chr(10))" for c in names)
        multi = [
            (int(k), int(n))
            for k, n in eng.fetch_rows(f"SELECT rowid, {nl} FROM {t} WHERE {anywhere} ORDER BY rowid")
        ]
    eng.execute(f"ALTER TABLE {t} ADD COLUMN {ident(ROW)} BIGINT")
    eng.execute(f"UPDATE {t} SET {ident(ROW)} = rowid + {base}")
    count = int(eng.fetch_rows(f"SELECT count(*) FROM {t}")[0][0])
    breaks = [(k, o) for k, o in line_offsets(base, blanks, multi) if k < count]
    if breaks:
        bp = ident(ctx.scratch("lines"))
        eng.execute(
            f"CREATE TABLE {bp} AS SELECT unnest(?::BIGINT[]) AS k, unnest(?::BIGINT[]) AS off",
            [[k for k, _ in breaks], [o for _, o in breaks]],
        )
        try:
            eng.execute(
                f"UPDATE {t} SET {ident(ROW)} = {t}.rowid + {base} + m.off FROM "
                f"(SELECT r.rowid AS rid, {bp}.off FROM {t} AS r ASOF JOIN {bp} ON r.rowid >= {bp}.k) AS m "
                f"WHERE {t}.rowid = m.rid"
            )
        finally:
            eng.execute(f"DROP TABLE IF EXISTS {bp}")

    # -- blank rows, footer rows, bad lines
    delete_blank_rows(ctx, names)
    footer_rows: list[int] = []
    footer_bad: set[int] = set()
    if n_footer:
        last_rows = [
            int(r[0])
            for r in eng.fetch_rows(
                f"SELECT {ident(ROW)} FROM {t} ORDER BY {ident(ROW)} DESC LIMIT {n_footer}"
            )
        ]
        bad_lines = [lines[int(r[0])] for r in last_bad]
        footer = sorted(set(last_rows) | set(bad_lines), reverse=True)[:n_footer]
        footer_rows = [r for r in last_rows if r in footer]
        footer_bad = {p for p in (int(r[0]) for r in last_bad) if lines[p] in footer}
    if bad_total - len(footer_bad) > 0:
        raise _bad_lines(
            ctx, first_bad, footer_bad, bad_total - len(footer_bad), lines, width, delimiter, quote
        )
    skipped: list[tuple[int, str]] = []
    if footer_rows:
        cut = min(footer_rows)
        skipped = describe_rows(ctx, names, f"{ident(ROW)} >= {cut} AND NOT ({blank_condition(names)})")
        eng.execute(f"DELETE FROM {t} WHERE {ident(ROW)} >= {cut}")
    for r in last_bad:
        if int(r[0]) in footer_bad:
            skipped.append((lines[int(r[0])], " ".join(str(r[2] or "").split())[:24]))
    note_footer(ctx, sorted(skipped), ("行", "line"))
    return finish(
        ctx,
        fmt="csv",
        columns=names,
        generated=generated,
        encoding=tf.encoding,
        sha256=tf.sha256,
        size=tf.size,
        header_row=header_line,
        delimiter=delimiter,
        footer_done=True,
        blanks_done=True,
        unit=("行", "line"),
    )
