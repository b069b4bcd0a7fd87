"""The adapters over the quality functions: ``shuzhi quality`` (CLI), ``/api/v1/quality`` (HTTP) and
the HTML report."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from _qhelpers import DBDX_V1, HJRK_V1, HJRK_V2, write_version
from typer.testing import CliRunner

from shuzhi.cli import app
from shuzhi.engine import DuckDBEngine
from shuzhi.quality import echarts_js, evaluate, report_html
from shuzhi.web import create_app
from shuzhi.web._app import API_PREFIX
from shuzhi.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def evaluated(hjrk: Workspace, duck: DuckDBEngine) -> Workspace:
    """户籍人口 v1 and v2 (current) and 低保对象 v1, all evaluated."""
    evaluate(hjrk, "JC-GA-HJRK", 1, engine=duck)
    write_version(hjrk, "JC-GA-HJRK", 2, HJRK_V2)
    evaluate(hjrk, "JC-GA-HJRK", 2, engine=duck)
    write_version(hjrk, "JC-MZ-DBDX", 1, DBDX_V1)
    evaluate(hjrk, "JC-MZ-DBDX", engine=duck)
    return hjrk


def cli(ws: Workspace, *args: str) -> str:
    result = runner.invoke(app, ["quality", *args, "--workspace", str(ws.path)], env={"COLUMNS": "220"})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_cli_scorecard_of_a_resource(evaluated: Workspace) -> None:
    out = cli(evaluated, "JC-MZ-DBDX")
    assert "低保对象" in out and "v1" in out
    for label in ("规范性", "完整性", "准确性", "一致性", "时效性", "可访问性"):
        assert label in out
    # the other resource's field by its label too
    assert "“公民身份号码”均存在于 JC-GA-HJRK 的“公民身份号码”" in out
    assert "140502********" in out  # samples masked
    # sampled values by the fields' labels, with the row they are on
    assert re.search(r"第\d+行：公民身份号码=140502\*+", out) and "id_number=" not in out
    assert "14050219800101002" not in out

    data = json.loads(cli(evaluated, "JC-GA-HJRK", "--version", "1", "--json"))
    assert data["version"] == 1 and data["level"] in "优良中差劣"
    unique = next(r for r in data["rules"] if r["rule_id"] == "unique:id_number")
    assert (unique["checked"], unique["failing"]) == (9, 2)
    english = cli(evaluated, "JC-GA-HJRK", "--lang", "en")
    assert re.search(r"row \d+: id_number=", cli(evaluated, "JC-MZ-DBDX", "--lang", "en"))
    assert "conformity" in english and "the six dimensions" in english


def test_cli_trend_lists_the_last_versions_and_draws_all(hjrk: Workspace, duck: DuckDBEngine) -> None:
    """Seven versions, alternating the planted problems (v1, v3 …) and their fixes (v2, v4 …)."""
    for n in range(1, 8):
        if n > 1:
            write_version(hjrk, "JC-GA-HJRK", n, HJRK_V2 if n % 2 == 0 else HJRK_V1)
        evaluate(hjrk, "JC-GA-HJRK", n, engine=duck)
    out = cli(hjrk, "JC-GA-HJRK")
    assert "各版本得分（最近 5 个，共 7 个）" in out
    listed = re.findall(r"^│ (v\d) ", out, re.M)
    assert listed == ["v3", "v4", "v5", "v6", "v7"]
    spark = re.search(r"趋势 (\S+)  \(", out)
    assert spark is not None and len(spark.group(1)) == 7  # every version, lowest ▁ to highest █
    assert spark.group(1)[1::2] == "███" and set(spark.group(1)[::2]) <= set("▁▂▃")
    assert len(json.loads(cli(hjrk, "JC-GA-HJRK", "--json"))["trend"]) == 7


def test_cli_evaluates_when_nothing_is_stored(hjrk: Workspace) -> None:
    data = json.loads(cli(hjrk, "JC-GA-HJRK", "--json"))
    assert data["id"] is not None and data["rows"] == 10


def test_cli_department_and_overview(evaluated: Workspace) -> None:
    out = cli(evaluated, "--department", "JC-GA")
    assert "晋城市公安局" in out and "JC-GA-HJRK" in out and "v2" in out
    data = json.loads(cli(evaluated, "--json"))
    assert [d["code"] for d in data] == ["JC-GA", "JC-MZ", "JC-SC"]
    assert data[2]["unevaluated"] == ["JC-SC-QY"]


def test_cli_unknown_resource_fails(evaluated: Workspace) -> None:
    result = runner.invoke(app, ["quality", "NO-SUCH", "--workspace", str(evaluated.path)])
    assert result.exit_code != 0


def test_report_is_self_contained_and_in_chinese(evaluated: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    cli(evaluated, "report", "-o", str(out))
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "数据质量评估报告" in page
    assert echarts_js()[:200] in page  # ECharts inlined: the file works offline
    own = page.replace(echarts_js(), "")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", own)  # nothing fetched
    for text in (
        "各维度得分",
        "不合格行数最多的规则",
        "各版本得分",
        "各部门数据质量得分",
        "晋城市公安局",
        "晋城市民政局",
        "总览",
    ):
        assert text in page
    assert re.search(r"第\d+行：公民身份号码=140502\*+", page)  # samples by the fields' labels
    found = re.search(r"const DATA = (\{.*?\});\s*var LEVEL_COLOR", page, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["overview"]["names"] == ["晋城市公安局", "晋城市民政局", "晋城市市场监督管理局"]
    assert data["overview"]["levels"][2] == "未评估"  # no resource of it evaluated
    hjrk = next(d for d in data["resources"] if d["versions"] == ["v1", "v2"])
    # the radar shows the dimensions that have a score; the others are named as not evaluated
    assert sorted(hjrk["dims"] + hjrk["unscored"]) == sorted(
        ["规范性", "完整性", "准确性", "一致性", "时效性", "可访问性"]
    )
    assert hjrk["trend"][1] >= hjrk["trend"][0]
    only = report_html(evaluated, department="JC-MZ")
    assert "低保对象" in only and "户籍人口库 <span" not in only


@pytest.fixture
async def client(evaluated: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    web = create_app(evaluated)
    transport = httpx.ASGITransport(app=web, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        yield c


@pytest.mark.anyio
async def test_api(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API_PREFIX}/quality/resources/JC-GA-HJRK")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == 2 and [t["version"] for t in body["trend"]] == [1, 2]
    assert body["dimensions"]["conformity"]["label"] == "规范性"
    r = await client.get(f"{API_PREFIX}/quality/resources/JC-GA-HJRK/versions/1", params={"lang": "en"})
    assert r.status_code == 200 and r.json()["dimensions"]["conformity"]["label"] == "conformity"
    assert next(x for x in r.json()["rules"] if x["rule_id"] == "unique:id_number")["failing"] == 2
    r = await client.get(f"{API_PREFIX}/quality/departments/JC-MZ")
    assert r.status_code == 200 and r.json()["resources"][0]["resource"] == "JC-MZ-DBDX"
    r = await client.get(f"{API_PREFIX}/quality/report.html")
    assert (
        r.status_code == 200 and r.headers["content-type"].startswith("text/html") and "各维度得分" in r.text
    )
    for missing, what in (
        ("/quality/resources/NO-SUCH", "资源 / resource not found: NO-SUCH"),
        ("/quality/resources/JC-SC-QY", "质量评估结果 / quality run not found: JC-SC-QY"),
        ("/quality/departments/NOPE", "部门 / department not found: NOPE"),
    ):
        r = await client.get(API_PREFIX + missing)
        assert r.status_code == 404 and r.json()["ok"] is False and r.json()["error"] == what, r.text


@pytest.mark.anyio
async def test_api_evaluates_now_and_lists_every_department(client: httpx.AsyncClient) -> None:
    stored = (await client.get(f"{API_PREFIX}/quality/resources/JC-GA-HJRK")).json()
    history = (await client.get(f"{API_PREFIX}/quality/departments/JC-GA")).json()["history"]
    r = await client.post(f"{API_PREFIX}/quality/resources/JC-GA-HJRK/runs", headers={"X-Shuzhi-User": "qc"})
    assert r.status_code == 201, r.text
    fresh = r.json()
    assert fresh["id"] > stored["id"] and fresh["version"] == 2 and fresh["score"] == stored["score"]
    assert [t["version"] for t in fresh["trend"]] == [1, 2]
    # the new run is now the one shown, and the department's history has a point more
    assert (await client.get(f"{API_PREFIX}/quality/resources/JC-GA-HJRK")).json()["id"] == fresh["id"]
    after = (await client.get(f"{API_PREFIX}/quality/departments/JC-GA")).json()["history"]
    assert len(after) == len(history) + 1
    r = await client.post(f"{API_PREFIX}/quality/resources/JC-GA-HJRK/runs", params={"version": 1})
    assert r.status_code == 201 and r.json()["version"] == 1
    for path, params, status in (
        ("/quality/resources/NO-SUCH/runs", {}, 404),
        ("/quality/resources/JC-GA-HJRK/runs", {"version": 9}, 404),
        ("/quality/resources/JC-GA-HJRK/runs", {"version": "99999999999999999999"}, 422),
    ):
        r = await client.post(API_PREFIX + path, params=params)
        assert r.status_code == status, r.text

    r = await client.get(f"{API_PREFIX}/quality/departments", params={"lang": "en"})
    assert r.status_code == 200
    body = r.json()
    codes = [d["code"] for d in body["departments"]]
    assert codes == sorted(codes) and {"JC-GA", "JC-MZ"} <= set(codes)
    ga = next(d for d in body["departments"] if d["code"] == "JC-GA")
    assert ga["resources"][0]["resource"] == "JC-GA-HJRK" and ga["level"] in {
        "excellent",
        "good",
        "fair",
        "poor",
        "bad",
    }
    assert body["held"] == []


@pytest.mark.anyio
async def test_a_resource_not_loaded_for_three_months_is_late_everywhere(
    hjrk: Workspace, duck: DuckDBEngine
) -> None:
    """户籍人口 is monthly; its only load was evaluated on time, then 92 days pass without a load."""
    import datetime as dt

    import sqlalchemy as sa

    from shuzhi.store import ResourceVersion

    evaluate(hjrk, "JC-GA-HJRK", engine=duck)
    with hjrk.session() as s:
        v = s.scalar(sa.select(ResourceVersion).where(ResourceVersion.number == 1))
        assert v is not None
        v.loaded_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=92)

    data = json.loads(cli(hjrk, "JC-GA-HJRK", "--json"))  # the stored run, shown as of now
    cycle = next(r for r in data["rules"] if r["rule_id"] == "update_cycle:loaded_at")
    assert (cycle["checked"], cycle["failing"], cycle["passed"]) == (1, 1, False)
    assert "逾期 61 天" in cycle["note"]
    assert data["dimensions"]["timeliness"]["score"] == 0
    assert "逾期" in cli(hjrk, "JC-GA-HJRK")
    assert "逾期 61 天" in report_html(hjrk)
    web = create_app(hjrk)
    transport = httpx.ASGITransport(app=web, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        body = (await c.get(f"{API_PREFIX}/quality/resources/JC-GA-HJRK")).json()
        assert body["dimensions"]["timeliness"]["score"] == 0 and body["score"] == data["score"]
        dept = (await c.get(f"{API_PREFIX}/quality/departments/JC-GA")).json()
        assert dept["dimensions"]["timeliness"]["score"] == 0


def test_a_sampled_empty_value_reads_as_empty() -> None:
    from shuzhi.quality import RuleResult
    from shuzhi.quality.rules import Dimension

    r = RuleResult(
        rule_id="standard:birth_date",
        kind="standard",
        dimension=Dimension.conformity,
        fields=("birth_date",),
        description_zh="",
        description_en="",
        checked=3,
        failing=1,
        sample=({"_row": 7, "id_number": "140502********", "birth_date": None},),
    )
    labels = {"id_number": "公民身份号码", "birth_date": "出生日期"}
    assert r.sample_lines("zh", labels) == ["第7行：公民身份号码=140502********，出生日期=（空）"]
    assert r.sample_lines("en", labels) == ["row 7: id_number=140502********, birth_date=(empty)"]
