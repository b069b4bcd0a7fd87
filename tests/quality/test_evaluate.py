"""Evaluating versions on DuckDB: the figures of every default rule on planted problems, samples
masked, scores and levels, gates, stored runs, trends and department aggregates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from _qhelpers import CATALOG, DBDX_V1, HJRK_V1, HJRK_V2, write_version

from shuzhi.catalog import declare
from shuzhi.catalog.spec import CatalogFile
from shuzhi.engine import DuckDBEngine
from shuzhi.errors import NotFound
from shuzhi.quality import (
    DIMENSION_WEIGHTS,
    Dimension,
    QualitySpec,
    department_history,
    department_scorecard,
    departments_overview,
    evaluate,
    gate,
    grade,
    latest_run,
    resource_trend,
    run_after_ingest,
    version_checksum,
)
from shuzhi.quality.rules import re2_error
from shuzhi.store import QualityResult, QualityRun, ResourceVersion
from shuzhi.workspace import Workspace

#: rule id -> (rows checked, rows failing) on HJRK_V1 (see the planted problems in _qhelpers.py)
EXPECTED_V1 = {
    "not_null:id_number": (10, 1),  # row 8
    "not_null:name": (10, 2),  # row 6 empty, row 7 不详
    "records_loaded:rows": (10, 0),
    "standard:id_number": (9, 1),  # row 5's check character
    "standard:name": (9, 0),
    "standard:sex": (10, 0),
    "standard:birth_date": (9, 0),
    "standard:mobile": (4, 1),  # row 6 flagged by ingestion
    "standard:county": (9, 1),  # row 9: 1401
    "range:birth_date": (9, 1),  # row 10: 2999
    "range:age": (8, 1),  # row 4: 145
    "type:age": (8, 0),  # an integer field without a standard: values that were no integer
    "unique:id_number": (9, 2),  # rows 1 and 3
    "id_birth:id_number+birth_date": (8, 3),  # rows 4, 6, 10 (row 5's ID is malformed: not checked)
    "id_sex:id_number+sex": (8, 1),  # row 4
    "readable:data": (1, 0),
    "checksum:data": (1, 0),
    "update_cycle:loaded_at": (1, 0),  # the first version, loaded just now: on time (monthly)
}


def test_default_rules_give_a_scorecard_without_any_rule_written(hjrk: Workspace) -> None:
    run = evaluate(hjrk, "JC-GA-HJRK")
    assert run.status == "ok" and run.rows == 10 and run.version == 1
    figures = {r.rule_id: (r.checked, r.failing) for r in run.results if r.status == "ok"}
    assert figures == EXPECTED_V1
    assert [r.rule_id for r in run.results if r.status == "skipped"] == []
    assert run.result("standard:id_number").description_zh == "“公民身份号码”符合公民身份号码标准（GB 11643）"
    # every field but 备注 (remark) has a rule
    assert (run.fields_total, run.fields_covered) == (8, 7)


def test_scores_follow_the_documented_formula(hjrk: Workspace, duck: DuckDBEngine) -> None:
    run = evaluate(hjrk, "JC-GA-HJRK", engine=duck)
    # completeness: not_null id (90), not_null name (80), records loaded (100)
    assert run.dimensions[Dimension.completeness] == pytest.approx((90 + 80 + 100) / 3)
    assert run.dimensions[Dimension.consistency] is None  # no rule: not scored
    assert run.dimensions[Dimension.accessibility] == 100
    scored = {d: s for d, s in run.dimensions.items() if s is not None}
    expected = sum(DIMENSION_WEIGHTS[d] * s for d, s in scored.items()) / sum(
        DIMENSION_WEIGHTS[d] for d in scored
    )
    assert run.score == pytest.approx(expected)
    assert run.level == grade(run.score)
    r = run.result("range:age")
    assert (r.rate, r.score) == (pytest.approx(1 / 8), pytest.approx(87.5))


@pytest.mark.parametrize(
    ("score", "level"),
    [(100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (75, "中"), (60, "差"), (59.9, "劣")],
)
def test_levels(score: float, level: str) -> None:
    assert grade(score) == level
    assert grade(None) is None


def test_samples_are_the_first_failing_rows_masked(hjrk: Workspace, duck: DuckDBEngine) -> None:
    run = evaluate(hjrk, "JC-GA-HJRK", engine=duck)
    unique = run.result("unique:id_number")
    assert [s["_row"] for s in unique.sample] == [1, 3]
    assert unique.sample[0]["id_number"] == "140502********151X"
    names = run.result("not_null:name").sample
    assert names == (
        {"_row": 6, "id_number": names[0]["id_number"], "name": None},
        {"_row": 7, "id_number": names[1]["id_number"], "name": "不*"},
    )
    sex = run.result("id_sex:id_number+sex").sample
    assert sex[0]["id_number"].startswith("440524********") and sex[0]["sex"] == "2"  # sex is not personal
    # the cap
    capped = evaluate(hjrk, "JC-GA-HJRK", quality=QualitySpec(sample_size=1), store=False, engine=duck)
    assert len(capped.result("unique:id_number").sample) == 1
    none = evaluate(hjrk, "JC-GA-HJRK", quality=QualitySpec(sample_size=0), store=False, engine=duck)
    assert none.result("unique:id_number").sample == ()


def test_runs_are_stored_per_version_with_every_rule(hjrk: Workspace, duck: DuckDBEngine) -> None:
    run = evaluate(hjrk, "JC-GA-HJRK", by="tester", engine=duck)
    assert run.id is not None
    with hjrk.session() as s:
        row = s.get(QualityRun, run.id)
        assert row is not None
        assert (row.resource_code, row.version_number, row.department_code) == ("JC-GA-HJRK", 1, "JC-GA")
        assert row.score == pytest.approx(run.score) and row.level == run.level
        assert row.rules_total == len(run.results) and row.started_by == "tester"
        n = s.scalar(
            sa.select(sa.func.count()).select_from(QualityResult).where(QualityResult.run_id == run.id)
        )
        assert n == len(run.results)
    again = latest_run(hjrk, "JC-GA-HJRK")
    assert again.to_dict() == run.to_dict()
    with pytest.raises(NotFound):
        latest_run(hjrk, "JC-GA-HJRK", 7)


def test_cross_resource_consistency_by_default_from_related(hjrk: Workspace, duck: DuckDBEngine) -> None:
    write_version(hjrk, "JC-MZ-DBDX", 1, DBDX_V1)
    run = evaluate(hjrk, "JC-MZ-DBDX", engine=duck)
    ref = run.result("references:id_number->JC-GA-HJRK.id_number")
    assert (ref.checked, ref.failing) == (4, 1)
    assert ref.sample[0]["_row"] == 3
    agree = run.result("agrees:name=JC-GA-HJRK.name")
    assert (agree.checked, agree.failing) == (3, 1)  # 李肆 is 李四 there
    assert agree.sample[0]["name"] == "李*"
    assert run.result("range:amount").failing == 1
    assert run.dimensions[Dimension.consistency] == pytest.approx((75 + 100 * 2 / 3) / 2)


def test_a_reference_without_a_current_version_is_skipped_not_failed(
    ws: Workspace, duck: DuckDBEngine
) -> None:
    write_version(ws, "JC-MZ-DBDX", 1, DBDX_V1)  # 户籍人口 not loaded
    run = evaluate(ws, "JC-MZ-DBDX", engine=duck)
    ref = run.result("references:id_number->JC-GA-HJRK.id_number")
    assert ref.status == "skipped" and ref.score is None and "JC-GA-HJRK" in (ref.note or "")
    # a rule that must pass and could not run does not pass the gate: the version is held
    q = QualitySpec(must_pass=["references:id_number->JC-GA-HJRK.id_number"])
    held = evaluate(ws, "JC-MZ-DBDX", quality=q, store=False, engine=duck)
    assert held.hold_reason is not None
    assert held.hold_reason.startswith("必须通过的规则未能执行：references:id_number->JC-GA-HJRK.id_number（")
    assert "must-pass rules could not run: references:id_number->JC-GA-HJRK.id_number (" in held.hold_reason


def test_a_run_whose_rules_could_not_run_has_no_score(hjrk: Workspace, duck: DuckDBEngine) -> None:
    """The resource rules alone (records loaded, readable) made a failed run 100 优, which lifted
    its department's mean."""
    from shuzhi.quality import department_scorecard
    from shuzhi.quality.rules import Pattern

    good = evaluate(hjrk, "JC-GA-HJRK", engine=duck)
    assert good.score is not None
    # a look-ahead: Python's re reads it, DuckDB's RE2 does not (a rule made before such patterns
    # were refused when declared)
    bad = Pattern.model_construct(kind="pattern", field="name", pattern="(?=张)张.*", id=None)
    run = evaluate(hjrk, "JC-GA-HJRK", quality=QualitySpec(rules=[bad]), engine=duck)
    assert run.status == "failed" and run.error is not None
    assert (run.score, run.level, run.dimensions) == (None, None, {})
    assert run.to_dict()["level"] is None
    dept = department_scorecard(hjrk, "JC-GA")
    assert dept.score is None  # its only resource has no figures now: no mean of figures it lacks


