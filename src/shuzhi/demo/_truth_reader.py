"""The demo city's truth as :func:`shuzhi.registry._evaluate.evaluate` reads it.

The generator (:mod:`shuzhi.demo.city`) writes ``truth/records.parquet`` (resource, row, line, key,
person_id, entity_id: who every source record is about) and ``truth/persons.parquet`` (with
``twin_of``); the manifest names both. Only the demo and the benchmarks read them: no pipeline step
(and nothing in :mod:`shuzhi.registry`) does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from shuzhi import errors

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["city_truth", "city_twins"]


def _truth_file(city: Path, name: str) -> Path:
    manifest = city / "manifest.json"
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["truth"]
        path = city / str(files[name])
    except (OSError, ValueError, KeyError, TypeError):
        raise errors.DataError(
            f"合成城市清单中没有真值文件 {name} / the city's manifest names no truth file {name!r}",
            file=str(manifest),
        ) from None
    if not path.is_file():
        raise errors.NotFound("真值文件 / truth file", str(path))
    return path


def city_truth(city: str | Path, entity: Literal["person", "legal_entity"] = "person") -> pa.Table:
    """``resource, key, true_id`` for every source record of the generated city in ``city`` that is
    about a person (``entity="person"``) or a legal entity (``"legal_entity"``)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    column = "person_id" if entity == "person" else "entity_id"
    t = pq.read_table(_truth_file(Path(city), "records"), columns=["resource", "key", column])
    t = t.filter(pc.is_valid(t.column(column)))
    return t.rename_columns(["resource", "key", "true_id"])


def city_twins(city: str | Path) -> pa.Table:
    """The pairs of twins (``person_id, twin_of``) of the generated city in ``city``: two people
    whom no registry may merge."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(_truth_file(Path(city), "persons"), columns=["person_id", "twin_of"])
    return t.filter(pc.is_valid(t.column("twin_of")))
