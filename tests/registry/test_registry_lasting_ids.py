"""Identifiers outlast an absence of their records and a change of a content-keyed record.

* A run that would retire most of the registry (every resource loaded empty) is refused; let
  through, it retires them, and the next run with the records back gives every person the
  identifier they had (``revived``), also when the records were absent for more than one run.
* A record of a resource without a key (keyed by its content) whose phone changed keeps its
  person's identifier, in a full build and in an update; one rewritten into somebody else retires
  the identifier with a reason that says what may have happened.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from _people import SPECS, City, crosswalk_of, make_city

from shuzhi.catalog.spec import ResourceSpec
from shuzhi.registry import RegistrySource, RetireRefused, RunSummary, build, lookup, run_table, update
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


# -- a resource without a key ------------------------------------------------------------------

#: 低保 as a department without a record number sends it: records are keyed by their content
NO_KEY = ResourceSpec.model_validate(
    {
        **SPECS["MZ-DB"].model_dump(mode="json", exclude_none=True),
        "code": "MZ-NK",
        "fields": [
            {**f.model_dump(mode="json", exclude_none=True), "key": False} for f in SPECS["MZ-DB"].fields
        ],
    }
)


def _write_no_key(rows: list[dict[str, Any]], path: Path) -> RegistrySource:
    columns = {f.name: pa.array([r.get(f.name) for r in rows], type=pa.string()) for f in NO_KEY.fields}
    columns["_row"] = pa.array(range(len(rows)), type=pa.int64())
    pq.write_table(pa.table(columns), path)
    return RegistrySource(spec=NO_KEY, path=path, version=1)


@dataclass
class Rekeyed:
    first: RunSummary
    updated: RunSummary  # update() after the new version of MZ-NK
    built: RunSummary  # build() of the same, in a copy of the workspace
    ws: Workspace
    copy: Workspace
    changed: str  # the name of the person whose phone changed
    rewritten: str  # the name of the person whose record now describes somebody else


@pytest.fixture(scope="module")
def rekeyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rekeyed]:
    root = tmp_path_factory.mktemp("rekeyed")
    city = make_city(seed=9, background=30)
    (hj,) = city.write(root / "v1", ["GA-HJ"])
    in_hj = {r["_pid"] for r in city.rows["GA-HJ"]}
    rows = [dict(r) for r in city.rows["MZ-DB"]]
    # 欧阳明辉's 低保 record has no ID and another address: without 疫苗 a person of its own
    bridge = next(r for r in rows if r["_pid"] == "bridge")
    other = next(r for r in rows if r["_pid"] not in in_hj and r["_pid"].startswith("p"))
    with Workspace.init(root / "city") as ws:
        first = build(ws, sources=[hj, _write_no_key(rows, root / "v1" / "MZ-NK.parquet")])
    changed, rewritten = bridge["sqrxm"], other["sqrxm"]
    bridge["lxdh"] = "13911112222"
    other.update(
        sqrxm="钱多多", sqrsfz="140581199912120028", lxdh="13900000000", jzdz="山西省晋城市高平市建设路9号"
    )
    random.Random(1).shuffle(rows)
    (root / "v2").mkdir()
    new = _write_no_key(rows, root / "v2" / "MZ-NK.parquet")
    shutil.copytree(root / "city", root / "copy")
    ws = Workspace.open(root / "city")
    updated = update(ws, sources=[new])
    copy = Workspace.open(root / "copy")
    built = build(copy, sources=[hj, new])
    yield Rekeyed(first, updated, built, ws, copy, changed, rewritten)
    ws.close()
    copy.close()


def _ids_by_name(summary: RunSummary, name: str) -> dict[str, str]:
    rows = duckdb.sql(
        f"SELECT rec_key, registry_id FROM {run_table(summary.folder, 'records')} "
        f"WHERE src = 'MZ-NK' AND name_raw = '{name}'"
    ).fetchall()
    return {str(k): str(r) for k, r in rows}


@pytest.mark.parametrize("how", ["updated", "built"])
def test_a_changed_record_of_a_resource_without_a_key_keeps_its_identifier(
    rekeyed: Rekeyed, how: str
) -> None:
    run: RunSummary = getattr(rekeyed, how)
    ws = rekeyed.ws if how == "updated" else rekeyed.copy
    ((old_key, person),) = _ids_by_name(rekeyed.first, rekeyed.changed).items()
    ((new_key, now),) = _ids_by_name(run, rekeyed.changed).items()
    assert old_key != new_key and old_key.startswith("h:") and now == person
    with ws.session() as s:
        events = s.scalars(sa.select(RegistryEvent).where(RegistryEvent.run_id == run.run)).all()
        ident = s.get(RegistryIdentifier, person)
        assert ident is not None and ident.status == "active"
    (rekey,) = [e for e in events if e.action == "rekeyed"]
    assert (rekey.registry_id, rekey.reason) == (person, "content_changed")
    assert rekey.detail == {"resource": "MZ-NK", "old_key": old_key, "new_key": new_key}
    assert "沿用原标识" in rekey.reason_text and "identifier is kept" in rekey.reason_text
    # every other unchanged record kept its key and its identifier
    before, after = crosswalk_of(rekeyed.first), crosswalk_of(run)
    assert {k: after[k] for k in before if k in after} == {k: v for k, v in before.items() if k in after}


@pytest.mark.parametrize("how", ["updated", "built"])
def test_a_record_rewritten_into_somebody_else_retires_with_a_true_reason(rekeyed: Rekeyed, how: str) -> None:
    run: RunSummary = getattr(rekeyed, how)
    ws = rekeyed.ws if how == "updated" else rekeyed.copy
    ((_, person),) = _ids_by_name(rekeyed.first, rekeyed.rewritten).items()
    assert _ids_by_name(run, rekeyed.rewritten) == {}
    ((_, other),) = _ids_by_name(run, "钱多多").items()
    assert other != person
    assert run.retired_ids == 1 and run.new_ids == 1 and run.merged_ids == 0
    with ws.session() as s:
        (event,) = s.scalars(sa.select(RegistryEvent).where(RegistryEvent.registry_id == person)).all()
    assert (event.action, event.reason, event.run_id) == ("retired", "content_removed", run.run)
    assert "无主键" in event.reason_text and "without a key" in event.reason_text


@pytest.mark.parametrize("how", ["build", "update"])
def test_a_decision_follows_a_record_of_a_resource_without_a_key_when_it_changes(
    tmp_path: Path, how: str
) -> None:
    """A clerk decided that a 低保 record (a resource without a key: keyed by its content) is the
    same person as a household record; the record's phone then changed, which changes its key. The
    decision was lost — the two fell apart again; now it follows the record in an update and in a
    full build, and is stored under its new key so that it binds the runs after too."""
    from shuzhi.registry import decide_pair, review_queue

    city = make_city(seed=9, background=30)
    (hj,) = city.write(tmp_path / "v1", ["GA-HJ"])
    rows = [dict(r) for r in city.rows["MZ-DB"]]
    bridge = next(r for r in rows if r["_pid"] == "bridge")
    hj_key = next(k for k, p in city.truth().items() if p == "bridge" and k[0] == "GA-HJ")
    with Workspace.init(tmp_path / "city") as ws:
        first = build(ws, sources=[hj, _write_no_key(rows, tmp_path / "v1" / "MZ-NK.parquet")])
        ((nk_key, nk_id),) = _ids_by_name(first, bridge["sqrxm"]).items()
        assert nk_id != crosswalk_of(first)[hj_key]  # the model keeps them apart
        decide_pair(ws, ("MZ-NK", nk_key), hj_key, "same", by="复核员")
        bridge["lxdh"] = "13911112222"
        (tmp_path / "v2").mkdir()
        new = _write_no_key(rows, tmp_path / "v2" / "MZ-NK.parquet")
        # the decision read through the successor, by a full build or an update …
        updated = build(ws, sources=[hj, new]) if how == "build" else update(ws, sources=[new])
        ((new_key, now),) = _ids_by_name(updated, bridge["sqrxm"]).items()
        assert new_key != nk_key and now == crosswalk_of(updated)[hj_key]
        (decision,) = review_queue(ws, status="same")  # … and stored under the new key
        assert {
            (decision.left["resource"], decision.left["key"]),
            (decision.right["resource"], decision.right["key"]),
        } == {("MZ-NK", new_key), hj_key}
        again = build(ws, sources=[hj, new])  # a build after it: the decision still binds
        assert _ids_by_name(again, bridge["sqrxm"]) == {new_key: crosswalk_of(again)[hj_key]}
