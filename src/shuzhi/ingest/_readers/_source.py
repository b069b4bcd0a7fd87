"""``read_source``: one entry for every kind of source."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from shuzhi.engine import Engine
from shuzhi.errors import DataError
from shuzhi.ingest._readers._common import Context, Progress, SourceTable
from shuzhi.ingest._readers._detect import sniff
from shuzhi.ingest.mapping import SourceOptions

__all__ = ["read_source"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def read_source(
    engine: Engine,
    source: str | os.PathLike[str],
    options: SourceOptions,
    *,
    table: str,
    expected_columns: Sequence[str] = (),
    tmp_dir: Path,
    progress: Progress | None = None,
    name: str | None = None,
) -> SourceTable:
    """Read ``source`` into the DuckDB table ``table`` (replaced if it exists): every source
    column as VARCHAR (the text as written; empty cells are NULL when ``""`` is a null value,
    other null values are kept for cleansing to read as missing) plus BIGINT
    ``_row``, the row number a clerk would look for.

    ``source`` is a file path, or a SQLAlchemy URL when ``options.format`` is ``sql`` (or the
    text looks like ``driver://…``). ``expected_columns`` (the mapped source columns) find the
    header row below titles; ``tmp_dir`` holds transcoded copies while reading;
    ``progress(done, total)`` is called now and then (bytes, or rows when the total is unknown);
    ``name`` is how errors and the result name the source (default: ``source`` as given), e.g.
    an uploaded file's own name rather than the server's temporary copy.

    Raises :class:`~shuzhi.errors.NotFound` for a missing file and
    :class:`~shuzhi.errors.DataError` (naming file, row and column) for anything unreadable:
    not a table file, undecodable bytes, ragged lines, malformed JSON, no header, no rows.
    On error the table does not exist afterwards.
    """
    from shuzhi.store import mask_passwords

    text = os.fspath(source)
    shown = name or mask_passwords(text)  # a URL read as a file (format: csv) keeps its password hidden
    ctx = Context(
        engine=engine,
        file=shown,
        options=options,
        table=table,
        expected=[str(c) for c in expected_columns],
        tmp_dir=Path(tmp_dir),
        progress=progress,
    )
    url = options.format is None and _URL.match(text) is not None and "://" in text[:40]
    path = Path(text).expanduser()
    # a quarantine export sent back is read as exported (an xlsx or a UTF-8 csv), whatever the
    # mapping says the department's own source is: JSON, Parquet, a database table
    export = None if url else _export_format(path, shown, options.encoding)
    if export is not None:
        fmt = export
        ctx.options = _export_layout(ctx, fmt)
    elif options.format == "sql" or url:
        from shuzhi.ingest._readers._sql import read_sql

        return read_sql(ctx, text)
    else:
        fmt, moved = sniff(path, shown, options.format, encoding=options.encoding)
        if moved is not None:
            ctx.note(*moved)
    result: SourceTable
    if fmt == "csv":
        from shuzhi.ingest._readers._csv import read_csv

        result = read_csv(ctx, path)
    elif fmt == "excel":
        from shuzhi.ingest._readers._excel import read_excel

        result = read_excel(ctx, path)
    elif fmt in ("json", "jsonl"):
        from shuzhi.ingest._readers._json import read_json

        result = read_json(ctx, path, lines=fmt == "jsonl")
    elif fmt == "parquet":
        from shuzhi.ingest._readers._parquet import read_parquet

        result = read_parquet(ctx, path)
    else:  # pragma: no cover - sniff returns only the formats above
        raise AssertionError(fmt)
    ctx.tick(result.size or result.rows, result.size or result.rows)
    return result


#: the columns a quarantine export adds (``shuzhi quarantine --export``), in its two languages
_EXPORT_HEADS = (("行号", "问题", "规则"), ("row", "problems", "rules"))


def _export_format(path: Path, shown: str, encoding: str | None) -> str | None:
    """``csv`` or ``excel`` when the file is a quarantine export, else None."""
    if not path.is_file():
        return None
    try:
        fmt, _ = sniff(path, shown, None, encoding=encoding)
    except DataError:
        return None
    return fmt if fmt in ("csv", "excel") and _is_quarantine_export(path, fmt) else None


def _is_quarantine_export(path: Path, fmt: str) -> bool:
    """Whether the file is a quarantine export (corrected and sent back): its first row is 行号,
    问题, the source's columns, 规则 (or row, problems, …, rules), as the export writes it — a
    UTF-8 CSV, or a workbook of one sheet."""
    first: list[str] = []
    try:
        if fmt == "csv":
            import csv

            with open(path, "rb") as f:
                head = f.read(1 << 16)
            line = head.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
            first = next(csv.reader([line]), [])
        else:
            from python_calamine import CalamineWorkbook

            with CalamineWorkbook.from_path(str(path)) as wb:
                # the export's one sheet is named "<resource> v<N>": other workbooks are not
                # parsed a second time (calamine reads a whole sheet to give its first row)
                if len(wb.sheet_names) != 1 or not re.fullmatch(r".+ v\d+", wb.sheet_names[0]):
                    return False
                rows = wb.get_sheet_by_index(0).to_python(nrows=1)
            first = [str(v) for v in rows[0]] if rows else []
    except Exception:  # not readable as such: the reader says what is wrong with it
        return False
    first = [c.strip() for c in first]
    while first and not first[-1]:
        first.pop()
    if len(first) < 3:
        return False
    return any(
        first[0].lstrip("_") == r and first[1].lstrip("_") == p and first[-1].lstrip("_") == q
        for r, p, q in _EXPORT_HEADS
    )


def _export_layout(ctx: Context, fmt: str) -> SourceOptions:
    """The mapping's source options for a quarantine export: the export's own layout (header in
    row 1, no footer, its one sheet; CSV in UTF-8 with commas) instead of the layout of the
    department's original file, which the mapping describes — its ``skip_footer`` would drop
    corrected rows, its ``sheet`` or ``header_row`` would not be found."""
    o = ctx.options
    layout: dict[str, object] = {
        "header_row": 1,
        "header_rows": 1,
        "sheet": None,
        "skip_footer": 0,
        "records": None,
    }
    if fmt == "csv":
        layout.update(delimiter=",", encoding="auto", quote='"')
    changed = [
        k
        for k, v in layout.items()
        if getattr(o, k) != v and not (k == "header_row" and o.header_row == "auto")
    ]
    changed = [k for k in changed if not (k == "header_rows" and o.header_rows == "auto")]
    changed = [k for k in changed if k in o.model_fields_set]  # what the mapping set, not defaults
    if changed:
        ctx.note(
            "这是隔离区导出文件（行号、问题、规则列），按导出的格式读取，映射中针对原始文件的 "
            f"{'、'.join(changed)} 不适用",
            "this is a quarantine export (its row, problems and rules columns): read as exported, "
            f"the mapping's {', '.join(changed)} (for the department's original file) "
            f"{'does' if len(changed) == 1 else 'do'} not apply",
        )
    return o.model_copy(update=layout)