def test_allowed_values_of_a_number_field_are_compared_as_numbers(ws: Workspace, duck: DuckDBEngine) -> None:
    """A decimal 800 is the text 800.0: allowed values written 800 failed every row."""
    write_version(ws, "JC-MZ-DBDX", 1, DBDX_V1)
    q = QualitySpec.model_validate({"rules": [{"field": "amount", "values": ["800", "650.5", "700"]}]})
    run = evaluate(ws, "JC-MZ-DBDX", quality=q, store=False, engine=duck)
    values = run.result("values:amount")
    assert (values.checked, values.failing) == (4, 1)
    assert [s["_row"] for s in values.sample] == [4]


def test_declared_rules_are_added_and_replace_defaults(hjrk: Workspace, duck: DuckDBEngine) -> None:
    q = QualitySpec.model_validate(
        {
            "disable": ["standard:name"],
            "rules": [
                {"field": "remark", "pattern": "[一-龥]+"},
                {"field": "mobile", "pattern": "1[0-9]{10}", "id": "mobile-only"},
                {"field": "id_number", "division": "county", "level": "prefecture"},
                {"kind": "not_null", "field": "remark", "weight": 2},
                {"field": "birth_date", "max_days": 365 * 40},
            ],
        }
    )
    run = evaluate(hjrk, "JC-GA-HJRK", quality=q, store=False, engine=duck)
    ids = [r.rule_id for r in run.results]
    assert "standard:name" not in ids
    assert (run.result("pattern:remark").checked, run.result("pattern:remark").failing) == (1, 0)
    assert run.result("mobile-only").failing == 1  # the landline
    region = run.result("id_region:id_number+county")
    assert (region.checked, region.failing) == (7, 0)  # row 9's county is no code: not checked
    assert run.result("not_null:remark").failing == 9
    stale = run.result("record_age:birth_date")
    assert stale.failing == 3  # born before 1985 or so: rows 2, 4, 9
    assert run.fields_covered == 8
    write_version(hjrk, "JC-GA-HJRK", 2, HJRK_V2)
    region = evaluate(hjrk, "JC-GA-HJRK", 2, quality=q, store=False, engine=duck).result(
        "id_region:id_number+county"
    )
    assert (region.checked, region.failing) == (7, 1)  # row 9: ID of 1101 (北京), county in 1401 (太原)


