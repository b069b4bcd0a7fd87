"""Reading a registry: look up a person or a legal entity, the registry's figures, and the export
for departments.

Everything reads the current run (the newest ``succeeded`` one) through the workspace engine,
straight from its Parquet files; identifiers and history come from the store.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from shuzhi import errors
from shuzhi.registry._build import current_run
from shuzhi.registry._golden import CONFLICT_KINDS, ENTITY_CONFLICT_KINDS, ENTITY_FIELDS, FIELDS, lineage_sql
from shuzhi.registry._parts import run_table
from shuzhi.registry._spec import EntityKind
from shuzhi.registry._standardise import lit
from shuzhi.store import RegistryEvent, RegistryIdentifier, RegistryRun

if TYPE_CHECKING:
    from shuzhi.workspace import Workspace

__all__ = ["RegistryEntry", "export", "lookup", "parse_query", "stats"]

_REGISTRY_ID = re.compile(r"^[PE]\d{12}$")
_USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
_ORG_SHAPE = re.compile(r"^[0-9A-Z]{8}[0-9X]$")
#: a name without a date of birth is taken for an organisation's when it is long or reads like one
_ORG_WORDS = re.compile(
    r"^.{7,}$|公司|集团|(?:厂|店|馆|社|中心|所|部|局|院|会|委|校|行|站|处|室|队|场|园|坊|铺|办)$|[A-Za-z]{3,}"
)
_ID_NUMBER = re.compile(r"^(\d{17}[\dX]|\d{15})$")
#: columns of a source record shown by a look-up
_RECORD_COLUMNS = (
    "src",
    "rec_key",
    "src_row",
    "name_raw",
    "id18",
    "id_valid",
    "dob",
    "sex",
    "phone",
    "addr_text",
    "death_date",
    "status_text",
    "priority",
    "loaded_at",
    "record_at",
)
#: columns of a legal entity's source record shown by a look-up
_ENTITY_RECORD_COLUMNS = (
    "src",
    "rec_key",
    "src_row",
    "name_raw",
    "uscc_written",
    "uscc",
    "org_code",
    "rep_name_raw",
    "rep_id18",
    "addr_text",
    "phone",
    "status_text",
    "status",
    "reg_date",
    "cancel_date",
    "link_rule",
    "priority",
    "loaded_at",
    "record_at",
)


@dataclass
class RegistryEntry:
    """A person (legal entity) as the registry holds it."""

    registry_id: str
    entity: str
    #: active | merged | retired (the identifier's own status in the store)
    status: str
    merged_into: str | None
    #: the identifier the query named, when it was merged into this one
    redirected_from: str | None = None
    #: field -> value (name, id_number, birth_date, sex, phone, address, death_date, deceased,
    #: records, sources, resources)
    golden: dict[str, Any] = field(default_factory=dict)
    #: every source record behind it
    records: list[dict[str, Any]] = field(default_factory=list)
    #: field -> the records giving the golden value (``chosen``: the one it was taken from)
    lineage: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    #: a person: the legal entities whose legal representative they are (registry id, name,
    #: credit code, status); a legal entity: its branches (same fields)
    represents: list[dict[str, Any]] = field(default_factory=list)
    branches: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self), ensure_ascii=False, default=str))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Query:
    kind: Literal["registry_id", "id_number", "name_birth", "uscc", "org_code", "org_name"]
    registry_id: str | None = None
    id_numbers: tuple[str, ...] = ()
    name: str | None = None
    name_key: str | None = None
    birth_date: str | None = None
    #: a credit code: the valid form (if any) and the written one, squashed
    codes: tuple[str, ...] = ()

    @property
    def entity(self) -> EntityKind:
        """The registry the query is about."""
        if self.kind == "registry_id":
            return EntityKind.legal_entity if (self.registry_id or "").startswith("E") else EntityKind.person
        if self.kind in ("uscc", "org_code", "org_name"):
            return EntityKind.legal_entity
        return EntityKind.person


def _uscc_forms(squashed: str) -> tuple[str, ...] | None:
    """The forms of a credit code to look for (valid first), or None when ``squashed`` is none."""
    from shuzhi.standards import check

    if not _USCC_SHAPE.match(squashed):
        return None
    for candidate in (squashed, squashed.translate(str.maketrans("OI", "01"))):
        verdict = check("uscc", candidate)
        if verdict.valid and verdict.normalized:
            return tuple(dict.fromkeys((verdict.normalized, squashed)))
    return None


def parse_query(query: str, entity: EntityKind | str | None = None) -> _Query:
    """What ``query`` names: a registry identifier (``P…`` a person, ``E…`` a legal entity); a
    citizen ID in any written form (15 or 18 digits, lower-case x, full-width, spaces); a name
    followed or preceded by a date of birth (a person); a unified social credit code in any
    written form (case, spaces, full width, O and I for 0 and 1) or an old organisation code
    (``D2143569-X``); else an organisation's name. ``entity`` (person or legal_entity) says which
    registry a code or name that could be either is meant for."""
    from shuzhi.standards import check
    from shuzhi.standards.idcard import upgrade_15
    from shuzhi.standards.names import name_key
    from shuzhi.standards.text import normalize_text

    want = EntityKind(entity) if entity is not None else None
    text = normalize_text(query or "", simplify=False) or ""
    squashed = re.sub(r"[\s\-]", "", text).upper()
    if _REGISTRY_ID.match(squashed):
        return _Query("registry_id", registry_id=squashed)
    id_valid = bool(_ID_NUMBER.match(squashed)) and check("idcard", squashed).valid
    if want is not EntityKind.person and not id_valid:
        codes = _uscc_forms(squashed)
        if codes is not None:
            return _Query("uscc", codes=codes)
        if _ORG_SHAPE.match(squashed) and check("orgcode", squashed).valid:
            return _Query("org_code", codes=(squashed,))
        if want is EntityKind.legal_entity and _USCC_SHAPE.match(squashed):  # a mistyped code
            return _Query("uscc", codes=(squashed,))
    if _ID_NUMBER.match(squashed) and want is not EntityKind.legal_entity:
        verdict = check("idcard", squashed)
        forms = {squashed}
        if verdict.normalized:
            forms.add(verdict.normalized)
        elif len(squashed) == 15:
            forms.add(upgrade_15(squashed))
        return _Query("id_number", id_numbers=tuple(sorted(forms)))
    tokens = [t for t in re.split(r"[\s,，;；]+", text) if t]
    birth: str | None = None
    rest: list[str] = []
    for t in tokens:
        v = check("date", t)
        if birth is None and v.valid and v.normalized and len(v.normalized) == 10:
            birth = v.normalized
        else:
            rest.append(t)
    name = "".join(rest)
    if (
        name
        and birth is None
        and (want is EntityKind.legal_entity or (want is None and _ORG_WORDS.search(name) is not None))
    ):
        return _Query("org_name", name=text.strip())
    if not name or birth is None:
        raise errors.ValidationError(
            {
                "query": [
                    "请给出登记标识、身份证号、姓名加出生日期（如 张伟 1990-03-07），或统一社会信用代码、"
                    "组织机构代码、单位名称 / give a registry id, a citizen ID, a name with a date of birth "
                    "(e.g. 张伟 1990-03-07), or a credit code, organisation code or organisation name"
                ]
            }
        )
    verdict = check("name", name)
    clean = verdict.normalized or normalize_text(name) or name
    return _Query(
        "name_birth",
        name=re.sub(r"[\s·]", "", clean),
        name_key=name_key(name) or None,
        birth_date=birth,
    )


def _require_run(ws: Workspace, entity: EntityKind) -> RegistryRun:
    run = current_run(ws, entity)
    if run is None or not run.path:
        command = "shuzhi registry build" + ("" if entity.value == "person" else f" --entity {entity.value}")
        raise errors.NotFound(
            entity.label_zh + " / " + entity.value + " registry",
            f"尚未构建，请先运行 `{command}` / not built yet: run `{command}`",
        )
    return run


def _table(ws: Workspace, run: RegistryRun, name: str) -> str:
    """The SQL relation of the run's table ``name`` (records, golden, lineage, conflicts …)."""
    return run_table(ws.warehouse / str(run.path), name)


