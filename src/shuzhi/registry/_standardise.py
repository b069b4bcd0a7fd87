"""One standardised table of every source's records, computed in SQL with the standards macros.

Each source contributes its role columns, renamed (``id_in``, ``name_in``, ``birth_in`` …); the
comparison columns are derived once per *distinct* value (departmental data repeats values
heavily and the standards' macros cost far more than a join):

=================  ==========================================================================
column             meaning
=================  ==========================================================================
``rid``            the record's number in this run (Splink's unique id)
``src``            resource code; ``rec_key`` its declared key (or a content key), ``src_row``
``id_sq``          the ID as written, squashed and upper-cased (``x`` → ``X``)
``id18``           the 18-digit form (15-digit numbers upgraded) when valid, else ``id_sq`` if
                   it looks like an ID; ``id_valid``, ``id_was15``
``id_birth``       the 8 birth digits of ``id18`` (even when the number is invalid); ``id_sex``
``id_head``        region + birth (14 characters): blocks a typo in the sequence or check digits;
                   ``id_tail`` sequence + check (4): with the name, blocks a typo in the birth digits
``name_raw``       the name as written (trimmed); ``name_norm`` Simplified, without spaces or
                   middle dots; ``name_py`` the pinyin key (homophones, 同音字); ``name_alt``
                   a former name (曾用名), normalised the same way
``dob``            declared birth date, else the ID's (of an invalid number too, when its birth
                   digits are a real date); ``dob_sure`` declared or a valid ID's only;
                   ``dob_txt`` as ``YYYYMMDD``, ``dob_ym`` ``YYYYMM``
``sex``            GB/T 2261.1 ``1``/``2`` as declared, else the ID's
``phone``          digits only (country code dropped)
``addr_*``         county code, town (code or name), place (estate, else road + number, else
                   village/community), building(-unit), room; ``addr_text`` as written
=================  ==========================================================================
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from shuzhi.catalog.spec import ResourceSpec
from shuzhi.engine import Engine
from shuzhi.errors import DataError, NotFound
from shuzhi.registry._roles import SourceRoles
from shuzhi.registry._spec import EntityKind, RegistrySpec, Role

__all__ = ["MODEL_COLUMNS", "STANDARDISE_VERSION", "RegistrySource", "ident", "lit", "standardise"]


@dataclass(frozen=True)
class RegistrySource:
    """A resource's records as a registry build reads them: its catalog declaration and the
    Parquet file or folder of its version."""

    spec: ResourceSpec
    path: str | os.PathLike[str]
    #: the ``registry:`` section (defaults to the spec's own, once it has one)
    registry: RegistrySpec | None = None
    version: int | None = None
    #: when the version was loaded (survivorship: the most recent phone and address)
    loaded_at: dt.datetime | None = None

    @property
    def code(self) -> str:
        return self.spec.code


#: the version of what :func:`standardise` derives from a record: raise it when a column is
#: added or computed differently, so that an incremental update after an upgrade makes a full
#: build (an update keeps the standardised values of unchanged records)
STANDARDISE_VERSION = 2

#: columns Splink sees (the rest stay in the run's records table)
MODEL_COLUMNS: tuple[str, ...] = (
    "rid",
    "id_sq",
    "id18",
    "id_valid",
    "id_birth",
    "id_sex",
    "id_head",
    "id_tail",
    "name_raw",
    "name_norm",
    "name_py",
    "name_alt",
    "dob",
    "dob_txt",
    "dob_ym",
    "sex",
    "phone",
    "addr_county",
    "addr_town",
    "addr_place",
    "addr_building",
    "addr_room",
)


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def _date_expr(col: str, typ: str, dayfirst: bool) -> str:
    t = typ.upper()
    if t == "DATE":
        return col
    if t.startswith("TIMESTAMP"):
        return f"CAST({col} AS DATE)"
    if t == "VARCHAR":
        return f"sz_date_parse_dayfirst({col})" if dayfirst else f"sz_date_parse({col})"
    return f"TRY_CAST({col} AS DATE)"


@dataclass(frozen=True)
class SourceFrame:
    """What both registries read the same way from a source's registered ``view``: its columns
    (checked against the roles and key), the rows with their ``_row``, the record key of the
    crosswalk, the load it came from and when."""

    columns: dict[str, str]
    table: str  # the view, with ``_row`` added when the data lack it
    key: str  # the declared key's values; without one, the record's content numbered among equals
    loaded_in: str
    loaded_at: str

    def date(self, source: RegistrySource, roles: SourceRoles, role: Role) -> str:
        """The date of ``role`` (NULL where no field plays it or its condition does not hold)."""
        name = roles.field_for(role)
        if name is None:
            return "CAST(NULL AS DATE)"
        dayfirst = source.spec.field(name).variant == "dayfirst"
        return roles.value_sql(role, _date_expr(ident(name), self.columns[name], dayfirst))


def source_frame(engine: Engine, source: RegistrySource, roles: SourceRoles, view: str) -> SourceFrame:
    columns = {str(r[0]): str(r[1]) for r in engine.fetch_rows(f"DESCRIBE {ident(view)}")}
    missing = [f for f in (*roles.fields, *roles.key) if f not in columns]
    if missing:
        raise DataError(
            f"版本数据中没有信息项 {', '.join(missing)} / the version's data has no column "
            f"{', '.join(missing)} (resource {source.code})",
            file=str(source.path),
            column=missing[0],
        )
    table = (
        ident(view)
        if "_row" in columns
        else f"(SELECT *, row_number() OVER () - 1 AS _row FROM {ident(view)})"
    )
    loaded_in = "CAST(_loaded_in AS INTEGER)" if "_loaded_in" in columns else "CAST(NULL AS INTEGER)"
    if roles.key:
        parts = [f"coalesce(CAST({ident(k)} AS VARCHAR), '')" for k in roles.key]
        key = parts[0] if len(parts) == 1 else f"concat_ws('|', {', '.join(parts)})"
    else:  # no declared key: the content of the record, numbered among identical ones
        content = ", ".join(
            f"coalesce(CAST({ident(f)} AS VARCHAR), '')" for f in sorted(set(roles.roles.values()))
        )
        key = (
            f"'h:' || md5(concat_ws(chr(31), {content})) || '#' || "
            f"row_number() OVER (PARTITION BY md5(concat_ws(chr(31), {content})) ORDER BY _row)"
        )
    loaded_at = (
        f"CAST({lit(source.loaded_at.astimezone(dt.UTC).replace(tzinfo=None).isoformat())} AS TIMESTAMP)"
        if source.loaded_at is not None
        else "CAST(NULL AS TIMESTAMP)"
    )
    return SourceFrame(columns, table, key, loaded_in, loaded_at)


def _source_select(engine: Engine, source: RegistrySource, roles: SourceRoles, view: str) -> str:
    frame = source_frame(engine, source, roles, view)
    table, key = frame.table, frame.key
    loaded_in, loaded_at = frame.loaded_in, frame.loaded_at

    def col(role: Role) -> str | None:
        name = roles.field_for(role)
        return ident(name) if name is not None else None

    def text(role: Role) -> str:
        c = col(role)
        # a conditional role (registry.when) is NULL on the rows where it does not hold
        return roles.value_sql(role, f"CAST({c} AS VARCHAR)") if c else "CAST(NULL AS VARCHAR)"

    def date(role: Role) -> str:
        return frame.date(source, roles, role)

    row = "_row"
    record_date = date(Role.record_date)
    # a resource whose subject roles are conditional (registry.when) gives only the rows where one
    # holds (a column of citizen IDs and credit codes: its 居民身份证 rows); ``_row`` counts them all
    rows = f"\n        WHERE {cond}" if (cond := roles.rows_sql()) is not None else ""
    return f"""
        SELECT {lit(source.code)} AS src, CAST({key} AS VARCHAR) AS rec_key, CAST({row} AS BIGINT) AS src_row,
               {int(roles.priority)} AS priority, {loaded_at} AS loaded_at, {loaded_in} AS loaded_in,
               CAST({record_date} AS TIMESTAMP) AS record_at,
               {text(Role.id_number)} AS id_in, {text(Role.name)} AS name_in,
               {text(Role.former_name)} AS alt_in,
               {date(Role.birth_date)} AS birth_in, {text(Role.sex)} AS sex_in,
               {text(Role.phone)} AS phone_in, {text(Role.address)} AS address_in,
               CAST({lit(roles.region)} AS VARCHAR) AS ctx,
               {date(Role.death_date)} AS death_in, {text(Role.vital_status)} AS status_in
        FROM {table} AS s{rows}"""


#: what a record is made from: a change to any of them standardises the record again
RAW_COLUMNS: tuple[str, ...] = (
    "priority",
    "record_at",
    "id_in",
    "name_in",
    "alt_in",
    "birth_in",
    "sex_in",
    "phone_in",
    "address_in",
    "ctx",
    "death_in",
    "status_in",
)

#: words of a status value meaning the person died / is alive
DEAD_PATTERN = "死亡|已故|去世|亡故|身故|dead|deceased"
ALIVE_PATTERN = "正常|在世|健在|存活|在册|alive|living"


def standardise(
    engine: Engine,
    sources: Sequence[tuple[RegistrySource, SourceRoles]],
    out: str | os.PathLike[str] | None,
    *,
    entity: EntityKind = EntityKind.person,
    previous: str | None = None,
    keys_out: str | os.PathLike[str] | None = None,
    table: str | None = None,
) -> int:
    """Write the standardised records of ``sources`` to the Parquet file ``out`` (or, with
    ``table``, into that new table of ``engine``, a DuckDB engine); return the count.

    Runs on ``engine`` (which has the standards macros) when it is a DuckDB engine, else on a
    DuckDB engine of its own. Records whose every identifying value is missing are left out.

    Each record carries ``raw_hash``, a digest of what it was made from (its role values as the
    department wrote them, its priority and region). For an incremental update, ``previous`` is
    the previous run's records (an SQL relation with ``src``, ``rec_key``, ``raw_hash``): a record
    found there unchanged is not standardised again (nor written); ``keys_out`` receives
    ``src, rec_key, raw_hash`` of every record read, so that the caller can tell which of the
    previous records are gone or changed.
    """
    if entity is not EntityKind.person:  # pragma: no cover - the legal-entity registry is not built yet
        raise NotImplementedError("只实现了人口库 / only the person registry is implemented")
    if (out is None) == (table is None):
        raise ValueError("standardise writes either to a Parquet file (out) or to a table")
    if engine.kind != "duckdb":
        if out is None:
            raise ValueError("a table of standardised records needs a DuckDB engine")
        # this SQL (and the standards macros it calls) is DuckDB's: on a Spark workspace it runs on
        # a DuckDB of its own, spilling next to ``out``, and Spark reads the Parquet it writes
        from shuzhi.engine import DuckDBEngine

        with DuckDBEngine(temp_directory=Path(out).parent / "duckdb-standardise") as duck:
            return standardise(duck, sources, out, entity=entity, previous=previous, keys_out=keys_out)
    tag = uuid.uuid4().hex[:10]
    views = [f"_reg_{tag}_src{i}" for i in range(len(sources))]
    raw, ids, names, addrs, sexes, numbers = (
        f"_reg_{tag}_{n}" for n in ("raw", "ids", "names", "addrs", "sexes", "numbers")
    )
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
        digest = ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(30))" for c in RAW_COLUMNS)
        engine.execute(
            f"CREATE TABLE {raw} AS SELECT *, md5(concat_ws(chr(31), {digest})) AS raw_hash FROM ("
            + "\nUNION ALL BY NAME\n".join(selects)
            + ")"
        )
        if keys_out is not None:
            engine.write_parquet(f"SELECT src, rec_key, raw_hash FROM {raw}", keys_out, overwrite=True)
        if previous is not None:  # only what is new or changed since the previous run
            engine.execute(f"ALTER TABLE {raw} RENAME TO {raw}_all")
            engine.execute(
                f"""CREATE TABLE {raw} AS SELECT r.* FROM {raw}_all AS r
                ANTI JOIN (SELECT src, rec_key, raw_hash FROM {previous}) AS p
                    ON p.src = r.src AND p.rec_key = r.rec_key AND p.raw_hash = r.raw_hash"""
            )
            engine.execute(f"DROP TABLE {raw}_all")
        # the distinct numbers' 18-digit forms by the vectorised GB 11643 check (the same answers
        # as sz_idcard_normalize, about ten times faster)
        from shuzhi.standards._idcard_vec import check_arrow

        distinct = engine.fetch_arrow(f"SELECT DISTINCT id_in FROM {raw} WHERE id_in IS NOT NULL")
        as_written = distinct.column("id_in")
        verdicts = pa.table({"id_in": as_written, "id_norm": check_arrow(as_written).column("normalized")})
        engine.register(f"{ids}_in", verdicts)
        try:
            engine.execute(
                f"""CREATE TABLE {ids} AS
                SELECT id_in, id_norm, upper(sz_idcard_squash(id_in)) AS id_sq FROM {ids}_in"""
            )
        finally:
            engine.unregister(f"{ids}_in")
            del distinct, as_written, verdicts
        # the name check once per distinct name (``sz_name_key`` would run it a second time)
        engine.execute(
            f"""CREATE TABLE {names} AS
            WITH checked AS MATERIALIZED (
                SELECT name_in, sz_name_check(name_in) AS chk, sz_text_clean(name_in) AS clean
                FROM (SELECT name_in FROM {raw} WHERE name_in IS NOT NULL
                      UNION SELECT alt_in FROM {raw} WHERE alt_in IS NOT NULL)
            )
            SELECT name_in, trim(sz_text_normalize(name_in)) AS name_raw,
                   nullif(regexp_replace(coalesce(chk.normalized, clean), '[\\s·]', '', 'g'), '')
                       AS name_norm,
                   CASE WHEN clean IS NOT NULL
                        THEN nullif(coalesce(chk.parts.pinyin_key, sz_pinyin_key(name_in)), '') END AS name_py
            FROM checked"""
        )
        # declared sex codes, once per distinct value (the code map is a lookup per call)
        engine.execute(
            f"""CREATE TABLE {sexes} AS
            SELECT sex_in,
                   CASE WHEN sz_sex_code(sex_in) IN ('1', '2') THEN sz_sex_code(sex_in) END AS sex_code
            FROM (SELECT DISTINCT sex_in FROM {raw} WHERE sex_in IS NOT NULL)"""
        )
        # the records' numbers: the order of (src, rec_key), computed on those columns alone (a
        # window over the whole records runs on one thread, all of their columns in tow)
        engine.execute(
            f"""CREATE TABLE {numbers} AS
            SELECT rowid AS raw_row, CAST(row_number() OVER (ORDER BY src, rec_key) AS BIGINT) AS rid
            FROM {raw}"""
        )
        engine.execute(
            f"""CREATE TABLE {addrs} AS
            SELECT address_in, ctx, sz_address_parse(address_in, ctx) AS p
            FROM (SELECT DISTINCT address_in, ctx FROM {raw} WHERE address_in IS NOT NULL)"""
        )
        id_ok = "regexp_full_match(i.id_sq, '[0-9]{17}[0-9X]|[0-9]{15}')"
        id18 = f"coalesce(i.id_norm, CASE WHEN {id_ok} THEN i.id_sq END)"
        phone = "regexp_replace(r.phone_in, '[^0-9]', '', 'g')"
        phone = (
            f"CASE WHEN length({phone}) = 13 AND starts_with({phone}, '861') THEN substr({phone}, 3) "
            f"WHEN length({phone}) = 15 AND starts_with({phone}, '00861') THEN substr({phone}, 5) "
            f"ELSE {phone} END"
        )
        place = (
            "coalesce(a.p.estate, CASE WHEN a.p.road IS NOT NULL "
            "THEN a.p.road || coalesce(a.p.number || '号', '') "
            "END, a.p.community)"
        )
        building = "nullif(concat_ws('-', a.p.building, a.p.unit), '')"
        hashed = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in MODEL_COLUMNS if c != "rid")
        query = f"""
            WITH joined AS (
                SELECT r.*, nr.rid, {id18} AS id18, i.id_sq AS id_sq0, i.id_norm IS NOT NULL AS id_valid,
                       n.name_raw, n.name_norm, n.name_py, alt.name_norm AS name_alt,
                       sx.sex_code AS sex_decl, {phone} AS phone0,
                       a.p.county_code AS addr_county, coalesce(a.p.town_code, a.p.town) AS addr_town,
                       {place} AS addr_place, {building} AS addr_building, a.p.room AS addr_room
                FROM {raw} AS r
                JOIN {numbers} AS nr ON nr.raw_row = r.rowid
                LEFT JOIN {ids} AS i ON i.id_in = r.id_in
                LEFT JOIN {sexes} AS sx ON sx.sex_in = r.sex_in
                LEFT JOIN {names} AS n ON n.name_in = r.name_in
                LEFT JOIN {names} AS alt ON alt.name_in = r.alt_in
                LEFT JOIN {addrs} AS a ON a.address_in = r.address_in AND a.ctx IS NOT DISTINCT FROM r.ctx
            ), derived AS (
                SELECT *,
                       CASE WHEN id18 IS NOT NULL THEN id_sq0 END AS id_sq,
                       coalesce(id_valid, false) AS id_ok,
                       length(id_sq0) = 15 AS id_was15,
                       CASE WHEN length(id18) = 18 THEN substr(id18, 7, 8) END AS id_birth,
                       CASE WHEN length(id18) = 18 THEN
                           CASE WHEN CAST(substr(id18, 17, 1) AS INTEGER) % 2 = 1 THEN '1' ELSE '2' END
                       END AS id_sex,
                       CASE WHEN length(id18) = 18 THEN substr(id18, 1, 14) END AS id_head,
                       CASE WHEN length(id18) = 18 THEN substr(id18, 15, 4) END AS id_tail,
                       CASE WHEN length(phone0) >= 7 THEN phone0 END AS phone
                FROM joined
            ), final AS (
                SELECT *,
                       -- declared, else the ID's (an invalid number's birth digits too, when they
                       -- are a real date: a mistyped digit is usually elsewhere)
                       coalesce(birth_in, CASE WHEN id_ok THEN strptime(id_birth, '%Y%m%d')::DATE END,
                                CASE WHEN try_strptime(id_birth, '%Y%m%d')::DATE
                                          BETWEEN DATE '1880-01-01' AND current_date
                                     THEN try_strptime(id_birth, '%Y%m%d')::DATE END) AS dob,
                       coalesce(birth_in, CASE WHEN id_ok THEN strptime(id_birth, '%Y%m%d')::DATE END)
                           AS dob_sure,
                       coalesce(sex_decl, id_sex) AS sex
                FROM derived
            )
            , out AS (
            SELECT rid, src, rec_key, src_row, priority, loaded_at, loaded_in, record_at, raw_hash,
                   id_sq, id18, id_ok AS id_valid, id_was15, id_birth, id_sex, id_head, id_tail,
                   name_raw, name_norm, name_py,
                   CASE WHEN name_alt <> name_norm THEN name_alt END AS name_alt,
                   birth_in AS birth_declared, dob, dob_sure, strftime(dob, '%Y%m%d') AS dob_txt,
                   strftime(dob, '%Y%m') AS dob_ym,
                   sex_decl AS sex_declared, sex, phone,
                   nullif(trim(address_in), '') AS addr_text,
                   addr_county, addr_town, addr_place, addr_building, addr_room,
                   death_in AS death_date, nullif(trim(status_in), '') AS status_text,
                   death_in IS NOT NULL OR regexp_matches(coalesce(status_in, ''), {lit(DEAD_PATTERN)})
                       AS dead,
                   regexp_matches(coalesce(status_in, ''), {lit(ALIVE_PATTERN)})
                       AND NOT regexp_matches(coalesce(status_in, ''), {lit(DEAD_PATTERN)}) AS alive
            FROM final
            WHERE id18 IS NOT NULL OR name_norm IS NOT NULL
            )
            -- what linkage sees of the record: an incremental update re-compares a record only
            -- when this changes
            SELECT *, md5(concat_ws(chr(31), {hashed})) AS rec_hash
            FROM out
        """
        if table is not None:
            engine.execute(f"CREATE TABLE {ident(table)} AS {query}")
            return int(engine.fetch_rows(f"SELECT count(*) FROM {ident(table)}")[0][0])
        assert out is not None
        return engine.write_parquet(query, out, overwrite=True)
    finally:
        for name in (raw, f"{raw}_all", ids, names, addrs, sexes, numbers):
            engine.execute(f"DROP TABLE IF EXISTS {name}")
        for view in views:
            engine.unregister(view)