def test_gate_holds_a_version_below_the_minimum_or_failing_a_must_pass_rule(
    hjrk: Workspace, duck: DuckDBEngine
) -> None:
    q = QualitySpec(min_score=95, must_pass=["unique:id_number"])
    run = evaluate(hjrk, "JC-GA-HJRK", quality=q, engine=duck)
    assert run.held
    assert run.hold_reason is not None
    assert f"质量评分 {run.score:.1f} 低于门槛 95" in run.hold_reason
    assert "unique:id_number（2 行）" in run.hold_reason
    assert "must-pass rules failed: unique:id_number (2 rows)" in run.hold_reason
    assert run.result("unique:id_number").must_pass
    with hjrk.session() as s:
        row = s.get(QualityRun, run.id)
        assert row is not None and row.hold_reason == run.hold_reason
    spec = _spec(hjrk, "JC-GA-HJRK")
    plain = evaluate(hjrk, "JC-GA-HJRK", store=False, engine=duck)
    assert plain.hold_reason is None  # nothing declared: nothing holds it
    assert gate(spec, plain) is None
    assert gate(spec, plain, quality=QualitySpec(min_score=50)) is None
    reason = gate(spec, plain, quality=QualitySpec(must_pass=["not_null:name"]))
    assert (
        reason
        == "必须通过的规则未通过：not_null:name（2 行） / must-pass rules failed: not_null:name (2 rows)"
    )


