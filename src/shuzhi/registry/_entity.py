"""The legal-entity registry (法人库): standardise, link, cluster — deterministic SQL on DuckDB.

Why rules and not Splink: a legal entity carries a key built to be matched exactly — the unified
social credit code (GB 32100), whose 18th character catches 30 in 31 typing errors, and inside it
the organisation code (GB 11714) with its own check. Where a code is present and valid there is
nothing to estimate; where it is missing or mistyped the organisation's *name* is near-unique by
law (名称登记管理规定: one name per registration authority and trade), so normalised-name equality
with supporting evidence decides as well as a model would, and every decision can be explained in
one line. The rules, in order (all bulk SQL over the run's records, nothing loops over rows):

1. **credit code** — records whose code is valid after normalisation (case, white space, full
   width; the letters O and I read as 0 and 1 only when the check character then validates)
   are one entity per code (rule ``uscc`` / ``uscc_fixed``);
2. **organisation code** — a record that carries only the old 组织机构代码 joins the entity whose
   code embeds it (characters 9–17, a valid GB 11714 code) when exactly one does (``org_code``);
   else the records sharing that organisation code are one entity (``org_code_only``);
3. **name**, for records without a valid code (missing, mistyped) and organisation-code groups
   no credit code embeds: candidates are the entities with the same normalised name
   (:mod:`._entity_names`), or a code one or two characters from what was written; each
   candidate gets a tier and evidence (same legal representative ID ×2, same representative
   name, same address, same phone), and a representative ID that differs is a veto for a
   name-only match:

   ====  ==========================================================================
   tier  candidate
   ====  ==========================================================================
   1     the written code is ≤ 2 characters from the candidate's (blocked on the characters at odd,
         or at even, positions), and the name or any evidence agrees
   2     the same name, province/city prefix kept (``name_full``)
   3     the same name, prefix written or not (``name_key``)
   4     the same name without legal form (``name_core``) and at least one piece of evidence
   ====  ==========================================================================

   The best candidate (lowest tier, then most evidence) wins when it is the only one that good;
   a tie links nothing and is flagged (conflict ``ambiguous``), and each tied candidate goes to
   the clerical review queue (:mod:`._review`) as a pair: the record and the candidate group's
   first record. A decision binds every later run: ``same`` puts the record in that candidate's
   entity (rule ``reviewed``, before every tier), ``different`` keeps it out of it. Records linked
   to nothing form entities of their own by normalised name (``name``), else alone.

Branches (分公司 …) keep their own entity; its golden record names the head office (``parent_id``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shuzhi.engine import Engine
from shuzhi.errors import DataError, NotFound
from shuzhi.registry._entity_names import (
    branch_head_sql,
    is_branch_sql,
    name_core_sql,
    name_full_sql,
    name_key_sql,
    org9_sql,
    uscc_fixed_sql,
    uscc_text_sql,
)
from shuzhi.registry._parts import run_table
from shuzhi.registry._roles import SourceRoles
from shuzhi.registry._spec import EntityKind, Role
from shuzhi.registry._standardise import RegistrySource, ident, lit, source_frame

if TYPE_CHECKING:
    import duckdb

    from shuzhi.registry._build import RunSummary
    from shuzhi.store import RegistryRun
    from shuzhi.workspace import Workspace

__all__ = ["ENTITY_COLUMNS", "RULES", "link_entities", "run_entities", "standardise_entities"]

#: columns of the standardised entity records that decide linkage (an update re-reads a record
#: when one of them changes)
ENTITY_COLUMNS: tuple[str, ...] = (
    "uscc_written",
    "uscc",
    "org_declared",
    "org_embedded",
    "name_full",
    "name_key",
    "name_core",
    "rep_id18",
    "rep_name",
    "addr_place",
    "phone",
)

#: rule -> (中文, English)
RULES: dict[str, tuple[str, str]] = {
    "uscc": ("统一社会信用代码相同", "the same credit code"),
    "uscc_fixed": (
        "统一社会信用代码相同（O/I 读作 0/1 后校验通过）",
        "the same credit code once O/I read as 0/1",
    ),
    "org_code": ("组织机构代码即信用代码第 9–17 位", "the organisation code embedded in the credit code"),
    "org_code_only": ("组织机构代码相同", "the same organisation code"),
    "code_near": ("信用代码差一两个字符且名称或其他信息一致", "a code one or two characters off, confirmed"),
    "name_full": ("名称相同（规范化后）", "the same name (normalised)"),
    "name_key": ("名称相同（不计省市前缀）", "the same name, with or without the city/province prefix"),
    "name_core": ("名称主体相同且有佐证", "the same name without legal form, with supporting evidence"),
    "name": ("无代码，名称相同", "no code; the same name"),
    "reviewed": ("人工复核裁定为同一法人", "decided the same entity in clerical review"),
}

_DEREGISTERED = "注销|撤销|注吊销|dereg|cancel"
_REVOKED = "吊销|revok"
_ACTIVE = "存续|在业|开业|正常|在营|营业|active|operat|open"


# -- standardise ----------------------------------------------------------------------------------


def _source_select(engine: Engine, source: RegistrySource, roles: SourceRoles, view: str) -> str:
    # the rows, record key and load read exactly as for persons (one crosswalk rule for both)
    frame = source_frame(engine, source, roles, view)
    table, key, loaded_in, loaded_at = frame.table, frame.key, frame.loaded_in, frame.loaded_at

    def text(*choices: Role) -> str:
        for role in choices:
            name = roles.field_for(role)
            if name is not None:
                # a conditional role (registry.when) is NULL on the rows where it does not hold
                return roles.value_sql(role, f"CAST({ident(name)} AS VARCHAR)")
        return "CAST(NULL AS VARCHAR)"

    def date(role: Role) -> str:
        return frame.date(source, roles, role)

    # a resource whose subject roles are conditional (registry.when) gives only the rows where one
    # holds (a column of citizen IDs and credit codes: its 统一社会信用代码 rows)
    rows = f"\n        WHERE {cond}" if (cond := roles.rows_sql()) is not None else ""
    return f"""
        SELECT {lit(source.code)} AS src, CAST({key} AS VARCHAR) AS rec_key, CAST(_row AS BIGINT) AS src_row,
               {int(roles.priority)} AS priority, {loaded_at} AS loaded_at, {loaded_in} AS loaded_in,
               CAST({date(Role.record_date)} AS TIMESTAMP) AS record_at,
               {text(Role.uscc)} AS uscc_in, {text(Role.org_code)} AS org_in,
               {text(Role.org_name, Role.name)} AS name_in,
               {text(Role.legal_rep_name)} AS rep_name_in, {text(Role.legal_rep_id)} AS rep_id_in,
               {text(Role.phone)} AS phone_in, {text(Role.address)} AS address_in,
               {text(Role.reg_status, Role.vital_status)} AS status_in,
               {date(Role.reg_date)} AS reg_in, {date(Role.cancel_date)} AS cancel_in,
               CAST({lit(roles.region)} AS VARCHAR) AS ctx
        FROM {table} AS s{rows}"""


def standardise_entities(
    engine: Engine, sources: Sequence[tuple[RegistrySource, SourceRoles]], out: str | os.PathLike[str]
) -> int:
    """Write the standardised legal-entity records of ``sources`` to the Parquet file ``out``;
    return the count. Records with neither a code nor a name are left out.

    Runs on ``engine`` when it is a DuckDB engine (it has the standards macros), else on a DuckDB
    engine of its own, as the person registry's standardisation does."""
    if engine.kind != "duckdb":
        from shuzhi.engine import DuckDBEngine

        with DuckDBEngine(temp_directory=Path(out).parent / "duckdb-standardise") as duck:
            return standardise_entities(duck, sources, out)
    tag = uuid.uuid4().hex[:10]
    views = [f"_ent_{tag}_src{i}" for i in range(len(sources))]
    tables = {n: f"_ent_{tag}_{n}" for n in ("raw", "codes", "orgs", "names", "reps", "repids", "addrs")}
    raw = tables["raw"]
    try:
        for view, (source, _) in zip(views, sources, strict=True):
            try:
                engine.register(view, Path(source.path))
            except NotFound:
                raise DataError(
                    f"找不到资源 {source.code} 的版本数据 / no data for resource {source.code}",
                    file=str(source.path),
                ) from None
        selects = [
            _source_select(engine, source, roles, view)
            for view, (source, roles) in zip(views, sources, strict=True)
        ]
        engine.execute(f"CREATE TABLE {raw} AS " + "\nUNION ALL BY NAME\n".join(selects))
        engine.execute(
            f"""CREATE TABLE {tables["codes"]} AS
            WITH w AS (SELECT uscc_in, {uscc_text_sql("uscc_in")} AS written
                       FROM (SELECT DISTINCT uscc_in FROM {raw} WHERE uscc_in IS NOT NULL))
            SELECT uscc_in, written, {uscc_fixed_sql("written")} AS uscc FROM w"""
        )
        engine.execute(
            f"""CREATE TABLE {tables["orgs"]} AS
            SELECT org_in, {org9_sql("org_in")} AS org9
            FROM (SELECT DISTINCT org_in FROM {raw} WHERE org_in IS NOT NULL
                  UNION SELECT DISTINCT substr(c.uscc, 9, 9) FROM {tables["codes"]} AS c
                  WHERE c.uscc IS NOT NULL)"""
        )
        engine.execute(
            f"""CREATE TABLE {tables["names"]} AS
            WITH n AS (SELECT name_in, trim(sz_text_normalize(name_in)) AS name_raw,
                              {name_full_sql("name_in")} AS name_full, {name_key_sql("name_in")} AS name_key
                       FROM (SELECT DISTINCT name_in FROM {raw} WHERE name_in IS NOT NULL))
            SELECT *, {name_core_sql("name_key")} AS name_core, {is_branch_sql("name_key")} AS is_branch,
                   {branch_head_sql("name_key")} AS branch_head
            FROM n"""
        )
        engine.execute(
            f"""CREATE TABLE {tables["reps"]} AS
            SELECT rep_name_in, trim(sz_text_normalize(rep_name_in)) AS rep_name_raw,
                   nullif(regexp_replace(coalesce(sz_name_check(rep_name_in).normalized,
                                                  sz_text_clean(rep_name_in)), '[\\s·]', '', 'g'), '')
                       AS rep_name
            FROM (SELECT DISTINCT rep_name_in FROM {raw} WHERE rep_name_in IS NOT NULL)"""
        )
        engine.execute(
            f"""CREATE TABLE {tables["repids"]} AS
            SELECT rep_id_in, sz_idcard_normalize(rep_id_in) AS id_norm,
                   upper(sz_idcard_squash(rep_id_in)) AS id_sq
            FROM (SELECT DISTINCT rep_id_in FROM {raw} WHERE rep_id_in IS NOT NULL)"""
        )
        engine.execute(
            f"""CREATE TABLE {tables["addrs"]} AS
            SELECT address_in, ctx, sz_address_parse(address_in, ctx) AS p
            FROM (SELECT DISTINCT address_in, ctx FROM {raw} WHERE address_in IS NOT NULL)"""
        )
        place = (
            "coalesce(a.p.estate, CASE WHEN a.p.road IS NOT NULL "
            "THEN a.p.road || coalesce(a.p.number || '号', '') END, a.p.community)"
        )
        phone = "regexp_replace(r.phone_in, '[^0-9]', '', 'g')"
        st = "lower(coalesce(r.status_in, ''))"
        status = (
            f"CASE WHEN regexp_matches({st}, {lit(_DEREGISTERED)}) THEN 'deregistered' "
            f"WHEN regexp_matches({st}, {lit(_REVOKED)}) THEN 'revoked' "
            f"WHEN regexp_matches({st}, {lit(_ACTIVE)}) THEN 'active' "
            "WHEN r.cancel_in IS NOT NULL THEN 'deregistered' END"
        )
        hashed = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in ENTITY_COLUMNS)
        query = f"""
            WITH j AS (
                SELECT r.src, r.rec_key, r.src_row, r.priority, r.loaded_at, r.loaded_in, r.record_at,
                       c.written AS uscc_written, c.uscc,
                       c.uscc IS NOT NULL AND c.uscc <> c.written AS uscc_fixed,
                       od.org9 AS org_declared, oe.org9 AS org_embedded,
                       coalesce(oe.org9, od.org9) AS org_code,
                       n.name_raw, n.name_full, n.name_key, n.name_core,
                       coalesce(n.is_branch, false) AS is_branch, n.branch_head,
                       p.rep_name_raw, p.rep_name,
                       coalesce(i.id_norm, CASE WHEN regexp_full_match(i.id_sq, '[0-9]{{17}}[0-9X]')
                                                THEN i.id_sq END) AS rep_id18,
                       i.id_norm IS NOT NULL AS rep_id_valid,
                       CASE WHEN length({phone}) >= 7 THEN {phone} END AS phone,
                       nullif(trim(r.address_in), '') AS addr_text,
                       a.p.county_code AS addr_county, coalesce(a.p.town_code, a.p.town) AS addr_town,
                       {place} AS addr_place,
                       nullif(concat_ws('-', a.p.building, a.p.unit), '') AS addr_building,
                       nullif(trim(r.status_in), '') AS status_text, {status} AS status,
                       CAST(r.reg_in AS DATE) AS reg_date, CAST(r.cancel_in AS DATE) AS cancel_date
                FROM {raw} AS r
                LEFT JOIN {tables["codes"]} AS c ON c.uscc_in = r.uscc_in
                LEFT JOIN {tables["orgs"]} AS od ON od.org_in = r.org_in
                LEFT JOIN {tables["orgs"]} AS oe ON oe.org_in = substr(c.uscc, 9, 9)
                LEFT JOIN {tables["names"]} AS n ON n.name_in = r.name_in
                LEFT JOIN {tables["reps"]} AS p ON p.rep_name_in = r.rep_name_in
                LEFT JOIN {tables["repids"]} AS i ON i.rep_id_in = r.rep_id_in
                LEFT JOIN {tables["addrs"]} AS a
                    ON a.address_in = r.address_in AND a.ctx IS NOT DISTINCT FROM r.ctx
            ), out AS (
                SELECT CAST(row_number() OVER (ORDER BY src, rec_key) AS BIGINT) AS rid, *
                FROM j WHERE uscc_written IS NOT NULL OR org_declared IS NOT NULL OR name_full IS NOT NULL
            )
            SELECT *, md5(concat_ws(chr(31), {hashed})) AS rec_hash FROM out"""
        return engine.write_parquet(query, out, overwrite=True)
    finally:
        for name in tables.values():
            engine.execute(f"DROP TABLE IF EXISTS {name}")
        for view in views:
            engine.unregister(view)


