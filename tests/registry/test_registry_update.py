"""Incremental update: only new and changed records are compared, only the persons they touch are
clustered again, and the result agrees with a full re-run."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from _people import City, crosswalk_of, make_city

from shuzhi.registry import RunSummary, build, lookup, run_table, stats, update
from shuzhi.registry._parts import MAX_PARTS, PARTS_FILE
from shuzhi.registry._standardise import STANDARDISE_VERSION
from shuzhi.store import RegistryRun
from shuzhi.workspace import Workspace


@dataclass
class Updated:
    city: City
    first: RunSummary  # update() without a previous run: a full build
    same: RunSummary  # update() of an unchanged source
    changed: RunSummary  # update() after a new version of 低保
    full: RunSummary  # build() of the same data in a copy of the workspace
    ws: Workspace


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Updated]:
    root = tmp_path_factory.mktemp("update")
    ws = Workspace.init(root / "city")
    city = make_city(seed=9, background=30)
    sources = {s.code: s for s in city.write(root / "v1")}
    first = update(ws, sources=list(sources.values()))
    same = update(ws, sources=[sources["MZ-DB"]])
    # a new version of 低保: one record gone, one with a new phone, one new record of a known person
    rows = city.rows["MZ-DB"]
    rows.remove(next(r for r in rows if r["_pid"].startswith("p")))
    next(r for r in rows if r["_pid"].startswith("p"))["lxdh"] = "13911112222"
    person = city.people["moved"]
    rows.append(dict(rows[0], _pid="moved", ywbh="DB99999", sqrxm=person.name, sqrsfz=person.id_number))
    (new_low,) = city.write(root / "v2", ["MZ-DB"])
    changed = update(ws, sources=[new_low])
    ws.close()
    shutil.copytree(root / "city", root / "copy")
    with Workspace.open(root / "copy") as other:
        full = build(other, sources=[*[s for c, s in sources.items() if c != "MZ-DB"], new_low])
    result = Updated(city, first, same, changed, full, Workspace.open(root / "city"))
    yield result
    result.ws.close()


def _pairs(summary: RunSummary) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, rid in crosswalk_of(summary).items():
        groups.setdefault(rid, []).append(key)
    return {(a, b) for g in groups.values() for a, b in itertools.combinations(sorted(g), 2)}


def test_without_a_previous_run_it_builds(updated: Updated) -> None:
    assert any("no previous run" in n for n in updated.first.notes)
    assert updated.first.new_ids == updated.first.clusters


def test_an_unchanged_source_changes_nothing(updated: Updated) -> None:
    assert crosswalk_of(updated.same) == crosswalk_of(updated.first)
    assert updated.same.new_ids == 0 and updated.same.comparisons == 0
    assert "0 new or changed records" in updated.same.notes[-1]


def test_a_new_version_is_compared_alone_and_agrees_with_a_full_run(updated: Updated) -> None:
    assert "2 new or changed records" in updated.changed.notes[-1]
    assert _pairs(updated.changed) == _pairs(updated.full)
    assert crosswalk_of(updated.changed) == crosswalk_of(updated.full)  # same identifiers too
    # the new record joined the person it describes, under that person's identifier
    (rid,) = {v for (c, k), v in crosswalk_of(updated.changed).items() if (c, k) == ("MZ-DB", "DB99999")}
    assert rid == crosswalk_of(updated.first)[("GA-HJ", updated.city.people["moved"].id_number)]
    # identifiers of everybody else are unchanged
    before, after = crosswalk_of(updated.first), crosswalk_of(updated.changed)
    assert all(after[k] == v for k, v in before.items() if k in after)


def test_runs_record_their_mode(updated: Updated) -> None:
    with updated.ws.session() as s:
        modes = [r.mode for r in s.scalars(sa.select(RegistryRun).order_by(RegistryRun.id))]
    assert modes == ["full", "incremental", "incremental"]


def _table(summary: RunSummary, name: str, order: str) -> list[dict[str, object]]:
    return (
        duckdb.sql(f"SELECT * FROM {run_table(summary.folder, name)} ORDER BY {order}")
        .to_arrow_table()
        .to_pylist()
    )


def test_an_update_writes_only_the_touched_persons(updated: Updated) -> None:
    folder = Path(updated.changed.folder)
    manifest = json.loads((folder / PARTS_FILE).read_text(encoding="utf-8"))
    records = manifest["tables"]["records"]
    # the full run's file, linked under that run's name: no whole-looking records.parquet here
    first = Path(updated.same.folder)  # an update of the full run: its first part is that run's
    assert records[0]["file"] == json.loads((first / PARTS_FILE).read_text())["tables"]["records"][0]["file"]
    assert records[0]["file"].startswith("records.run-") and not (folder / "records.parquet").exists()
    assert os.stat(folder / records[0]["file"]).st_nlink >= 3
    assert updated.changed.inherited_ids == updated.changed.clusters - updated.changed.new_ids
    new_part = pq.read_table(folder / records[-1]["file"])
    # the new part holds the records of the persons the update touched, not the whole registry
    assert 0 < new_part.num_rows < updated.changed.records / 3
    # read through the parts, the tables are a full run's
    assert len(_table(updated.changed, "records", "src, rec_key")) == updated.full.records
    golden = _table(updated.changed, "golden", "registry_id")
    assert golden == _table(updated.full, "golden", "registry_id")
    assert _table(updated.changed, "conflicts", "registry_id, kind") == _table(
        updated.full, "conflicts", "registry_id, kind"
    )
    assert updated.changed.clusters == updated.full.clusters
    assert updated.changed.candidate_pairs == updated.full.candidate_pairs


def test_a_person_changed_by_an_update_is_looked_up_through_the_parts(updated: Updated) -> None:
    key = ("MZ-DB", "DB99999")
    rid = crosswalk_of(updated.changed)[key]
    (entry,) = lookup(updated.ws, rid)
    assert key in {(r["resource"], r["key"]) for r in entry.records}
    assert stats(updated.ws)["records"] == updated.changed.records


def test_a_chain_of_updates_is_compacted_and_agrees_with_a_full_run(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "city")
    city = make_city(seed=11, background=20)
    sources = {s.code: s for s in city.write(tmp_path / "v0")}
    with ws:
        build(ws, sources=list(sources.values()))
        people = [r for r in city.rows["MZ-DB"] if r["_pid"].startswith("p")]
        folders = []
        for i in range(MAX_PARTS):
            people[i]["lxdh"] = f"1391111{i:04d}"  # a new phone: the record changed
            (new_low,) = city.write(tmp_path / f"v{i + 1}", ["MZ-DB"])
            s = update(ws, sources=[new_low])
            folders.append(Path(s.folder))
        parts = [
            len(json.loads((f / PARTS_FILE).read_text())["tables"]["records"])
            if (f / PARTS_FILE).exists()
            else 1
            for f in folders
        ]
        assert parts == [*range(2, MAX_PARTS + 1), 1]  # one part more each time, then whole again
        assert not list(folders[-1].glob("*.drop.parquet"))
    shutil.copytree(tmp_path / "city", tmp_path / "copy")
    with Workspace.open(tmp_path / "copy") as other:
        full = build(other, sources=[*[s for c, s in sources.items() if c != "MZ-DB"], new_low])
    assert crosswalk_of(s) == crosswalk_of(full)
    for name, order in (("golden", "registry_id"), ("conflicts", "registry_id, kind")):
        assert _table(s, name, order) == _table(full, name, order)


def test_an_update_after_a_new_standardisation_is_a_full_build(tmp_path: Path) -> None:
    city = make_city(seed=5, background=10)
    sources = city.write(tmp_path / "v1")
    with Workspace.init(tmp_path / "city") as ws:
        first = build(ws, sources=sources)
        fmt = Path(first.folder) / "format.json"
        assert json.loads(fmt.read_text())["standardise"] == STANDARDISE_VERSION
        fmt.write_text(json.dumps({"standardise": STANDARDISE_VERSION - 1}))  # an older shuzhi's run
        again = update(ws, sources=sources)
    assert any("another version of shuzhi: a full build instead" in n for n in again.notes)
    assert not (Path(again.folder) / PARTS_FILE).exists()
    assert crosswalk_of(again) == crosswalk_of(first)  # nobody renumbered
