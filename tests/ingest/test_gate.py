"""The quality gate at ingestion: every load is evaluated before it is published; a version below
its resource's gate is kept (readable, with its results) but not made current, with the reason; a
failing evaluation or ``--no-quality`` follows the documented policy; ``publish_version`` makes a
held version current later, recording who and why. Real DuckDB, SQLite (and PostgreSQL for the
store round trip), the real CLI and HTTP API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from _ingest_fixtures import HEADER, ROWS, make_workspace, new_resource, rows_of, write_csv, write_text
from typer.testing import CliRunner

from shuzhi.errors import Conflict, DataError, NotFound, ValidationError
from shuzhi.ingest import get_version, ingest, list_versions, publish_version
from shuzhi.quality import department_scorecard, latest_run
from shuzhi.store import IngestJob, ResourceVersion
from shuzhi.workspace import Workspace

#: a row whose phone number is flagged (kept, with an issue): `standard:phone` fails one row
BAD_PHONE = "140502198001010014,赵六,男,1980-01-01,12345,晋城市城区凤台东街1号,100,1,"
#: the gate of the tests: that rule must pass
MUST_PASS_PHONE = {"must_pass": ["standard:phone"]}

runner = CliRunner(env={"COLUMNS": "240"})


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with make_workspace(tmp_path_factory.mktemp("gate") / "ws") as w:
        yield w


def _versions(ws: Workspace, code: str) -> list[tuple[int, bool, bool, str | None]]:
    return [(v.number, v.published, v.current, v.quality_status) for v in list_versions(ws, code)]


def test_every_load_is_evaluated_and_its_run_stored(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws)  # no gate declared
    r = ingest(ws, code, write_csv(tmp_path / "a.csv", [*ROWS, BAD_PHONE]))
    assert r.published and r.hold_reason is None
    assert r.quality_status == "passed" and r.quality_score is not None and r.quality_level
    run = latest_run(ws, code)  # no `shuzhi quality --run` needed
    assert (run.version, run.status, run.rows) == (1, "ok", 5)
    assert run.result("standard:phone").failing == 1  # reported, but nothing gates it
    assert run.result("records_loaded:rows").checked == 5
    assert run.result("checksum:data").failing == 0  # the checksum the load recorded
    assert round(run.score or 0, 2) == r.quality_score
    with ws.session() as s:
        v = s.scalar(
            sa.select(ResourceVersion).where(
                ResourceVersion.number == 1, ResourceVersion.path == f"{code}/v1"
            )
        )
        assert v is not None and v.quality_run_id == run.id and v.published_by == r.loaded_by
    dept = department_scorecard(ws, "JC-MZ")
    assert code in [x.resource for x in dept.resources]


def test_a_version_failing_its_gate_is_kept_but_not_published(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws, quality=MUST_PASS_PHONE)
    first = ingest(ws, code, write_csv(tmp_path / "v1.csv", ROWS), loaded_by="王科员")
    assert first.published and first.quality_status == "passed"

    r = ingest(ws, code, write_csv(tmp_path / "v2.csv", [*ROWS[:2], BAD_PHONE]), loaded_by="王科员")
    assert (r.version, r.published, r.quality_status) == (2, False, "held")
    assert r.hold_reason is not None
    assert "必须通过的规则未通过：standard:phone（1 行）" in r.hold_reason
    assert "must-pass rules failed: standard:phone (1 rows)" in r.hold_reason
    # the previous version stays current; the held one is kept, readable, with its results
    assert _versions(ws, code) == [(1, True, True, "passed"), (2, False, False, "held")]
    assert get_version(ws, code).number == 1
    assert len(rows_of(ws, code)) == 4
    assert len(rows_of(ws, code, 2)) == 3
    held = latest_run(ws, code, 2)
    assert held.hold_reason == r.hold_reason and held.result("standard:phone").failing == 1
    assert latest_run(ws, code).version == 1  # what `shuzhi quality CODE` shows: the current one
    assert list_versions(ws, code)[1].hold_reason == r.hold_reason

    # someone checks it and publishes it, with a reason; who and why are recorded
    with pytest.raises(ValidationError):
        publish_version(ws, code, 2, reason="  ", by="李处长")
    p = publish_version(
        ws, code, 2, reason="电话号码已与部门核实 / phone checked with the department", by="李处长"
    )
    assert (p.version, p.previous, p.published_by) == (2, 1, "李处长")
    assert p.hold_reason == r.hold_reason
    v2 = get_version(ws, code)
    assert (v2.number, v2.published, v2.published_by) == (2, True, "李处长")
    assert v2.publish_note is not None and v2.publish_note.startswith("电话号码已与部门核实")
    assert v2.hold_reason == r.hold_reason  # kept for the record
    # the scorecard of the now current version says it was published, by whom and why
    shown = latest_run(ws, code)
    assert (shown.version, shown.published, shown.published_by) == (2, True, "李处长")
    assert shown.hold_text() == (
        "未通过质量门槛，但已由 李处长 发布（电话号码已与部门核实 / phone checked with the department）："
        "必须通过的规则未通过：standard:phone（1 行）"
    )
    assert shown.hold_text("en") is not None and shown.hold_text("en").startswith(
        "did not pass the quality gate but was published by 李处长"
    )
    assert latest_run(ws, code, 2).published and not latest_run(ws, code, 1).published
    with ws.session() as s:
        job = s.scalar(
            sa.select(IngestJob).where(IngestJob.resource_code == code, IngestJob.mode == "publish")
        )
        assert job is not None and (job.version_number, job.started_by, job.status) == (
            2,
            "李处长",
            "succeeded",
        )
    with pytest.raises(Conflict):
        publish_version(ws, code, 2, reason="again", by="李处长")
    with pytest.raises(NotFound):
        publish_version(ws, code, 9, reason="no such version", by="李处长")
    # a rollback is allowed, and says so
    back = publish_version(ws, code, 1, reason="回退 / roll back", by="李处长")
    assert back.previous == 2 and any("roll" in w for w in back.warnings)


def test_min_score_gate(ws: Workspace, tmp_path: Path) -> None:
    code = new_resource(ws, quality={"min_score": 100})
    r = ingest(ws, code, write_csv(tmp_path / "a.csv", [*ROWS, BAD_PHONE]))
    assert not r.published and r.quality_status == "held" and r.version == 1
    assert (
        r.hold_reason is not None
        and "低于门槛 100" in r.hold_reason
        and "below the minimum 100" in r.hold_reason
    )
    with pytest.raises(NotFound):
        get_version(ws, code)  # nothing current: the first version was held


def test_skipping_quality(ws: Workspace, tmp_path: Path) -> None:
    plain = new_resource(ws)
    r = ingest(ws, plain, write_csv(tmp_path / "a.csv", ROWS), quality=False)
    assert r.published and r.quality_status == "skipped" and r.quality_score is None
    assert any("skipped" in n for n in r.notes)
    with pytest.raises(NotFound):
        latest_run(ws, plain)  # nothing evaluated

    gated = new_resource(ws, quality=MUST_PASS_PHONE)
    r = ingest(ws, gated, write_csv(tmp_path / "b.csv", ROWS), quality=False)
    assert not r.published and r.quality_status == "skipped"
    assert r.hold_reason is not None and "gate was not checked" in r.hold_reason


def _store_rule(ws: Workspace, code: str, rule: dict[str, Any]) -> None:
    """Add ``rule`` to the stored declaration of ``code``, as one stored before such rules were
    refused when declared (the declaration is not checked again when read)."""
    from shuzhi.store import Resource

    with ws.session() as s:
        row = s.scalars(sa.select(Resource).where(Resource.code == code)).one()
        spec = dict(row.spec)
        quality = dict(spec.get("quality") or {})
        quality["rules"] = [*(quality.get("rules") or []), rule]
        row.spec = {**spec, "quality": quality}


def test_a_failing_evaluation_does_not_lose_the_load(ws: Workspace, tmp_path: Path) -> None:
    """A pattern Python accepts but RE2 (DuckDB) refuses, stored before patterns were checked when
    declared: the rules' query fails at run time."""
    broken = {"field": "note", "pattern": "(?=老).*"}
    plain = new_resource(ws)
    _store_rule(ws, plain, broken)
    r = ingest(ws, plain, write_csv(tmp_path / "a.csv", ROWS))
    assert r.published and r.quality_status == "failed"  # no gate: published, the failure recorded
    assert any("quality evaluation incomplete" in n for n in r.notes)
    run = latest_run(ws, plain)
    assert run.status == "failed" and run.error is not None and "could not run" in run.error
    assert run.result("readable:data").failing == 0  # the data itself is readable

    gated = new_resource(ws, quality={"min_score": 50})
    _store_rule(ws, gated, broken)
    r = ingest(ws, gated, write_csv(tmp_path / "b.csv", ROWS))
    assert not r.published and r.quality_status == "held"
    assert r.hold_reason is not None and "gate could not be checked" in r.hold_reason
    assert len(rows_of(ws, gated, 1)) == 4  # loaded and readable


