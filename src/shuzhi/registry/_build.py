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
   golden records and conflicts (:mod:`._identity`, :mod:`._golden`);
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
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from shuzhi import errors
from shuzhi.registry._identity import (
    assign_identifiers,
    content_successors,
    load_departed,
    split_on_decisions,
    split_on_different_ids,
    write_departed,
    write_identity,
)
from shuzhi.registry._linkage import (
    DIFFERENT_VALID_IDS_GAMMA,
    BlockingRuleCount,
    BudgetExceeded,
    Linkage,
    connect,
    run_engine,
)
from shuzhi.registry._parts import MAX_PARTS, PARTS_FILE, TABLES, link_or_copy, run_table, table_parts
from shuzhi.registry._review import (
    apply_decisions,
    follow_successors,
    load_decisions,
    rekey_decisions,
    sync_queue,
)
from shuzhi.registry._roles import SourceRoles, derive_roles
from shuzhi.registry._spec import EntityKind
from shuzhi.registry._standardise import (
    MODEL_COLUMNS,
    STANDARDISE_VERSION,
    RegistrySource,
    ident,
    lit,
    standardise,
)
from shuzhi.store import RegistryEvent, RegistryIdentifier, RegistryRun, utcnow

if TYPE_CHECKING:
    import duckdb

    from shuzhi.config import RegistrySettings
    from shuzhi.engine import DuckDBEngine
    from shuzhi.workspace import Workspace

__all__ = [
    "RetireRefused",
    "RunSummary",
    "build",
    "build_all",
    "catalog_sources",
    "current_run",
    "run_folder",
    "update",
]

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
    #: retired identifiers given back to their records, back in the sources (not in ``inherited_ids``)
    revived_ids: int = 0

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
                # an update holds the resources it did not read as the previous run did
                **(dict(previous.resources or {}) if mode == "incremental" and previous else {}),
                **{
                    src.code: {"version": src.version, "path": str(src.path), **roles.to_dict()}
                    for src, roles in plans
                },
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
    allow_retire: bool = False,
) -> RunSummary:
    """Build the ``entity`` registry from the current versions of the catalog's resources: a full
    run (standardise, train, score, cluster), inheriting identifiers from the previous run.

    ``resources`` names the resources to read again, at their current versions, as ``update``'s
    does: every other resource the current registry holds records of is read at the version that
    run read (the catalog's declaration of it), so that its persons stay. ``sources`` gives the
    inputs directly (a resource's declaration and the Parquet of its records) instead of the
    catalog's current versions: all of them, or with ``resources`` those to read again. Raises
    :class:`~shuzhi.registry.BudgetExceeded` before scoring when the blocking rules would make
    more pairs than ``[registry] max_comparisons``; :class:`RetireRefused` when the run would
    retire more than half of the registry's identifiers, unless ``allow_retire``;
    :class:`~shuzhi.errors.ValidationError` when a resource's roles are ambiguous.
    """
    return _build(ws, entity, resources, sources, by, incremental=False, allow_retire=allow_retire)


def build_all(
    ws: Workspace,
    *,
    resources: Sequence[str] | None = None,
    by: str | None = None,
    allow_retire: bool = False,
) -> list[RunSummary]:
    """Build both registries: persons first, then legal entities (whose legal representatives
    are linked to the persons just built). A registry no resource feeds (none of ``resources``,
    when they are named) is skipped; when none can be built the error of the person registry is
    raised."""
    out: list[RunSummary] = []
    first: errors.ValidationError | None = None
    for entity in (EntityKind.person, EntityKind.legal_entity):
        try:
            out.append(build(ws, entity, resources=resources, by=by, allow_retire=allow_retire))
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
    allow_retire: bool = False,
) -> RunSummary:
    """Bring the registry up to date with new versions of ``resources`` (default: every resource)
    without a full run: their records are standardised again, only new and changed records are
    compared (with the previous run's model, Splink's ``predict_between`` against the others and
    ``predict_within`` among themselves), and only the persons they touch are clustered again.
    The other resources' records are taken from the previous run as they were.

    Falls back to :func:`build` when there is no previous run, or its model does not fit this
    version of shuzhi (the summary's ``notes`` say so). Refused as :func:`build` is when it would
    retire more than half of the registry (``allow_retire``).
    """
    return _build(ws, entity, resources, sources, by, incremental=True, allow_retire=allow_retire)


class RetireRefused(errors.Conflict):
    """A run refused after linkage and before anything is written: it would retire more than
    half of the registry's identifiers (a resource loaded empty, a resource left out)."""

    code = "retire_refused"

    def __init__(self, entity: EntityKind, retired: int, before: int, dropped: Sequence[str]) -> None:
        lost = f"（{'，'.join(dropped)}）" if dropped else ""
        lost_en = f" ({', '.join(dropped)})" if dropped else ""
        super().__init__(
            f"本次运行将注销{entity.label_zh}上一次运行 {before:,} 个标识中的 {retired:,} 个{lost}，已拒绝 / "
            f"refused: this run would retire {retired:,} of the {before:,} identifiers of the "
            f"{entity.value} registry's previous run{lost_en}. 请检查这些资源的当前版本（是否为空或不完整）；"
            "确需如此时加 --allow-retire（API：allow_retire）重新运行 / check these resources' current "
            "versions (empty, or incomplete?); if it is meant, run again with --allow-retire "
            "(API: allow_retire)"
        )
        self.retired = retired
        self.before = before
        self.dropped = list(dropped)


def _check_retirement(previous: RegistryRun | None, summary: RunSummary, entity: EntityKind) -> None:
    """Refuse a run that would retire more than half of the previous run's identifiers."""
    if previous is None or not summary.retired_ids:
        return
    before = (previous.summary or {}).get("clusters")
    if before is None or summary.retired_ids * 2 <= int(before):
        return
    had = (previous.summary or {}).get("resources") or {}
    dropped = [
        f"{code} {int(n):,} → {summary.resources.get(code, 0):,}"
        for code, n in sorted(had.items())
        if summary.resources.get(code, 0) < int(n)
    ]
    raise RetireRefused(entity, summary.retired_ids, int(before), dropped)


