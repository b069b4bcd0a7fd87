"""Identifiers outlast an absence of their records.

* A run that would retire most of the registry (every resource loaded empty) is refused; let
  through, it retires them, and the next run with the records back gives every person the
  identifier they had (``revived``), also when the records were absent for more than one run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from _people import City, crosswalk_of, make_city

from shuzhi.registry import RetireRefused, RunSummary, build, lookup
from shuzhi.registry._identity import DEPARTED_FILE, load_departed
from shuzhi.registry._spec import EntityKind
from shuzhi.store import RegistryEvent, RegistryIdentifier, RegistryRun
from shuzhi.workspace import Workspace

# -- records absent for a while ----------------------------------------------------------------


@dataclass
class Absent:
    ws: Workspace
    first: RunSummary  # the four resources
    refused: RetireRefused  # every resource empty: refused
    emptied: RunSummary  # the same, let through
    still: RunSummary  # still empty: nothing to retire, the memory carried on
    back: RunSummary  # the four resources again


@pytest.fixture(scope="module")
def absent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Absent]:
    root = tmp_path_factory.mktemp("absent")
    ws = Workspace.init(root / "city")
    city = make_city(seed=13, background=25)
    full = city.write(root / "v1")
    empty = City().write(root / "empty")  # a version of every resource without a row
    first = build(ws, sources=full)
    with pytest.raises(RetireRefused) as refused:
        build(ws, sources=empty)
    emptied = build(ws, sources=empty, allow_retire=True)
    still = build(ws, sources=empty)
    back = build(ws, sources=full)
    yield Absent(ws, first, refused.value, emptied, still, back)
    ws.close()


def test_a_run_retiring_most_of_the_registry_is_refused(absent: Absent) -> None:
    e = absent.refused
    assert e.retired == e.before == absent.first.clusters
    assert "--allow-retire" in e.message and "已拒绝" in e.message
    assert f"GA-HJ {absent.first.resources['GA-HJ']} → 0" in e.message
    with absent.ws.session() as s:
        runs = s.scalars(sa.select(RegistryRun).order_by(RegistryRun.id)).all()
        assert [r.status for r in runs] == ["succeeded", "refused", "succeeded", "succeeded", "succeeded"]
        assert runs[1].error == e.message and runs[1].path is None
    # nothing changed: the next run inherited from the first
    assert runs[2].previous_run == absent.first.run
    assert absent.emptied.retired_ids == absent.first.clusters and absent.emptied.clusters == 0


def test_identifiers_come_back_with_their_records(absent: Absent) -> None:
    assert absent.still.retired_ids == 0
    assert crosswalk_of(absent.back) == crosswalk_of(absent.first)
    assert absent.back.new_ids == 0 and absent.back.inherited_ids == 0
    assert absent.back.revived_ids == absent.first.clusters
    ids = set(crosswalk_of(absent.first).values())
    with absent.ws.session() as s:
        states = s.execute(
            sa.select(RegistryIdentifier.status, RegistryIdentifier.ended_run).where(
                RegistryIdentifier.registry_id.in_(ids)
            )
        ).all()
        assert set(states) == {("active", None)}
        events = s.scalars(sa.select(RegistryEvent).where(RegistryEvent.run_id == absent.back.run)).all()
    assert {e.registry_id for e in events} == ids
    assert {(e.action, e.reason) for e in events} == {("revived", "records_returned")}
    assert all(e.detail["last_run"] == absent.first.run for e in events)
    some = sorted(ids)[0]
    (entry,) = lookup(absent.ws, some)
    assert entry.status == "active" and entry.golden
    assert [h["action"] for h in entry.history] == ["retired", "revived"]
    assert "恢复原标识" in entry.history[-1]["reason_text"]


def test_a_run_made_before_departed_records_were_kept_is_read_from_the_earlier_runs(
    absent: Absent, tmp_path: Path
) -> None:
    """The memory of a run without ``departed.parquet`` (made by an earlier release) is found in
    the records of the runs before it."""
    folder = Path(absent.still.folder)
    kept = duckdb.sql(f"SELECT * FROM read_parquet('{folder / DEPARTED_FILE}') ORDER BY ALL").fetchall()
    assert len(kept) == absent.first.records
    shutil.move(folder / DEPARTED_FILE, tmp_path / DEPARTED_FILE)
    try:
        with absent.ws.session() as s:
            still = s.get(RegistryRun, absent.still.run)
            assert still is not None
            s.expunge(still)
        con = duckdb.connect()
        load_departed(absent.ws, con, EntityKind.person, still)
        assert con.execute("SELECT * FROM mem ORDER BY ALL").fetchall() == kept
    finally:
        shutil.move(tmp_path / DEPARTED_FILE, folder / DEPARTED_FILE)