def test_cli_prints_the_reason_and_publishes(ws: Workspace, tmp_path: Path) -> None:
    from shuzhi.cli import app

    code = new_resource(ws, quality=MUST_PASS_PHONE)
    w = ["-w", str(ws.path)]
    ok = runner.invoke(app, ["ingest", code, str(write_csv(tmp_path / "v1.csv", ROWS)), *w])
    assert ok.exit_code == 0, ok.output
    assert "通过门槛" in ok.output
    bad = runner.invoke(app, ["ingest", code, str(write_csv(tmp_path / "v2.csv", [BAD_PHONE])), *w])
    assert bad.exit_code == 1, bad.output
    out = " ".join(bad.output.split())
    assert "未发布" in out and "standard:phone" in out and "must-pass rules failed" in out
    assert f"shuzhi publish {code} 2 --reason" in out
    versions = runner.invoke(app, ["versions", code, *w])
    assert "未发布原因" in versions.output and "standard:phone" in versions.output
    pub = runner.invoke(app, ["publish", code, "2", "--reason", "已核实", "--by", "李处长", "--json", *w])
    assert pub.exit_code == 0, pub.output
    assert json.loads(pub.stdout)["previous"] == 1
    again = runner.invoke(app, ["publish", code, "2", "--reason", "已核实", *w])
    assert again.exit_code != 0
    versions = runner.invoke(app, ["versions", code, *w])
    assert "由 李处长 发布" in versions.output and "已核实" in versions.output
    card = " ".join(runner.invoke(app, ["quality", code, *w]).output.split())
    assert "质量门槛 未通过质量门槛，但已由 李处长 发布（已核实）" in card and "未发布" not in card

    # the scorecard is the current version's: one loaded without the evaluation is evaluated now
    # (it showed the last evaluated version, v2, without a word)
    skipped = runner.invoke(
        app, ["ingest", code, str(write_csv(tmp_path / "v3.csv", ROWS)), "--no-quality", *w]
    )
    assert skipped.exit_code == 1, skipped.output  # the gate was not checked: held
    publish_version(ws, code, 3, reason="先发布，后评估", by="李处长")
    data = json.loads(runner.invoke(app, ["quality", code, "--json", *w]).stdout)
    assert data["version"] == 3 and data["id"] is not None


