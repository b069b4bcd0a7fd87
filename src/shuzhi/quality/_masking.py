"""Display masking (脱敏展示) as SQL expressions, so failing-row samples never show a whole ID.

The forms of ``shared/STANDARDS.md`` (Masking): ID ``140502********151X`` (region and last 4
kept), name ``张*`` / ``欧阳**``, mobile ``138****5678``, landline keeps its area code, address cut
after the street or community, bank account last 4. Other sensitive fields show ``***``.

They are plain SQL expressions (no macros), written in DuckDB's dialect with functions that
sqlglot carries over to Spark unchanged in meaning, so both engines mask alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from shuzhi.catalog.spec import FieldSpec

__all__ = ["MaskKind", "mask_kind", "mask_sql"]

MaskKind = Literal["idcard", "name", "phone", "address", "account", "hidden", "none"]


def mask_kind(f: FieldSpec) -> MaskKind:
    """How a field's values are masked in samples: by its standard when it is personal
    information (or sensitive), ``none`` for fields that are neither."""
    personal = f.personal_info.value != "none" or f.sensitive
    if f.standard == "idcard":
        return "idcard"
    if not personal:
        return "none"
    if f.standard == "name" or (f.personal_info.value == "identity" and "name" in f.name):
        return "name"
    if f.standard == "phone":
        return "phone"
    if f.standard == "address":
        return "address"
    if f.personal_info.value == "financial":
        return "account"
    return "hidden"


def mask_sql(kind: MaskKind, expr: str) -> str:
    """SQL: the display form of the value ``expr`` (any type; NULL stays NULL)."""
    v = f"CAST({expr} AS VARCHAR)"
    if kind == "none":
        return v
    if kind == "hidden":
        return f"CASE WHEN {v} IS NULL THEN NULL ELSE '***' END"
    if kind == "idcard":
        return (
            f"CASE WHEN {v} IS NULL THEN NULL WHEN length({v}) >= 15 "
            f"THEN substr({v}, 1, 6) || repeat('*', length({v}) - 10) || substr({v}, length({v}) - 3, 4) "
            f"ELSE repeat('*', length({v})) END"
        )
    if kind == "name":
        from shuzhi.standards.names import COMPOUND_SURNAMES

        compound = ", ".join("'" + s + "'" for s in sorted(COMPOUND_SURNAMES))
        return (
            f"CASE WHEN {v} IS NULL THEN NULL "
            f"WHEN length({v}) >= 3 AND substr({v}, 1, 2) IN ({compound}) "
            f"THEN substr({v}, 1, 2) || repeat('*', length({v}) - 2) "
            f"ELSE substr({v}, 1, 1) || repeat('*', greatest(length({v}) - 1, 1)) END"
        )
    if kind == "phone":
        return (
            f"CASE WHEN {v} IS NULL THEN NULL "
            f"WHEN regexp_matches({v}, '^1[0-9]{{10}}$') "
            f"THEN substr({v}, 1, 3) || '****' || substr({v}, 8, 4) "
            f"WHEN regexp_matches({v}, '^0[0-9]{{2,3}}-') "
            f"THEN regexp_extract({v}, '^(0[0-9]{{2,3}})-', 1) || '-' "
            f"|| repeat('*', length({v}) - length(regexp_extract({v}, '^(0[0-9]{{2,3}})-', 1)) - 1) "
            f"ELSE substr({v}, 1, 3) || repeat('*', greatest(length({v}) - 3, 1)) END"
        )
    if kind == "address":
        cut = "^(.*(街道|社区|居委会|村委会|村|镇|乡))"  # the last street or community named
        city = "^(.*?(区|县|市|旗))"  # else the first county or city
        return (
            f"CASE WHEN {v} IS NULL THEN NULL "
            f"WHEN regexp_matches({v}, '{cut}') THEN regexp_extract({v}, '{cut}', 1) || '***' "
            f"WHEN regexp_matches({v}, '{city}') THEN regexp_extract({v}, '{city}', 1) || '***' "
            f"ELSE substr({v}, 1, 3) || '***' END"
        )
    if kind == "account":
        return (
            f"CASE WHEN {v} IS NULL THEN NULL WHEN length({v}) > 4 "
            f"THEN repeat('*', length({v}) - 4) || substr({v}, length({v}) - 3, 4) ELSE '****' END"
        )
    raise ValueError(f"unknown mask kind {kind!r}")