def _held_resources(ws: Workspace, entity: EntityKind, previous: RegistryRun) -> dict[str, dict[str, Any]]:
    """The resources the ``previous`` run holds, each with what the run that last read it recorded
    (``version``, ``path``): the run's own ``resources``, and for a resource an update carried
    over without reading it, an earlier run's."""
    import duckdb

    held = {str(k): dict(v) for k, v in (previous.resources or {}).items()}
    if previous.path:
        records = run_table(ws.warehouse / previous.path, "records")
        with duckdb.connect() as con:
            rows = con.execute(f"SELECT DISTINCT src FROM {records}").fetchall()
        missing = {str(r[0]) for r in rows} - set(held)
        if missing:
            with ws.session() as s:
                older = s.scalars(
                    sa.select(RegistryRun)
                    .where(
                        RegistryRun.entity == entity.value,
                        RegistryRun.status == "succeeded",
                        RegistryRun.id < previous.id,
                    )
                    .order_by(RegistryRun.id.desc())
                ).all()
                for run in older:
                    for code in sorted(missing & set(run.resources or {})):
                        held[code] = dict(run.resources[code])
                        missing.discard(code)
                    if not missing:
                        break
            for code in missing:  # no run says which version: none to read, it is dropped below
                held[code] = {}
    return held


def _kept_sources(
    ws: Workspace, entity: EntityKind, previous: RegistryRun, named: set[str], notes: list[str]
) -> list[RegistrySource]:
    """The resources the ``previous`` run holds that ``named`` does not name, at the versions it
    read (a build of some resources keeps the others' persons, as an update does)."""
    from shuzhi.catalog import get_resource
    from shuzhi.ingest import get_version, version_path

    out: list[RegistrySource] = []
    kept: list[str] = []
    for code, info in sorted(_held_resources(ws, entity, previous).items()):
        if code in named:
            continue
        try:
            entry = get_resource(ws, code)
        except errors.NotFound:
            entry = None
        if entry is None or entry.retired:
            notes.append(
                f"{code}: 不在目录中（或已撤销），其记录不再纳入{entity.label_zh} / not in the catalog (or "
                f"retired from it): its records leave the {entity.value} registry"
            )
            continue
        number = info.get("version")
        path: Path | None = None
        loaded_at = None
        if number is not None:
            with contextlib.suppress(errors.NotFound):
                path = version_path(ws, code, int(number))
                loaded_at = get_version(ws, code, int(number)).loaded_at
        if (path is None or not path.exists()) and info.get("path") and Path(str(info["path"])).exists():
            path = Path(str(info["path"]))
        if path is None or not path.exists():
            raise errors.ValidationError(
                {
                    "resources": [
                        f"{code}: 当前{entity.label_zh}所读的版本 v{number} 已不存在，无法保留其记录；"
                        "请同时指定该资源（-r），或不带 -r 构建 / the version the current registry read "
                        f"(v{number}) is gone, so its records cannot be kept: name it too (-r), or build "
                        "without -r"
                    ]
                }
            )
        out.append(RegistrySource(spec=entry.spec, path=path, version=number, loaded_at=loaded_at))
        kept.append(f"{code} v{number}")
    if kept:
        notes.append(
            f"未指定的资源沿用当前{entity.label_zh}所读的版本：{'，'.join(kept)} / the resources not named "
            f"are read at the versions the current registry read: {', '.join(kept)}"
        )
    return out


