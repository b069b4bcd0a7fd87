"""The city demo: generate the synthetic city into a workspace, declare its catalog and ingest every
departmental dataset, as a data center would on its first day.

``shuzhi demo`` (the README's main command) calls :func:`city_demo` and prints its result; later
stages (quality, registries) add their steps here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shuzhi import errors
from shuzhi.workspace import Workspace

__all__ = ["CityDemoResult", "DatasetRun", "city_demo"]

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

    @property
    def failed(self) -> list[DatasetRun]:
        return [r for r in self.runs if r.error is not None]


def city_demo(
    ws: Workspace,
    *,
    people: int = 20_000,
    seed: int | None = None,
    lang: str = "zh",
    progress: Callable[[str, int, int], None] | None = None,
) -> CityDemoResult:
    """Generate a city of ``people`` into ``<workspace>/demo-city`` (reused when the same size and
    seed are already there), declare its catalog, and load every dataset as a new version.

    ``progress(step, done, total)`` is called before each step. A dataset that cannot be loaded is
    reported with its error (its previous version stays current) and the others still load.
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
    )


def _read_manifest(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
