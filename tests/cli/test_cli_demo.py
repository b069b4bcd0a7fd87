"""``shuzhi demo``, the README's main command: a synthetic city generated, declared and ingested;
``shuzhi demo tour``: the standards library over sample records."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from shuzhi.cli import app
from shuzhi.demo import SAMPLE_RECORDS, standards_tour

runner = CliRunner(env={"COLUMNS": "200"})


def test_demo_creates_a_workspace_and_writes_the_cleansed_records(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    r = runner.invoke(app, ["demo", "tour", "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    assert "已创建演示工作区" in r.output and "身份证号" in r.output
    assert "{" not in r.output  # every reason is rendered with its values
    out = ws / "warehouse" / "demo" / "sample_records.parquet"
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*) FROM '{out}'").fetchall()
    raw = con.execute(f"SELECT count(*) FROM read_csv('{SAMPLE_RECORDS}', header = true)").fetchall()
    assert rows == raw
    # a second run reuses the workspace
    again = runner.invoke(app, ["demo", "tour", "--workspace", str(ws), "--lang", "en"])
    assert again.exit_code == 0 and "Using the demo workspace" in again.output


def test_tour_figures_add_up_and_known_rows_are_normalised() -> None:
    result = standards_tour()
    for c in result.columns:
        assert c.valid + c.missing + c.invalid == c.total == result.rows
    by_name = {r["姓名"]: r for r in result.cleaned}
    assert by_name["王芳"]["身份证号_规范"] == "14050219850612202X"  # 15 digits upgraded
    assert by_name["歐陽建國"]["姓名_规范"] == "欧阳建国"  # Traditional to Simplified
    assert by_name["陈静"]["身份证号_原因"] == "idcard.bad_date"


def test_demo_generates_a_city_and_ingests_every_dataset(tmp_path: Path) -> None:
    import json

    from shuzhi.catalog import list_resources
    from shuzhi.ingest import list_versions, quarantine
    from shuzhi.workspace import Workspace

    ws_dir = tmp_path / "city"
    r = runner.invoke(app, ["demo", "--workspace", str(ws_dir), "--people", "1500"])
    assert r.exit_code == 0, r.output
    manifest = json.loads((ws_dir / "demo-city" / "manifest.json").read_text(encoding="utf-8"))
    datasets = manifest["datasets"]
    assert len(datasets) >= 8
    with Workspace.open(ws_dir) as ws:
        codes = {e.code for e in list_resources(ws)}
        assert {d["resource"] for d in datasets} <= codes
        total_quarantined = 0
        for d in datasets:
            assert d["resource"] in r.output
            versions = list_versions(ws, d["resource"])
            assert [v.number for v in versions] == [1] and versions[0].current
            v = versions[0]
            # nothing lost: every row read is either loaded or quarantined
            assert v.rows_in == v.rows_loaded + v.rows_quarantined
            total_quarantined += v.rows_quarantined
            if v.rows_quarantined:
                q = quarantine(ws, d["resource"])
                assert q.rows and all(row.rules and row.errors for row in q.rows)
        assert total_quarantined > 0  # the generator plants credit codes that cannot be loaded
        # the hint to export a quarantine names a resource that has one (it exported 0 rows)
        hinted = re.search(r"shuzhi quarantine (\S+) --export", r.output)
        assert hinted is not None and list_versions(ws, hinted.group(1))[0].rows_quarantined > 0
        # the registries' sources are found by the registries' names (rkk: 人口库)
        from shuzhi.catalog import search

        assert "GA-HJRK" in [e.code for e in search(ws, "rkk")]
        assert "SJ-SCZT" in [e.code for e in search(ws, "法人库")]
    # a second run reuses the generated city and makes a second version of each dataset
    again = runner.invoke(app, ["demo", "--workspace", str(ws_dir), "--people", "1500", "--lang", "en"])
    assert again.exit_code == 0, again.output
    assert "Using the generated city" in again.output
    with Workspace.open(ws_dir) as ws:
        numbers = sorted(v.number for v in list_versions(ws, datasets[0]["resource"]))
        assert numbers == [1, 2]
