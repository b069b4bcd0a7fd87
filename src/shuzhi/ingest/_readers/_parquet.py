"""Parquet, read by DuckDB: every column cast to VARCHAR (dates ISO ``YYYY-MM-DD``, timestamps
``YYYY-MM-DD HH:MM:SS``; structs, lists and maps as JSON text; binary as hex); ``_row`` is the
1-based record index in the file (DuckDB's virtual column ``file_row_number`` + 1).

The file's columns are renamed positionally (``_c1``, ``_c2`` …) in the query, so that a column of
the file named ``file_row_number`` neither clashes with nor hides the virtual column; its values
are read like any other column's.

Timestamps with a time zone (Parquet ``isAdjustedToUTC``; DuckDB ``TIMESTAMPTZ``) are instants:
cast as they are, DuckDB would write them in the session's time zone, i.e. the server's. They are
written instead as local time, without an offset, in the zone the column declares (the Arrow
schema's ``tz``, which Arrow writers keep in the file's metadata, e.g. ``Asia/Shanghai`` or
``+08:00``). A column declaring UTC, or no zone at all (Spark, DuckDB and other non-Arrow
writers), is written in :data:`DEFAULT_ZONE`, Beijing time: this platform serves Chinese cities
and their clerks read local times. Zoned timestamps inside structs and lists are written in
:data:`DEFAULT_ZONE` too, with its offset (``+08``), as JSON text. Every conversion is noted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
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

__all__ = ["DEFAULT_ZONE", "read_parquet"]

#: the zone of timestamps stored as UTC when the file names no local zone: Beijing time (China has
#: one time zone and no daylight saving time)
DEFAULT_ZONE = "Asia/Shanghai"
_DEFAULT_SHOWN = ("北京时间（Asia/Shanghai）", "Beijing time (Asia/Shanghai)")
#: DuckDB's names of a timestamp with a time zone
_ZONED = frozenset({"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "TIMESTAMPTZ_NS"})
#: declared zones that say "UTC" and nothing about local time
_UTC = frozenset(
    {"utc", "etc/utc", "uct", "etc/uct", "gmt", "etc/gmt", "gmt0", "etc/gmt0", "etc/gmt+0", "etc/gmt-0",
     "z", "zulu", "etc/zulu", "universal", "etc/universal", "greenwich", "etc/greenwich"}
)  # fmt: skip
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _nested(t: str) -> bool:
    return t.startswith(("STRUCT", "MAP", "UNION")) or t.endswith("]")


def _as_text(column: str, duck_type: str, zone: str | None = None) -> str:
    c = ident(column)
    t = duck_type.upper()
    if _nested(t):
        return f"CAST(to_json({c}) AS VARCHAR)"
    if t in ("BLOB", "BYTEA", "BINARY", "VARBINARY"):
        return f"hex({c})"
    if zone is not None:  # the local time in that zone, without an offset
        return f"CAST(timezone({literal(zone)}, {c}) AS VARCHAR)"
    return f"CAST({c} AS VARCHAR)"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def _declared_zones(path: Path) -> dict[str, str | None]:
    """Top-level column → the time zone its Arrow timestamp type declares (None: none)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError):
        return {}  # DuckDB read it; without Arrow's view every zoned column gets the default zone
    return {f.name: f.type.tz for f in schema if pa.types.is_timestamp(f.type)}


@dataclass(frozen=True)
class _Zone:
    #: as DuckDB's timezone() takes it
    sql: str
    #: declared (the file's zone) | utc (UTC or none declared: the default) | unknown (the default)
    how: str
    #: what the file declares
    declared: str | None


def _zones(ctx: Context, path: Path, types: list[tuple[str, str]]) -> dict[int, _Zone]:
    """The zone each top-level zoned timestamp column is written in, by position."""
    zoned = [i for i, (_, t) in enumerate(types) if t.upper() in _ZONED]
    if not zoned:
        return {}
    declared = _declared_zones(path)
    names: dict[str, str] | None = None
    out: dict[int, _Zone] = {}
    for i in zoned:
        tz = (declared.get(types[i][0]) or "").strip()
        if not tz or tz.casefold() in _UTC:
            out[i] = _Zone(DEFAULT_ZONE, "utc", tz or None)
            continue
        m = _OFFSET.match(tz)
        if m:
            if int(m.group(2)) == 0 and int(m.group(3)) == 0:
                out[i] = _Zone(DEFAULT_ZONE, "utc", tz)
            else:  # ICU reads a fixed offset as GMT+08:00
                out[i] = _Zone(f"GMT{m.group(1)}{m.group(2)}:{m.group(3)}", "declared", tz)
            continue
        if names is None:
            names = {str(r[0]).casefold(): str(r[0]) for r in ctx.engine.fetch_rows(
                "SELECT name FROM pg_timezone_names()"
            )}  # fmt: skip
        known = names.get(tz.casefold())
        out[i] = _Zone(known, "declared", tz) if known else _Zone(DEFAULT_ZONE, "unknown", tz)
    return out


