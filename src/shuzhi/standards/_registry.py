"""Checkable kinds: one entry per ``shuzhi check KIND``, joining the Python and SQL forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shuzhi.standards._sql import macro
from shuzhi.standards._verdict import MAX_INPUT_LENGTH, Verdict

__all__ = ["KINDS", "CheckKind", "check", "check_many", "register_kind"]


@dataclass(frozen=True, slots=True)
class CheckKind:
    name: str
    label_zh: str
    label_en: str
    check: Callable[[object], Verdict]
    sql_check: str  # name of the macro returning the verdict struct


KINDS: dict[str, CheckKind] = {}


def register_kind(kind: CheckKind) -> CheckKind:
    KINDS[kind.name] = kind
    return kind


# The SQL twin of ``_verdict.precheck``: the reason code that ends a check before it starts,
# or NULL to go on. Every ``sz_<kind>_check`` macro starts with it.
macro(
    "sz_precheck",
    ["s"],
    f"""CASE WHEN s IS NULL THEN 'empty'
             WHEN length(s) > {MAX_INPUT_LENGTH} THEN 'too_long'
             WHEN trim(s) = '' THEN 'empty'
             ELSE NULL END""",
    "reason code for NULL, overlong or blank input, else NULL",
)


def _kind(name: str) -> CheckKind:
    import shuzhi.standards  # noqa: F401  (registers every kind)

    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


def check(kind: str, value: object) -> Verdict:
    """Check one value with the pure-Python form of ``kind``."""
    return _kind(kind).check(value)


def check_many(kind: str, values: Iterable[str | None], *, con: Any = None) -> list[Verdict]:
    """Check many values in one pass of the DuckDB form of ``kind``, keeping their order."""
    import duckdb
    import pyarrow as pa

    from shuzhi.standards._sql import install

    k = _kind(kind)
    own = con is None
    if con is None:
        con = duckdb.connect()
    try:
        install(con)
        vals: Sequence[str | None] = list(values)
        con.register("_sz_check_input", pa.table({"i": pa.array(range(len(vals)), pa.int64()), "v": pa.array(vals, pa.string())}))
        rows = con.execute(f"SELECT v, {k.sql_check}(v) AS r FROM _sz_check_input ORDER BY i").fetchall()
        con.unregister("_sz_check_input")
    finally:
        if own:
            con.close()
    out = []
    for v, r in rows:
        out.append(
            Verdict(
                kind=k.name,
                input=v,
                valid=bool(r["valid"]),
                normalized=r["normalized"],
                reason=r["reason"],
                notes=tuple(r["notes"] or ()),
                parts={key: _jsonable(val) for key, val in (r["parts"] or {}).items()},
            )
        )
    return out


def _jsonable(v: Any) -> Any:
    import datetime as dt

    if isinstance(v, dt.date):
        return v.isoformat()
    return v