def test_run_after_ingest_evaluates_a_version_not_yet_committed(hjrk: Workspace) -> None:
    first = evaluate(hjrk, "JC-GA-HJRK", 1)
    data = write_version(hjrk, "JC-GA-HJRK", 2, HJRK_V2, record=False)  # the folder only
    pending = ResourceVersion(
        number=2,
        mode="full",
        path="JC-GA-HJRK/v2",
        rows_in=9,
        rows_quarantined=2,
        checksum=version_checksum(data),
        loaded_at=dt.datetime.now(dt.UTC),
    )
    run = run_after_ingest(hjrk, "JC-GA-HJRK", pending)
    assert run.version == 2 and run.id is None and run.hold_reason is None
    assert run.result("records_loaded:rows").failing == 2  # from the pending row
    assert run.result("checksum:data").failing == 0
    assert latest_run(hjrk, "JC-GA-HJRK").id == first.id  # not stored: the loader stores it


def test_unreadable_version_scores_zero_accessibility_and_is_held(
    hjrk: Workspace, duck: DuckDBEngine
) -> None:
    (hjrk.warehouse / "JC-GA-HJRK" / "v1" / "data.parquet").write_bytes(b"not parquet at all")
    run = evaluate(hjrk, "JC-GA-HJRK", engine=duck)
    assert run.status == "error" and run.error
    assert run.dimensions[Dimension.accessibility] == 0
    assert run.result("readable:data").failing == 1
    assert run.result("not_null:id_number").status == "skipped"
    assert run.hold_reason is not None and run.hold_reason.startswith("数据版本不可读")


def test_checksum_mismatch_fails_accessibility(hjrk: Workspace, duck: DuckDBEngine) -> None:
    data = hjrk.warehouse / "JC-GA-HJRK" / "v1" / "data.parquet"
    write_version(hjrk, "JC-GA-HJRK", 1, HJRK_V2, record=False)  # rewritten in place behind the store
    assert data.exists()
    run = evaluate(hjrk, "JC-GA-HJRK", engine=duck)
    assert run.result("checksum:data").failing == 1
    assert "checksum differs" in (run.result("checksum:data").note or "")


def test_missing_fields_are_read_as_empty(ws: Workspace, duck: DuckDBEngine) -> None:
    write_version(ws, "JC-SC-QY", 1, "SELECT 1 AS _row, '91350100M000100Y43' AS uscc")
    run = evaluate(ws, "JC-SC-QY", engine=duck)
    assert run.error is not None and "name" in run.error
    assert (run.result("not_null:name").checked, run.result("not_null:name").failing) == (1, 1)
    assert run.result("standard:uscc").failing == 0


def test_conformity_rechecks_the_stored_normal_form(ws: Workspace, duck: DuckDBEngine) -> None:
    select = """SELECT * FROM (VALUES (1, '91350100M000100Y43'), (2, '91350100M000100Y44'),
                (3, '91140500MA0K000058'), (4, 'garbage')) AS t(_row, uscc)"""
    write_version(ws, "JC-SC-QY", 1, select)
    run = evaluate(ws, "JC-SC-QY", engine=duck)
    std = run.result("standard:uscc")
    assert (std.checked, std.failing) == (4, 2)
    assert [s["_row"] for s in std.sample] == [2, 4]
    assert std.sample[0]["uscc"] == "91350100M000100Y44"  # not personal information: shown as is


