"""``shuzhi demo``, the README's main command: a workspace, a cleansing pass, a Parquet result."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from shuzhi.cli import app
from shuzhi.demo import SAMPLE_RECORDS, standards_tour

runner = CliRunner(env={"COLUMNS": "200"})


def test_demo_creates_a_workspace_and_writes_the_cleansed_records(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    r = runner.invoke(app, ["demo", "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    assert "已创建演示工作区" in r.output and "身份证号" in r.output
    assert "{" not in r.output  # every reason is rendered with its values
    out = ws / "warehouse" / "demo" / "sample_records.parquet"
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*) FROM '{out}'").fetchall()
    raw = con.execute(f"SELECT count(*) FROM read_csv('{SAMPLE_RECORDS}', header = true)").fetchall()
    assert rows == raw
    # a second run reuses the workspace
    again = runner.invoke(app, ["demo", "--workspace", str(ws), "--lang", "en"])
    assert again.exit_code == 0 and "Using the demo workspace" in again.output


def test_tour_figures_add_up_and_known_rows_are_normalised() -> None:
    result = standards_tour()
    for c in result.columns:
        assert c.valid + c.missing + c.invalid == c.total == result.rows
    by_name = {r["姓名"]: r for r in result.cleaned}
    assert by_name["王芳"]["身份证号_规范"] == "14050219850612202X"  # 15 digits upgraded
    assert by_name["歐陽建國"]["姓名_规范"] == "欧阳建国"  # Traditional to Simplified
    assert by_name["陈静"]["身份证号_原因"] == "idcard.bad_date"
