"""A table or a query from any database SQLAlchemy reaches, streamed in batches (server-side
cursor where the driver has one) into Arrow and the DuckDB table, every value as text:
dates ``YYYY-MM-DD``, timestamps ``YYYY-MM-DD HH:MM:SS[+08:00]``, decimals as the database
gives them (``12.50``), booleans ``true``/``false``, JSON and arrays as JSON text, binary as
hex. ``_row`` is the 1-based index of the row in the result."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from shuzhi.errors import DataError
from shuzhi.ingest._readers._common import ROW, Context, SourceTable, finish, insert_arrow, unique_names

__all__ = ["db_text", "read_sql"]

_BATCH = 20_000


def db_text(v: Any) -> str | None:
    """A database value as text."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _first_line(e: BaseException) -> str:
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def read_sql(ctx: Context, url: str) -> SourceTable:
    from shuzhi.store import mask_url

    shown = mask_url(url)
    ctx.file = shown
    opts = ctx.options
    if (opts.table is None) == (opts.query is None):
        raise ctx.error(
            "SQL 来源要给 table 或 query（二选一）/ a SQL source needs table or query (one of them)"
        )
    try:
        u = make_url(url)
    except ArgumentError:
        raise ctx.error("数据库地址写法不对 / not a database URL") from None
    connect_args: dict[str, Any] = {}
    if u.get_backend_name() == "postgresql" and "connect_timeout" not in u.query:
        connect_args["connect_timeout"] = 10
    what = f"table {opts.table}" if opts.table is not None else f"query {opts.query}"
    digest = hashlib.sha256(f"{shown}\n{what}".encode()).hexdigest()
    try:
        engine = sa.create_engine(u, poolclass=sa.pool.NullPool, connect_args=connect_args)
    except (NoSuchModuleError, ImportError, ArgumentError) as e:
        raise ctx.error(f"不支持的数据库驱动 / unsupported database driver: {_first_line(e)}") from None
    try:
        if opts.table is not None:
            schema, _, name = opts.table.rpartition(".")
            stmt: sa.Executable = sa.select(sa.literal_column("*")).select_from(
                sa.table(name, schema=schema or None)
            )
            ctx.note(f"读取数据库表 {opts.table}", f"read database table {opts.table}")
        else:
            stmt = sa.text(opts.query or "")
            ctx.note("读取数据库查询结果", "read the result of a database query")
        names: list[str] = []
        total = 0
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, max_row_buffer=_BATCH).execute(stmt)
            raw = list(result.keys())
            names, generated = unique_names(ctx, raw)
            first = True
            for part in result.partitions(_BATCH):
                columns_data = list(zip(*part, strict=True)) if part else [() for _ in names]
                columns: dict[str, pa.Array] = {
                    name: pa.array([v if type(v) is str else db_text(v) for v in values], type=pa.string())
                    for name, values in zip(names, columns_data, strict=True)
                }
                columns[ROW] = pa.array(range(total + 1, total + len(part) + 1), type=pa.int64())
                insert_arrow(ctx, pa.table(columns), names, first=first)
                first = False
                total += len(part)
                ctx.tick(total, None)
            if first:
                raise ctx.error(f"{what} 没有任何行 / {what} returned no rows")
    except SQLAlchemyError as e:
        ctx.drop()
        kind = "表" if opts.table is not None else "查询"
        raise DataError(
            f"读取数据库{kind}失败 / cannot read the {what}: {_first_line(e)}", file=shown
        ) from None
    except BaseException:
        ctx.drop()
        raise
    finally:
        engine.dispose()
    try:
        return finish(ctx, fmt="sql", columns=names, generated=generated, sha256=digest, size=None)
    except BaseException:
        ctx.drop()
        raise
