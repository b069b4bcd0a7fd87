"""The city demo: generate the synthetic city into a workspace, declare its catalog, ingest every
departmental dataset, as a data center would on its first day, then fuse the records into the base
registries and measure them against the generator's truth.

``shuzhi demo`` (the README's main command) calls :func:`city_demo` and prints its result
(:mod:`shuzhi.demo._report`); later stages add their steps here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shuzhi import errors
from shuzhi.workspace import Workspace

if TYPE_CHECKING:
    from shuzhi.registry._evaluate import Evaluation

__all__ = ["REGISTRIES", "CityDemoResult", "DatasetRun", "RegistryBuild", "city_demo"]

#: the base registries the demo builds, in order (EntityKind values)
REGISTRIES = ("person", "legal_entity")

#: who the demo's loads are recorded as
DEMO_USER = "demo"


@dataclass(frozen=True, slots=True)
class DatasetRun:
    """One departmental dataset's load: what was read, kept and quarantined, and why."""

    resource: str
    name: str
    department: str
    file: str
    format: str
    encoding: str | None
    version: int | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    rows_flagged: int
    #: quarantined rows by reason: (rule, reason in the chosen language, rows), most first
    reasons: list[tuple[str, str, int]]
    #: values kept but flagged (or emptied), by reason, most first
    issues: list[tuple[str, str, int]]
    seconds: float
    #: the error that stopped the load (nothing was loaded), else None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RegistryBuild:
    """One base registry built from the loaded datasets, and its accuracy against the truth."""

    entity: str  # "person" (人口库) or "legal_entity" (法人库)
    #: False: this version of shuzhi cannot build this registry yet (nothing was attempted)
    available: bool
    run: int | None = None
    records: int = 0
    #: persons (entities) in the registry
    clusters: int = 0
    seconds: float = 0.0
    #: the registry's crosswalk against the generator's truth (twins given for persons)
    accuracy: Evaluation | None = None
    #: the error that stopped the build, else None
    error: str | None = None
    #: a look-up that finds one entry of this registry (the demo's hint), e.g. "张伟 1990-03-07"
    example: str | None = None


@dataclass(frozen=True, slots=True)
class CityDemoResult:
    """What :func:`city_demo` did."""

    city: str
    city_name: str
    people: int
    households: int
    entities: int
    folder: Path
    generated: bool  # False when an identical city was already there
    generate_seconds: float
    resources_declared: int
    runs: list[DatasetRun] = field(default_factory=list)
    seconds: float = 0.0
    registries: list[RegistryBuild] = field(default_factory=list)

    @property
    def failed(self) -> list[DatasetRun]:
        return [r for r in self.runs if r.error is not None]

    @property
    def failed_registries(self) -> list[RegistryBuild]:
        return [r for r in self.registries if r.error is not None]


