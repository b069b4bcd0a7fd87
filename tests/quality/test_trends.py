"""Scores over time, on the sample city (examples/sample-city) loaded through ingestion: a
resource's score over its versions and a department's history — in Python, ``shuzhi quality``,
``/api/v1/quality`` and the HTML report.

户籍人口信息 (JC-GA-HJRK) gets a gate of ``min_score: 99.5``: its March file scores 99.8 and is
published (v1); the April corrections, loaded as an upsert onto it, quarantine one of their seven
rows, score 99.3 and are held back (v2) — until someone publishes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _qhelpers import ingest_sample, sample_city
from typer.testing import CliRunner

from shuzhi.catalog import restore, retire
from shuzhi.cli import app
from shuzhi.errors import NotFound
from shuzhi.ingest import publish_version
from shuzhi.quality import department_history, department_scorecard, latest_run, report_html, trend_points
from shuzhi.web import create_app
from shuzhi.web._app import API_PREFIX
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


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The same, shared by the tests that only read it."""
    ws = _gated(tmp_path_factory.mktemp("trends") / "city")
    yield ws
    ws.close()


def cli(ws: Workspace, *args: str) -> str:
    result = CliRunner().invoke(app, ["quality", *args, "--workspace", str(ws.path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def table_rows(out: str, title: str) -> list[list[str]]:
    """The body rows of the Rich table titled ``title`` in ``out``, as lists of cell texts."""
    lines = out[out.index(title) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("┡")) + 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("│"):
            break
        rows.append([c.strip() for c in line.strip("│").split("│")])
    return rows


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


def test_cli_shows_the_score_over_the_versions(city: Workspace) -> None:
    v1, v2 = latest_run(city, HJRK, 1).score, latest_run(city, HJRK, 2).score
    assert v1 is not None and v2 is not None
    out = cli(city, HJRK)
    # the scorecard of the current version, as before
    assert "户籍人口信息" in out and "六个维度" in out and "检查行数" in out
    rows = table_rows(out, "各版本得分")
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("v1", f"{v1:.1f}", "优", "当前版本"),
        ("v2", f"{v2:.1f}", "优", "未发布"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d.*", r[1]) for r in rows)  # when loaded
    assert re.search(r"趋势 [▁-█]{2}  \(99\.3–99\.8\)", out)
    assert out.index("各版本得分") < out.index("六个维度")

    english = cli(city, HJRK, "--lang", "en")
    rows = table_rows(english, "score by version")
    assert [(r[0], r[4]) for r in rows] == [("v1", "current"), ("v2", "held")]

    data = json.loads(cli(city, HJRK, "--json"))
    assert data["version"] == 1 and "rules" in data  # the scorecard's keys are kept
    assert [(t["version"], t["score"], t["status"]) for t in data["trend"]] == [
        (1, round(v1, 2), "current"),
        (2, round(v2, 2), "held"),
    ]
    assert "99.5" in data["trend"][1]["hold_reason"] and data["trend"][1]["status_label"] == "未发布"
    assert data["trend"][0]["loaded_at"] < data["trend"][1]["loaded_at"]
    # the held version's own scorecard shows the same trend
    assert json.loads(cli(city, HJRK, "--version", "2", "--json"))["trend"] == data["trend"]


def test_cli_shows_a_departments_history(city: Workspace) -> None:
    score = latest_run(city, HJRK, 1).score
    assert score is not None
    out = cli(city, "--department", "JC-GA")
    assert "晋城市公安局" in out and "JC-GA-HJRK" in out  # the scorecard, as before
    rows = table_rows(out, "得分历史")
    assert [(r[1], r[2], r[3]) for r in rows] == [(f"{score:.1f}", "优", ""), (f"{score:.1f}", "优", "±0.0")]
    data = json.loads(cli(city, "--department", "JC-GA", "--json"))
    assert [d["code"] for d in data] == ["JC-GA"] and data[0]["resources"][0]["resource"] == HJRK
    assert [h["score"] for h in data[0]["history"]] == [round(score, 2)] * 2
    assert data[0]["history"][0]["at"] <= data[0]["history"][1]["at"]
    assert "score history" in cli(city, "--department", "JC", "--lang", "en")
    # a department nothing of which is loaded yet, and the overview of all (as before: no history)
    assert "得分历史：尚无记录" in cli(city, "--department", "JC-MZ")
    assert "得分历史" not in cli(city) and "history" not in json.loads(cli(city, "--json"))[0]


def test_cli_history_follows_a_publication(gated: Workspace) -> None:
    publish_version(gated, HJRK, 2, reason="核实无误", by="质量科")
    v2 = latest_run(gated, HJRK, 2).score
    assert v2 is not None
    rows = table_rows(cli(gated, "--department", "JC-GA"), "得分历史")
    assert len(rows) == 3 and rows[-1][1] == f"{v2:.1f}" and rows[-1][3] == "-0.5"
    rows = table_rows(cli(gated, HJRK), "各版本得分")
    assert [(r[0], r[4]) for r in rows] == [("v1", "已发布"), ("v2", "当前版本")]


async def _client(ws: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(ws), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        yield c


@pytest.mark.anyio
async def test_api_gives_the_trend_and_the_history(city: Workspace) -> None:
    v1, v2 = latest_run(city, HJRK, 1).score, latest_run(city, HJRK, 2).score
    assert v1 is not None and v2 is not None
    async for c in _client(city):
        body = (await c.get(f"{API_PREFIX}/quality/resources/{HJRK}")).json()
        assert body["version"] == 1 and body["rules"]  # the current version's scorecard
        trend = body["trend"]
        assert [(t["version"], t["score"], t["status"]) for t in trend] == [
            (1, round(v1, 2), "current"),
            (2, round(v2, 2), "held"),
        ]
        assert trend[1]["status_label"] == "未发布" and "99.5" in trend[1]["hold_reason"]
        assert trend[0]["loaded_at"] < trend[1]["loaded_at"] and trend[0]["level"] == "优"
        en = (await c.get(f"{API_PREFIX}/quality/resources/{HJRK}", params={"lang": "en"})).json()
        assert [t["status_label"] for t in en["trend"]] == ["current", "held"]
        # the latest load held back, said beside the current scorecard (the report's banner)
        assert body["held"]["version"] == 2 and "99.5" in body["held"]["hold_reason"]
        assert "门槛" in body["held"]["hold_reason"] and "threshold" not in body["held"]["hold_reason"]
        assert en["held"]["version"] == 2 and "门槛" not in en["held"]["hold_reason"]

        dept = (await c.get(f"{API_PREFIX}/quality/departments/JC-GA")).json()
        assert dept["resources"][0]["resource"] == HJRK  # the scorecard, as before
        assert [(h["score"], h["level"]) for h in dept["history"]] == [(round(v1, 2), "优")] * 2
        assert [(h["resource"], h["version"]) for h in dept["held"]] == [(HJRK, 2)]
        city_gov = (await c.get(f"{API_PREFIX}/quality/departments/JC", params={"lang": "en"})).json()
        assert [h["level"] for h in city_gov["history"]] == ["excellent"] * 2
        assert (await c.get(f"{API_PREFIX}/quality/departments/JC-MZ")).json()["history"] == []
        r = await c.get(f"{API_PREFIX}/quality/departments/NOPE")
        assert r.status_code == 404 and r.json()["error"] == "部门 / department not found: NOPE"

        spec = (await c.get("/openapi.json")).json()
        schemas = spec["components"]["schemas"]
        for model, field in (("TrendPoint", "status"), ("DepartmentQualityPublic", "history")):
            text = schemas[model]["properties"][field]["description"]
            assert re.search(r"[一-龥]", text) and re.search(r"[a-z]{4}", text), (model, field, text)
        route = spec["paths"][f"{API_PREFIX}/quality/departments/{{code}}"]["get"]
        assert "历史" in route["summary"] and "history" in route["summary"]


def report_data(page: str) -> dict[str, Any]:
    found = re.search(r"const DATA = (\{.*?\});\s*var LEVEL_COLOR", page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_report_draws_each_departments_history(city: Workspace, tmp_path: Path) -> None:
    score = latest_run(city, HJRK, 1).score
    assert score is not None
    out = tmp_path / "报告.html"
    cli(city, "report", "-o", str(out))
    page = out.read_text(encoding="utf-8")
    data = report_data(page)
    depts = {d["code"]: d for d in data["departments"]}
    assert list(depts) == ["JC-GA", "JC-MZ", "JC-SJ", "JC-WJ"]  # those that provide a resource
    assert depts["JC-GA"]["name"] == "晋城市公安局"
    assert depts["JC-GA"]["scores"] == [round(score, 1)] * 2  # one point per load
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", t) for t in depts["JC-GA"]["times"])
    assert depts["JC-MZ"]["times"] == depts["JC-MZ"]["scores"] == []  # nothing loaded yet
    # a chart per department, before its resources' sections
    assert page.count('<div class="chart wide" id="dept') == 4
    assert page.index('id="dept0"') < page.index('id="radar0"')
    assert "得分历史：2 次记录" in page and "得分历史：0 次记录" in page
    assert "DATA.departments.forEach" in page

    # the city government's own report: its history moves with its bureaus'
    only = report_data(report_html(city, department="JC"))
    assert [(d["code"], len(d["scores"])) for d in only["departments"]] == [("JC", 2)]


def test_report_history_follows_a_publication(gated: Workspace) -> None:
    publish_version(gated, HJRK, 2, reason="核实无误", by="质量科")
    v1, v2 = latest_run(gated, HJRK, 1).score, latest_run(gated, HJRK, 2).score
    assert v1 is not None and v2 is not None
    data = report_data(report_html(gated, department="JC-GA"))
    assert data["departments"][0]["scores"] == [round(v1, 1), round(v1, 1), round(v2, 1)]
    assert data["resources"][0]["versions"] == ["v1", "v2"]


def test_report_overview_counts_each_resource_once(tmp_path: Path) -> None:
    """A department's scorecard includes the departments under it (the demo city's 交警支队 under
    公安局): the overview counted a resource once under its department and again under each
    department above it that has resources of its own."""
    from shuzhi.catalog import CatalogFile, declare
    from shuzhi.quality import departments_overview

    ws = sample_city(tmp_path / "ws")
    try:
        from _qhelpers import EXAMPLE

        from shuzhi._yaml import load_model

        doc = load_model(CatalogFile, EXAMPLE / "catalog.yaml").model_dump(mode="json", exclude_defaults=True)
        for d in doc["departments"]:
            if d["code"] == "JC-WJ":
                d["parent"] = "JC-GA"  # the health commission under the police, for the test
        declare(ws, CatalogFile.model_validate(doc), by="test")
        ingest_sample(ws, "ga_hjrk_2024-03.csv")
        ingest_sample(ws, "wj_jkda.csv")
        depts = departments_overview(ws)
        runs = {r.resource: r for d in depts for r in d.resources}
        assert len(runs) == 2 and sum(len(d.resources) for d in depts) == 3  # JC-GA holds JC-WJ's
        page = report_html(ws)
        assert '<div class="k">已评估资源</div><div class="v">2</div>' in page
        failing = sum(r.rules_failed for r in runs.values())
        assert f'<div class="k">未通过的规则</div><div class="v">{failing}</div>' in page
    finally:
        ws.close()


def test_report_into_a_missing_folder_is_a_clear_error(city: Workspace, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["quality", "report", "-o", str(tmp_path / "无此目录" / "r.html"), "-w", str(city.path)]
    )
    assert result.exit_code != 0
    assert "无法写入报告文件" in str(result.exception) and "folder must exist" in str(result.exception)


def test_department_table_says_when_the_latest_load_is_held(gated: Workspace) -> None:
    """The department's table showed nothing while the latest load was held back, and listed the
    version published by hand under 未发布原因; its gate column now says both as they are."""
    out = " ".join(cli(gated, "--department", "JC-GA").split())
    assert "质量门槛" in out and "未发布原因" not in out
    assert "最新加载的 v2 未发布" in out
    en = " ".join(cli(gated, "--department", "JC-GA", "--lang", "en").split())
    assert "the latest load, v2, is held" in en
    publish_version(gated, HJRK, 2, reason="核实无误", by="质量科")
    out = " ".join(cli(gated, "--department", "JC-GA").split())
    assert "最新加载的" not in out and "已由 质量科 发布" in out


def test_nothing_evaluated_yet_is_said(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "empty")
    try:
        assert "尚无评估结果" in cli(ws)
    finally:
        ws.close()
