"""Checkable kinds: one entry per ``shuzhi check KIND``, joining the Python and SQL forms."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shuzhi.standards._sql import macro
from shuzhi.standards._verdict import BLANK_CHARS, MAX_INPUT_LENGTH, Verdict

__all__ = ["KINDS", "CheckKind", "Variant", "check", "check_many", "register_kind"]


@dataclass(frozen=True, slots=True)
class Variant:
    """Another reading of a kind, chosen by the caller: e.g. dates written day first."""

    label_zh: str
    label_en: str
    check: Callable[[object], Verdict]
    sql_check: str


@dataclass(frozen=True, slots=True)
class CheckKind:
    """One kind of value ``shuzhi check`` knows, joining its Python and SQL forms.

    ``check_in`` / ``sql_check_in`` take a context too (a division code: the city the values come
    from, so that 城区 can be told apart); ``variants`` are other readings (``dayfirst``);
    ``sql_check_lean`` is a cheaper twin of ``sql_check`` for bulk cleansing.
    """

    name: str
    label_zh: str
    label_en: str
    check: Callable[[object], Verdict]
    sql_check: str  # name of the macro returning the verdict struct
    check_in: Callable[[object, str], Verdict] | None = None
    sql_check_in: str | None = None  # macro (s, ctx)
    variants: Mapping[str, Variant] = field(default_factory=dict)
    #: macro (s) giving the same valid, normalized and reason as ``sql_check`` (and the whole
    #: verdict of invalid values) but not the notes and parts of valid ones: for bulk cleansing,
    #: which reads the parts of refused values only
    sql_check_lean: str | None = None
    #: the same twin of ``sql_check_in`` (s, ctx)
    sql_check_in_lean: str | None = None
    #: the lean check as a query over rows, where a macro's correlated subquery would be
    #: decorrelated per call: ``(source, value, context or None, out)`` → SQL selecting every
    #: column of ``source`` and, as ``out``, the verdict ``sql_check_in_lean`` (or
    #: ``sql_check_lean`` without a context) gives for the expression ``value``
    sql_check_rows: Callable[[str, str, str | None, str], str] | None = None
    #: the check of a whole Arrow column at once (a vectorised kernel): a ``pyarrow.Table`` with
    #: at least ``valid`` and ``normalized``, one row per value in order, the verdicts ``check``
    #: gives; for an in-process engine, which can hand a column over without a copy
    check_arrow: Callable[[Any], Any] | None = None


KINDS: dict[str, CheckKind] = {}


def register_kind(kind: CheckKind) -> CheckKind:
    KINDS[kind.name] = kind
    return kind


# The SQL twin of ``_verdict.precheck``: the reason code that ends a check before it starts,
# or NULL to go on. Every ``sz_<kind>_check`` macro starts with it. Blank is "nothing but blank
# characters", one regular expression: ``trim(s, <those characters>) = ''`` took ten times as long
# (0.27 s against 0.025 s over 362,000 addresses), on every value of every check.
_BLANK_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(set(BLANK_CHARS))) + "]"
macro(
    "sz_precheck",
    ["s"],
    f"""CASE WHEN s IS NULL THEN 'empty'
             WHEN length(s) > {MAX_INPUT_LENGTH} THEN 'too_long'
             WHEN regexp_full_match(s, '{_BLANK_CLASS}*') THEN 'empty'
             ELSE NULL END""",
    "reason code for NULL, overlong or blank input, else NULL",
)


def _kind(name: str) -> CheckKind:
    import shuzhi.standards  # noqa: F401  (registers every kind)

    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


def _forms(
    kind: str, context: str | None, variant: str | None
) -> tuple[CheckKind, Callable[[object], Verdict], str, list[str]]:
    """The Python function, SQL macro and extra SQL arguments for ``kind`` as asked."""
    k = _kind(kind)
    if variant is not None:
        if variant not in k.variants:
            known = ", ".join(sorted(k.variants)) or "none"
            raise ValueError(f"{kind} has no variant {variant!r}; known: {known}")
        if context is not None:
            raise ValueError("a variant and a context cannot be combined")
        v = k.variants[variant]
        return k, v.check, v.sql_check, []
    if context is not None:
        if k.check_in is None or k.sql_check_in is None:
            raise ValueError(f"{kind} takes no context")
        check_in = k.check_in
        ctx = context
        return k, lambda value: check_in(value, ctx), k.sql_check_in, [context]
    return k, k.check, k.sql_check, []


def check(kind: str, value: object, *, context: str | None = None, variant: str | None = None) -> Verdict:
    """Check one value with the pure-Python form of ``kind``.

    ``context``: where the value comes from (a division code), for kinds that use one;
    ``variant``: another reading of the kind (e.g. ``dayfirst`` for dates).
    """
    return _forms(kind, context, variant)[1](value)


def check_many(
    kind: str,
    values: Iterable[str | None],
    *,
    con: Any = None,
    context: str | None = None,
    variant: str | None = None,
) -> list[Verdict]:
    """Check many values in one pass of the DuckDB form of ``kind``, keeping their order."""
    import pyarrow as pa

    from shuzhi.standards._sql import install

    k, _, sql_check, extra = _forms(kind, context, variant)
    if con is None:
        con = _checking_connection()
    else:
        install(con)
    vals: Sequence[str | None] = list(values)
    con.register(
        "_sz_check_input",
        pa.table({"i": pa.array(range(len(vals)), pa.int64()), "v": pa.array(vals, pa.string())}),
    )
    try:
        args = "".join(", ?" for _ in extra)
        rows = con.execute(
            f"SELECT v, {sql_check}(v{args}) AS r FROM _sz_check_input ORDER BY i", extra
        ).fetchall()
    finally:
        con.unregister("_sz_check_input")
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


_local = threading.local()


def _checking_connection() -> Any:
    """A per-thread in-memory DuckDB connection with the SQL forms installed, reinstalled only
    when the registry changed (installing every table and macro takes about a second)."""
    import duckdb

    from shuzhi.standards._sql import install, registry_version

    version = registry_version()
    con = getattr(_local, "con", None)
    if con is None or getattr(_local, "version", None) != version:
        if con is not None:
            con.close()
        con = duckdb.connect()
        install(con)
        _local.con, _local.version = con, registry_version()
    return con


def _jsonable(v: Any) -> Any:
    import datetime as dt

    if isinstance(v, dt.date):
        return v.isoformat()
    return v
