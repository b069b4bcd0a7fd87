"""Golden records, their lineage and the conflicts between sources, in SQL over ``recs``.

Survivorship, per field (ties always end on resource code, then record key, so a re-run picks
the same record):

=============  ==================================================================================
field          the value of the record that comes first by
=============  ==================================================================================
name           source priority, then the most recent record
id_number      a valid number first, then source priority, then the most recent
birth_date     source priority, then the most recent (declared date, else the valid ID's)
sex            source priority, then the most recent (declared, else the valid ID's)
phone          the most recent record, then source priority
address        the most recent record, then source priority
death_date     source priority, then the earliest date
=============  ==================================================================================

Lineage is not stored: the golden record keeps, per field, which record its value came from
(``picks``), and :func:`lineage_sql` lists a person's records holding each golden value when
someone looks the person up.

"Most recent" is the record's own date (a ``record_date`` role) if it has one, else when its
version was loaded, else its version number.

Conflicts: ``birth_date`` (records of one person give different dates of birth — declared or
of a valid ID; the first of a month agrees with any day of that month, a date written to the month),
``vital_status`` (dead in one source — a death date or a status saying so — and alive in another:
a status saying so, or a record dated after the death; a dead record without a death date is dated
by its own record date, e.g. 注销日期), ``shared_id`` (one valid citizen ID on
records of different persons).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "CONFLICT_KINDS",
    "ENTITY_CONFLICT_KINDS",
    "ENTITY_FIELDS",
    "FIELDS",
    "entity_golden_records",
    "golden_records",
    "lineage_sql",
]

#: conflict kind -> (中文, English)
CONFLICT_KINDS: dict[str, tuple[str, str]] = {
    "birth_date": ("出生日期不一致", "different dates of birth"),
    "vital_status": ("一处记为死亡、另一处记为在世", "dead in one source, alive in another"),
    "shared_id": ("同一身份证号属于不同的人", "one citizen ID on records of different persons"),
}

# Survivorship: each field's record comes first by a few flags (a valid ID first …) and then one
# of the *base orders* below. The per-person choice is ``arg_min`` over a STRUCT key (flags, then
# the base order's terms, each written so that smaller comes first): a hash aggregate, no sort —
# neither per person and field nor over all records.
_RECENT_AT = "coalesce(record_at, loaded_at)"
#: the most recent first: the record's own date else its load, then the later load
_RECENT = [f"{_RECENT_AT} IS NULL", f"-epoch_us({_RECENT_AT})", "loaded_in IS NULL", "-loaded_in"]
#: the highest source priority first
_PRIORITY = ["priority IS NULL", "-priority"]
#: ties always end on resource code, then record key, so a re-run picks the same record
_TIE = ["src", "rec_key"]
#: base order -> its terms, ascending (``x IS NULL`` before ``x`` puts NULLs last)
BASES: dict[str, list[str]] = {
    "priority": [*_PRIORITY, *_RECENT, *_TIE],
    "recent": [*_RECENT, *_PRIORITY, *_TIE],
    "death": [*_PRIORITY, "death_date IS NULL", "death_date", *_TIE],
    "priority_code": [*_PRIORITY, "uscc IS NULL", *_RECENT, *_TIE],
}


def _true_first(flag: str) -> str:
    """``flag DESC NULLS LAST`` as a flag: 0, 1, 2."""
    return f"CASE WHEN {flag} THEN 0 WHEN NOT {flag} THEN 1 ELSE 2 END"


def _false_first(flag: str) -> str:
    return f"CASE WHEN {flag} THEN 1 ELSE 0 END"


#: golden field -> (value expression over recs, flags first, then a base order)
FIELDS: dict[str, tuple[str, list[str], str]] = {
    "name": ("name_raw", [], "priority"),
    "id_number": ("id18", [_true_first("id_valid")], "priority"),
    "birth_date": ("dob", [_false_first("dob_sure IS NULL")], "priority"),
    "sex": ("sex", [], "priority"),
    "phone": ("phone", [], "recent"),
    "address": ("addr_text", [], "recent"),
    "death_date": ("death_date", [], "death"),
}


def _order_key(flags: list[str], base: str) -> str:
    """The STRUCT whose smallest value is the record a field takes its value from."""
    terms = [*flags, *BASES[base]]
    return "struct_pack(" + ", ".join(f"o{i} := {t}" for i, t in enumerate(terms)) + ")"


def _survive(
    con: duckdb.DuckDBPyConnection, fields: dict[str, tuple[str, list[str], str]], extra: dict[str, str]
) -> None:
    """``golden`` from ``recs`` by the survivorship of ``fields``, with ``picks`` (per field, the
    resource and key of the record its value came from: see :func:`lineage_sql`); ``extra``: more
    golden columns (name -> aggregate over the entity's records)."""
    picks = ",\n".join(
        f"arg_min(struct_pack(v := {expr}, s := src, k := rec_key), {_order_key(flags, base)}) "
        f"FILTER (WHERE {expr} IS NOT NULL) AS {name}_pick"
        for name, (expr, flags, base) in fields.items()
    )
    aggs = "".join(f"{agg} AS {name}, " for name, agg in extra.items())
    values = ", ".join(f"{name}_pick.v AS {name}" for name in fields)
    chosen = ", ".join(f"{name} := struct_pack(s := {name}_pick.s, k := {name}_pick.k)" for name in fields)
    more = "".join(f"{name}, " for name in extra)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE golden AS
        SELECT registry_id, {values}, {more}records, sources, resources, struct_pack({chosen}) AS picks
        FROM (
            SELECT registry_id, count(*) AS records, count(DISTINCT src) AS sources,
                   list(DISTINCT src ORDER BY src) AS resources,
                   {aggs}{picks}
            FROM recs
            GROUP BY registry_id
        )"""
    )


def lineage_sql(
    golden: str, records: str, fields: dict[str, tuple[str, list[str], str]], *, picks: bool = True
) -> str:
    """Lineage of one person's (entity's) golden record: per field, the records holding the golden
    value, the one it was taken from marked ``chosen``. ``golden`` and ``records`` are relations
    of that person's rows (e.g. filtered on ``registry_id``); ``picks`` False: a golden record of
    an older run, which does not say which record it took (``chosen`` is NULL)."""

    def chosen(name: str) -> str:
        if not picks:
            return "CAST(NULL AS BOOLEAN)"
        return f"(r.src = g.picks.{name}.s AND r.rec_key = g.picks.{name}.k)"

    return "\nUNION ALL\n".join(
        f"""SELECT '{name}' AS field, CAST(g.{name} AS VARCHAR) AS value, r.src AS resource,
                   r.rec_key AS key, {chosen(name)} AS chosen
            FROM {golden} AS g JOIN {records} AS r ON r.registry_id = g.registry_id AND r.{expr} = g.{name}"""
        for name, (expr, _, _) in fields.items()
    )


def golden_records(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``golden`` and ``conflicts`` from ``recs`` (records with registry_id)."""
    _survive(con, FIELDS, {"deceased": "bool_or(dead)"})

    con.execute(
        """CREATE OR REPLACE TEMP TABLE conflicts AS
        WITH births AS (
            SELECT registry_id, dob_sure AS dob, list(DISTINCT src ORDER BY src) AS srcs
            FROM recs WHERE dob_sure IS NOT NULL GROUP BY registry_id, dob_sure
        ), disagree AS (
            -- the first of a month agrees with any day of it: a date written to the month only
            SELECT DISTINCT a.registry_id FROM births AS a JOIN births AS b
                ON a.registry_id = b.registry_id AND a.dob < b.dob
            WHERE NOT (strftime(a.dob, '%Y%m') = strftime(b.dob, '%Y%m')
                       AND (day(a.dob) = 1 OR day(b.dob) = 1))
        ), birth AS (
            SELECT registry_id, 'birth_date' AS kind,
                   to_json(list(struct_pack(value := strftime(dob, '%Y-%m-%d'), resources := srcs)
                                ORDER BY dob))
                       AS detail
            FROM births WHERE registry_id IN (SELECT registry_id FROM disagree) GROUP BY registry_id
        ), vital AS (
            SELECT registry_id, 'vital_status' AS kind,
                   to_json(struct_pack(
                       dead := list(DISTINCT src ORDER BY src) FILTER (WHERE dead),
                       alive := list(DISTINCT src ORDER BY src) FILTER (
                           WHERE NOT dead AND (alive OR record_at > death_first)),
                       death_date := strftime(any_value(death_first), '%Y-%m-%d'))) AS detail
            FROM (SELECT registry_id, src, dead, alive, record_at,
                         min(coalesce(death_date, CASE WHEN dead THEN record_at END))
                             OVER (PARTITION BY registry_id) AS death_first
                  FROM recs)
            GROUP BY registry_id
            HAVING bool_or(dead) AND bool_or(NOT dead AND (alive OR coalesce(record_at > death_first, false)))
        ), ids AS (
            SELECT id18, list(DISTINCT registry_id ORDER BY registry_id) AS persons
            FROM recs WHERE id_valid GROUP BY id18 HAVING count(DISTINCT registry_id) > 1
        ), shared AS (
            SELECT unnest(persons) AS registry_id, 'shared_id' AS kind,
                   to_json(struct_pack(id_number := id18, persons := persons)) AS detail
            FROM ids
        )
        SELECT registry_id, kind, CAST(detail AS VARCHAR) AS detail FROM birth
        UNION ALL SELECT registry_id, kind, CAST(detail AS VARCHAR) FROM vital
        UNION ALL SELECT registry_id, kind, CAST(detail AS VARCHAR) FROM shared"""
    )