def _build(
    ws: Workspace,
    entity: EntityKind | str,
    resources: Sequence[str] | None,
    sources: Sequence[RegistrySource] | None,
    by: str | None,
    *,
    incremental: bool,
    allow_retire: bool = False,
) -> RunSummary:
    started = time.monotonic()
    entity = EntityKind(entity)
    inputs = list(sources) if sources is not None else catalog_sources(ws, resources)
    if sources is not None and resources:
        wanted = set(resources)
        inputs = [i for i in inputs if i.code in wanted]
    with _lock(ws, entity):
        previous = current_run(ws, entity)
        notes: list[str] = []
        named = {i.code for i in inputs}
        if resources and not incremental and previous is not None:
            # a build of some resources reads the others as the current registry read them
            inputs += _kept_sources(ws, entity, previous, named | set(resources), notes)
        plans: list[tuple[RegistrySource, SourceRoles]] = []
        problems: dict[str, list[str]] = {}
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
        if not plans or (resources and not any(src.code in named for src, _ in plans)):
            needs = (
                (
                    "需要统一社会信用代码、组织机构代码或单位名称",
                    "a credit code, an organisation code or a name",
                )
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
        if incremental and entity is EntityKind.legal_entity:
            # the entity rules are exact joins over every record: a full run costs what an
            # incremental one would, and identifiers are inherited all the same
            notes.append(
                "法人库按规则全量关联，增量更新即完整构建（标识沿用）/ the legal-entity registry links "
                "by rules over all records: an update is a full run (identifiers are inherited)"
            )
            incremental = False
            if resources and previous is not None:  # the others as the registry holds them
                plans += _plans_of(
                    _kept_sources(ws, entity, previous, named | set(resources), notes), entity, notes
                )
        if incremental and (why := _cannot_update(ws, previous)) is not None:
            notes.append(why)
            incremental = False
            if resources and previous is not None:  # the others as the registry holds them
                plans += _plans_of(
                    _kept_sources(ws, entity, previous, named | set(resources), notes), entity, notes
                )
        run_id, previous = _start(ws, entity, plans, by, mode="incremental" if incremental else "full")
        try:
            return _run(
                ws,
                entity,
                run_id,
                previous,
                plans,
                notes,
                started,
                incremental=incremental,
                allow_retire=allow_retire,
            )
        except (BudgetExceeded, RetireRefused) as e:
            _finish(ws, run_id, "refused", e.message)
            raise
        except BaseException as e:
            _finish(ws, run_id, "failed", f"{type(e).__name__}: {e}")
            raise


def _plans_of(
    inputs: Sequence[RegistrySource], entity: EntityKind, notes: list[str]
) -> list[tuple[RegistrySource, SourceRoles]]:
    """Roles of resources read again as the registry held them (they took part before)."""
    plans = []
    for src in inputs:
        roles = derive_roles(src.spec, src.registry, entity=entity)
        if roles is None:
            notes.append(
                f"{src.code}: 不参与{entity.label_zh} / does not take part in the {entity.value} registry"
            )
            continue
        plans.append((src, roles))
    return plans


def _exec(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyConnection:
    """``con.execute(sql)``, its time logged (debug) to find what a large run spends it on."""
    started = time.perf_counter()
    result = con.execute(sql)
    log.debug("%.2f s  %s", time.perf_counter() - started, " ".join(sql.split())[:100])
    return result


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row and row[0] is not None else 0


#: what a run keeps of a scored pair (besides the two records' resource and key): the records'
#: numbers in the run, the score, and each comparison's level and weight (the records' values are
#: in ``records``)
PAIR_COLUMNS = "p.rid_l, p.rid_r, p.match_weight, p.match_probability, COLUMNS('^(gamma|mw)_|^match_key$')"


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    # zstd's fastest level: at 1M people 13 % less CPU than its default for files 3 % larger
    con.execute(f"COPY ({sql}) TO {lit(str(path))} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)")


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
    allow_retire: bool = False,
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
        elif incremental:
            assert previous is not None
            # only the new and changed records are standardised again
            n_records = standardise(
                ws.engine,
                plans,
                records_path,
                entity=entity,
                previous=run_table(ws.warehouse / str(previous.path), "records"),
                keys_out=work / "keys.parquet",
            )
        bounds: dict[str, Any] = {
            "memory_limit": ws.config.engine.memory_limit,
            "threads": ws.config.engine.threads,
            "spill": ws.tmp / "registry" / "duckdb",
        }
        engine: DuckDBEngine | None = None
        if entity is EntityKind.legal_entity or incremental:
            con = connect(settings, **bounds)
        else:
            # a full build standardises into the table ``rec`` of the engine it links on (whatever
            # the workspace's engine: the standards' SQL is DuckDB's)
            engine = run_engine(settings, **bounds)
            con = engine.connection
        try:
            if engine is not None:
                n_records = standardise(engine, plans, None, entity=entity, table="rec")
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
            if engine is not None:
                engine.close()
            else:
                con.close()
        summary = dataclasses.replace(
            summary, seconds=round(time.monotonic() - started, 3), folder=str(final)
        )
        if not allow_retire:  # nothing is written yet: a refused run leaves the registry as it was
            _check_retirement(previous, summary, entity)
        # which standardisation made the records: an update keeps unchanged records as they are,
        # so a run of another standardisation is followed by a full build
        (partial / "format.json").write_text(
            json.dumps({"standardise": STANDARDISE_VERSION}), encoding="utf-8"
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
    # ``rec``: the standardised records, made on ``con`` by :func:`_run`
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
        decided = load_decisions(ws, entity)
        if decided and previous is not None and previous.path:
            # a decision on a record of a resource without a key follows it when its values change
            content_successors(
                con,
                f"SELECT * FROM {run_table(ws.warehouse / previous.path, 'records')} AS p "
                "WHERE starts_with(p.rec_key, 'h:') "
                "AND NOT EXISTS (SELECT 1 FROM rec AS r WHERE r.src = p.src AND r.rec_key = p.rec_key)",
                "SELECT * FROM rec AS r WHERE starts_with(r.rec_key, 'h:') AND NOT EXISTS (SELECT 1 FROM "
                f"{run_table(ws.warehouse / previous.path, 'records')} AS p "
                "WHERE p.src = r.src AND p.rec_key = r.rec_key)",
            )
            decided = follow_successors(con, decided)
        decisions = apply_decisions(con, predicted.physical_name, decided)
        con.execute(
            "CREATE TEMP TABLE pairs AS SELECT rid_l, rid_r, match_weight, match_probability, "
            f"COLUMNS('^(gamma|mw)_|^match_key$') FROM {predicted.physical_name}"
        )
        vetoed = linkage.veto(predicted)
        clustered = linkage.cluster(predicted)
        con.execute(f"CREATE TEMP TABLE clus0 AS SELECT rid, cluster_id FROM {clustered.physical_name}")
        (out / "model.json").write_text(
            json.dumps(linkage.model(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        if settings.charts:
            charts = [p.relative_to(out).as_posix() for p in linkage.charts(out / "charts", predicted)]
        _drop_scratch(con)
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


def _drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what training, scoring and clustering left on ``con`` (Splink's tables, the model's
    input): the rest of a run needs only ``rec``, ``pairs`` and ``clus0``, and at a million people
    the leftovers (scored pairs with the records' columns, clusters with the input data, EM's
    samples) made the identifiers and golden records spill gigabytes to disk."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND (starts_with(table_name, '__splink__') OR starts_with(table_name, '__shuzhi_spark_') "
        "OR table_name = 'model_in')"
    ).fetchall()
    for (name,) in rows:
        con.execute(f"DROP TABLE IF EXISTS {ident(str(name))} CASCADE")


def _cannot_update(ws: Workspace, previous: RegistryRun | None) -> str | None:
    """Why an incremental update must be a full build instead (None: it can be incremental)."""
    if previous is None or not previous.path:
        return "没有上一次运行，改为完整构建 / no previous run: a full build instead"
    folder = ws.warehouse / previous.path
    model = folder / "model.json"
    if not model.is_file():
        return "上一次运行没有模型，改为完整构建 / the previous run has no model: a full build instead"
    fmt = folder / "format.json"
    made_by = json.loads(fmt.read_text(encoding="utf-8")).get("standardise") if fmt.is_file() else None
    if made_by != STANDARDISE_VERSION:
        return (
            "上一次运行的标准化规则与当前版本不同，改为完整构建 / the previous run's records were "
            "standardised by another version of shuzhi: a full build instead"
        )
    import duckdb

    described = duckdb.sql(f"DESCRIBE SELECT * FROM {run_table(folder, 'records')}")
    names = {r[0] for r in described.fetchall()} if described is not None else set()
    pairs_described = duckdb.sql(f"DESCRIBE SELECT * FROM {run_table(folder, 'pairs')}")
    pair_names = {r[0] for r in pairs_described.fetchall()} if pairs_described is not None else set()
    golden_described = duckdb.sql(f"DESCRIBE SELECT * FROM {run_table(folder, 'golden')}")
    golden_names = {r[0] for r in golden_described.fetchall()} if golden_described is not None else set()
    if (
        not set(MODEL_COLUMNS) | {"rec_hash", "raw_hash"} <= names
        or "registry_id_l" in pair_names
        or "picks" not in golden_names
    ):
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
    """Compare only new and changed records, re-cluster only the persons they touch, and write only
    their rows (:mod:`._parts`).

    ``records_path`` holds the re-read resources' new and changed records (standardised with
    ``previous=``), ``keys.parquet`` beside it every record they have now. Tables on ``con``:
    ``prev_all`` (the previous run's crosswalk), ``chg`` (its records that are gone or changed),
    ``allrec`` (every record now: ``rid``, ``src``, ``rec_key``, ``prev_id``), ``model_in`` (what
    linkage sees of all of them), ``pairs`` (the new pairs, marked ``fresh``, and the previous
    pairs among the affected records), ``rec`` / ``clus0`` (the affected records and clusters).
    """
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    settings = ws.config.registry
    t = settings.match_threshold
    veto = DIFFERENT_VALID_IDS_GAMMA
    prev_dir = ws.warehouse / str(previous.path)
    prev_records = run_table(prev_dir, "records")
    prev_pairs = run_table(prev_dir, "pairs")
    codes = ", ".join(lit(src.code) for src, _ in plans)
    keys = lit(str(records_path.parent / "keys.parquet"))
    # the previous run's records, read once (the largest read of an update)
    _exec(con, f"CREATE TABLE prev_full AS SELECT * FROM {prev_records}")
    _exec(
        con,
        "CREATE VIEW prev_all AS SELECT rid, src, rec_key, registry_id, rec_hash, raw_hash FROM prev_full",
    )
    # the previous records of the re-read resources that are gone, or whose source values changed
    _exec(
        con,
        f"""CREATE TABLE chg AS SELECT p.* FROM prev_all AS p
        WHERE p.src IN ({codes}) AND NOT EXISTS (
            SELECT 1 FROM read_parquet({keys}) AS k
            WHERE k.src = p.src AND k.rec_key = p.rec_key AND k.raw_hash = p.raw_hash)""",
    )
    # the records standardised again: one that linkage sees as before keeps its number (and its
    # scored pairs); the others are new, numbered after the largest number of the chain
    max_rid = _count(con, "SELECT max(rid) FROM prev_all")
    _exec(
        con,
        f"""CREATE TABLE std AS
        WITH s AS (
            SELECT s.* EXCLUDE (rid), c.rid AS old_rid, c.registry_id AS old_id
            FROM read_parquet({lit(str(records_path))}) AS s
            LEFT JOIN chg AS c ON c.src = s.src AND c.rec_key = s.rec_key AND c.rec_hash = s.rec_hash
        )
        SELECT CAST(coalesce(old_rid, {max_rid} + row_number() OVER (
                   PARTITION BY old_rid IS NULL ORDER BY src, rec_key)) AS BIGINT) AS rid,
               * EXCLUDE (old_rid, old_id), old_rid IS NULL AS linkage_new, old_id
        FROM s""",
    )
    _exec(
        con,
        """CREATE TABLE allrec AS
        SELECT rid, src, rec_key, registry_id AS prev_id FROM prev_all WHERE rid NOT IN (SELECT rid FROM chg)
        UNION ALL
        SELECT rid, src, rec_key, CASE WHEN NOT linkage_new THEN old_id END FROM std""",
    )
    cols = ", ".join(MODEL_COLUMNS)
    _exec(
        con,
        f"""CREATE TABLE model_in AS
        SELECT {cols} FROM prev_full WHERE rid NOT IN (SELECT rid FROM chg)
        UNION ALL SELECT {cols} FROM std""",
    )
    _exec(con, f"CREATE TABLE model_new AS SELECT {cols} FROM std WHERE linkage_new")
    _exec(
        con,
        f"CREATE VIEW model_old AS SELECT * FROM model_in WHERE rid <= {max_rid}",  # the new are above
    )
    model = json.loads((prev_dir / "model.json").read_text(encoding="utf-8"))
    linkage = Linkage(con, "model_in", settings, model=model)
    counts = linkage.count_new_pairs("model_new")
    comparisons = sum(c.pairs for c in counts)
    if comparisons > settings.max_comparisons:
        raise BudgetExceeded(counts, settings.max_comparisons, comparisons)
    n_new = _count(con, "SELECT count(*) FROM model_new")
    # the pairs: the new ones (fresh: written by this run) …
    _exec(
        con,
        f"CREATE TEMP TABLE pairs AS SELECT * EXCLUDE (src_l, key_l, src_r, key_r), true AS fresh "
        f"FROM {prev_pairs} LIMIT 0",
    )
    if n_new:
        for edges in linkage.predict_new("model_new", "model_old"):
            _exec(
                con,
                f"INSERT INTO pairs BY NAME SELECT {PAIR_COLUMNS}, true AS fresh "
                f"FROM {edges.physical_name} AS p",
            )
    # … the previous ones of records in a review decision (decisions are applied again) …
    decisions = load_decisions(ws, entity)
    if decisions:
        # a decision on a record of a resource without a key follows it when its values change
        content_successors(con, *_incremental_successor_inputs())
        decisions = follow_successors(con, decisions)
    _exec(con, "CREATE TEMP TABLE decided_rids AS " + _decided_records_sql(con, decisions))
    _exec(
        con,
        "CREATE TEMP TABLE pair_drop AS SELECT rid FROM chg WHERE rid NOT IN (SELECT rid FROM std) "
        "UNION SELECT rid FROM decided_rids",
    )
    _exec(
        con,
        f"""INSERT INTO pairs BY NAME SELECT p.* EXCLUDE (src_l, key_l, src_r, key_r), true AS fresh
        FROM {prev_pairs} AS p
        WHERE (p.rid_l IN (SELECT rid FROM decided_rids) OR p.rid_r IN (SELECT rid FROM decided_rids))
          AND p.rid_l NOT IN (SELECT rid FROM chg WHERE rid NOT IN (SELECT rid FROM std))
          AND p.rid_r NOT IN (SELECT rid FROM chg WHERE rid NOT IN (SELECT rid FROM std))""",
    )
    decisions_applied = apply_decisions(con, "pairs", decisions, records="allrec")
    _exec(con, "UPDATE pairs SET fresh = true WHERE fresh IS NULL")  # pairs decided the same
    # the persons to cluster again: those that lost or changed a record, those a new record now
    # links to, and those with a reviewed pair
    _exec(
        con,
        f"""CREATE TEMP TABLE affected_ids AS
        WITH linked AS (
            SELECT rid_l AS rid FROM pairs
            WHERE fresh AND match_probability >= {t} AND gamma_citizen_id IS DISTINCT FROM {veto}
            UNION
            SELECT rid_r FROM pairs
            WHERE fresh AND match_probability >= {t} AND gamma_citizen_id IS DISTINCT FROM {veto}
        )
        SELECT registry_id FROM chg
        UNION
        SELECT a.prev_id FROM decided_rids AS d JOIN allrec AS a USING (rid) WHERE a.prev_id IS NOT NULL
        UNION
        SELECT a.prev_id FROM linked AS e JOIN allrec AS a USING (rid) WHERE a.prev_id IS NOT NULL""",
    )
    _exec(
        con,
        """CREATE TEMP TABLE affected AS
        SELECT rid FROM allrec WHERE prev_id IS NULL OR prev_id IN (SELECT registry_id FROM affected_ids)""",
    )
    # … and the previous pairs among the affected records (context for clustering, not rewritten)
    _exec(
        con,
        f"""INSERT INTO pairs BY NAME SELECT p.* EXCLUDE (src_l, key_l, src_r, key_r), false AS fresh
        FROM {prev_pairs} AS p
        WHERE p.rid_l IN (SELECT rid FROM affected) AND p.rid_r IN (SELECT rid FROM affected)
          AND p.rid_l NOT IN (SELECT rid FROM pair_drop) AND p.rid_r NOT IN (SELECT rid FROM pair_drop)""",
    )
    _exec(
        con,
        f"""CREATE TEMP TABLE affected_edges AS
        SELECT rid_l, rid_r, match_probability FROM pairs
        WHERE match_probability >= {t} AND gamma_citizen_id IS DISTINCT FROM {veto}
          AND rid_l IN (SELECT rid FROM affected) AND rid_r IN (SELECT rid FROM affected)""",
    )
    nodes = linkage.db.register("affected", table_name=f"affected_{run_id}")
    edges_sdf = linkage.db.register("affected_edges", table_name=f"affected_edges_{run_id}")
    clustered = cluster_pairwise_predictions_at_threshold(
        nodes,
        edges_sdf,
        db_api=linkage.db,
        node_id_column_name="rid",
        edge_id_column_name_left="rid_l",
        edge_id_column_name_right="rid_r",
        threshold_match_probability=t,
    )
    _exec(con, f"CREATE TEMP TABLE clus0 AS SELECT rid, cluster_id FROM {clustered.physical_name}")
    # the affected records in full: unchanged ones as the previous run had them, and the new ones
    _exec(
        con,
        """CREATE TABLE rec AS
        SELECT * EXCLUDE (registry_id, ckey) FROM prev_full
        WHERE rid IN (SELECT rid FROM affected) AND rid NOT IN (SELECT rid FROM chg)
        UNION ALL BY NAME
        SELECT * EXCLUDE (linkage_new, old_id) FROM std""",
    )
    _exec(
        con,
        "CREATE TEMP TABLE prev AS SELECT src, rec_key, registry_id FROM prev_all "
        "WHERE registry_id IN (SELECT registry_id FROM affected_ids)",
    )
    n_affected = _count(con, "SELECT count(*) FROM affected_ids")
    notes = [
        *notes,
        f"增量更新：{n_new} 条新增或变更的记录，{n_affected} 人重新聚类 / "
        f"incremental: {n_new} new or changed records, {n_affected} persons clustered again",
    ]
    shutil.copyfile(prev_dir / "model.json", out / "model.json")  # the model stays that run's
    return _conclude_incremental(
        ws,
        con,
        entity,
        run_id,
        previous,
        notes,
        out,
        comparisons=comparisons,
        counts=counts,
        decisions=decisions_applied,
        model_of_run=previous.id,
    )


def _decided_records_sql(
    con: duckdb.DuckDBPyConnection, decisions: Sequence[tuple[str, str, str, str, bool]]
) -> str:
    """A query of the numbers (``rid``) of the records in ``allrec`` that review ``decisions`` name."""
    if not decisions:
        return "SELECT CAST(NULL AS BIGINT) AS rid WHERE false"
    import pyarrow as pa

    keys = sorted({(d[0], d[1]) for d in decisions} | {(d[2], d[3]) for d in decisions})
    con.register("_decided_keys", pa.table({"src": [k[0] for k in keys], "rec_key": [k[1] for k in keys]}))
    _exec(con, "CREATE OR REPLACE TEMP TABLE _decided_keys_t AS SELECT * FROM _decided_keys")
    con.unregister("_decided_keys")
    return "SELECT DISTINCT a.rid FROM allrec AS a JOIN _decided_keys_t AS k USING (src, rec_key)"


def _incremental_successor_inputs() -> tuple[str, str]:
    """For :func:`content_successors` in an update: the previous run's content-keyed records that
    are gone, and this run's that are new."""
    return (
        "SELECT p.* FROM prev_full AS p WHERE starts_with(p.rec_key, 'h:') "
        "AND p.rid IN (SELECT rid FROM chg) "
        "AND NOT EXISTS (SELECT 1 FROM allrec AS a WHERE a.src = p.src AND a.rec_key = p.rec_key)",
        "SELECT s.* FROM std AS s WHERE starts_with(s.rec_key, 'h:') "
        "AND NOT EXISTS (SELECT 1 FROM prev_all AS p WHERE p.src = s.src AND p.rec_key = s.rec_key)",
    )


def _conclude_incremental(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    entity: EntityKind,
    run_id: int,
    previous: RegistryRun,
    notes: list[str],
    out: Path,
    *,
    comparisons: int,
    counts: list[BlockingRuleCount],
    decisions: int,
    model_of_run: int,
) -> RunSummary:
    """:func:`_conclude` for the affected persons only; the run's tables are the previous run's
    parts, less what changed, plus one new part each (:mod:`._parts`)."""
    settings = ws.config.registry
    prev_dir = ws.warehouse / str(previous.path)
    veto = DIFFERENT_VALID_IDS_GAMMA
    _exec(
        con,
        "CREATE TEMP VIEW links AS SELECT rid_l, rid_r, match_probability FROM pairs "
        f"WHERE gamma_citizen_id IS DISTINCT FROM {veto}",
    )
    split = split_on_different_ids(con, threshold=settings.match_threshold)
    split_on_decisions(con, threshold=settings.match_threshold)
    load_departed(ws, con, entity, previous)
    # records of resources without a key whose values changed: the old gone, the new unknown
    content_successors(con, *_incremental_successor_inputs())
    ident = assign_identifiers(
        con,
        prefix=entity.prefix,
        next_number=_next_number(ws, entity),
        threshold=settings.match_threshold,
    )
    write_departed(
        con,
        out,
        current="SELECT src, rec_key FROM allrec",
        previous="SELECT src, rec_key, registry_id FROM prev_all",
        previous_run=previous.id,
    )
    _exec(
        con,
        "CREATE TEMP TABLE recs AS SELECT r.*, i.registry_id, i.ckey "
        "FROM rec AS r JOIN rec_ids AS i USING (rid)",
    )
    from shuzhi.registry._golden import golden_records

    golden_records(con)
    # every record's person now: the affected ones' new, the others' as before
    _exec(
        con,
        """CREATE TEMP TABLE xw AS
        SELECT a.rid, a.src, a.rec_key, coalesce(i.registry_id, a.prev_id) AS registry_id
        FROM allrec AS a LEFT JOIN rec_ids AS i USING (rid)""",
    )
    # one valid ID on records of different persons: over every record, not only the affected
    _exec(
        con,
        """CREATE TEMP TABLE shared AS
        WITH ids AS (
            SELECT m.id18, list(DISTINCT x.registry_id ORDER BY x.registry_id) AS persons
            FROM model_in AS m JOIN xw AS x USING (rid) WHERE m.id_valid
            GROUP BY m.id18 HAVING count(DISTINCT x.registry_id) > 1
        )
        SELECT unnest(persons) AS registry_id, 'shared_id' AS kind,
               CAST(to_json(struct_pack(id_number := id18, persons := persons)) AS VARCHAR) AS detail
        FROM ids""",
    )
    prev_conflicts = run_table(prev_dir, "conflicts")
    _exec(
        con,
        f"""CREATE TEMP TABLE conflict_ids AS
        SELECT registry_id FROM affected_ids UNION SELECT registry_id FROM ids
        UNION SELECT registry_id FROM shared
        UNION SELECT registry_id FROM {prev_conflicts} WHERE kind = 'shared_id'""",
    )
    touched_ids = "SELECT registry_id FROM affected_ids UNION SELECT registry_id FROM ids"
    new_conflicts = f"""
        SELECT registry_id, kind, detail FROM conflicts WHERE kind <> 'shared_id'
        UNION ALL
        SELECT registry_id, kind, detail FROM {prev_conflicts}
        WHERE kind <> 'shared_id' AND registry_id IN (SELECT registry_id FROM conflict_ids)
          AND registry_id NOT IN ({touched_ids})
        UNION ALL
        SELECT registry_id, kind, detail FROM shared"""
    _write_parts(
        con,
        prev_dir,
        out,
        run_id,
        drops={
            "records": "SELECT rid FROM prev_all WHERE registry_id IN (SELECT registry_id FROM affected_ids)",
            "pairs": "SELECT rid FROM pair_drop",
            "golden": "SELECT registry_id FROM affected_ids",
            "conflicts": "SELECT registry_id FROM conflict_ids",
        },
        deltas={
            "records": "SELECT * FROM recs ORDER BY registry_id, src, rec_key",
            "pairs": f"SELECT l.src AS src_l, l.rec_key AS key_l, r.src AS src_r, r.rec_key AS key_r, "
            f"{PAIR_COLUMNS} FROM pairs AS p JOIN allrec AS l ON l.rid = p.rid_l "
            "JOIN allrec AS r ON r.rid = p.rid_r WHERE p.fresh",
            "golden": "SELECT * FROM golden ORDER BY registry_id",
            "conflicts": f"SELECT * FROM ({new_conflicts}) ORDER BY registry_id, kind",
        },
    )
    # uncertain pairs that ended in two persons, over all pairs now: for clerical review
    live = run_table(out, "pairs")
    _write_review(con, live, "xw", out, settings)
    write_identity(con, out, ident)
    pair_counts = _exec(
        con,
        f"""SELECT count(*), count(*) FILTER (WHERE match_probability >= {settings.match_threshold}
                                              AND gamma_citizen_id <> {veto}),
                   count(*) FILTER (WHERE gamma_citizen_id = {veto})
            FROM {live}""",
    ).fetchall()[0]
    conflicts = {
        str(k): int(n)
        for k, n in _exec(
            con,
            f"SELECT kind, count(DISTINCT registry_id) FROM {run_table(out, 'conflicts')} "
            "GROUP BY kind ORDER BY kind",
        ).fetchall()
    }
    per_source = {
        str(k): int(n)
        for k, n in _exec(con, "SELECT src, count(*) FROM allrec GROUP BY src ORDER BY src").fetchall()
    }
    clusters = _count(con, "SELECT count(DISTINCT registry_id) FROM xw")
    return RunSummary(
        run=run_id,
        entity=entity.value,
        resources=per_source,
        records=sum(per_source.values()),
        comparisons=comparisons,
        candidate_pairs=int(pair_counts[0]),
        matches=int(pair_counts[1]),
        vetoed_pairs=int(pair_counts[2]),
        clusters=clusters,
        new_ids=ident.new_ids,
        # the untouched persons keep theirs too
        inherited_ids=clusters - ident.new_ids - len(ident.revived),
        merged_ids=len(ident.merged),
        retired_ids=len(ident.retired),
        revived_ids=len(ident.revived),
        split_by_id=split,
        conflicts=conflicts,
        seconds=0.0,
        blocking=counts,
        charts=[],
        notes=notes,
        training={"model_of_run": model_of_run},
        to_review=_count(con, f"SELECT count(*) FROM read_parquet({lit(str(out / 'review.parquet'))})"),
        decisions=decisions,
    )


def _write_parts(
    con: duckdb.DuckDBPyConnection,
    prev_dir: Path,
    out: Path,
    run_id: int,
    *,
    drops: dict[str, str],
    deltas: dict[str, str],
) -> None:
    """The run's tables in ``out``: the previous run's parts (linked), each with the rows of
    ``drops[table]`` added to its drop list, and the new part ``deltas[table]``; written whole
    again once a table would have more than :data:`MAX_PARTS` parts."""
    manifest: dict[str, Any] = {"format": 1, "tables": {}}
    for table, key in TABLES.items():
        _exec(con, f"CREATE OR REPLACE TEMP TABLE _drop AS SELECT DISTINCT {key} FROM ({drops[table]})")
        parts: list[dict[str, Any]] = []
        for part in table_parts(prev_dir, table):
            # a full run's whole table becomes a part named after that run
            name = f"{table}.{prev_dir.name}.parquet" if part["file"] == f"{table}.parquet" else part["file"]
            link_or_copy(prev_dir / part["file"], out / name)
            drop = name.removesuffix(".parquet") + ".drop.parquet"
            earlier = (
                f" UNION SELECT {key} FROM read_parquet({lit(str(prev_dir / part['drop']))})"
                if part.get("drop")
                else ""
            )
            _copy(con, f"SELECT {key} FROM _drop{earlier}", out / drop)
            parts.append({"file": name, "drop": drop})
        name = f"{table}.run-{run_id:06d}.parquet"
        _copy(con, deltas[table], out / name)
        parts.append({"file": name, "drop": None})
        manifest["tables"][table] = parts
    (out / PARTS_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    if max(len(p) for p in manifest["tables"].values()) <= MAX_PARTS:
        return
    # compaction: every table whole again, in one file
    for table in TABLES:
        _copy(con, f"SELECT * FROM {run_table(out, table)}", out / f".{table}.whole.parquet")
    for parts in manifest["tables"].values():
        for part in parts:
            for name in (part["file"], part["drop"]):
                if name:
                    (out / name).unlink(missing_ok=True)
    (out / PARTS_FILE).unlink()
    for table in TABLES:
        os.replace(out / f".{table}.whole.parquet", out / f"{table}.parquet")


def _write_review(
    con: duckdb.DuckDBPyConnection, pairs: str, records: str, out: Path, settings: RegistrySettings
) -> None:
    """``review.parquet``: the scored ``pairs`` between the review and match thresholds whose two
    records (``records``: rid, src, rec_key, registry_id) ended in different persons, each pair
    written once, its first record by resource and key first."""
    first = "(l.src < r.src OR (l.src = r.src AND l.rec_key <= r.rec_key))"
    _copy(
        con,
        f"""SELECT CASE WHEN {first} THEN l.src ELSE r.src END AS src_l,
                   CASE WHEN {first} THEN l.rec_key ELSE r.rec_key END AS key_l,
                   CASE WHEN {first} THEN r.src ELSE l.src END AS src_r,
                   CASE WHEN {first} THEN r.rec_key ELSE l.rec_key END AS key_r,
                   p.match_probability AS probability, p.match_weight
            FROM {pairs} AS p JOIN {records} AS l ON l.rid = p.rid_l JOIN {records} AS r ON r.rid = p.rid_r
            WHERE p.match_probability >= {settings.review_threshold}
              AND p.match_probability < {settings.match_threshold}
              AND p.gamma_citizen_id IS DISTINCT FROM {DIFFERENT_VALID_IDS_GAMMA}
              AND l.registry_id <> r.registry_id
            ORDER BY probability DESC, src_l, key_l, src_r, key_r""",
        out / "review.parquet",
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
    split_on_decisions(con, threshold=settings.match_threshold)

    if previous is not None and previous.path:
        con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS prev AS SELECT src, rec_key, registry_id "
            f"FROM {run_table(ws.warehouse / previous.path, 'records')}"
        )
    else:
        con.execute("CREATE TEMP TABLE prev (src VARCHAR, rec_key VARCHAR, registry_id VARCHAR)")
    load_departed(ws, con, entity, previous)
    if previous is not None and previous.path:
        # records of resources without a key whose values changed: the old gone, the new unknown
        content_successors(
            con,
            f"SELECT * FROM {run_table(ws.warehouse / previous.path, 'records')} AS p "
            "WHERE starts_with(p.rec_key, 'h:') "
            "AND NOT EXISTS (SELECT 1 FROM rec AS r WHERE r.src = p.src AND r.rec_key = p.rec_key)",
            "SELECT * FROM rec AS r WHERE starts_with(r.rec_key, 'h:') "
            "AND NOT EXISTS (SELECT 1 FROM prev AS p WHERE p.src = r.src AND p.rec_key = r.rec_key)",
        )
    ident = assign_identifiers(
        con,
        prefix=entity.prefix,
        next_number=_next_number(ws, entity),
        threshold=settings.match_threshold,
    )
    write_departed(
        con,
        out,
        current="SELECT src, rec_key FROM rec",
        previous="SELECT src, rec_key, registry_id FROM prev",
        previous_run=previous.id if previous is not None else None,
    )
    # in the order records.parquet is written in: a person's records together, in the order of
    # their numbers (resource and key in a full build). The golden records' aggregate is also
    # three times faster over records in this order (1M people: 5 s against 16 s)
    con.execute(
        "CREATE TEMP TABLE recs AS SELECT r.*, i.registry_id, i.ckey "
        "FROM rec AS r JOIN rec_ids AS i USING (rid) ORDER BY i.registry_id, r.rid"
    )
    # recs has it all; of the identifiers' work tables only ids and asg are read from here on
    con.execute("DROP VIEW IF EXISTS prev_x")
    for done in "rec rec_ids rec_prev moved prev ov cl clus clus0 succ mem revive".split():
        con.execute(f"DROP TABLE IF EXISTS {done}")

    # the pairs first, then free them for the golden records (at 1M people: 8.8M pairs)
    _copy(
        con,
        f"SELECT l.src AS src_l, l.rec_key AS key_l, r.src AS src_r, r.rec_key AS key_r, {PAIR_COLUMNS} "
        "FROM pairs AS p JOIN recs AS l ON l.rid = p.rid_l JOIN recs AS r ON r.rid = p.rid_r",
        out / "pairs.parquet",
    )
    # uncertain pairs that ended in two persons: for clerical review
    _write_review(con, "pairs", "recs", out, settings)
    pair_counts = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE match_probability >= {settings.match_threshold}
                                              AND gamma_citizen_id <> {DIFFERENT_VALID_IDS_GAMMA})
        FROM pairs"""
    ).fetchall()[0]
    con.execute("DROP VIEW links")
    con.execute("DROP TABLE pairs")

    from shuzhi.registry._golden import golden_records

    golden_records(con)
    _copy(con, "SELECT * FROM recs", out / "records.parquet")  # in its order (insertion order is kept)
    _copy(con, "SELECT * FROM golden ORDER BY registry_id", out / "golden.parquet")
    _copy(con, "SELECT * FROM conflicts ORDER BY registry_id, kind", out / "conflicts.parquet")
    write_identity(con, out, ident)
    conflicts = {
        str(k): int(n)
        for k, n in con.execute(
            "SELECT kind, count(DISTINCT registry_id) FROM conflicts GROUP BY kind ORDER BY kind"
        ).fetchall()
    }
    per_source = {
        str(k): int(n)
        for k, n in con.execute("SELECT src, count(*) FROM recs GROUP BY src ORDER BY src").fetchall()
    }
    return RunSummary(
        run=run_id,
        entity=entity.value,
        resources=per_source,
        records=_count(con, "SELECT count(*) FROM recs"),
        comparisons=comparisons,
        candidate_pairs=int(pair_counts[0]),
        matches=int(pair_counts[1] or 0),
        vetoed_pairs=vetoed,
        clusters=_count(con, "SELECT count(*) FROM ids"),
        new_ids=ident.new_ids,
        inherited_ids=ident.inherited,
        merged_ids=len(ident.merged),
        retired_ids=len(ident.retired),
        revived_ids=len(ident.revived),
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
            # a Core executemany: the ORM's bulk insert took twice as long for a million identifiers
            s.connection().execute(
                sa.insert(cast(sa.Table, RegistryIdentifier.__table__)),
                [
                    {"registry_id": rid, "entity": entity.value, "status": "active", "created_run": run_id}
                    for rid in identity["new"]
                ],
            )
        changes = [
            {"registry_id": old, "status": "merged", "merged_into": into, "ended_run": run_id}
            for old, into in identity["merged"]
        ] + [{"registry_id": old, "status": "retired", "ended_run": run_id} for old in identity["retired"]]
        changes += [
            {"registry_id": rid, "status": "active", "merged_into": None, "ended_run": None}
            for rid in identity.get("revived", [])
        ]
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
        rekey_decisions(s, entity, identity.get("successors", []))
        sync_queue(s, entity, run_id, folder / "review.parquet")
        run = s.get(RegistryRun, run_id)
        assert run is not None
        run.status = "succeeded"
        run.path = folder.relative_to(ws.warehouse).as_posix()
        run.summary = json.loads(json.dumps(summary.to_dict(), default=str))
        run.finished_at = now
