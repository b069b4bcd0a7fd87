"""Parquet, read by DuckDB: every column cast to VARCHAR (dates ISO ``YYYY-MM-DD``, timestamps
``YYYY-MM-DD HH:MM:SS``; structs, lists and maps as JSON text; binary as hex); ``_row`` is the
1-based record index in the file (DuckDB's virtual column ``file_row_number`` + 1).

The file's columns are renamed positionally (``_c1``, ``_c2`` …) in the query, so that a column of
the file named ``file_row_number`` neither clashes with nor hides the virtual column; its values
are read like any other column's."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from shuzhi.ingest._readers._common import (
    ROW,
    Context,
    SourceTable,
    finish,
    ident,
    literal,
    projection,
    unique_names,
)
from shuzhi.ingest._readers._detect import UNREADABLE

__all__ = ["read_parquet"]


def _as_text(column: str, duck_type: str) -> str:
    c = ident(column)
    t = duck_type.upper()
    if t.startswith(("STRUCT", "MAP", "UNION")) or t.endswith("]"):
        return f"CAST(to_json({c}) AS VARCHAR)"
    if t in ("BLOB", "BYTEA", "BINARY", "VARBINARY"):
        return f"hex({c})"
    return f"CAST({c} AS VARCHAR)"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_parquet(ctx: Context, path: Path) -> SourceTable:
    scan = f"read_parquet({literal(str(path))})"
    try:
        described = ctx.engine.fetch_rows(f"DESCRIBE SELECT * FROM {scan}")
        types = [(str(r[0]), str(r[1])) for r in described]
        names, generated = unique_names(ctx, [n for n, _ in types])
        aliases = [f"_c{i}" for i in range(1, len(types) + 1)]
        select = projection(
            ctx, [(_as_text(a, t), name) for a, (_, t), name in zip(aliases, types, names, strict=True)]
        )
        src = f"{scan} AS _src({', '.join(aliases)})" if aliases else scan
        row = f"file_row_number + 1 AS {ident(ROW)}"
        ctx.engine.execute(
            f"CREATE OR REPLACE TABLE {ident(ctx.table)} AS "
            f"SELECT {select + ', ' if select else ''}{row} FROM {src}"
        )
    except duckdb.Error as e:
        ctx.drop()
        first = str(e).strip().splitlines()[0]
        raise ctx.error(f"{UNREADABLE}（Parquet 读取失败 / Parquet: {first}）") from None
    try:
        return finish(
            ctx,
            fmt="parquet",
            columns=names,
            generated=generated,
            sha256=_digest(path),
            size=path.stat().st_size,
            unit=("条记录", "record"),
        )
    except BaseException:
        ctx.drop()
        raise