def test_timeliness_and_quarantine_from_the_version_records(ws: Workspace, duck: DuckDBEngine) -> None:
    t1 = dt.datetime.now(dt.UTC) - dt.timedelta(days=70)
    write_version(ws, "JC-GA-HJRK", 1, HJRK_V1, loaded_at=t1)
    write_version(ws, "JC-GA-HJRK", 2, HJRK_V2, loaded_at=t1 + dt.timedelta(days=40), quarantined=3)
    run = evaluate(ws, "JC-GA-HJRK", 2, engine=duck)
    cycle = run.result("update_cycle:loaded_at")
    assert (cycle.checked, cycle.failing) == (1, 1) and "40.0" in (cycle.note or "")
    loaded = run.result("records_loaded:rows")
    assert (loaded.checked, loaded.failing) == (10, 3)
    write_version(ws, "JC-GA-HJRK", 3, HJRK_V2, loaded_at=t1 + dt.timedelta(days=60))
    assert evaluate(ws, "JC-GA-HJRK", 3, engine=duck).result("update_cycle:loaded_at").failing == 0


def test_trend_over_versions_and_department_aggregate(hjrk: Workspace, duck: DuckDBEngine) -> None:
    first = evaluate(hjrk, "JC-GA-HJRK", 1, engine=duck)
    write_version(hjrk, "JC-GA-HJRK", 2, HJRK_V2)
    evaluate(hjrk, "JC-GA-HJRK", 1, engine=duck)  # re-run: the trend keeps the latest run per version
    second = evaluate(hjrk, "JC-GA-HJRK", 2, engine=duck)
    trend = resource_trend(hjrk, "JC-GA-HJRK")
    assert [r.version for r in trend] == [1, 2]
    assert trend[0].score == pytest.approx(first.score)
    assert second.score is not None and first.score is not None and second.score > first.score
    assert second.result("unique:id_number").failing == 0

    dept = department_scorecard(hjrk, "JC-GA")
    assert dept.name == "晋城市公安局"
    assert dept.score == pytest.approx(second.score)  # the current version's run
    assert dept.level == grade(second.score)
    assert [r.version for r in dept.resources] == [2]
    history = department_history(hjrk, "JC-GA")
    assert len(history) == 3 and history[-1][1] == pytest.approx(second.score)
    overview = {d.code: d for d in departments_overview(hjrk)}
    assert overview["JC-MZ"].score is None and overview["JC-MZ"].unevaluated == ("JC-MZ-DBDX",)
    with pytest.raises(NotFound):
        department_scorecard(hjrk, "NOPE")


def test_a_department_aggregates_the_departments_under_it(hjrk: Workspace, duck: DuckDBEngine) -> None:
    """The city government's scorecard (市政府) covers its bureaus' resources; its history moves
    when a bureau's resource is evaluated."""
    import sqlalchemy as sa

    from shuzhi.store import Department

    with hjrk.session() as s:
        s.add(Department(code="JC", name="晋城市人民政府"))
        s.flush()
        bureaus = Department.code.in_(["JC-GA", "JC-MZ"])
        s.execute(sa.update(Department).where(bureaus).values(parent_code="JC"))
        s.commit()
    run = evaluate(hjrk, "JC-GA-HJRK", 1, engine=duck)
    city = department_scorecard(hjrk, "JC")
    assert city.name == "晋城市人民政府"
    assert [r.resource for r in city.resources] == ["JC-GA-HJRK"]
    # a bureau's resource not yet evaluated; 市场监管局 is not under the city government here
    assert city.unevaluated == ("JC-MZ-DBDX",)
    assert city.score == pytest.approx(run.score)
    assert department_history(hjrk, "JC")[-1][1] == pytest.approx(run.score)
    # a bureau's own scorecard is unchanged: its resources only
    assert [r.resource for r in department_scorecard(hjrk, "JC-MZ").resources] == []


def test_nothing_to_evaluate_is_not_found(ws: Workspace) -> None:
    with pytest.raises(NotFound):
        evaluate(ws, "JC-GA-HJRK")
    with pytest.raises(NotFound):
        evaluate(ws, "NO-SUCH")