def _rows(ws: Workspace, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    table = ws.engine.fetch_arrow(sql, params)
    return table.to_pylist()  # type: ignore[no-any-return]


def lookup(ws: Workspace, query: str, *, entity: EntityKind | str | None = None) -> list[RegistryEntry]:
    """The persons or legal entities ``query`` names (see :func:`parse_query`; ``entity`` None:
    the registry the query's form says), each with its golden record, every source record behind
    it, lineage, conflicts and history (a person: the entities they represent; an entity: its
    branches). An empty list when none."""
    q = parse_query(query, entity)
    if entity is not None and q.entity is not EntityKind(entity):
        raise errors.ValidationError(
            {
                "query": [
                    f"{query!r} 属于{q.entity.label_zh}，而不是{EntityKind(entity).label_zh} / "
                    f"names an entry of the {q.entity.value} registry, not the {EntityKind(entity).value} one"
                ]
            }
        )
    entity = q.entity
    run = _require_run(ws, entity)
    records = _table(ws, run, "records")
    redirected: dict[str, str] = {}
    if q.kind in ("uscc", "org_code", "org_name"):
        ids = _entity_ids(ws, records, q)
    elif q.kind == "registry_id":
        assert q.registry_id is not None
        target = _resolve_merged(ws, q.registry_id)
        if target != q.registry_id:
            redirected[target] = q.registry_id
        ids = [target]
    elif q.kind == "id_number":
        forms = list(q.id_numbers)
        marks = ", ".join("?" for _ in forms)
        found = _rows(
            ws,
            f"SELECT DISTINCT registry_id FROM {records} "
            f"WHERE id18 IN ({marks}) OR id_sq IN ({marks}) ORDER BY registry_id",
            forms + forms,
        )
        ids = [str(r["registry_id"]) for r in found]
    else:
        found = _rows(
            ws,
            f"SELECT DISTINCT registry_id FROM {records} "
            "WHERE dob = CAST(? AS DATE) AND (name_norm = ? OR name_py = ?) ORDER BY registry_id",
            [q.birth_date, q.name, q.name_key],
        )
        ids = [str(r["registry_id"]) for r in found]
    return [e for e in (_entry(ws, run, entity, rid, redirected.get(rid)) for rid in ids) if e is not None]


def _entity_ids(ws: Workspace, records: str, q: _Query) -> list[str]:
    if q.kind == "uscc":
        marks = ", ".join("?" for _ in q.codes)
        sql = (
            f"SELECT DISTINCT registry_id FROM {records} "
            f"WHERE uscc IN ({marks}) OR uscc_written IN ({marks}) ORDER BY registry_id"
        )
        params: list[Any] = [*q.codes, *q.codes]
    elif q.kind == "org_code":
        sql = (
            f"SELECT DISTINCT registry_id FROM {records} "
            "WHERE org_code = ? OR org_declared = ? ORDER BY registry_id"
        )
        params = [q.codes[0], q.codes[0]]
    else:
        from shuzhi.registry._entity_names import name_full_sql, name_key_sql

        # the same normalisation as the build's, on the workspace engine
        keys = ws.engine.fetch_rows(
            f"SELECT {name_full_sql('x')}, {name_key_sql('x')} FROM (SELECT CAST(? AS VARCHAR) AS x)",
            [q.name],
        )[0]
        sql = (
            f"SELECT DISTINCT registry_id FROM {records} "
            "WHERE name_full = ? OR name_key = ? ORDER BY registry_id"
        )
        params = [keys[0], keys[1]]
    return [str(r["registry_id"]) for r in _rows(ws, sql, params)]


def _resolve_merged(ws: Workspace, registry_id: str) -> str:
    seen = {registry_id}
    current = registry_id
    with ws.session() as s:
        while True:
            row = s.get(RegistryIdentifier, current)
            if row is None or row.status != "merged" or not row.merged_into or row.merged_into in seen:
                return current
            current = row.merged_into
            seen.add(current)


def _entry(
    ws: Workspace, run: RegistryRun, entity: EntityKind, registry_id: str, redirected_from: str | None
) -> RegistryEntry | None:
    with ws.session() as s:
        ident = s.get(RegistryIdentifier, registry_id)
        events = s.scalars(
            sa.select(RegistryEvent)
            .where(RegistryEvent.registry_id == registry_id)
            .order_by(RegistryEvent.id)
        ).all()
        history = [
            {
                "run": e.run_id,
                "action": e.action,
                "related": list(e.related),
                "reason": e.reason,
                "reason_text": e.reason_text,
                "detail": dict(e.detail),
                "at": e.at.isoformat(),
            }
            for e in events
        ]
    if ident is None:
        return None
    golden = _rows(
        ws,
        f"SELECT * FROM {_table(ws, run, 'golden')} WHERE registry_id = ?",
        [registry_id],
    )
    entry = RegistryEntry(
        registry_id=registry_id,
        entity=entity.value,
        status=ident.status,
        merged_into=ident.merged_into,
        redirected_from=redirected_from,
        history=history,
    )
    if not golden:  # merged or retired: no current record
        return entry
    g = golden[0]
    g.pop("registry_id", None)
    has_picks = g.pop("picks", None) is not None  # which record each value came from: the lineage
    entry.golden = g
    columns = _ENTITY_RECORD_COLUMNS if entity is EntityKind.legal_entity else _RECORD_COLUMNS
    entry.records = _rows(
        ws,
        f"SELECT {', '.join(columns)} FROM {_table(ws, run, 'records')} "
        "WHERE registry_id = ? ORDER BY src, rec_key",
        [registry_id],
    )
    for r in entry.records:
        r["resource"] = r.pop("src")
        r["key"] = r.pop("rec_key")
    fields = ENTITY_FIELDS if entity is EntityKind.legal_entity else FIELDS
    one = f"WHERE registry_id = {lit(registry_id)}"
    one_golden = f"(SELECT * FROM {_table(ws, run, 'golden')} {one})"
    one_records = f"(SELECT * FROM {_table(ws, run, 'records')} {one})"
    lineage = _rows(
        ws,
        f"SELECT * FROM ({lineage_sql(one_golden, one_records, fields, picks=has_picks)}) "
        "ORDER BY field, chosen DESC, resource, key",
    )
    for row in lineage:
        entry.lineage.setdefault(str(row.pop("field")), []).append(row)
    for row in _rows(
        ws,
        f"SELECT kind, detail FROM {_table(ws, run, 'conflicts')} WHERE registry_id = ? ORDER BY kind",
        [registry_id],
    ):
        kinds = ENTITY_CONFLICT_KINDS if entity is EntityKind.legal_entity else CONFLICT_KINDS
        zh, en = kinds.get(str(row["kind"]), (str(row["kind"]), str(row["kind"])))
        entry.conflicts.append(
            {"kind": row["kind"], "label": f"{zh} / {en}", "detail": json.loads(str(row["detail"]))}
        )
    # legal representatives and branches: the entity registry's golden records pointing here
    entities = run if entity is EntityKind.legal_entity else current_run(ws, EntityKind.legal_entity)
    if entities is not None and entities.path:
        column = "parent_id" if entity is EntityKind.legal_entity else "legal_rep_registry_id"
        linked = _rows(
            ws,
            f"SELECT registry_id, name, uscc, status, legal_rep_link FROM "
            f"{_table(ws, entities, 'golden')} WHERE {column} = ? ORDER BY registry_id",
            [registry_id],
        )
        if entity is EntityKind.legal_entity:
            entry.branches = linked
        else:
            entry.represents = linked
    return entry


def stats(ws: Workspace, *, entity: EntityKind | str = EntityKind.person) -> dict[str, Any]:
    """The registry's figures: persons, records, per resource, cluster sizes, conflicts,
    identifiers by status, and the current run's summary."""
    entity = EntityKind(entity)
    run = _require_run(ws, entity)
    records, golden, conflicts = (_table(ws, run, n) for n in ("records", "golden", "conflicts"))
    legal = entity is EntityKind.legal_entity
    noun = "entities" if legal else "persons"
    ended = "status IN ('deregistered', 'revoked')" if legal else "deceased"
    totals = _rows(
        ws,
        f"SELECT (SELECT count(*) FROM {golden}) AS n, "
        f"(SELECT count(*) FROM {records}) AS records, "
        f"(SELECT count(*) FROM {golden} WHERE sources > 1) AS in_several_sources, "
        f"(SELECT count(*) FROM {golden} WHERE {ended}) AS ended",
    )[0]
    extra: dict[str, Any] = {}
    if legal:
        extra = _rows(
            ws,
            f"SELECT count(*) FILTER (WHERE branch) AS branches, "
            f"count(*) FILTER (WHERE parent_id IS NOT NULL) AS branches_with_parent, "
            f"count(*) FILTER (WHERE legal_rep_registry_id IS NOT NULL) AS legal_reps_linked "
            f"FROM {golden}",
        )[0]
    per_resource = _rows(
        ws,
        f"""WITH r AS (SELECT src, registry_id FROM {records}),
                g AS (SELECT registry_id, sources FROM {golden})
            SELECT r.src AS resource, count(*) AS records, count(DISTINCT r.registry_id) AS {noun},
                   round(avg(CASE WHEN g.sources > 1 THEN 1.0 ELSE 0.0 END), 4) AS linked_share
            FROM r JOIN g USING (registry_id) GROUP BY r.src ORDER BY r.src""",
    )
    sizes = _rows(
        ws,
        f"SELECT records AS size, count(*) AS n FROM {golden} GROUP BY records ORDER BY records",
    )
    by_kind = {
        str(r["kind"]): int(r["n"])
        for r in _rows(
            ws,
            f"SELECT kind, count(DISTINCT registry_id) AS n FROM {conflicts} GROUP BY kind ORDER BY kind",
        )
    }
    with ws.session() as s:
        statuses = {
            str(k): int(v)
            for k, v in s.execute(
                sa.select(RegistryIdentifier.status, sa.func.count())
                .where(RegistryIdentifier.entity == entity.value)
                .group_by(RegistryIdentifier.status)
            ).all()
        }
        runs = s.scalar(
            sa.select(sa.func.count()).select_from(RegistryRun).where(RegistryRun.entity == entity.value)
        )
    return {
        "entity": entity.value,
        "label": entity.label_zh,
        noun: int(totals["n"]),
        "count": int(totals["n"]),
        "records": int(totals["records"]),
        "in_several_sources": int(totals["in_several_sources"]),
        ("deregistered" if legal else "deceased"): int(totals["ended"]),
        **{k: int(v) for k, v in extra.items()},
        "resources": per_resource,
        "cluster_sizes": {int(r["size"]): int(r["n"]) for r in sizes},
        "conflicts": by_kind,
        "identifiers": statuses,
        "runs": int(runs or 0),
        "run": {
            "id": run.id,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "folder": str(ws.warehouse / str(run.path)),
            **{k: v for k, v in run.summary.items() if k not in ("blocking", "training", "notes", "folder")},
        },
    }


ExportFormat = Literal["csv", "parquet"]


def export(
    ws: Workspace,
    path: str | os.PathLike[str],
    format: ExportFormat | str = "parquet",
    *,
    entity: EntityKind | str = EntityKind.person,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write the crosswalk (resource, the source record's key, registry identifier) and the golden
    records of the ``entity`` registry (``person`` or ``legal_entity``; the crosswalk's columns are
    the same for both) to the folder ``path`` as CSV (UTF-8, header) or Parquet; return the two
    files.

    The key is the record's declared key (several key fields joined by ``|``); a resource that
    declares none is keyed by the record's content (``h:<md5>#<n>``).
    """
    entity = EntityKind(entity)
    if format not in ("csv", "parquet"):
        raise errors.ValidationError({"format": [f"应为 csv 或 parquet / csv or parquet, not {format!r}"]})
    run = _require_run(ws, entity)
    folder = Path(path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    fields = (
        [*ENTITY_FIELDS, "branch", "parent_id", "legal_rep_registry_id", "legal_rep_link"]
        if entity is EntityKind.legal_entity
        else [*FIELDS, "deceased"]
    )
    queries = {
        "crosswalk": f"SELECT src AS resource, rec_key AS record_key, registry_id "
        f"FROM {_table(ws, run, 'records')} ORDER BY src, rec_key",
        "golden": f"SELECT registry_id, {', '.join(fields)}, records, sources, "
        + ("array_to_string(resources, ',') AS resources" if format == "csv" else "resources")
        + f" FROM {_table(ws, run, 'golden')} ORDER BY registry_id",
    }
    out: dict[str, Path] = {}
    for name, sql in queries.items():
        target = (folder / f"{name}.{format}").absolute()
        if target.exists() and not overwrite:
            raise errors.Conflict(f"文件已存在 / already exists: {target} (use overwrite)")
        if format == "parquet":
            ws.engine.write_parquet(sql, target, overwrite=True)
        else:
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
            try:
                ws.engine.execute(f"COPY ({sql}) TO {lit(str(tmp))} (FORMAT csv, HEADER true)")
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        out[name] = target
    return out