def _note_zones(ctx: Context, zones: dict[int, _Zone], names: list[str], nested: list[str]) -> None:
    declared = [(names[i], z.declared) for i, z in zones.items() if z.how == "declared"]
    if declared:
        ctx.note(
            "带时区的时间按文件声明的时区写成当地时间（不带时区后缀）："
            + "、".join(f"{n}（{tz}）" for n, tz in declared),
            "zoned timestamps written as local time in the zone the file declares (no offset): "
            + ", ".join(f"{n} ({tz})" for n, tz in declared),
        )
    utc = [names[i] for i, z in zones.items() if z.how == "utc"]
    if utc:
        ctx.note(
            f"带时区的时间按{_DEFAULT_SHOWN[0]}写成当地时间（不带时区后缀；文件存的是 UTC，"
            f"没有声明当地时区）：{'、'.join(utc)}",
            f"zoned timestamps written as local time in {_DEFAULT_SHOWN[1]} (no offset; the file "
            f"stores UTC and declares no local zone): {', '.join(utc)}",
        )
    for i, z in zones.items():
        if z.how == "unknown":
            ctx.note(
                f"列 {names[i]} 声明的时区 {z.declared} 无法识别，按{_DEFAULT_SHOWN[0]}写出（不带时区后缀）",
                f"column {names[i]} declares an unknown time zone {z.declared!r}: written as local time "
                f"in {_DEFAULT_SHOWN[1]} (no offset)",
            )
    if nested:
        ctx.note(
            f"结构或列表中带时区的时间按{_DEFAULT_SHOWN[0]}写出，带 +08 后缀：{'、'.join(nested)}",
            f"zoned timestamps inside structs or lists written in {_DEFAULT_SHOWN[1]} with the +08 "
            f"offset: {', '.join(nested)}",
        )


def read_parquet(ctx: Context, path: Path) -> SourceTable:
    scan = f"read_parquet({literal(str(path))})"
    previous_zone: str | None = None
    try:
        described = ctx.engine.fetch_rows(f"DESCRIBE SELECT * FROM {scan}")
        types = [(str(r[0]), str(r[1])) for r in described]
        names, generated = unique_names(ctx, [n for n, _ in types])
        zones = _zones(ctx, path, types)
        nested = [
            name
            for (_, t), name in zip(types, names, strict=True)
            if _nested(t.upper()) and ("WITH TIME ZONE" in t.upper() or "TIMESTAMPTZ" in t.upper())
        ]
        _note_zones(ctx, zones, names, nested)
        aliases = [f"_c{i}" for i in range(1, len(types) + 1)]
        select = projection(
            ctx,
            [
                (_as_text(a, t, zones[i].sql if i in zones else None), name)
                for i, (a, (_, t), name) in enumerate(zip(aliases, types, names, strict=True))
            ],
        )
        src = f"{scan} AS _src({', '.join(aliases)})" if aliases else scan
        row = f"file_row_number + 1 AS {ident(ROW)}"
        if nested:  # to_json writes zoned timestamps in the session's zone: the default, not the server's
            previous_zone = str(ctx.engine.fetch_rows("SELECT current_setting('TimeZone')")[0][0])
            ctx.engine.execute(f"SET TimeZone = {literal(DEFAULT_ZONE)}")
        ctx.engine.execute(
            f"CREATE OR REPLACE TABLE {ident(ctx.table)} AS "
            f"SELECT {select + ', ' if select else ''}{row} FROM {src}"
        )
    except duckdb.Error as e:
        ctx.drop()
        first = str(e).strip().splitlines()[0]
        raise ctx.error(f"{UNREADABLE}（Parquet 读取失败 / Parquet: {first}）") from None
    finally:
        if previous_zone is not None:
            ctx.engine.execute(f"SET TimeZone = {literal(previous_zone)}")
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