# -- legal entities (法人库) ------------------------------------------------------------------------

#: conflict kind -> (中文, English), legal entities
ENTITY_CONFLICT_KINDS: dict[str, tuple[str, str]] = {
    "names": ("同一统一社会信用代码对应明显不同的名称", "one credit code with clearly different names"),
    "status": (
        "一处登记为注销或吊销、另一处为存续",
        "deregistered or revoked in one source, active in another",
    ),
    "legal_rep": ("法定代表人身份证号不一致", "different legal representatives' ID numbers"),
    "ambiguous": (
        "无有效代码的记录与多个法人同样相符，未关联",
        "a record without a valid code fits several entities equally: not linked",
    ),
}

#: golden field of a legal entity -> (value expression over recs, ordering). The registration
#: authority's record (highest priority) gives name, code, representative, status and dates; the
#: most recent record gives the address and phone.
ENTITY_FIELDS: dict[str, tuple[str, list[str], str]] = {
    "name": ("name_raw", [], "priority_code"),
    "uscc": ("uscc", [], "priority"),
    "org_code": ("org_code", [], "priority_code"),
    "legal_rep_name": ("rep_name_raw", [], "priority"),
    "legal_rep_id": ("rep_id18", [_true_first("rep_id_valid")], "priority"),
    "address": ("addr_text", [], "recent"),
    "phone": ("phone", [], "recent"),
    "status": ("status", [], "priority"),
    "reg_date": ("reg_date", [], "priority"),
    "cancel_date": ("cancel_date", [], "priority"),
}