async def _client(w: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    from shuzhi.web import create_app

    transport = httpx.ASGITransport(app=create_app(w), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def _csv(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


@pytest.mark.anyio
async def test_api_returns_the_hold_and_publishes(store_url: str, tmp_path: Path) -> None:
    url = None if store_url.startswith("sqlite") else store_url
    with make_workspace(tmp_path / "ws", store_url=url) as w:
        code = new_resource(w, quality=MUST_PASS_PHONE)
        async for c in _client(w):

            async def upload(rows: list[str], c: httpx.AsyncClient = c, **data: Any) -> httpx.Response:
                return await c.post(
                    f"/api/v1/resources/{code}/versions",
                    files={"file": ("低保.csv", _csv(rows), "text/csv")},
                    data=data,
                    headers={"X-Shuzhi-User": quote("张三")},
                )

            assert (await upload(ROWS)).status_code == 201
            r = await upload([BAD_PHONE])
            assert r.status_code == 200, r.text
            body = r.json()
            assert (body["published"], body["quality_status"]) == (False, "held")
            assert "standard:phone" in body["hold_reason"]
            q = await c.get(f"/api/v1/quality/resources/{code}/versions/2")
            assert q.status_code == 200 and q.json()["hold_reason"] == body["hold_reason"]
            assert (await c.get(f"/api/v1/quality/resources/{code}")).json()["version"] == 1
            skipped = await upload(ROWS, no_quality="true")
            assert skipped.json()["quality_status"] == "skipped" and not skipped.json()["published"]

            p = await c.post(
                f"/api/v1/resources/{code}/versions/2/publish",
                json={"reason": "已核实"},
                headers={"X-Shuzhi-User": quote("李处长")},
            )
            assert p.status_code == 200, p.text
            assert (p.json()["version"], p.json()["previous"], p.json()["published_by"]) == (2, 1, "李处长")
            again = await c.post(f"/api/v1/resources/{code}/versions/2/publish", json={"reason": "x"})
            assert again.status_code == 409
            empty = await c.post(f"/api/v1/resources/{code}/versions/3/publish", json={"reason": ""})
            assert empty.status_code in (400, 422)
            listed = (await c.get(f"/api/v1/resources/{code}/versions")).json()
            assert listed["current"] == 2
            assert listed["versions"][1]["published_by"] == "李处长"


def test_resources_waiting_for_this_one_are_re_evaluated_once_it_is_loaded(
    ws: Workspace, tmp_path: Path
) -> None:
    registry = new_resource(ws)
    allowance = new_resource(ws, related=[registry])  # its IDs must exist in the registry
    ingest(ws, allowance, write_csv(tmp_path / "a.csv", ROWS))
    first = latest_run(ws, allowance)
    ref = f"references:id_number->{registry}.id_number"
    assert first.result(ref).status == "skipped"  # nothing to check against yet

    r = ingest(ws, registry, write_csv(tmp_path / "r.csv", ROWS[:3]))
    again = latest_run(ws, allowance)
    # the load says whose scorecard it changed, and from what to what
    assert first.score is not None and again.score is not None
    (note,) = [n for n in r.notes if allowance in n]
    assert f"{allowance} 得分 {first.score:.1f} → {again.score:.1f}" in note
    assert f"{allowance} score {first.score:.1f} → {again.score:.1f}" in note
    assert again.id != first.id and again.version == 1
    assert (again.result(ref).status, again.result(ref).checked, again.result(ref).failing) == ("ok", 4, 1)
    # a later load of the registry does not re-evaluate it again (nothing is waiting any more)
    r2 = ingest(ws, registry, write_csv(tmp_path / "r2.csv", ROWS))
    assert not any(allowance in n for n in r2.notes)
    assert latest_run(ws, allowance).id == again.id


def test_a_birth_date_kept_as_text_is_checked_as_a_date(ws: Workspace, tmp_path: Path) -> None:
    """A text field with standard: date named like a birth date gets the default range rule
    1880..today: its date bounds against the text cast to DOUBLE failed every load (Binder Error:
    cannot compare DOUBLE and DATE), so the evaluation never ran."""
    code = new_resource(
        ws,
        [
            {"name": "k", "label": "编号", "key": True},
            {"name": "birth_date", "label": "出生日期", "standard": "date"},  # type: string
        ],
    )
    r = ingest(
        ws, code, write_text(tmp_path / "a.csv", "编号,出生日期\n1,1990-03-07\n2,2999-01-01\n3,1850-5-1\n")
    )
    run = latest_run(ws, code)
    assert r.quality_status == "passed" and run.status == "ok", run.error
    rule = run.result("range:birth_date")
    assert (rule.checked, rule.failing) == (3, 2)


def test_the_version_record_keeps_its_quality_run_and_mapping(tmp_path: Path) -> None:
    """docs/ingest.md: the version record carries the load's score and level and the id of its run,
    and the mapping used; read back later (CLI `versions --json`, API) it carried neither."""
    ws = make_workspace(tmp_path / "ws")
    try:
        code = new_resource(ws)
        result = ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS))
        v = get_version(ws, code, result.version)
        assert v.quality_run_id is not None
        assert (v.quality_score, v.quality_level) == (result.quality_score, result.quality_level)
        assert v.quality_score is not None and v.quality_level
        assert v.mapping and list_versions(ws, code)[-1].quality_run_id == v.quality_run_id
        skipped = ingest(ws, code, write_csv(tmp_path / "b.csv", ROWS[:3] + ROWS[3:]), quality=False)
        w = get_version(ws, code, skipped.version)
        assert (w.quality_run_id, w.quality_score, w.quality_level) == (None, None, None)
    finally:
        ws.close()


def test_rolling_back_to_an_upsert_warns_once(tmp_path: Path) -> None:
    """v2 an upsert onto v1, v3 a full load onto v2: publishing v2 again rolls back v3, and that
    is all there is to say — it also warned that changes between v1 and v3 were not in v2."""
    ws = make_workspace(tmp_path / "ws")
    try:
        code = new_resource(ws)
        ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS))
        ingest(ws, code, write_csv(tmp_path / "b.csv", ROWS[:1]), mode="upsert")
        ingest(ws, code, write_csv(tmp_path / "c.csv", ROWS))
        back = publish_version(ws, code, 2, reason="回退", by="李处长")
        assert back.previous == 3 and len(back.warnings) == 1 and "roll" in back.warnings[0]
    finally:
        ws.close()