# -- link -----------------------------------------------------------------------------------------


def _chars(expr: str, first: int) -> str:
    """Every other character of an 18-character code from ``first`` (1: odd positions, 2: even):
    one mistyped character leaves one of the two intact, and each holds random characters of the
    organisation code (the first six, 9114 05 …, are shared by a whole city)."""
    return " || ".join(f"substr({expr}, {i}, 1)" for i in range(first, 19, 2))


def _candidates(con: duckdb.DuckDBPyConnection, left: str, right: str, out: str, *, veto_org: bool) -> None:
    """``out(rid, gkey, tier, evidence, rule)``: for each record of ``left`` (rid and its columns in
    ``rec``) the best anchored group of ``right(rid, gkey)``, when it is the only one that good.
    Ties go to ``ambiguous``."""
    code_near = (
        "length(u.uscc_written) = 18 AND a.uscc IS NOT NULL AND u.uscc_written <> a.uscc "
        "AND hamming(u.uscc_written, a.uscc) <= 2"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE cand_pairs AS
        WITH l AS (SELECT r.* FROM rec AS r JOIN {left} AS x USING (rid)),
             a AS (SELECT r.*, x.gkey FROM rec AS r JOIN {right} AS x USING (rid))
        SELECT l.rid AS u, a.rid AS v, a.gkey FROM l JOIN a ON l.name_full = a.name_full
        UNION SELECT l.rid, a.rid, a.gkey FROM l JOIN a ON l.name_key = a.name_key
        UNION SELECT l.rid, a.rid, a.gkey FROM l JOIN a ON l.name_core = a.name_core
        UNION SELECT l.rid, a.rid, a.gkey FROM l JOIN a
            ON length(l.uscc_written) = 18 AND {_chars("l.uscc_written", 1)} = {_chars("a.uscc", 1)}
        UNION SELECT l.rid, a.rid, a.gkey FROM l JOIN a
            ON length(l.uscc_written) = 18 AND {_chars("l.uscc_written", 2)} = {_chars("a.uscc", 2)}"""
    )
    veto = (
        "bool_or(u.org_declared IS NOT NULL AND a.org_embedded IS NOT NULL "
        "AND u.org_declared <> a.org_embedded)"
        if veto_org
        else "false"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE cand AS
        WITH f AS (
            SELECT c.u AS rid, c.gkey,
                   bool_or({code_near}) AS code_near,
                   bool_or(u.name_full = a.name_full) AS full_eq,
                   bool_or(u.name_key = a.name_key) AS key_eq,
                   bool_or(u.name_core = a.name_core) AS core_eq,
                   bool_or(u.rep_id_valid AND a.rep_id_valid AND u.rep_id18 = a.rep_id18) AS ev_rep_id,
                   bool_or(u.rep_name = a.rep_name) AS ev_rep_name,
                   bool_or(u.addr_place = a.addr_place
                           AND u.addr_building IS NOT DISTINCT FROM a.addr_building
                           OR u.addr_text = a.addr_text) AS ev_addr,
                   bool_or(u.phone = a.phone) AS ev_phone,
                   bool_or(u.rep_id_valid AND a.rep_id_valid AND u.rep_id18 <> a.rep_id18)
                       AND NOT bool_or(u.rep_id_valid AND a.rep_id_valid AND u.rep_id18 = a.rep_id18)
                       AS rep_conflict,
                   {veto} AS veto
            FROM cand_pairs AS c JOIN rec AS u ON u.rid = c.u JOIN rec AS a ON a.rid = c.v
            GROUP BY c.u, c.gkey
        ), s AS (
            SELECT *, 2 * coalesce(ev_rep_id, false)::INT + coalesce(ev_rep_name, false)::INT
                      + coalesce(ev_addr, false)::INT + coalesce(ev_phone, false)::INT AS evidence
            FROM f WHERE NOT veto
        ), t AS (
            SELECT *, CASE
                WHEN code_near AND (coalesce(full_eq OR key_eq OR core_eq, false) OR evidence > 0) THEN 1
                WHEN coalesce(rep_conflict, false) THEN NULL
                WHEN full_eq THEN 2
                WHEN key_eq THEN 3
                WHEN core_eq AND evidence > 0 THEN 4 END AS tier
            FROM s
        ), d AS (  -- clerical review: the candidate group of each decided (record, candidate) pair
            SELECT e.rid, x.gkey, bool_or(e.same) AS same
            FROM ent_decided AS e JOIN {left} AS l ON l.rid = e.rid JOIN {right} AS x ON x.rid = e.cand
            GROUP BY e.rid, x.gkey
        ), kept AS (  -- decided ``different``: never that group; decided ``same``: that group alone
            SELECT t.rid, t.gkey, t.tier, t.evidence FROM t
            WHERE t.tier IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM d WHERE d.rid = t.rid AND d.gkey = t.gkey AND NOT d.same)
              AND NOT EXISTS (SELECT 1 FROM d WHERE d.rid = t.rid AND d.same)
            UNION ALL
            SELECT d.rid, d.gkey, 0, coalesce(max(t.evidence), 0) FROM d
            LEFT JOIN t ON t.rid = d.rid AND t.gkey = d.gkey WHERE d.same GROUP BY d.rid, d.gkey
        ), ranked AS (
            SELECT *, rank() OVER (PARTITION BY rid ORDER BY tier, evidence DESC) AS rk FROM kept
        )
        SELECT rid, gkey, tier, evidence,
               CASE tier WHEN 0 THEN 'reviewed' WHEN 1 THEN 'code_near' WHEN 2 THEN 'name_full'
                         WHEN 3 THEN 'name_key' ELSE 'name_core' END AS rule,
               count(*) OVER (PARTITION BY rid) AS tied
        FROM ranked WHERE rk = 1"""
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {out} AS "
        "SELECT rid, gkey, tier, evidence, rule FROM cand WHERE tied = 1"
    )
    con.execute("INSERT INTO compared SELECT count(*) FROM cand_pairs")
    con.execute(
        "INSERT INTO ambiguous SELECT rid, list(gkey ORDER BY gkey) FROM cand WHERE tied > 1 GROUP BY rid"
    )
    # each tied candidate, named by its group's first record, for clerical review
    con.execute(
        f"""INSERT INTO review_cand
        SELECT c.rid, min(x.rid), c.gkey, c.tier, c.evidence, c.rule
        FROM cand AS c JOIN {right} AS x ON x.gkey = c.gkey
        WHERE c.tied > 1 GROUP BY c.rid, c.gkey, c.tier, c.evidence, c.rule"""
    )