def _spec(ws: Workspace, code: str):  # type: ignore[no-untyped-def]
    from shuzhi.catalog import get_resource

    return get_resource(ws, code).spec


def test_runs_round_trip_on_each_store(tmp_path: Path, store_url: str, duck: DuckDBEngine) -> None:
    """The same runs, aggregates and trends on SQLite and PostgreSQL."""
    w = Workspace.init(tmp_path / "pg", store_url=None if store_url.startswith("sqlite") else store_url)
    try:
        declare(w, CatalogFile.model_validate(CATALOG))
        write_version(w, "JC-GA-HJRK", 1, HJRK_V1, issues={6: [("mobile", "phone.length", "1381234")]})
        run = evaluate(w, "JC-GA-HJRK", engine=duck, quality=QualitySpec(min_score=99))
        assert {r.rule_id: (r.checked, r.failing) for r in run.results if r.status == "ok"} == EXPECTED_V1
        stored = latest_run(w, "JC-GA-HJRK")
        assert stored.to_dict() == run.to_dict()
        assert stored.results[0].sample == run.results[0].sample
        assert stored.hold_reason is not None and "99" in stored.hold_reason
        assert department_scorecard(w, "JC-GA").score == pytest.approx(run.score)
        assert [r.version for r in resource_trend(w, "JC-GA-HJRK")] == [1]
    finally:
        w.close()


def test_timeliness_is_measured_now_not_only_at_load(hjrk: Workspace, duck: DuckDBEngine) -> None:
    """A monthly resource evaluated when it was loaded, then not loaded for three months: the
    stored run said on time; every scorecard shown now says late, and the scores follow."""
    stored = evaluate(hjrk, "JC-GA-HJRK", engine=duck)
    assert stored.result("update_cycle:loaded_at").failing == 0
    with hjrk.session() as s:  # three months pass
        v = s.scalar(sa.select(ResourceVersion).where(ResourceVersion.number == 1))
        assert v is not None
        v.loaded_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=92)
    now = latest_run(hjrk, "JC-GA-HJRK")
    cycle = now.result("update_cycle:loaded_at")
    assert (cycle.checked, cycle.failing) == (1, 1)
    assert (
        cycle.note is not None
        and "已 92 天未加载，逾期 61 天" in cycle.note
        and "61 days overdue" in cycle.note
    )
    assert now.dimensions[Dimension.timeliness] == 0
    assert stored.score is not None and now.score is not None and now.score < stored.score
    assert now.level == grade(now.score)
    dept = department_scorecard(hjrk, "JC-GA")
    assert dept.score == pytest.approx(now.score)
    assert resource_trend(hjrk, "JC-GA-HJRK")[-1].score == pytest.approx(now.score)
    # a newer load makes it on time again; the old version's runs are shown as stored
    write_version(hjrk, "JC-GA-HJRK", 2, HJRK_V2)
    evaluate(hjrk, "JC-GA-HJRK", 2, engine=duck)
    assert latest_run(hjrk, "JC-GA-HJRK").result("update_cycle:loaded_at").failing == 1  # 92 days gap
    old = latest_run(hjrk, "JC-GA-HJRK", 1)
    assert old.score == pytest.approx(stored.score)


@pytest.mark.parametrize("pattern", [r"\p{Han}+", "[一-龥]+", "(?=[一-龥])[一-龥]+", r"([一-龥])\1"])
def test_a_pattern_the_declaration_check_accepts_is_one_the_run_reads(
    hjrk: Workspace, duck: DuckDBEngine, pattern: str
) -> None:
    """``re2_error`` (what declaring checks patterns with) and the engine agree: what it accepts
    runs, what it refuses makes the run fail."""
    q = QualitySpec.model_validate({"rules": [{"field": "remark", "pattern": pattern}]})
    run = evaluate(hjrk, "JC-GA-HJRK", quality=q, store=False, engine=duck)
    assert (run.status == "ok") == (re2_error(pattern) is None), (run.status, re2_error(pattern))
