"""A synthetic city with known truth (合成城市): the data every later capability is shown and
measured on.

``generate(out, people=20_000, seed=…)`` writes, under ``out``:

* ``data/``: the departmental datasets (公安, 卫健, 人社, 民政 ×2, 教育, 市场监管, 交警, 网格员),
  each in its department's own columns, codes, encoding and format, with planted messes;
* ``catalog.yaml`` and ``mappings/<resource>.yaml``: what the ingestion pipeline needs;
* ``manifest.json``: the datasets with their files, mappings, formats, encodings and row counts;
* ``geo/``: grid cells (GeoJSON, WGS-84), estates and buildings with coordinates;
* ``truth/``: the people, households and entities as they really are, the true person or entity
  of every source record, every value written wrong on purpose and every anomaly — files that no
  pipeline step reads.

The same seed gives byte-identical files. See ``docs/demo-city.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from shuzhi import errors
from shuzhi.demo.city._noise import Noise, parse_noise

__all__ = ["DEFAULT_SEED", "STEPS", "CityManifest", "DatasetInfo", "Noise", "generate", "parse_noise"]

DEFAULT_SEED = 20201101
#: the steps reported to ``progress`` (in this order)
STEPS = (
    "geography",
    "people",
    "entities",
    "GA-HJRK",
    "WJ-JKDA",
    "RS-YLDY",
    "MZ-DBJZ",
    "MZ-GLBT",
    "JY-XJXX",
    "SJ-SCZT",
    "JJ-JDCXX",
    "WG-RKCJ",
    "write",
    "truth",
)


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    resource: str
    name: str
    department: str
    file: str
    mapping: str
    format: str
    encoding: str
    rows: int


@dataclass(frozen=True, slots=True)
class CityManifest:
    """What :func:`generate` wrote (also in ``out/manifest.json``, less ``path`` and ``seconds``)."""

    path: Path
    city: str
    city_name: str
    seed: int
    people: int
    households: int
    entities: int
    as_of: str
    noise: dict[str, float]
    catalog: str
    datasets: list[DatasetInfo]
    layers: dict[str, str]
    truth: dict[str, str]
    seconds: float = field(default=0.0, compare=False)

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("path")
        d.pop("seconds")
        return d


def generate(
    out: str | Path,
    *,
    people: int = 20_000,
    seed: int = DEFAULT_SEED,
    city: str = "140500",
    noise: Noise | None = None,
    progress: Callable[[str], None] | None = None,
) -> CityManifest:
    """Generate a city of ``people`` people in the prefecture ``city`` into the folder ``out``.

    ``progress`` is called with each name of :data:`STEPS` as that step starts.
    """
    from shuzhi.demo.city import _catalog, _datasets, _entities, _geo, _mess, _people, _truth

    if people < 100:
        raise errors.ValidationError({"people": [f"至少 100 人 / at least 100 people, not {people}"]})
    noise = noise or Noise()
    start = time.perf_counter()
    step = progress or (lambda _name: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]

    step("geography")
    c = _geo.load_city(city, streams[0])
    step("people")
    vocab = _people.vocabulary()
    folk = _people.make_people(people, vocab, streams[1])
    places = _geo.place_households(c, folk.n_hh, streams[0])
    _people.assign_ids(folk, c, places.county[folk.hh], streams[2])
    step("entities")
    ents = _entities.make_entities(folk, places, c, vocab.surnames, streams[3])
    kinds = np.array(places.estates.column("kind").to_pylist())
    urban = kinds[places.estate] == "estate"
    low, owners, drivers = _low_income(folk, urban, ents, noise, streams[4])
    cars = _entities.make_vehicles(folk, ents, urban, streams[5], extra_owners=drivers, poor_hh=low)
    world = _datasets.World(
        city=c,
        places=places,
        people=folk,
        vocab=vocab,
        entities=ents,
        vehicles=cars,
        noise=noise,
        rng=streams[6],
        low_income_hh=low,
        planted_owner=owners,
        planted_vehicle=drivers,
    )
    changes = _mess.Changes()
    built = _datasets.build_all(world, changes, on_step=step)
    step("write")
    for b in built:
        _datasets.write_dataset(b, out, c.name)
    mappings = _catalog.write_catalog(_datasets.SPECS, out, city_code=c.code, city_name=c.name)
    layers = _geo.write_layers(places, out)
    step("truth")
    truth = _truth.write_truth(world, built, changes.table(), out)
    manifest = CityManifest(
        path=out,
        city=c.code,
        city_name=c.name,
        seed=seed,
        people=folk.n,
        households=folk.n_hh,
        entities=ents.n,
        as_of=_people.AS_OF.isoformat(),
        noise=noise.to_dict(),
        catalog="catalog.yaml",
        datasets=[
            DatasetInfo(
                resource=b.spec.code,
                name=b.spec.name,
                department=b.spec.department,
                file=b.spec.file,
                mapping=mappings[b.spec.code],
                format=b.spec.format,
                encoding=b.spec.encoding,
                rows=b.rows,
            )
            for b in built
        ],
        layers=layers,
        truth=truth,
        seconds=time.perf_counter() - start,
    )
    text = json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2)
    (out / "manifest.json").write_text(text + "\n", encoding="utf-8")
    return manifest


def _low_income(
    folk: object, urban: np.ndarray, ents: object, noise: Noise, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Households on the minimum allowance (rural, elderly and single-person households more
    often), and the planted anomalies: members made business owners or given a car."""
    from shuzhi.demo.city._entities import Entities
    from shuzhi.demo.city._people import DEAD, MOVED_OUT, People

    assert isinstance(folk, People) and isinstance(ents, Entities)
    p = folk
    size = np.bincount(p.hh, minlength=p.n_hh)
    youngest = np.full(p.n_hh, 200, dtype=np.int64)
    np.minimum.at(youngest, p.hh, p.age)
    head = p.hh_head
    w = 0.012 * np.where(urban, 1.0, 2.5) * np.where(youngest >= 60, 3.0, 1.0) * np.where(size == 1, 1.5, 1.0)
    eligible = (p.status[head] != MOVED_OUT) & (p.status[head] != DEAD)
    low = np.flatnonzero(eligible & (rng.random(p.n_hh) < w))
    # few people on the allowance run a business: most representatives found there are replaced
    poor = np.zeros(p.n_hh, dtype=bool)
    poor[low] = True
    natural = np.flatnonzero(poor[p.hh[ents.legal_rep]] & (rng.random(ents.n) < 0.95))
    others = np.flatnonzero(~poor[p.hh] & (p.age >= 25) & (p.age <= 75) & (p.status != MOVED_OUT))
    ents.legal_rep[natural] = others[rng.integers(len(others), size=len(natural))]
    adult_head = low[(p.age[head[low]] >= 25) & (p.age[head[low]] <= 75)]
    owners = head[adult_head[rng.random(len(adult_head)) < noise.allowance_owner]]
    active = np.flatnonzero((ents.kind == "enterprise") & ents.active)
    if len(owners) and len(active):
        pick = rng.choice(active, size=min(len(owners), len(active)), replace=False)
        owners = owners[: len(pick)]
        ents.legal_rep[pick] = owners
    else:
        owners = owners[:0]
    drivers = head[adult_head[rng.random(len(adult_head)) < noise.allowance_vehicle]]
    return low, np.sort(owners), np.sort(drivers)