def _decisions(con: duckdb.DuckDBPyConnection, decisions: Sequence[tuple[str, str, str, str, bool]]) -> None:
    """``ent_decided(rid, cand, same)``: the clerical decisions on this run's records, both ways
    round (a decided pair does not say which record was the candidate; the rules tell)."""
    con.execute("CREATE OR REPLACE TEMP TABLE ent_decided (rid BIGINT, cand BIGINT, same BOOLEAN)")
    if not decisions:
        return
    import pyarrow as pa

    names = ("src_l", "key_l", "src_r", "key_r", "same")
    con.register("_ent_decisions_in", pa.table({n: [d[i] for d in decisions] for i, n in enumerate(names)}))
    try:
        con.execute(
            """INSERT INTO ent_decided
            WITH p AS (SELECT l.rid AS a, r.rid AS b, d.same FROM _ent_decisions_in AS d
                       JOIN rec AS l ON l.src = d.src_l AND l.rec_key = d.key_l
                       JOIN rec AS r ON r.src = d.src_r AND r.rec_key = d.key_r)
            SELECT a, b, same FROM p UNION ALL SELECT b, a, same FROM p"""
        )
    finally:
        con.unregister("_ent_decisions_in")
    # the identifiers' history words a split these decisions made (see assign_identifiers)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE decided AS SELECT rid AS rid_l, cand AS rid_r, same FROM ent_decided"
    )


