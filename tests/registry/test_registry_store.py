"""The registry's own tables, on SQLite and PostgreSQL; the pair budget; concurrent builds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from _people import crosswalk_of, make_city

from shuzhi.errors import Conflict
from shuzhi.registry import BudgetExceeded, EntityKind, build, stats
from shuzhi.registry._build import _lock
from shuzhi.store import RegistryEvent, RegistryIdentifier, RegistryRun
from shuzhi.workspace import Workspace


def test_identifiers_and_history_on_either_database(tmp_path: Path, store_url: str) -> None:
    ws = Workspace.init(tmp_path / "city", store_url=None if store_url.startswith("sqlite") else store_url)
    try:
        city = make_city(seed=4, background=8)
        first = build(ws, sources=city.write(tmp_path / "a", ["GA-HJ", "MZ-DB"]))
        second = build(ws, sources=city.write(tmp_path / "b"))
        assert second.merged_ids == 1  # the bridge
        before, after = crosswalk_of(first), crosswalk_of(second)
        with ws.session() as s:
            ids = {r.registry_id: r for r in s.scalars(sa.select(RegistryIdentifier))}
            events = s.scalars(sa.select(RegistryEvent)).all()
            runs = s.scalars(sa.select(RegistryRun).order_by(RegistryRun.id)).all()
            assert [r.status for r in runs] == ["succeeded", "succeeded"]
            assert runs[1].finished_at is not None and runs[1].finished_at.tzinfo is not None
            merged = [r for r in ids.values() if r.status == "merged"]
            assert len(merged) == 1 and merged[0].merged_into in set(after.values())
            assert {e.action for e in events} == {"merged", "absorbed"}
            assert len(ids) == len(set(before.values()) | set(after.values()))
        assert stats(ws)["identifiers"] == {"active": second.clusters, "merged": 1}
    finally:
        ws.close()


def test_a_run_over_the_budget_is_refused_before_scoring(tmp_path: Path) -> None:
    city = make_city(seed=2, background=12)
    for r in city.rows["WJ-YM"]:  # a department that wrote one placeholder date and phone for all
        r["birthday"] = dt.date(1900, 1, 1)
        r["mobile"] = "13800000000"
    sources = city.write(tmp_path / "data")
    Workspace.init(tmp_path / "city").close()
    with Workspace.open(tmp_path / "city", env={"SHUZHI_REGISTRY_MAX_COMPARISONS": "100"}) as ws:
        assert ws.config.registry.max_comparisons == 100
        with pytest.raises(BudgetExceeded) as err:
            build(ws, sources=sources)
        worst = max(err.value.counts, key=lambda c: c.pairs)
        n = len(city.rows["WJ-YM"])
        assert worst.columns == ("dob", "phone") and worst.largest_block == n
        assert worst.pairs >= n * (n - 1) // 2
        message = err.value.message
        assert "比对对数超出预算" in message and "max_comparisons" in message
        assert "出生日期+电话" in message and f"largest block {n} (1900-01-01 + 13800000000)" in message
        assert err.value.status == 409 and err.value.code == "budget_exceeded"
        with ws.session() as s:
            (run,) = s.scalars(sa.select(RegistryRun)).all()
            assert run.status == "refused" and run.error is not None and "max_comparisons" in run.error
            assert s.scalar(sa.select(sa.func.count()).select_from(RegistryIdentifier)) == 0
        assert not list((ws.warehouse / "_registry" / "person").glob("run-*"))


def test_a_second_build_of_the_same_registry_is_refused(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "city") as ws, _lock(ws, EntityKind.person):
        with pytest.raises(Conflict, match="another build"):
            build(ws, sources=make_city(background=2).write(tmp_path / "data", ["GA-HJ"]))


@pytest.mark.parametrize(
    ("entity", "command"),
    [("person", "shuzhi registry build"), ("legal_entity", "shuzhi registry build --entity legal_entity")],
)
def test_a_registry_not_built_names_the_command_that_builds_it(
    tmp_path: Path, entity: str, command: str
) -> None:
    """The 法人库's hint said `shuzhi registry build`, which builds the 人口库 only."""
    from shuzhi.errors import NotFound

    with Workspace.init(tmp_path / "ws") as ws, pytest.raises(NotFound) as e:
        stats(ws, entity=entity)
    assert f"请先运行 `{command}`" in str(e.value) and f"run `{command}`" in str(e.value)
