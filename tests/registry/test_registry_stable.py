"""Identifiers stay the same across runs; merges and splits are recorded with their reason."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from _people import City, crosswalk_of, make_city

from shuzhi.registry import RunSummary, build, lookup
from shuzhi.store import RegistryEvent, RegistryIdentifier, RegistryRun
from shuzhi.workspace import Workspace

#: a background person with a 低保 record and records elsewhere (seed 11); that record is rewritten
MOVED = "p003"


@dataclass
class Runs:
    ws: Workspace
    city: City
    first: RunSummary  # 户籍 + 低保
    again: RunSummary  # the same, 低保 rows reordered (a new version of one source)
    added: RunSummary  # + 疫苗 and 社保
    changed: RunSummary  # one 低保 record now describes somebody else


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("stable")
    ws = Workspace.init(root / "city")
    city = make_city(seed=11, background=40)
    first = build(ws, sources=city.write(root / "v1", ["GA-HJ", "MZ-DB"]))
    random.Random(3).shuffle(city.rows["MZ-DB"])
    again = build(ws, sources=city.write(root / "v2", ["GA-HJ", "MZ-DB"]))
    added = build(ws, sources=city.write(root / "v3"))
    row = next(r for r in city.rows["MZ-DB"] if r["_pid"] == MOVED)
    row.update(
        sqrxm="钱多多", sqrsfz="140581199912120028", lxdh="13900000000", jzdz="山西省晋城市高平市建设路9号"
    )
    changed = build(ws, sources=city.write(root / "v4"))
    yield Runs(ws, city, first, again, added, changed)
    ws.close()


def _person(runs: Runs, summary: RunSummary, pid: str) -> set[str]:
    cw = crosswalk_of(summary)
    return {cw[k] for k, p in runs.city.truth().items() if p == pid and k in cw}


def test_a_rerun_keeps_every_identifier(runs: Runs) -> None:
    assert crosswalk_of(runs.again) == crosswalk_of(runs.first)
    assert runs.again.new_ids == 0 and runs.again.inherited_ids == runs.first.clusters
    assert runs.again.merged_ids == runs.again.retired_ids == 0


def test_adding_sources_renumbers_nobody(runs: Runs) -> None:
    before, after = crosswalk_of(runs.first), crosswalk_of(runs.added)
    bridge_low = {k for k, p in runs.city.truth().items() if p == "bridge" and k[0] == "MZ-DB"}
    unchanged = {k: v for k, v in before.items() if k not in bridge_low}
    assert {k: after[k] for k in unchanged} == unchanged
    new = {after[k] for k in after if k not in before} - set(before.values())
    assert len(new) == runs.added.new_ids > 0
    top = max(before.values())
    assert all(rid > top for rid in new)  # never reused, always counted up


def test_a_bridging_record_merges_two_persons_with_a_reason(runs: Runs) -> None:
    (was_hj,) = _person(runs, runs.first, "bridge") & {
        crosswalk_of(runs.first)[k] for k, p in runs.city.truth().items() if p == "bridge" and k[0] == "GA-HJ"
    }
    assert len(_person(runs, runs.first, "bridge")) == 2  # 低保's record stood alone
    (merged,) = _person(runs, runs.first, "bridge") - {was_hj}
    assert _person(runs, runs.added, "bridge") == {was_hj}  # the smaller identifier lives on
    with runs.ws.session() as s:
        ident = s.get(RegistryIdentifier, merged)
        assert ident is not None and ident.status == "merged" and ident.merged_into == was_hj
        assert ident.ended_run == runs.added.run
        events = s.scalars(
            sa.select(RegistryEvent).where(RegistryEvent.run_id == runs.added.run).order_by(RegistryEvent.id)
        ).all()
    mine = {(e.registry_id, e.action, tuple(e.related), e.reason) for e in events}
    assert (merged, "merged", (was_hj,), "linked") in mine
    assert (was_hj, "absorbed", (merged,), "linked") in mine
    text = next(e.reason_text for e in events if e.registry_id == merged)
    assert "同一人" in text and "match probability" in text
    # looking up the merged identifier leads to the person it was merged into
    (entry,) = lookup(runs.ws, merged)
    assert entry.registry_id == was_hj and entry.redirected_from == merged
    assert any(h["action"] == "absorbed" for h in entry.history)


def test_a_record_that_changed_person_is_split_off(runs: Runs) -> None:
    (kept,) = _person(runs, runs.added, MOVED)
    ids = _person(runs, runs.changed, MOVED)  # the truth still says p000 for the rewritten row
    assert kept in ids and len(ids) == 2
    (other,) = ids - {kept}
    assert runs.changed.new_ids == 1
    with runs.ws.session() as s:
        events = s.scalars(sa.select(RegistryEvent).where(RegistryEvent.run_id == runs.changed.run)).all()
    assert [(e.registry_id, e.action, e.related, e.reason) for e in events] == [
        (kept, "split", [other], "unlinked")
    ]


def test_runs_are_recorded(runs: Runs) -> None:
    with runs.ws.session() as s:
        rows = s.scalars(sa.select(RegistryRun).order_by(RegistryRun.id)).all()
        assert [r.status for r in rows] == ["succeeded"] * 4
        assert [r.previous_run for r in rows] == [None, 1, 2, 3]
        assert rows[2].resources["WJ-YM"]["roles"]["id_number"] == "idno"
        assert rows[3].summary["new_ids"] == 1
        active = s.scalar(
            sa.select(sa.func.count())
            .select_from(RegistryIdentifier)
            .where(RegistryIdentifier.status == "active")
        )
    assert active == runs.changed.clusters