def link_entities(
    con: duckdb.DuckDBPyConnection, decisions: Sequence[tuple[str, str, str, str, bool]] = ()
) -> dict[str, int]:
    """From ``rec``: ``clus(rid, ckey, split_by_id)``, ``assigned(rid, gkey, rule, tier, evidence)``,
    ``links(rid_l, rid_r, match_probability)``, ``ambiguous(rid, gkeys)`` and
    ``review_cand(rid, cand, gkey, tier, evidence, rule)`` (each tied candidate of an ambiguous
    record, named by its group's first record). ``decisions`` — clerical review of (src_l, key_l,
    src_r, key_r, same) — bind the name rules: ``same`` puts the record in the candidate's group
    (rule ``reviewed``), ``different`` keeps it out. Returns the records linked by each rule."""
    _decisions(con, decisions)
    con.execute("CREATE OR REPLACE TEMP TABLE ambiguous (rid BIGINT, gkeys VARCHAR[])")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE review_cand (rid BIGINT, cand BIGINT, gkey VARCHAR, tier INTEGER, "
        "evidence INTEGER, rule VARCHAR)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE compared (n BIGINT)")
    # 1-2: codes
    con.execute(
        """CREATE OR REPLACE TEMP TABLE org_map AS
        SELECT org_embedded AS org9, min(uscc) AS uscc FROM rec
        WHERE uscc IS NOT NULL AND org_embedded IS NOT NULL
        GROUP BY org_embedded HAVING count(DISTINCT uscc) = 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE coded AS
        SELECT r.rid,
               CASE WHEN r.uscc IS NOT NULL THEN 'U:' || r.uscc
                    WHEN m.uscc IS NOT NULL THEN 'U:' || m.uscc
                    WHEN r.org_declared IS NOT NULL THEN 'O:' || r.org_declared END AS gkey,
               CASE WHEN r.uscc IS NOT NULL AND r.uscc_fixed THEN 'uscc_fixed'
                    WHEN r.uscc IS NOT NULL THEN 'uscc'
                    WHEN m.uscc IS NOT NULL THEN 'org_code'
                    WHEN r.org_declared IS NOT NULL THEN 'org_code_only' END AS rule
        FROM rec AS r LEFT JOIN org_map AS m ON r.uscc IS NULL AND m.org9 = r.org_declared"""
    )
    # 3a: organisation-code groups no credit code embeds, by name against credit-code groups
    con.execute("CREATE OR REPLACE TEMP TABLE o_left AS SELECT rid FROM coded WHERE starts_with(gkey, 'O:')")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE u_right AS SELECT rid, gkey FROM coded WHERE starts_with(gkey, 'U:')"
    )
    _candidates(con, "o_left", "u_right", "o_best", veto_org=True)
    # a whole organisation-code group moves when its records agree on one credit-code group
    con.execute(
        """CREATE OR REPLACE TEMP TABLE o_remap AS
        SELECT c.gkey AS old, min(b.gkey) AS new, min(b.rule) AS rule, min(b.tier) AS tier,
               max(b.evidence) AS evidence
        FROM o_best AS b JOIN coded AS c USING (rid)
        GROUP BY c.gkey HAVING count(DISTINCT b.gkey) = 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE anchored AS
        SELECT c.rid, coalesce(m.new, c.gkey) AS gkey,
               CASE WHEN m.new IS NOT NULL THEN m.rule ELSE c.rule END AS rule,
               CASE WHEN m.new IS NOT NULL THEN m.tier ELSE 0 END AS tier,
               CASE WHEN m.new IS NOT NULL THEN m.evidence ELSE 0 END AS evidence
        FROM coded AS c LEFT JOIN o_remap AS m ON m.old = c.gkey WHERE c.gkey IS NOT NULL"""
    )
    # 3b: records without a valid code, against every group with one
    con.execute("CREATE OR REPLACE TEMP TABLE n_left AS SELECT rid FROM coded WHERE gkey IS NULL")
    _candidates(con, "n_left", "anchored", "n_best", veto_org=False)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE assigned AS
        SELECT rid, gkey, rule, tier, evidence FROM anchored
        UNION ALL SELECT rid, gkey, rule, tier, evidence FROM n_best
        UNION ALL
        SELECT r.rid,
               CASE WHEN r.name_key IS NOT NULL THEN 'N:' || r.name_key
                    WHEN r.uscc_written IS NOT NULL THEN 'W:' || r.uscc_written
                    ELSE 'R:' || CAST(r.rid AS VARCHAR) END,
               CASE WHEN r.name_key IS NOT NULL THEN 'name' END, NULL, 0
        FROM rec AS r JOIN n_left USING (rid) WHERE r.rid NOT IN (SELECT rid FROM n_best)"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE clus AS SELECT rid, gkey AS ckey, false AS split_by_id FROM assigned"
    )
    # the links that made each entity: every record to the group's first record
    con.execute(
        """CREATE OR REPLACE TEMP TABLE links AS
        WITH g AS (SELECT rid, gkey, min(rid) OVER (PARTITION BY gkey) AS head FROM assigned)
        SELECT least(rid, head) AS rid_l, greatest(rid, head) AS rid_r, 1.0 AS match_probability
        FROM g WHERE rid <> head"""
    )
    return {
        str(k): int(n)
        for k, n in con.execute(
            "SELECT coalesce(rule, 'alone'), count(*) FROM assigned GROUP BY ALL ORDER BY 1"
        ).fetchall()
    }


