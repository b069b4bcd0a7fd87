"""``read_source``: one entry for every kind of source."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from shuzhi.engine import Engine
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
    if options.format == "sql" or (options.format is None and _URL.match(text) and "://" in text[:40]):
        from shuzhi.ingest._readers._sql import read_sql

        return read_sql(ctx, text)
    path = Path(text).expanduser()
    fmt, moved = sniff(path, shown, options.format)
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
