"""End to end: a department's CSV ingested through ``shuzhi.ingest``, then evaluated with no rule
written — the figures come from the version ingestion wrote (cleansed values, ``_issues``) and its
``resource_versions`` row (quarantined rows, checksum)."""

from __future__ import annotations

from pathlib import Path

from _qhelpers import idn

from shuzhi.engine import DuckDBEngine
from shuzhi.ingest import ingest
from shuzhi.quality import evaluate, latest_run
from shuzhi.workspace import Workspace


def test_ingested_version_gets_a_scorecard(ws: Workspace, duck: DuckDBEngine, tmp_path: Path) -> None:
    a, b, c = idn("14050219900307151"), idn("11010519491231002"), idn("14050219850101003")
    csv = tmp_path / "户籍人口.csv"
    csv.write_text(
        "公民身份号码,姓名,性别,出生日期,手机号码,年龄,户籍地区划,备注\n"
        f"{a},张三,男,1990-03-07,13812345678,35,140502,\n"
        f"{b},李四,女,1949-12-31,0356-2021234,76,110105,\n"
        f"{c},王五,男,1985-01-02,12345,四十一,140502,\n"  # mobile and age flagged; birth unlike the ID's
        f"{idn('14050219900307154')},赵六,女,1990-03-07,,200,140502,\n"  # age out of range: flagged
        "14050219900307151Y,钱七,男,1990-03-07,,35,140502,\n"  # bad ID (key): quarantined
        f"{idn('14050219900307162')},不详,女,1990-03-07,,35,140502,\n",  # name is required: quarantined
        encoding="utf-8",
    )
    result = ingest(ws, "JC-GA-HJRK", csv)
    assert (result.rows_loaded, result.rows_quarantined) == (4, 2)
    run = evaluate(ws, "JC-GA-HJRK", result.version, engine=duck)
    assert run.status == "ok" and run.rows == 4
    figures = {r.rule_id: (r.checked, r.failing) for r in run.results if r.status == "ok"}
    assert figures["records_loaded:rows"] == (6, 2)
    assert figures["standard:mobile"][1] == 1
    assert figures["range:age"][1] == 1
    assert figures["type:age"] == (3, 1)  # 四十一 is no integer: stored empty, counted here (200: range)
    assert figures["id_birth:id_number+birth_date"] == (4, 1)
    assert figures["checksum:data"] == (1, 0)  # the checksum ingestion recorded
    assert figures["standard:id_number"] == (4, 0)
    assert run.result("standard:mobile").sample[0]["mobile"] is not None  # the value kept as written, masked


def test_a_small_upsert_is_measured_by_its_own_rows(
    ws: Workspace, duck: DuckDBEngine, tmp_path: Path
) -> None:
    """records_loaded measures the load, not the version: a correction file with one bad row of
    two scores as such (and a gate holds it), whatever the size of the version it updates."""
    header = "公民身份号码,姓名,性别,出生日期,手机号码,年龄,户籍地区划,备注\n"
    people = [idn(f"140502199003{i:02d}151") for i in range(1, 21)]
    full = tmp_path / "full.csv"
    names = [f"张{'一二三四五六七八九十'[i % 10]}{'甲乙'[i // 10]}" for i in range(20)]
    full.write_text(
        header + "".join(f"{p},{n},男,1990-03-07,,35,140502,\n" for p, n in zip(people, names, strict=True))
    )
    assert ingest(ws, "JC-GA-HJRK", full).rows_loaded == 20
    changes = tmp_path / "changes.csv"
    changes.write_text(
        header + f"{people[0]},张三,男,1990-03-07,,36,140502,\n" + "140502X,李四,女,,,1,140502,\n"
    )
    result = ingest(ws, "JC-GA-HJRK", changes, mode="upsert")
    assert (result.rows_in, result.rows_quarantined, result.rows_total) == (2, 1, 20)
    # the run the load itself made (before the version was committed), then one made later
    assert result.quality_status == "passed", result.notes
    at_load = latest_run(ws, "JC-GA-HJRK", result.version)
    later = evaluate(ws, "JC-GA-HJRK", result.version, engine=duck)
    for run in (at_load, later):
        assert (run.result("records_loaded:rows").checked, run.result("records_loaded:rows").failing) == (
            2,
            1,
        )