# -- representatives and branches -----------------------------------------------------------------


def _link_parents_and_reps(con: duckdb.DuckDBPyConnection, persons: str | None) -> None:
    """Add ``parent_id``, ``legal_rep_registry_id`` and ``legal_rep_link`` to ``golden``."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE parents AS
        WITH heads AS (SELECT DISTINCT registry_id, branch_head FROM recs WHERE branch_head IS NOT NULL),
             keys AS (SELECT DISTINCT registry_id, name_key FROM recs WHERE NOT is_branch),
             m AS (SELECT h.registry_id, k.registry_id AS parent FROM heads AS h
                   JOIN keys AS k ON k.name_key = h.branch_head AND k.registry_id <> h.registry_id)
        SELECT registry_id, min(parent) AS parent_id FROM m
        GROUP BY registry_id HAVING count(DISTINCT parent) = 1"""
    )
    if persons is not None:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE persons AS
            SELECT DISTINCT registry_id, id18, id_valid, name_norm, addr_county, phone
            FROM {persons}"""
        )
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE persons (registry_id VARCHAR, id18 VARCHAR, id_valid BOOLEAN, "
            "name_norm VARCHAR, addr_county VARCHAR, phone VARCHAR)"
        )
    # per entity: its representative's ID and name as the golden record gives them, with the
    # counties and phones of its records as the "other evidence" for a name-only match
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rep_links AS
        WITH e AS (
            SELECT g.registry_id, g.legal_rep_id AS rid18, g.legal_rep_name AS rname,
                   any_value(r.rep_id_valid) FILTER (WHERE r.rep_id18 = g.legal_rep_id) AS valid,
                   any_value(r.rep_name) FILTER (WHERE r.rep_name_raw = g.legal_rep_name) AS rnorm,
                   list(DISTINCT r.addr_county) FILTER (WHERE r.addr_county IS NOT NULL) AS counties,
                   list(DISTINCT r.phone) FILTER (WHERE r.phone IS NOT NULL) AS phones
            FROM golden AS g JOIN recs AS r USING (registry_id) GROUP BY ALL
        ), by_id AS (
            SELECT e.registry_id, min(p.registry_id) AS person, 'id_number' AS how, 1 AS tier
            FROM e JOIN persons AS p ON e.valid AND p.id_valid AND p.id18 = e.rid18
            GROUP BY e.registry_id HAVING count(DISTINCT p.registry_id) = 1
        ), by_near AS (  -- a mistyped ID with the same name
            SELECT e.registry_id, min(p.registry_id) AS person, 'id_number_near' AS how, 2 AS tier
            FROM e JOIN persons AS p ON NOT coalesce(e.valid, false) AND length(e.rid18) = 18
                AND p.name_norm = e.rnorm AND length(p.id18) = 18 AND hamming(p.id18, e.rid18) <= 2
            GROUP BY e.registry_id HAVING count(DISTINCT p.registry_id) = 1
        ), by_name AS (  -- no usable ID: the same name and the same county or phone
            SELECT e.registry_id, min(p.registry_id) AS person, 'name_and_place' AS how, 3 AS tier
            FROM e JOIN persons AS p ON e.rid18 IS NULL AND p.name_norm = e.rnorm
                AND (list_contains(e.counties, p.addr_county) OR list_contains(e.phones, p.phone))
            GROUP BY e.registry_id HAVING count(DISTINCT p.registry_id) = 1
        ), u AS (SELECT * FROM by_id UNION ALL SELECT * FROM by_near UNION ALL SELECT * FROM by_name)
        SELECT registry_id, arg_min(person, tier) AS person, arg_min(how, tier) AS how
        FROM u GROUP BY registry_id"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE golden AS
        SELECT g.*, p.parent_id, l.person AS legal_rep_registry_id, l.how AS legal_rep_link
        FROM golden AS g LEFT JOIN parents AS p USING (registry_id)
        LEFT JOIN rep_links AS l USING (registry_id)"""
    )


