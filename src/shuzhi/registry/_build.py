"""``build()``: one run of a registry, from the catalog's resources to identifiers and golden records.

The steps, and what a crash at each leaves behind:

1. read the catalog: which resources take part and which field plays which role
   (:mod:`shuzhi.registry._roles`); the resource's current version is what is read;
2. take the registry's lock (a second build of the same registry fails fast with
   :class:`~shuzhi.errors.Conflict`), mark runs a dead process left ``running`` as ``abandoned``
   and sweep their half-written folders, record this run as ``running``;
3. standardise every source's records in SQL on the workspace engine (``tmp/registry/run-N/``);
4. link them with Splink on a DuckDB of their own (:mod:`shuzhi.registry._linkage`): count the
   pairs and refuse a run over the budget, train, score, cluster;
5. split clusters holding different valid IDs, inherit identifiers from the previous run, build
   golden records, lineage and conflicts (:mod:`._identity`, :mod:`._golden`);
6. write ``warehouse/_registry/<entity>/.run-N.partial/`` and rename it to ``run-N/``;
7. in one store transaction: the new identifiers, the merged and retired ones, the history
   events, and the run marked ``succeeded`` — from then on it is the current run.

Until step 7 commits, lookups read the previous run and the identifiers are unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shuzhi import errors
from shuzhi.registry._identity import assign_identifiers, split_on_different_ids
from shuzhi.registry._linkage import (
    DIFFERENT_VALID_IDS_GAMMA,
    BlockingRuleCount,
    BudgetExceeded,
    Linkage,
    connect,
)
from shuzhi.registry._review import apply_decisions, load_decisions, sync_queue
from shuzhi.registry._roles import SourceRoles, derive_roles
from shuzhi.registry._spec import EntityKind
from shuzhi.registry._standardise import MODEL_COLUMNS, RegistrySource, lit, standardise
from shuzhi.store import RegistryEvent, RegistryIdentifier, RegistryRun, utcnow

if TYPE_CHECKING:
    import duckdb

    from shuzhi.workspace import Workspace

__all__ = ["RunSummary", "build", "build_all", "catalog_sources", "current_run", "run_folder", "update"]

log = logging.getLogger("shuzhi.registry")

#: where the runs of each registry live, under the warehouse
REGISTRY_DIR = "_registry"


@dataclass(frozen=True)
class RunSummary:
    """What one build did."""

    run: int
    entity: str
    #: source records read, per resource and in all
    resources: dict[str, int]
    records: int
    #: record pairs the blocking rules make (Splink scores each); estimated on large inputs
    comparisons: int
    #: pairs at or above the review threshold, and at or above the match threshold
    candidate_pairs: int
    matches: int
    #: pairs kept apart because their records carry two different valid citizen IDs
    vetoed_pairs: int
    #: persons (legal entities) after the run
    clusters: int
    new_ids: int
    inherited_ids: int
    merged_ids: int
    retired_ids: int
    #: clusters split because they held different valid citizen IDs
    split_by_id: int
    #: conflict kind -> persons flagged
    conflicts: dict[str, int]
    seconds: float
    blocking: list[BlockingRuleCount] = field(default_factory=list)
    #: Splink's charts saved for the run, relative to ``folder``
    charts: list[str] = field(default_factory=list)
    #: the run's folder (absolute)
    folder: str = ""
    #: how ambiguous roles were settled, resources left out, training remarks
    notes: list[str] = field(default_factory=list)
    training: dict[str, Any] = field(default_factory=dict)
    #: pairs queued for clerical review by this run (uncertain, in different persons)
    to_review: int = 0
    #: review decisions applied (pairs of this run's records decided same or different)
    decisions: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["blocking"] = [b.to_dict() for b in self.blocking]
        return d


# -- inputs ---------------------------------------------------------------------------------------


def catalog_sources(ws: Workspace, resources: Sequence[str] | None = None) -> list[RegistrySource]:
    """The current versions of the catalog's resources (or of ``resources``) as build inputs.

    A resource named in ``resources`` without a loaded version is an error; among all resources,
    those without one are skipped.
    """
    from shuzhi.catalog import get_resource, list_resources
    from shuzhi.ingest import get_version, version_path

    entries = [get_resource(ws, c) for c in resources] if resources else list_resources(ws)
    if resources:
        unloaded = [e.code for e in entries if e.current_version is None]
        if unloaded:
            raise errors.ValidationError(
                {"resources": [f"资源尚未加载数据 / no data loaded yet: {', '.join(unloaded)}"]}
            )
    out = []
    for e in entries:
        if e.current_version is None:
            continue
        v = get_version(ws, e.code, e.current_version)
        out.append(
            RegistrySource(
                spec=e.spec,
                path=version_path(ws, e.code, v.number),
                version=v.number,
                loaded_at=v.loaded_at,
            )
        )
    return out


# -- runs -----------------------------------------------------------------------------------------


def run_folder(ws: Workspace, run: RegistryRun) -> Path:
    return ws.warehouse / str(run.path)


def current_run(ws: Workspace, entity: EntityKind | str = EntityKind.person) -> RegistryRun | None:
    """The newest succeeded run of the registry, or None before the first."""
    with ws.session() as s:
        run = s.scalars(
            sa.select(RegistryRun)
            .where(RegistryRun.entity == EntityKind(entity).value, RegistryRun.status == "succeeded")
            .order_by(RegistryRun.id.desc())
            .limit(1)
        ).first()
        if run is not None:
            s.expunge(run)
        return run


@contextlib.contextmanager
def _lock(ws: Workspace, entity: EntityKind) -> Iterator[None]:
    import fcntl

    folder = ws.tmp / "registry"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{entity.value}.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise errors.Conflict(
                f"{entity.label_zh}正在由另一进程构建 / "
                f"another build of the {entity.value} registry is running"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _start(
    ws: Workspace,
    entity: EntityKind,
    plans: Sequence[tuple[RegistrySource, SourceRoles]],
    by: str | None,
    *,
    mode: str = "full",
) -> tuple[int, RegistryRun | None]:
    root = ws.warehouse / REGISTRY_DIR / entity.value
    with ws.session() as s:
        stale = s.scalars(
            sa.select(RegistryRun).where(RegistryRun.entity == entity.value, RegistryRun.status == "running")
        ).all()
        for r in stale:  # we hold the lock: whoever left these running is gone
            r.status = "abandoned"
            r.finished_at = utcnow()
        if root.is_dir():
            for leftover in root.glob(".run-*.partial"):
                shutil.rmtree(leftover, ignore_errors=True)
        previous = s.scalars(
            sa.select(RegistryRun)
            .where(RegistryRun.entity == entity.value, RegistryRun.status == "succeeded")
            .order_by(RegistryRun.id.desc())
            .limit(1)
        ).first()
        s_ = ws.config.registry
        run = RegistryRun(
            entity=entity.value,
            status="running",
            mode=mode,
            previous_run=previous.id if previous else None,
            resources={
                src.code: {"version": src.version, "path": str(src.path), **roles.to_dict()}
                for src, roles in plans
            },
            settings=s_.model_dump(mode="json"),
            summary={},
            started_by=by,
        )
        s.add(run)
        s.flush()
        run_id = run.id
        if previous is not None:
            s.expunge(previous)
    return run_id, previous


def _finish(ws: Workspace, run_id: int, status: str, error: str | None) -> None:
    with contextlib.suppress(Exception), ws.session() as s:
        run = s.get(RegistryRun, run_id)
        if run is not None:
            run.status = status
            run.error = error
            run.finished_at = utcnow()


def _next_number(ws: Workspace, entity: EntityKind) -> int:
    with ws.session() as s:
        top = s.scalar(
            sa.select(sa.func.max(RegistryIdentifier.registry_id)).where(
                RegistryIdentifier.entity == entity.value
            )
        )
    return int(top[1:]) + 1 if top else 1


# -- the build ------------------------------------------------------------------------------------


def build(
    ws: Workspace,
    entity: EntityKind | str = EntityKind.person,
    *,
    resources: Sequence[str] | None = None,
    sources: Sequence[RegistrySource] | None = None,
    by: str | None = None,
) -> RunSummary:
    """Build the ``entity`` registry from the current versions of the catalog's resources: a full
    run (standardise, train, score, cluster), inheriting identifiers from the previous run.

    ``resources`` limits the build to those resource codes. ``sources`` gives the inputs directly
    (a resource's declaration and the Parquet of its records) instead of the catalog's current
    versions. Raises :class:`~shuzhi.registry.BudgetExceeded` before scoring when the blocking
    rules would make more pairs than ``[registry] max_comparisons``;
    :class:`~shuzhi.errors.ValidationError` when a resource's roles are ambiguous.
    """
    return _build(ws, entity, resources, sources, by, incremental=False)


def build_all(
    ws: Workspace,
    *,
    resources: Sequence[str] | None = None,
    by: str | None = None,
) -> list[RunSummary]:
    """Build both registries: persons first, then legal entities (whose legal representatives
    are linked to the persons just built). A registry no resource feeds is skipped; when none
    can be built the error of the person registry is raised."""
    out: list[RunSummary] = []
    first: errors.ValidationError | None = None
    for entity in (EntityKind.person, EntityKind.legal_entity):
        try:
            out.append(build(ws, entity, resources=resources, by=by))
        except errors.ValidationError as e:
            if "resources" not in e.errors:
                raise
            first = first or e
            log.info("%s registry skipped: %s", entity.value, e.message)
    if not out:
        assert first is not None
        raise first
    return out


def update(
    ws: Workspace,
    entity: EntityKind | str = EntityKind.person,
    *,
    resources: Sequence[str] | None = None,
    sources: Sequence[RegistrySource] | None = None,
    by: str | None = None,
) -> RunSummary:
    """Bring the registry up to date with new versions of ``resources`` (default: every resource)
    without a full run: their records are standardised again, only new and changed records are
    compared (with the previous run's model, Splink's ``predict_between`` against the others and
    ``predict_within`` among themselves), and only the persons they touch are clustered again.
    The other resources' records are taken from the previous run as they were.

    Falls back to :func:`build` when there is no previous run, or its model does not fit this
    version of shuzhi (the summary's ``notes`` say so).
    """
    return _build(ws, entity, resources, sources, by, incremental=True)


def _build(
    ws: Workspace,
    entity: EntityKind | str,
    resources: Sequence[str] | None,
    sources: Sequence[RegistrySource] | None,
    by: str | None,
    *,
    incremental: bool,
) -> RunSummary:
    started = time.monotonic()
    entity = EntityKind(entity)
    inputs = list(sources) if sources is not None else catalog_sources(ws, resources)
    if sources is not None and resources:
        wanted = set(resources)
        inputs = [i for i in inputs if i.code in wanted]
    plans: list[tuple[RegistrySource, SourceRoles]] = []
    problems: dict[str, list[str]] = {}
    notes: list[str] = []
    for src in inputs:
        try:
            roles = derive_roles(src.spec, src.registry, entity=entity)
        except errors.ValidationError as e:
            for k, v in e.errors.items():
                problems.setdefault(k, []).extend(v)
            continue
        if roles is None:
            notes.append(
                f"{src.code}: 不参与{entity.label_zh} / does not take part in the {entity.value} registry"
            )
            continue
        plans.append((src, roles))
        notes.extend(f"{src.code}: {n}" for n in roles.notes)
    if problems:
        raise errors.ValidationError(problems)
    if not plans:
        needs = (
            ("需要统一社会信用代码、组织机构代码或单位名称", "a credit code, an organisation code or a name")
            if entity is EntityKind.legal_entity
            else ("需要身份证号或姓名等信息项", "an ID number or name and one more identifying field")
        )
        raise errors.ValidationError(
            {
                "resources": [
                    f"没有资源可构建{entity.label_zh}（{needs[0]}并已加载数据）/ no resource "
                    f"can feed the {entity.value} registry (it needs loaded data with {needs[1]})"
                ]
            }
        )
    with _lock(ws, entity):
        previous = current_run(ws, entity)
        if incremental and entity is EntityKind.legal_entity:
            # the entity rules are exact joins over every record: a full run costs what an
            # incremental one would, and identifiers are inherited all the same
            notes.append(
                "法人库按规则全量关联，增量更新即完整构建（标识沿用）/ the legal-entity registry links "
                "by rules over all records: an update is a full run (identifiers are inherited)"
            )
            incremental = False
        if incremental and (why := _cannot_update(ws, previous)) is not None:
            notes.append(why)
            incremental = False
        run_id, previous = _start(ws, entity, plans, by, mode="incremental" if incremental else "full")
        try:
            return _run(ws, entity, run_id, previous, plans, notes, started, incremental=incremental)
        except BudgetExceeded as e:
            _finish(ws, run_id, "refused", e.message)
            raise
        except BaseException as e:
            _finish(ws, run_id, "failed", f"{type(e).__name__}: {e}")
            raise


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row and row[0] is not None else 0


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    con.execute(f"COPY ({sql}) TO {lit(str(path))} (FORMAT parquet, COMPRESSION zstd)")


def _run(
    ws: Workspace,
    entity: EntityKind,
    run_id: int,
    previous: RegistryRun | None,
    plans: Sequence[tuple[RegistrySource, SourceRoles]],
    notes: list[str],
    started: float,
    *,
    incremental: bool = False,
) -> RunSummary:
    settings = ws.config.registry
    name = f"run-{run_id:06d}"
    work = ws.tmp / "registry" / name
    root = ws.warehouse / REGISTRY_DIR / entity.value
    final = root / name
    partial = root / f".{name}.partial"
    work.mkdir(parents=True, exist_ok=True)
    partial.mkdir(parents=True, exist_ok=True)
    ws.logs.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(ws.logs / f"registry-{entity.value}-{name}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    splink_log = logging.getLogger("splink")
    splink_log.addHandler(handler)
    log.addHandler(handler)
    try:
        records_path = work / "records.parquet"
        if entity is EntityKind.legal_entity:
            from shuzhi.registry._entity import standardise_entities

            n_records = standardise_entities(ws.engine, plans, records_path)
        else:
            n_records = standardise(ws.engine, plans, records_path, entity=entity)
        con = connect(
            settings,
            memory_limit=ws.config.engine.memory_limit,
            threads=ws.config.engine.threads,
            spill=ws.tmp / "registry" / "duckdb",
        )
        try:
            if entity is EntityKind.legal_entity:
                from shuzhi.registry._entity import run_entities

                summary = run_entities(
                    ws,
                    con,
                    run_id,
                    previous,
                    notes,
                    records_path,
                    partial,
                    next_number=_next_number(ws, entity),
                )
            elif incremental:
                assert previous is not None
                summary = _link_incremental(
                    ws, con, entity, run_id, previous, plans, notes, records_path, partial
                )
            else:
                summary = _link(
                    ws, con, entity, run_id, previous, plans, notes, records_path, partial, n_records
                )
        finally:
            con.close()
        summary = dataclasses.replace(
            summary, seconds=round(time.monotonic() - started, 3), folder=str(final)
        )
        (partial / "summary.json").write_text(
            json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        os.rename(partial, final)
        try:
            _commit(ws, entity, run_id, summary, final)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
        return summary
    finally:
        splink_log.removeHandler(handler)
        log.removeHandler(handler)
        handler.close()
        shutil.rmtree(work, ignore_errors=True)
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)


def _link(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    entity: EntityKind,
    run_id: int,
    previous: RegistryRun | None,
    plans: Sequence[tuple[RegistrySource, SourceRoles]],
    notes: list[str],
    records_path: Path,
    out: Path,
    n_records: int,
) -> RunSummary:
    settings = ws.config.registry
    con.execute(f"CREATE TABLE rec AS SELECT * FROM read_parquet({lit(str(records_path))})")
    con.execute(f"CREATE TABLE model_in AS SELECT {', '.join(MODEL_COLUMNS)} FROM rec")
    linkage = Linkage.open(con, "model_in", settings, engine=ws.engine, work=records_path.parent)
    counts = linkage.check_budget(linkage.count_pairs())
    comparisons = counts[-1].cumulative or 0 if counts else 0
    training: dict[str, Any] = {}
    charts: list[str] = []
    vetoed = 0
    decisions = 0
    if n_records >= 2 and comparisons > 0:
        training = linkage.train()
        predicted = linkage.predict()
        decisions = apply_decisions(con, predicted.physical_name, load_decisions(ws, entity))
        con.execute(f"CREATE TEMP TABLE pairs AS SELECT * FROM {predicted.physical_name}")
        vetoed = linkage.veto(predicted)
        clustered = linkage.cluster(predicted)
        con.execute(f"CREATE TEMP TABLE clus0 AS SELECT rid, cluster_id FROM {clustered.physical_name}")
        (out / "model.json").write_text(
            json.dumps(linkage.model(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        if settings.charts:
            charts = [p.relative_to(out).as_posix() for p in linkage.charts(out / "charts", predicted)]
    else:  # nothing to compare: every record is its own person
        con.execute(
            "CREATE TEMP TABLE pairs (rid_l BIGINT, rid_r BIGINT, match_weight DOUBLE, "
            "match_probability DOUBLE, "
            "gamma_citizen_id INTEGER)"
        )
        con.execute("CREATE TEMP TABLE clus0 AS SELECT rid, rid AS cluster_id FROM rec")
    return _conclude(
        ws,
        con,
        entity,
        run_id,
        previous,
        notes,
        out,
        comparisons=int(comparisons),
        counts=counts,
        training=training,
        charts=charts,
        vetoed=vetoed,
        decisions=decisions,
    )


def _cannot_update(ws: Workspace, previous: RegistryRun | None) -> str | None:
    """Why an incremental update must be a full build instead (None: it can be incremental)."""
    if previous is None or not previous.path:
        return "没有上一次运行，改为完整构建 / no previous run: a full build instead"
    folder = ws.warehouse / previous.path
    model = folder / "model.json"
    if not model.is_file():
        return "上一次运行没有模型，改为完整构建 / the previous run has no model: a full build instead"
    import duckdb

    described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet({lit(str(folder / 'records.parquet'))})")
    names = {r[0] for r in described.fetchall()} if described is not None else set()
    if not set(MODEL_COLUMNS) | {"rec_hash"} <= names:
        return (
            "上一次运行的记录格式较旧，改为完整构建 / "
            "the previous run's records are of an older format: a full build instead"
        )
    from shuzhi.registry._linkage import comparisons as current

    saved = json.loads(model.read_text(encoding="utf-8"))
    labels = [
        [lvl.get("label_for_charts") for lvl in c["comparison_levels"]] for c in saved.get("comparisons", [])
    ]
    now = [
        [lvl.get("label_for_charts") for lvl in c.create_comparison_dict("duckdb")["comparison_levels"]]
        for c in current()
    ]
    if labels != now:
        return (
            "比较规则已改变，改为完整构建 / "
            "the comparisons have changed since the model was trained: a full build instead"
        )
    return None


def _link_incremental(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    entity: EntityKind,
    run_id: int,
    previous: RegistryRun,
    plans: Sequence[tuple[RegistrySource, SourceRoles]],
    notes: list[str],
    records_path: Path,
    out: Path,
) -> RunSummary:
    """Compare only new and changed records, re-cluster only the persons they touch."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    settings = ws.config.registry
    t = settings.match_threshold
    prev_dir = ws.warehouse / str(previous.path)
    prev_records = lit(str(prev_dir / "records.parquet"))
    codes = ", ".join(lit(src.code) for src, _ in plans)
    # the records: the re-read resources as standardised now, the others as the previous run had them
    con.execute(
        f"""CREATE TABLE rec AS
        WITH u AS (
            SELECT * EXCLUDE (rid, registry_id, ckey) FROM read_parquet({prev_records})
            WHERE src NOT IN ({codes})
            UNION ALL BY NAME
            SELECT * EXCLUDE (rid) FROM read_parquet({lit(str(records_path))})
        )
        SELECT CAST(row_number() OVER (ORDER BY src, rec_key) AS BIGINT) AS rid, * FROM u"""
    )
    con.execute(
        "CREATE TEMP TABLE prev AS SELECT src, rec_key, registry_id, rec_hash "
        f"FROM read_parquet({prev_records})"
    )
    # a record is unchanged when its resource, key and what linkage sees of it are the same
    con.execute(
        """CREATE TEMP TABLE rec_prev AS
        SELECT r.rid, p.registry_id AS prev_id FROM rec AS r
        LEFT JOIN prev AS p ON p.src = r.src AND p.rec_key = r.rec_key AND p.rec_hash = r.rec_hash"""
    )
    con.execute(
        """CREATE TEMP TABLE touched AS
        SELECT DISTINCT p.registry_id FROM prev AS p
        LEFT JOIN rec AS r ON r.src = p.src AND r.rec_key = p.rec_key AND r.rec_hash = p.rec_hash
        WHERE r.rid IS NULL"""
    )
    cols = ", ".join(MODEL_COLUMNS)
    con.execute(f"CREATE TABLE model_in AS SELECT {cols} FROM rec")
    con.execute(
        f"CREATE TABLE model_new AS SELECT {cols} FROM rec "
        "WHERE rid IN (SELECT rid FROM rec_prev WHERE prev_id IS NULL)"
    )
    con.execute(
        f"CREATE TABLE model_old AS SELECT {cols} FROM rec "
        "WHERE rid IN (SELECT rid FROM rec_prev WHERE prev_id IS NOT NULL)"
    )
    model = json.loads((prev_dir / "model.json").read_text(encoding="utf-8"))
    linkage = Linkage(con, "model_in", settings, model=model)
    counts = linkage.count_new_pairs("model_new")
    comparisons = sum(c.pairs for c in counts)
    if comparisons > settings.max_comparisons:
        raise BudgetExceeded(counts, settings.max_comparisons, comparisons)
    n_new = _count(con, "SELECT count(*) FROM model_new")
    new_edges = []
    if n_new:
        new_edges = linkage.predict_new("model_new", "model_old")
    # scored pairs: the previous run's among unchanged records, and the new ones
    prev_pairs = lit(str(prev_dir / "pairs.parquet"))
    con.execute(
        f"""CREATE TEMP TABLE pairs AS
        SELECT l.rid AS rid_l, r.rid AS rid_r,
               p.* EXCLUDE (rid_l, rid_r, src_l, key_l, src_r, key_r, registry_id_l, registry_id_r)
        FROM read_parquet({prev_pairs}) AS p
        JOIN rec AS l ON l.src = p.src_l AND l.rec_key = p.key_l
        JOIN rec AS r ON r.src = p.src_r AND r.rec_key = p.key_r
        JOIN rec_prev AS pl ON pl.rid = l.rid JOIN rec_prev AS pr ON pr.rid = r.rid
        WHERE pl.prev_id IS NOT NULL AND pr.prev_id IS NOT NULL"""
    )
    for edges in new_edges:
        con.execute(f"INSERT INTO pairs BY NAME SELECT * FROM {edges.physical_name}")
    decisions = apply_decisions(con, "pairs", load_decisions(ws, entity))
    veto = DIFFERENT_VALID_IDS_GAMMA
    # the persons to cluster again: those that lost or changed a record, those a new or changed
    # record now links to, and those with a reviewed pair
    con.execute(
        f"""CREATE TEMP TABLE affected_ids AS
        SELECT registry_id FROM touched
        UNION
        SELECT rp.prev_id FROM decided AS d JOIN rec_prev AS rp ON rp.rid IN (d.rid_l, d.rid_r)
        WHERE rp.prev_id IS NOT NULL
        UNION
        SELECT rp.prev_id FROM pairs AS e JOIN rec_prev AS rp ON rp.rid = e.rid_l
        WHERE e.match_probability >= {t} AND e.gamma_citizen_id IS DISTINCT FROM {veto}
          AND rp.prev_id IS NOT NULL
          AND e.rid_r IN (SELECT rid FROM rec_prev WHERE prev_id IS NULL)
        UNION
        SELECT rp.prev_id FROM pairs AS e JOIN rec_prev AS rp ON rp.rid = e.rid_r
        WHERE e.match_probability >= {t} AND e.gamma_citizen_id IS DISTINCT FROM {veto}
          AND rp.prev_id IS NOT NULL
          AND e.rid_l IN (SELECT rid FROM rec_prev WHERE prev_id IS NULL)"""
    )
    con.execute(
        """CREATE TEMP TABLE affected AS
        SELECT rid FROM rec_prev WHERE prev_id IS NULL OR prev_id IN (SELECT registry_id FROM affected_ids)"""
    )
    con.execute(
        f"""CREATE TEMP TABLE affected_edges AS
        SELECT rid_l, rid_r, match_probability FROM pairs
        WHERE match_probability >= {t} AND gamma_citizen_id IS DISTINCT FROM {veto}
          AND rid_l IN (SELECT rid FROM affected) AND rid_r IN (SELECT rid FROM affected)"""
    )
    nodes = linkage.db.register("affected", table_name=f"affected_{run_id}")
    edges = linkage.db.register("affected_edges", table_name=f"affected_edges_{run_id}")
    clustered = cluster_pairwise_predictions_at_threshold(
        nodes,
        edges,
        db_api=linkage.db,
        node_id_column_name="rid",
        edge_id_column_name_left="rid_l",
        edge_id_column_name_right="rid_r",
        threshold_match_probability=t,
    )
    # unaffected persons keep their records together, as they were
    con.execute(
        f"""CREATE TEMP TABLE clus0 AS
        SELECT rid, 'c' || CAST(cluster_id AS VARCHAR) AS cluster_id FROM {clustered.physical_name}
        UNION ALL
        SELECT rid, 'p' || prev_id FROM rec_prev WHERE rid NOT IN (SELECT rid FROM affected)"""
    )
    n_affected = _count(con, "SELECT count(*) FROM affected_ids")
    notes = [
        *notes,
        f"增量更新：{n_new} 条新增或变更的记录，{n_affected} 人重新聚类 / "
        f"incremental: {n_new} new or changed records, {n_affected} persons clustered again",
    ]
    shutil.copyfile(prev_dir / "model.json", out / "model.json")  # the model stays that run's
    return _conclude(
        ws,
        con,
        entity,
        run_id,
        previous,
        notes,
        out,
        comparisons=comparisons,
        counts=counts,
        training={"model_of_run": previous.id},
        charts=[],
        vetoed=_count(con, f"SELECT count(*) FROM pairs WHERE gamma_citizen_id = {veto}"),
        decisions=decisions,
    )


def _conclude(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    entity: EntityKind,
    run_id: int,
    previous: RegistryRun | None,
    notes: list[str],
    out: Path,
    *,
    comparisons: int,
    counts: list[BlockingRuleCount],
    training: dict[str, Any],
    charts: list[str],
    vetoed: int,
    decisions: int = 0,
) -> RunSummary:
    """From ``rec``, ``pairs`` and ``clus0``: split by ID, inherit identifiers, golden records, and
    the run's files in ``out``."""
    settings = ws.config.registry
    con.execute(
        "CREATE TEMP VIEW links AS SELECT rid_l, rid_r, match_probability FROM pairs "
        f"WHERE gamma_citizen_id IS DISTINCT FROM {DIFFERENT_VALID_IDS_GAMMA}"
    )
    split = split_on_different_ids(con, threshold=settings.match_threshold)

    if previous is not None and previous.path:
        prev_file = ws.warehouse / previous.path / "records.parquet"
        con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS prev AS SELECT src, rec_key, registry_id "
            f"FROM read_parquet({lit(str(prev_file))})"
        )
    else:
        con.execute("CREATE TEMP TABLE prev (src VARCHAR, rec_key VARCHAR, registry_id VARCHAR)")
    ident = assign_identifiers(
        con,
        prefix=entity.prefix,
        next_number=_next_number(ws, entity),
        threshold=settings.match_threshold,
    )
    con.execute(
        "CREATE TEMP TABLE recs AS SELECT r.*, i.registry_id, i.ckey "
        "FROM rec AS r JOIN rec_ids AS i USING (rid)"
    )

    from shuzhi.registry._golden import golden_records

    golden_records(con)
    _copy(con, "SELECT * FROM recs ORDER BY registry_id, src, rec_key", out / "records.parquet")
    _copy(
        con,
        "SELECT l.src AS src_l, l.rec_key AS key_l, r.src AS src_r, r.rec_key AS key_r, "
        "l.registry_id AS registry_id_l, r.registry_id AS registry_id_r, p.* "
        "FROM pairs AS p JOIN recs AS l ON l.rid = p.rid_l JOIN recs AS r ON r.rid = p.rid_r "
        "ORDER BY p.match_probability DESC, p.rid_l, p.rid_r",
        out / "pairs.parquet",
    )
    _copy(con, "SELECT * FROM golden ORDER BY registry_id", out / "golden.parquet")
    _copy(con, "SELECT * FROM lineage ORDER BY registry_id, field, src, rec_key", out / "lineage.parquet")
    _copy(con, "SELECT * FROM conflicts ORDER BY registry_id, kind", out / "conflicts.parquet")
    # uncertain pairs that ended in two persons: for clerical review
    first = "(l.src < r.src OR (l.src = r.src AND l.rec_key <= r.rec_key))"
    _copy(
        con,
        f"""SELECT CASE WHEN {first} THEN l.src ELSE r.src END AS src_l,
                   CASE WHEN {first} THEN l.rec_key ELSE r.rec_key END AS key_l,
                   CASE WHEN {first} THEN r.src ELSE l.src END AS src_r,
                   CASE WHEN {first} THEN r.rec_key ELSE l.rec_key END AS key_r,
                   p.match_probability AS probability, p.match_weight
            FROM pairs AS p JOIN recs AS l ON l.rid = p.rid_l JOIN recs AS r ON r.rid = p.rid_r
            WHERE p.match_probability >= {settings.review_threshold}
              AND p.match_probability < {settings.match_threshold}
              AND p.gamma_citizen_id IS DISTINCT FROM {DIFFERENT_VALID_IDS_GAMMA}
              AND l.registry_id <> r.registry_id
            ORDER BY probability DESC, src_l, key_l, src_r, key_r""",
        out / "review.parquet",
    )
    new_ids = [
        str(r[0])
        for r in con.execute(
            "SELECT registry_id FROM ids WHERE ckey NOT IN (SELECT ckey FROM asg) ORDER BY registry_id"
        ).fetchall()
    ]
    (out / "identity.json").write_text(
        json.dumps(
            {
                "new": new_ids,
                "merged": ident.merged,
                "retired": ident.retired,
                "events": [dataclasses.asdict(e) for e in ident.events],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
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
    return RunSummary(
        run=run_id,
        entity=entity.value,
        resources=per_source,
        records=_count(con, "SELECT count(*) FROM rec"),
        comparisons=comparisons,
        candidate_pairs=_count(con, "SELECT count(*) FROM pairs"),
        matches=_count(
            con,
            f"SELECT count(*) FROM pairs WHERE match_probability >= {settings.match_threshold} "
            f"AND gamma_citizen_id <> {DIFFERENT_VALID_IDS_GAMMA}",
        ),
        vetoed_pairs=vetoed,
        clusters=_count(con, "SELECT count(*) FROM ids"),
        new_ids=ident.new_ids,
        inherited_ids=ident.inherited,
        merged_ids=len(ident.merged),
        retired_ids=len(ident.retired),
        split_by_id=split,
        conflicts=conflicts,
        seconds=0.0,
        blocking=counts,
        charts=charts,
        notes=notes,
        training=training,
        to_review=_count(con, f"SELECT count(*) FROM read_parquet({lit(str(out / 'review.parquet'))})"),
        decisions=decisions,
    )


def _commit(ws: Workspace, entity: EntityKind, run_id: int, summary: RunSummary, folder: Path) -> None:
    identity = json.loads((folder / "identity.json").read_text(encoding="utf-8"))
    with ws.session() as s:
        if identity["new"]:
            s.execute(
                sa.insert(RegistryIdentifier),
                [
                    {"registry_id": rid, "entity": entity.value, "status": "active", "created_run": run_id}
                    for rid in identity["new"]
                ],
            )
        changes = [
            {"registry_id": old, "status": "merged", "merged_into": into, "ended_run": run_id}
            for old, into in identity["merged"]
        ] + [{"registry_id": old, "status": "retired", "ended_run": run_id} for old in identity["retired"]]
        if changes:
            s.execute(sa.update(RegistryIdentifier), changes)
        now = utcnow()
        s.add_all(
            RegistryEvent(
                run_id=run_id,
                entity=entity.value,
                registry_id=e["registry_id"],
                action=e["action"],
                related=e["related"],
                reason=e["reason"],
                reason_text=e["reason_text"],
                detail=e["detail"],
                at=now,
            )
            for e in identity["events"]
        )
        sync_queue(s, entity, run_id, folder / "review.parquet")
        run = s.get(RegistryRun, run_id)
        assert run is not None
        run.status = "succeeded"
        run.path = folder.relative_to(ws.warehouse).as_posix()
        run.summary = json.loads(json.dumps(summary.to_dict(), default=str))
        run.finished_at = now
