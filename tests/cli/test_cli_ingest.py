"""``shuzhi ingest``, ``versions``, ``diff`` and ``quarantine``: what a data clerk types and sees."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from _ingest_fixtures import ROWS, make_workspace, new_resource, write_csv

from shuzhi.cli import app
from shuzhi.cli.ingest import ProgressBar
from shuzhi.workspace import Workspace

runner = CliRunner(env={"COLUMNS": "240"})

BAD = "14050219900307152X,赵六,男,1990-03-07,13803561234,,100,1,"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with make_workspace(tmp_path_factory.mktemp("cli") / "ws") as w:
        yield w


OUTPUT: dict[str, str] = {}


@pytest.fixture(scope="module")
def loaded(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> str:
    """v1 from the command line (table output), v2 with --json and a quarantined row; their
    output is kept in OUTPUT."""
    d = tmp_path_factory.mktemp("files")
    code = new_resource(ws)
    first = runner.invoke(
        app, ["ingest", code, str(write_csv(d / "低保.csv", ROWS)), "-w", str(ws.path), "--by", "张三"]
    )
    assert first.exit_code == 0, first.output
    OUTPUT["first"] = first.output
    v2 = [ROWS[0], ROWS[1].replace("650.5", "700"), ROWS[2], ROWS[3], BAD]
    second = runner.invoke(
        app, ["ingest", code, str(write_csv(d / "v2.csv", v2)), "-w", str(ws.path), "--json"]
    )
    assert second.exit_code == 0, second.output
    OUTPUT["second"] = second.output
    return code


def _run(ws: Workspace, *args: str) -> str:
    r = runner.invoke(app, [*args, "-w", str(ws.path)])
    assert r.exit_code == 0, r.output
    return r.output


def test_ingest_prints_the_report(loaded: str) -> None:
    out = OUTPUT["first"]
    assert f"已加载 {loaded} v1 (full)" in out
    for text in (
        "读入",
        "加载",
        "隔离",
        "版本总行数",
        "公民身份号码 (id_number)",
        "列名同中文名",
        "低保.csv",
        "数据质量: 已评估（未设门槛）",  # the resource declares no gate: nothing was "passed"
    ):
        assert text in out, text


def test_a_score_reads_the_same_after_a_load_and_in_the_quality_command(ws: Workspace, loaded: str) -> None:
    from shuzhi.cli._console import score_text

    assert [score_text(x) for x in (91.85, 87.65, 91.8449, 100.0, None)] == [
        "91.9",
        "87.7",
        "91.8",
        "100.0",
        "—",
    ]
    after_load = re.search(r"评分 (\d+\.\d)", OUTPUT["first"])
    assert after_load is not None
    shown = _run(ws, "quality", loaded, "--version", "1")
    assert re.search(rf"总分\s+{re.escape(after_load.group(1))}\s", shown), (after_load.group(1), shown)


def test_ingest_in_english_names_the_level_in_english(ws: Workspace, tmp_path: Path) -> None:
    out = _run(ws, "ingest", new_resource(ws), str(write_csv(tmp_path / "a.csv", ROWS)), "--lang", "en")
    m = re.search(r"data quality: .*score (\d+\.\d) (\S+)", out)
    assert m is not None, out
    assert m.group(2) in {"excellent", "good", "fair", "poor", "bad"}, out


def test_ingest_json_is_the_load_result(loaded: str) -> None:
    data = json.loads(OUTPUT["second"])
    assert (data["resource"], data["version"], data["mode"]) == (loaded, 2, "full")
    assert (data["rows_in"], data["rows_loaded"], data["rows_quarantined"], data["rows_updated"]) == (
        5,
        4,
        1,
        1,
    )
    (rule,) = data["quarantine"]
    assert rule["rule"] == "id_number.idcard.check_mismatch" and rule["reason_zh"] and rule["reason_en"]
    assert (rule["field"], rule["label"]) == ("id_number", "公民身份号码")


def _two_versions(ws: Workspace, tmp_path: Path, second: list[str]) -> str:
    """A fresh resource loaded from ROWS (v1), then from ``second`` (v2)."""
    code = new_resource(ws)
    _run(ws, "ingest", code, str(write_csv(tmp_path / "a.csv", ROWS)))
    _run(ws, "ingest", code, str(write_csv(tmp_path / "b.csv", second)))
    return code


def test_diff_says_a_value_became_empty(ws: Workspace, tmp_path: Path) -> None:
    code = _two_versions(ws, tmp_path, [ROWS[0], ROWS[1].replace("650.5", ""), *ROWS[2:]])
    assert "保障金额: 650.5 → （空）" in _run(ws, "diff", code, "1", "2")
    assert "amount: 650.5 → (empty)" in _run(ws, "diff", code, "1", "2", "--lang", "en")


def test_diff_gives_a_code_its_meaning(ws: Workspace, tmp_path: Path) -> None:
    code = _two_versions(ws, tmp_path, [*ROWS[:2], ROWS[2].replace(",F,", ",男,"), ROWS[3]])
    assert "性别: 2（女） → 1（男）" in _run(ws, "diff", code, "1", "2")
    assert "sex: 2 (female) → 1 (male)" in _run(ws, "diff", code, "1", "2", "--lang", "en")


def test_versions_lists_newest_first_with_the_current_marked(ws: Workspace, loaded: str) -> None:
    out = _run(ws, "versions", loaded, "--verify")
    assert out.index("v2") < out.index("v1")
    assert "当前" in out and "张三" in out and "v2.csv" in out and "+0 ~1 −0" in out
    assert "校验和一致" in out
    data = json.loads(_run(ws, "versions", loaded, "--json"))
    assert [(v["number"], v["current"]) for v in data] == [(1, False), (2, True)]


def test_diff_prints_counts_and_changed_fields(ws: Workspace, loaded: str) -> None:
    out = _run(ws, "diff", loaded, "1", "2")
    # fields by their labels in Chinese, by their codes in English
    assert "+0" in out and "~1" in out and "保障金额: 650.5 → 700.0" in out and "14050219850612202X" in out
    assert "按主键 公民身份号码" in out and "amount" not in out
    en = _run(ws, "diff", loaded, "1", "2", "--lang", "en")
    assert "by key id_number" in en and "amount: 650.5 → 700.0" in en
    data = json.loads(_run(ws, "diff", loaded, "1", "2", "--json", "--sample", "0"))
    assert (data["added"], data["removed"], data["changed"]) == (0, 0, 1) and data["changed_sample"] == []


def test_quarantine_shows_rules_and_rows_and_exports(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    out = _run(ws, "quarantine", loaded)
    assert "id_number.idcard.check_mismatch" in out and "校验码应为" in out and "赵六" in out
    # each rule beside the label of its field
    assert any(
        "公民身份号码" in line and "id_number.idcard.check_mismatch" in line for line in out.splitlines()
    )
    assert " 6 " in out  # the line of the file
    en = _run(ws, "quarantine", loaded, "--lang", "en", "--rule", "id_number")
    assert "check character" in en
    target = tmp_path / "退回.xlsx"
    out = _run(ws, "quarantine", loaded, "--version", "2", "--export", str(target))
    assert "已导出" in out and target.is_file()
    data = json.loads(_run(ws, "quarantine", loaded, "--json"))
    assert data["total"] == 1 and data["rows"][0]["row"] == 6


def test_values_and_file_names_are_printed_as_written_not_as_markup(ws: Workspace, tmp_path: Path) -> None:
    """A department's ``[/]`` or ``[n]`` is text: read as Rich markup it crashed ``quarantine``
    (a closing tag with nothing to close) and vanished from messages."""
    code = new_resource(ws)
    rows = [ROWS[0], BAD.replace("赵六", "[/]赵[n]六")]
    f = write_csv(tmp_path / "[b]低保[n].csv", rows)
    out = _run(ws, "ingest", code, str(f))
    assert "[b]低保[n].csv" in out
    out = _run(ws, "quarantine", code)
    assert "[/]赵[n]六" in out
    mapping = tmp_path / "m.yaml"
    mapping.write_text(f'resource: {code}\ncolumns:\n  "[/b]公民身份号码": id_number\n', encoding="utf-8")
    failed = runner.invoke(
        app,
        [
            "ingest",
            code,
            str(write_csv(tmp_path / "[red]多[n].csv", rows)),
            "-m",
            str(mapping),
            "-w",
            str(ws.path),
        ],
    )
    assert failed.exit_code != 0 and "[red]多[n].csv" in str(failed.exception)
    log = _run(ws, "versions", code, "--log")  # the failed load's message, kept in the log
    assert "缺少 [/b]公民身份号码" in log and "[red]多[n].csv" in log


def test_a_load_whose_rows_are_all_quarantined_exits_1(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)
    r = runner.invoke(app, ["ingest", code, str(write_csv(tmp_path / "bad.csv", [BAD])), "-w", str(ws.path)])
    assert r.exit_code == 1 and "未发布" in r.output
    assert "成功（未发布）" in _run(ws, "versions", code, "--log")  # the log says it too


def test_bad_input_exits_3_and_names_file_and_row(ws: Workspace, loaded: str, tmp_path: Path) -> None:
    """Through the real entry point (error messages and exit codes are set in ``main``)."""
    f = write_csv(tmp_path / "ragged[n].csv", [ROWS[0], ROWS[1] + ",多余"])  # [n]: no markup
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUZHI_")}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from shuzhi.cli import main; main()",
            "ingest",
            loaded,
            str(f),
            "-w",
            str(ws.path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 3, run.stderr
    assert "ragged[n].csv" in run.stderr and "row 3" in run.stderr
    missing = runner.invoke(app, ["versions", "NO-SUCH", "-w", str(ws.path)])
    assert missing.exit_code != 0 and "NO-SUCH" in str(missing.exception)


def test_the_progress_bar_appears_only_for_slow_loads() -> None:
    buf = io.StringIO()
    with ProgressBar(delay=0.0, console=Console(file=buf, force_terminal=True, width=100)) as bar:
        time.sleep(0.05)
        bar("read", 50, 100)
        bar("cleanse", 1, 3)
        time.sleep(0.2)
    assert "清洗 / cleansing" in buf.getvalue()
    quiet = io.StringIO()
    with ProgressBar(delay=5.0, console=Console(file=quiet, force_terminal=True, width=100)) as bar:
        bar("read", 50, 100)
    assert quiet.getvalue() == ""


def test_a_database_table_is_loaded_from_the_command_line(ws: Workspace, tmp_path: Path, pg_url: str) -> None:
    """``shuzhi ingest RES postgresql+psycopg://user:pw@host/db -m m.yaml`` (the table in the
    mapping's ``source``): the URL is not taken for a file path, its password never shown."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    if url.password is None:
        url = url.set(password="secret-pw")  # a trust server ignores it; the masking is tested
    engine = sa.create_engine(url)
    table = "cli_ingest_people"
    with engine.begin() as con:
        con.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        con.execute(sa.text(f"CREATE TABLE {table} (公民身份号码 text, 姓名 text, 联系电话 text)"))
        con.execute(
            sa.text(f"INSERT INTO {table} VALUES (:i, :n, :p)"),
            [
                {"i": "14050219900307151X", "n": "张伟", "p": "13803561234"},
                {"i": "140502850612202", "n": "王芳", "p": None},
            ],
        )
    try:
        code = new_resource(ws)
        mapping = tmp_path / "db.yaml"
        mapping.write_text(f"resource: {code}\nsource: {{table: {table}}}\n", encoding="utf-8")
        shown = url.render_as_string(hide_password=False)
        r = runner.invoke(app, ["ingest", code, shown, "-m", str(mapping), "--json", "-w", str(ws.path)])
        assert r.exit_code == 0, r.output
        result = json.loads(r.output)
        assert result["rows_loaded"] == 2 and "secret-pw" not in r.output
        assert result["source"]["file"] == url.render_as_string(hide_password=True)
        # a mistyped URL (one slash) is a missing file, named without its password
        typo = shown.replace("://", ":/", 1)
        bad = runner.invoke(app, ["ingest", code, typo, "-m", str(mapping), "-w", str(ws.path)])
        assert bad.exit_code != 0 and "secret-pw" not in str(bad.exception) and "***@" in str(bad.exception)
        # a mapping that says the source is a file: the URL is named as the file, without its password
        as_file = tmp_path / "as_file.yaml"
        as_file.write_text(f"resource: {code}\nsource: {{format: csv}}\n", encoding="utf-8")
        bad = runner.invoke(app, ["ingest", code, shown, "-m", str(as_file), "-w", str(ws.path)])
        assert bad.exit_code != 0 and "secret-pw" not in str(bad.exception) and "***@" in str(bad.exception)
        # nor is it kept in the store's record of the loads
        from shuzhi.store import IngestJob

        with ws.session() as s:
            jobs = s.query(IngestJob).filter(IngestJob.resource_code == code).all()
            kept = " ".join(f"{j.source_name} {j.error} {j.error_detail}" for j in jobs)
        assert len(jobs) == 2 and "secret-pw" not in kept and "***@" in kept
    finally:
        with engine.begin() as con:
            con.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


def test_the_quarantine_table_shows_the_columns_the_problems_are_about(ws: Workspace, tmp_path: Path) -> None:
    fields = [{"name": "k", "label": "编号", "key": True}] + [
        {"name": f"c{i}", "label": f"列{i}"} for i in range(1, 9)
    ]
    fields[-1].update(standard="idcard", on_invalid="quarantine")
    code = new_resource(ws, fields)
    header = ",".join(f["label"] for f in fields)
    rows = ["1,a,b,c,d,e,f,g,14050219900307151X", "2,a,b,c,d,e,f,g,ABCDEFG"]
    runner.invoke(
        app, ["ingest", code, str(write_csv(tmp_path / "wide.csv", rows, header=header)), "-w", str(ws.path)]
    )
    out = _run(ws, "quarantine", code)
    assert "ABCDEFG" in out  # the 9th column, where the problem is, as written
    assert "编号" in out and "列1" in out  # and the first ones, to tell the row