# -- one run --------------------------------------------------------------------------------------


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row and row[0] is not None else 0


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    con.execute(f"COPY ({sql}) TO {lit(str(path))} (FORMAT parquet, COMPRESSION zstd)")


def run_entities(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    previous: RegistryRun | None,
    notes: list[str],
    records_path: Path,
    out: Path,
    *,
    next_number: int,
) -> RunSummary:
    """Link the standardised records at ``records_path``, inherit identifiers from ``previous``,
    build golden records and conflicts, and write the run's files to ``out``."""
    from shuzhi.registry._build import RunSummary, current_run
    from shuzhi.registry._golden import entity_golden_records
    from shuzhi.registry._identity import assign_identifiers, load_departed, write_departed, write_identity
    from shuzhi.registry._review import load_decisions

    con.execute(f"CREATE TABLE rec AS SELECT * FROM read_parquet({lit(str(records_path))})")
    by_rule = link_entities(con, load_decisions(ws, EntityKind.legal_entity))
    if previous is not None and previous.path:
        con.execute(
            "CREATE TEMP TABLE prev AS SELECT src, rec_key, registry_id "
            f"FROM {run_table(ws.warehouse / previous.path, 'records')}"
        )
    else:
        con.execute("CREATE TEMP TABLE prev (src VARCHAR, rec_key VARCHAR, registry_id VARCHAR)")
    load_departed(ws, con, EntityKind.legal_entity, previous)
    ident_result = assign_identifiers(
        con,
        prefix=EntityKind.legal_entity.prefix,
        next_number=next_number,
        threshold=1.0,
        kind=EntityKind.legal_entity,
    )
    write_departed(
        con,
        out,
        current="SELECT src, rec_key FROM rec",
        previous="SELECT src, rec_key, registry_id FROM prev",
        previous_run=previous.id if previous is not None else None,
    )
    con.execute(
        """CREATE TEMP TABLE recs AS
        SELECT r.*, i.registry_id, i.ckey,
               a.rule AS link_rule, a.tier AS link_tier, a.evidence AS link_evidence
        FROM rec AS r JOIN rec_ids AS i USING (rid) JOIN assigned AS a USING (rid)"""
    )
    entity_golden_records(con)
    person_run = current_run(ws, EntityKind.person)
    persons = run_table(ws.warehouse / person_run.path, "records") if person_run and person_run.path else None
    if persons is None:
        notes.append(
            "人口库尚未构建，法定代表人未关联到人员 / the person registry is not built: "
            "legal representatives are not linked to persons"
        )
    _link_parents_and_reps(con, persons)
    # an ambiguous record is flagged on the entity it ended in
    con.execute(
        """INSERT INTO conflicts
        WITH a AS (SELECT rid, unnest(gkeys) AS k FROM ambiguous),
             m AS (SELECT DISTINCT ckey, registry_id FROM recs)
        SELECT r.registry_id, 'ambiguous',
               CAST(to_json(struct_pack(resource := r.src, key := r.rec_key,
                    candidates := list(DISTINCT m.registry_id ORDER BY m.registry_id))) AS VARCHAR)
        FROM a JOIN m ON m.ckey = a.k JOIN recs AS r ON r.rid = a.rid
        GROUP BY r.registry_id, r.src, r.rec_key"""
    )
    _copy(con, "SELECT * FROM recs ORDER BY registry_id, src, rec_key", out / "records.parquet")
    _copy(
        con,
        "SELECT l.src AS src_l, l.rec_key AS key_l, r.src AS src_r, r.rec_key AS key_r, "
        "l.registry_id AS registry_id_l, r.registry_id AS registry_id_r, r.link_rule AS rule, "
        "r.link_tier AS tier, r.link_evidence AS evidence, p.match_probability "
        "FROM links AS p JOIN recs AS l ON l.rid = p.rid_l JOIN recs AS r ON r.rid = p.rid_r "
        "ORDER BY l.src, l.rec_key, r.src, r.rec_key",
        out / "pairs.parquet",
    )
    _copy(con, "SELECT * FROM golden ORDER BY registry_id", out / "golden.parquet")
    _copy(con, "SELECT * FROM conflicts ORDER BY registry_id, kind", out / "conflicts.parquet")
    # clerical review: every tied candidate of an ambiguous record, the pair in the queue's order
    # ((src_l, key_l) first), with which side is the record and what proposed the candidate
    _copy(
        con,
        """WITH p AS (
            SELECT r.src AS rs, r.rec_key AS rk, c.src AS cs, c.rec_key AS ck, c.registry_id AS cand_id,
                   r.registry_id AS record_id, v.rule, v.tier, v.evidence
            FROM review_cand AS v JOIN recs AS r ON r.rid = v.rid JOIN recs AS c ON c.rid = v.cand)
        SELECT CASE WHEN (rs, rk) <= (cs, ck) THEN rs ELSE cs END AS src_l,
               CASE WHEN (rs, rk) <= (cs, ck) THEN rk ELSE ck END AS key_l,
               CASE WHEN (rs, rk) <= (cs, ck) THEN cs ELSE rs END AS src_r,
               CASE WHEN (rs, rk) <= (cs, ck) THEN ck ELSE rk END AS key_r,
               CAST(NULL AS DOUBLE) AS probability, CAST(NULL AS DOUBLE) AS match_weight,
               CASE WHEN (rs, rk) <= (cs, ck) THEN 'left' ELSE 'right' END AS record_side,
               record_id, cand_id AS candidate_id, rule, tier, evidence
        FROM p ORDER BY src_l, key_l, src_r, key_r""",
        out / "review.parquet",
    )
    write_identity(con, out, ident_result)
    conflicts = {
        str(k): int(n)
        for k, n in con.execute(
            "SELECT kind, count(DISTINCT registry_id) FROM conflicts GROUP BY kind ORDER BY kind"
        ).fetchall()
    }
    per_source = {
        str(k): int(n)
        for k, n in con.execute("SELECT src, count(*) FROM rec GROUP BY src ORDER BY src").fetchall()
    }
    linked_reps = _count(con, "SELECT count(*) FROM golden WHERE legal_rep_registry_id IS NOT NULL")
    training: dict[str, Any] = {
        "method": "deterministic rules (docs/registry.md, 法人库)",
        "records_by_rule": by_rule,
        "legal_reps_linked": linked_reps,
        "branches_with_parent": _count(con, "SELECT count(*) FROM golden WHERE parent_id IS NOT NULL"),
    }
    return RunSummary(
        run=run_id,
        entity=EntityKind.legal_entity.value,
        resources=per_source,
        records=_count(con, "SELECT count(*) FROM rec"),
        comparisons=_count(con, "SELECT sum(n) FROM compared"),
        candidate_pairs=_count(con, "SELECT count(*) FROM links"),
        matches=_count(con, "SELECT count(*) FROM links"),
        vetoed_pairs=0,
        clusters=_count(con, "SELECT count(*) FROM ids"),
        new_ids=ident_result.new_ids,
        inherited_ids=ident_result.inherited,
        merged_ids=len(ident_result.merged),
        retired_ids=len(ident_result.retired),
        revived_ids=len(ident_result.revived),
        split_by_id=0,
        conflicts=conflicts,
        to_review=_count(con, "SELECT count(*) FROM review_cand"),
        decisions=_count(con, "SELECT count(*) FROM ent_decided WHERE rid < cand"),
        seconds=0.0,
        notes=notes,
        training=training,
    )
