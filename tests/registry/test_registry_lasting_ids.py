"""Identifiers outlast a run that would lose most of them.

* A run that would retire most of the registry (every resource loaded empty) is refused; let
  through, it retires them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from _people import City, make_city

from shuzhi.registry import RetireRefused, RunSummary, build
from shuzhi.store import RegistryRun
from shuzhi.workspace import Workspace

# -- records absent for a while ----------------------------------------------------------------


@dataclass
class Absent:
    ws: Workspace
    first: RunSummary  # the four resources
    refused: RetireRefused  # every resource empty: refused
    emptied: RunSummary  # the same, let through


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
    yield Absent(ws, first, refused.value, emptied)
    ws.close()


def test_a_run_retiring_most_of_the_registry_is_refused(absent: Absent) -> None:
    e = absent.refused
    assert e.retired == e.before == absent.first.clusters
    assert "--allow-retire" in e.message and "已拒绝" in e.message
    assert f"GA-HJ {absent.first.resources['GA-HJ']} → 0" in e.message
    with absent.ws.session() as s:
        runs = s.scalars(sa.select(RegistryRun).order_by(RegistryRun.id)).all()
        assert [r.status for r in runs] == ["succeeded", "refused", "succeeded"]
        assert runs[1].error == e.message and runs[1].path is None
    # nothing changed: the next run inherited from the first
    assert runs[2].previous_run == absent.first.run
    assert absent.emptied.retired_ids == absent.first.clusters and absent.emptied.clusters == 0
