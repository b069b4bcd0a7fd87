"""Scores over time, on the sample city (examples/sample-city) loaded through ingestion: a
resource's score over its versions and a department's history — in Python, ``shuzhi quality``,
``/api/v1/quality`` and the HTML report.

户籍人口信息 (JC-GA-HJRK) gets a gate of ``min_score: 99.5``: its March file scores 99.8 and is
published (v1); the April corrections, loaded as an upsert onto it, quarantine one of their seven
rows, score 99.3 and are held back (v2) — until someone publishes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _qhelpers import ingest_sample, sample_city

from shuzhi.catalog import restore, retire
from shuzhi.errors import NotFound
from shuzhi.ingest import publish_version
from shuzhi.quality import department_history, department_scorecard, latest_run, trend_points
from shuzhi.workspace import Workspace

HJRK = "JC-GA-HJRK"
GATE = {HJRK: {"min_score": 99.5}}


def _gated(root: Path) -> Workspace:
    ws = sample_city(root, quality=GATE)
    first = ingest_sample(ws, "ga_hjrk_2024-03.csv")
    assert (first.version, first.quality_status) == (1, "passed")
    second = ingest_sample(ws, "ga_hjrk_corrections_2024-04.csv")
    assert (second.version, second.quality_status) == (2, "held"), second.hold_reason
    return ws


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[Workspace]:
    """The sample city with 户籍人口信息 v1 current and v2 held (a test may change it)."""
    ws = _gated(tmp_path / "city")
    yield ws
    ws.close()


def test_department_history_has_one_point_per_change(gated: Workspace) -> None:
    v1, v2 = latest_run(gated, HJRK, 1), latest_run(gated, HJRK, 2)
    assert v1.score is not None and v2.score is not None and v2.score < 99.5 < v1.score
    # one point per load; the held v2 does not count, so the score stays v1's
    assert [s for _, s in department_history(gated, "JC-GA")] == pytest.approx([v1.score, v1.score])
    # the city government (JC) above the bureau moves with it
    assert len(department_history(gated, "JC")) == 2
    assert department_history(gated, "JC-MZ") == []  # nothing of it loaded yet

    publish_version(gated, HJRK, 2, reason="核实无误", by="质量科")
    history = department_history(gated, "JC-GA")
    assert [s for _, s in history] == pytest.approx([v1.score, v1.score, v2.score])
    assert history[-1][1] == pytest.approx(department_scorecard(gated, "JC-GA").score)
    assert len(department_history(gated, "JC")) == 3
    times = [t for t, _ in history]
    assert times == sorted(times)

    retire(gated, HJRK, reason="停用")  # the bureau has no other resource: no score
    assert department_history(gated, "JC-GA")[-1][1] is None
    restore(gated, HJRK)
    assert department_history(gated, "JC-GA")[-1][1] == pytest.approx(v2.score)
    assert len(department_history(gated, "JC-GA")) == 5

    with pytest.raises(NotFound):
        department_history(gated, "NOPE")


def test_trend_points_say_which_version_is_current_published_or_held(gated: Workspace) -> None:
    points = trend_points(gated, HJRK)
    assert [(p.version, p.status) for p in points] == [(1, "current"), (2, "held")]
    assert points[0].score == pytest.approx(latest_run(gated, HJRK, 1).score)
    assert points[1].score == pytest.approx(latest_run(gated, HJRK, 2).score)
    assert points[1].hold_reason is not None and "99.5" in points[1].hold_reason
    assert points[0].loaded_at is not None and points[1].loaded_at is not None
    assert points[0].loaded_at < points[1].loaded_at
    assert points[1].status_label() == "未发布" and points[1].status_label("en") == "held"

    publish_version(gated, HJRK, 2, reason="核实无误", by="质量科")
    points = trend_points(gated, HJRK)
    assert [(p.version, p.status) for p in points] == [(1, "published"), (2, "current")]
    assert points[1].hold_reason is not None  # published all the same: why it had been held stays