def test_the_job_log_keeps_every_publication_and_failed_load(tmp_path: Path) -> None:
    """A version keeps only its last publication (who, why); the job log keeps them all, and the
    loads that failed and left no version — read by the library and `shuzhi versions --log`."""
    from shuzhi.cli import app
    from shuzhi.ingest import job_log

    ws = make_workspace(tmp_path / "ws")
    try:
        code = new_resource(ws)
        ingest(ws, code, write_csv(tmp_path / "a.csv", ROWS), loaded_by="张三")
        ingest(ws, code, write_csv(tmp_path / "b.csv", ROWS[:2] + ROWS[2:]), loaded_by="张三")
        with pytest.raises(DataError):
            ingest(ws, code, write_text(tmp_path / "empty.csv", ""), loaded_by="张三")
        publish_version(ws, code, 1, reason="先回退", by="李处长")
        publish_version(ws, code, 2, reason="核实后恢复", by="王科长")
        publish_version(ws, code, 1, reason="再回退", by="李处长")
        jobs = job_log(ws, code)
        assert [(j.mode, j.version, j.by) for j in jobs if j.mode == "publish"] == [
            ("publish", 1, "李处长"),
            ("publish", 2, "王科长"),
            ("publish", 1, "李处长"),
        ]
        assert next(j.source for j in jobs if j.mode == "publish") == "v1: 再回退"
        failed = [j for j in jobs if j.status == "failed"]
        assert len(failed) == 1 and failed[0].source.endswith("empty.csv") and failed[0].error
        assert sum(j.mode == "full" and j.status == "succeeded" for j in jobs) == 2
        out = CliRunner().invoke(app, ["versions", code, "--log", "-w", str(ws.path)], env={"COLUMNS": "200"})
        assert out.exit_code == 0 and "核实后恢复" in out.output and "失败" in out.output
    finally:
        ws.close()