def entity_golden_records(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``golden`` and ``conflicts`` of legal entities from ``recs``.

    Conflicts: ``names`` (two names of one entity neither of which contains the other and whose
    Jaro–Winkler similarity is under 0.8 — not a prefix written or not, not a typo),
    ``status`` (注销/吊销 in one source, 存续/在业 in another), ``legal_rep`` (two valid, different
    representative ID numbers).
    """
    _survive(con, ENTITY_FIELDS, {"branch": "bool_or(is_branch)"})
    con.execute(
        """CREATE OR REPLACE TEMP TABLE conflicts AS
        WITH nm AS (
            SELECT registry_id, name_key, list(DISTINCT src ORDER BY src) AS srcs, min(name_raw) AS name
            FROM recs WHERE name_key IS NOT NULL GROUP BY registry_id, name_key
        ), differ AS (
            SELECT DISTINCT a.registry_id FROM nm AS a JOIN nm AS b
                ON a.registry_id = b.registry_id AND a.name_key < b.name_key
            WHERE NOT contains(a.name_key, b.name_key) AND NOT contains(b.name_key, a.name_key)
              AND jaro_winkler_similarity(a.name_key, b.name_key) < 0.8
        ), names AS (
            SELECT registry_id, 'names' AS kind,
                   to_json(list(struct_pack(name := name, resources := srcs) ORDER BY name)) AS detail
            FROM nm WHERE registry_id IN (SELECT registry_id FROM differ) GROUP BY registry_id
        ), st AS (
            SELECT registry_id, 'status' AS kind,
                   to_json(struct_pack(
                       ended := list(DISTINCT src ORDER BY src)
                                FILTER (WHERE status IN ('deregistered', 'revoked')),
                       active := list(DISTINCT src ORDER BY src) FILTER (WHERE status = 'active'))) AS detail
            FROM recs GROUP BY registry_id
            HAVING bool_or(status IN ('deregistered', 'revoked')) AND bool_or(status = 'active')
        ), rep AS (
            SELECT registry_id, 'legal_rep' AS kind,
                   to_json(list(DISTINCT rep_id18 ORDER BY rep_id18)) AS detail
            FROM recs WHERE rep_id_valid GROUP BY registry_id HAVING count(DISTINCT rep_id18) > 1
        )
        SELECT registry_id, kind, CAST(detail AS VARCHAR) AS detail FROM names
        UNION ALL SELECT registry_id, kind, CAST(detail AS VARCHAR) FROM st
        UNION ALL SELECT registry_id, kind, CAST(detail AS VARCHAR) FROM rep"""
    )