def city_demo(
    ws: Workspace,
    *,
    people: int = 20_000,
    seed: int | None = None,
    lang: str = "zh",
    progress: Callable[[str, int, int], None] | None = None,
    registries: bool = True,
) -> CityDemoResult:
    """Generate a city of ``people`` into ``<workspace>/demo-city`` (reused when the same size and
    seed are already there), declare its catalog, load every dataset as a new version, then (with
    ``registries``) build the base registries from the current versions and evaluate each against
    the generator's truth (:func:`shuzhi.registry._evaluate.evaluate`).

    ``progress(step, done, total)`` is called before each step. A dataset that cannot be loaded is
    reported with its error (its previous version stays current) and the others still load; a
    registry that cannot be built is reported with its error.
    """
    from shuzhi.catalog import declare
    from shuzhi.demo.city import DEFAULT_SEED, generate
    from shuzhi.ingest import ingest

    started = time.perf_counter()
    seed = DEFAULT_SEED if seed is None else seed
    folder = ws.path / "demo-city"
    manifest_file = folder / "manifest.json"

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    manifest = _read_manifest(manifest_file)
    generated = not (manifest and manifest.get("people") == people and manifest.get("seed") == seed)
    t0 = time.perf_counter()
    if generated:
        step("generate", 0, 1)
        generate(folder, people=people, seed=seed)
        manifest = _read_manifest(manifest_file)
    if manifest is None:
        raise errors.DataError(
            "合成城市清单缺失 / the generated city has no manifest", file=str(manifest_file)
        )
    generate_seconds = time.perf_counter() - t0

    step("catalog", 0, 1)
    report = declare(ws, folder / manifest["catalog"], by=DEMO_USER, comment="shuzhi demo")
    datasets = manifest["datasets"]
    runs: list[DatasetRun] = []
    for i, d in enumerate(datasets):
        step(d["resource"], i, len(datasets))
        t = time.perf_counter()
        base = dict(
            resource=d["resource"],
            name=d["name"],
            department=d["department"],
            file=d["file"],
            format=d["format"],
        )
        try:
            r = ingest(
                ws, d["resource"], folder / d["file"], mapping=folder / d["mapping"], loaded_by=DEMO_USER
            )
        except errors.ShuzhiError as e:
            runs.append(
                DatasetRun(
                    **base,
                    encoding=d.get("encoding"),
                    version=None,
                    rows_in=0,
                    rows_loaded=0,
                    rows_quarantined=0,
                    rows_flagged=0,
                    reasons=[],
                    issues=[],
                    seconds=time.perf_counter() - t,
                    error=e.message,
                )
            )
            continue

        def by_count(counts: list[Any]) -> list[tuple[str, str, int]]:
            rows = ((q.rule, q.reason_zh if lang == "zh" else q.reason_en, q.count) for q in counts)
            return sorted(rows, key=lambda x: (-x[2], x[0]))

        runs.append(
            DatasetRun(
                **base,
                encoding=r.source.encoding,
                version=r.version,
                rows_in=r.rows_in,
                rows_loaded=r.rows_loaded,
                rows_quarantined=r.rows_quarantined,
                rows_flagged=r.rows_flagged,
                reasons=by_count(r.quarantine),
                issues=by_count(r.issues),
                seconds=time.perf_counter() - t,
            )
        )
    built: list[RegistryBuild] = []
    if registries:
        for entity in REGISTRIES:
            step(f"registry/{entity}", len(datasets), len(datasets))
            built.append(_registry(ws, folder, entity))
    step("done", len(datasets), len(datasets))
    return CityDemoResult(
        city=manifest["city"],
        city_name=manifest["city_name"],
        people=manifest["people"],
        households=manifest["households"],
        entities=manifest["entities"],
        folder=folder,
        generated=generated,
        generate_seconds=generate_seconds,
        resources_declared=len(report.created) + len(report.updated) + len(report.unchanged),
        runs=runs,
        seconds=time.perf_counter() - started,
        registries=built,
    )


def _registry(ws: Workspace, city: Path, entity: str) -> RegistryBuild:
    """Build the ``entity`` registry (a full run: identifiers are inherited from the previous
    one) and evaluate its crosswalk against the city's truth."""
    from shuzhi.demo._truth_reader import city_truth, city_twins
    from shuzhi.registry import build
    from shuzhi.registry._evaluate import evaluate, read_crosswalk

    t = time.perf_counter()
    try:
        summary = build(ws, entity, by=DEMO_USER)
    except errors.ValidationError as e:
        # THE LEGAL-ENTITY REGISTRY (法人库): until shuzhi.registry can build it, build() refuses
        # the entity up front ({"entity": [...]}) and the demo says "not built yet"; once it can,
        # it is built and evaluated here like the person registry, with nothing to change.
        if "entity" in e.errors:
            return RegistryBuild(entity=entity, available=False)
        return RegistryBuild(entity=entity, available=True, seconds=time.perf_counter() - t, error=e.message)
    except errors.ShuzhiError as e:
        return RegistryBuild(entity=entity, available=True, seconds=time.perf_counter() - t, error=e.message)
    seconds = time.perf_counter() - t
    person = entity == "person"
    accuracy = evaluate(
        read_crosswalk(ws, entity),
        city_truth(city, "person" if person else "legal_entity"),
        twins=city_twins(city) if person else None,
    )
    return RegistryBuild(
        entity=entity,
        available=True,
        run=summary.run,
        records=summary.records,
        clusters=summary.clusters,
        seconds=seconds,
        accuracy=accuracy,
        example=_example(ws, entity),
    )


def _example(ws: Workspace, entity: str) -> str | None:
    """A look-up for the demo's hint that finds exactly one entry seen in the most sources: a
    person's name and birth date, an entity's name."""
    import duckdb

    from shuzhi.registry._build import current_run, run_folder
    from shuzhi.registry._spec import EntityKind

    run = current_run(ws, EntityKind(entity))
    if run is None:
        return None
    from shuzhi.registry._parts import run_table

    golden = run_table(run_folder(ws, run), "golden")
    person = entity == "person"
    query = "name || ' ' || strftime(birth_date, '%Y-%m-%d')" if person else "name"
    present = "name IS NOT NULL AND birth_date IS NOT NULL" if person else "name IS NOT NULL"
    con = duckdb.connect()
    try:
        row = con.execute(
            f"SELECT {query} FROM {golden} WHERE {present} "
            f"QUALIFY count(*) OVER (PARTITION BY {query}) = 1 "
            "ORDER BY sources DESC, records DESC, registry_id LIMIT 1"
        ).fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return None if row is None else str(row[0])


def _read_manifest(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
