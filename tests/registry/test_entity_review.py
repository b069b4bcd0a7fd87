"""Clerical review of the legal-entity registry (法人库人工复核) on real DuckDB and SQLite stores.

A hand-made catalog of two resources: the market registry with credit codes, where two pairs of
entities share a name (晋城市星河科技有限公司 twice, 晋城市清泉食品有限公司 twice), and the tax
office's records with no code, whose names match both entities of a pair equally well. Those two
records are ambiguous: each tied candidate is a review item; a decision binds every later build.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from _people import spec
from typer.testing import CliRunner, Result

from shuzhi.cli import app as main_app
from shuzhi.errors import NotFound, ValidationError
from shuzhi.registry import RegistrySource, RunSummary, build, decide, review_queue
from shuzhi.registry._review import ReviewItem
from shuzhi.standards.uscc import orgcode_check_char, uscc_check_char
from shuzhi.web import create_app
from shuzhi.web._app import API_PREFIX
from shuzhi.web._errors import ERROR_RESPONSES
from shuzhi.web.api import registry as registry_api
from shuzhi.workspace import Workspace

SPECS = {
    "SCJG-DJ": spec(
        "SCJG-DJ",
        [
            {"name": "djxh", "label": "登记序号", "key": True},
            {"name": "tyxydm", "label": "统一社会信用代码", "standard": "uscc"},
            {"name": "qymc", "label": "企业名称"},
            {"name": "fddbr", "label": "法定代表人", "standard": "name"},
            {"name": "zs", "label": "住所", "standard": "address"},
        ],
        kind="base",
    ),
    "SW-NSR": spec(
        "SW-NSR",
        [
            {"name": "xh", "label": "序号", "key": True},
            {"name": "nsrsbh", "label": "纳税人识别号", "standard": "uscc"},
            {"name": "nsrmc", "label": "纳税人名称"},
            {"name": "frdb", "label": "法人代表", "standard": "name"},
            {"name": "scjydz", "label": "生产经营地址", "standard": "address"},
        ],
    ),
}


def _code(org8: str) -> str:
    first17 = "91140500" + org8 + orgcode_check_char(org8)
    return first17 + uscc_check_char(first17)


XINGHE = "晋城市星河科技有限公司"
QINGQUAN = "晋城市清泉食品有限公司"
YUANSHAN = "晋城市远山商贸有限公司"


def _market(key: str, org8: str, name: str, rep: str, address: str) -> dict[str, Any]:
    return {"djxh": key, "tyxydm": _code(org8), "qymc": name, "fddbr": rep, "zs": address}


TABLES: dict[str, list[dict[str, Any]]] = {
    "SCJG-DJ": [
        _market("D1", "12345678", XINGHE, "张三", "城区凤台东街1号"),
        _market("D2", "23456789", XINGHE, "李四", "泽州县金村镇2号"),
        _market("D3", "34567890", YUANSHAN, "王五", "城区3号"),
        _market("D4", "45678901", QINGQUAN, "赵六", "城区4号"),
        _market("D5", "56789012", QINGQUAN, "钱七", "城区5号"),
    ],
    "SW-NSR": [
        # no code, no evidence for either candidate: ties
        {"xh": "S1", "nsrsbh": "", "nsrmc": XINGHE, "frdb": "孙八", "scjydz": ""},
        {"xh": "S2", "nsrsbh": "", "nsrmc": QINGQUAN, "frdb": "周九", "scjydz": ""},
        # one candidate only: linked by name, never queued
        {"xh": "S3", "nsrsbh": "", "nsrmc": YUANSHAN, "frdb": "王五", "scjydz": ""},
    ],
}


def _sources(folder: Path) -> list[RegistrySource]:
    out = []
    for code, rows in TABLES.items():
        path = folder / f"{code}-{random.random():.8f}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
        out.append(RegistrySource(spec=SPECS[code], path=path))
    return out


def _crosswalk(summary: RunSummary) -> dict[tuple[str, str], str]:
    rows = duckdb.sql(
        f"SELECT src, rec_key, registry_id FROM read_parquet('{summary.folder}/records.parquet')"
    ).fetchall()
    return {(str(s), str(k)): str(r) for s, k, r in rows}


def _rules(summary: RunSummary) -> dict[tuple[str, str], str | None]:
    rows = duckdb.sql(
        f"SELECT src, rec_key, link_rule FROM read_parquet('{summary.folder}/records.parquet')"
    ).fetchall()
    return {(str(s), str(k)): r for s, k, r in rows}


def _record(item: ReviewItem) -> dict[str, Any]:
    return item.left if item.detail["record"] == "left" else item.right


def _candidate(item: ReviewItem) -> dict[str, Any]:
    return item.right if item.detail["record"] == "left" else item.left


def _find(items: list[ReviewItem], record: str, candidate: str) -> ReviewItem:
    (hit,) = [i for i in items if _record(i)["key"] == record and _candidate(i)["key"] == candidate]
    return hit


def test_ties_are_queued_and_decisions_survive_rebuilds(tmp_path: Path, store_url: str) -> None:
    ws = Workspace.init(tmp_path / "ws", store_url=None if store_url.startswith("sqlite") else store_url)
    try:
        first = build(ws, "legal_entity", sources=_sources(tmp_path))
        ids = _crosswalk(first)
        assert first.to_review == 4 and first.conflicts.get("ambiguous") == 2
        items = review_queue(ws, entity="legal_entity")
        assert len(items) == 4 and {i.entity for i in items} == {"legal_entity"}
        assert review_queue(ws) == []  # the person queue is untouched
        for i in items:
            rec, cand = _record(i), _candidate(i)
            assert rec["resource"] == "SW-NSR" and cand["resource"] == "SCJG-DJ"
            assert rec["name_raw"] == cand["name_raw"] in (XINGHE, QINGQUAN)
            # the entity fields that matter, and what proposed the candidate
            assert cand["uscc"] and cand["rep_name_raw"] and cand["addr_text"]
            assert i.detail["rule"] == "name_full" and i.detail["tier"] == 2 and i.detail["evidence"] == 0
            assert i.detail["candidate_id"] == ids[("SCJG-DJ", cand["key"])] == cand["registry_id"]
            assert i.probability is None and i.status == "pending"
        # tied: the two records are entities of their own
        assert ids[("SW-NSR", "S1")] not in (ids[("SCJG-DJ", "D1")], ids[("SCJG-DJ", "D2")])
        assert ids[("SW-NSR", "S3")] == ids[("SCJG-DJ", "D3")]

        same = decide(ws, _find(items, "S1", "D1").id, "same", by="复核员", entity="legal_entity")
        assert same.status == "same" and same.decided_by == "复核员"
        decide(ws, _find(items, "S2", "D4").id, "different", entity="legal_entity")

        second = build(ws, "legal_entity", sources=_sources(tmp_path))
        after = _crosswalk(second)
        assert after[("SW-NSR", "S1")] == after[("SCJG-DJ", "D1")] != after[("SCJG-DJ", "D2")]
        # D4 ruled out: D5 is now the only candidate
        assert after[("SW-NSR", "S2")] == after[("SCJG-DJ", "D5")] != after[("SCJG-DJ", "D4")]
        assert _rules(second)[("SW-NSR", "S1")] == "reviewed"
        assert _rules(second)[("SW-NSR", "S2")] == "name_full"
        assert second.decisions == 2 and second.to_review == 0
        assert "ambiguous" not in second.conflicts
        assert review_queue(ws, entity="legal_entity") == []  # no longer uncertain: left the queue
        decided = review_queue(ws, entity="legal_entity", status=None)
        # the two undecided tie items are withdrawn (kept with their numbers), not deleted
        assert sorted(i.status for i in decided) == ["different", "same", "withdrawn", "withdrawn"]
        # the coded entities kept their identifiers
        assert all(after[k] == v for k, v in ids.items() if k[0] == "SCJG-DJ")

        # and again: the decisions still hold, nothing moves
        third = build(ws, "legal_entity", sources=_sources(tmp_path))
        assert _crosswalk(third) == after
        assert review_queue(ws, entity="legal_entity") == []
    finally:
        ws.close()


def test_deciding_again_replaces_the_decision(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    try:
        build(ws, "legal_entity", sources=_sources(tmp_path))
        items = review_queue(ws, entity="legal_entity")
        item = _find(items, "S1", "D1")
        decide(ws, item.id, "same", entity="legal_entity")
        decide(ws, item.id, "different", entity="legal_entity")
        ids = _crosswalk(build(ws, "legal_entity", sources=_sources(tmp_path)))
        assert ids[("SW-NSR", "S1")] == ids[("SCJG-DJ", "D2")]
        # an entity item is not a person item: the error says which registry it is of
        with pytest.raises(NotFound, match="--entity legal_entity"):
            decide(ws, item.id, "same")
        with pytest.raises(ValidationError, match="同一法人"):
            decide(ws, item.id, "maybe", entity="legal_entity")
        # the same decision again without a note keeps who made it; with a note, it is replaced
        first = decide(ws, item.id, "different", by="甲", note="核实", entity="legal_entity")
        assert (first.decided_by, first.note) == ("甲", "核实")
        again = decide(ws, item.id, "different", by="乙", entity="legal_entity")
        assert (again.decided_by, again.note) == ("甲", "核实")
        assert (
            decide(ws, item.id, "different", by="乙", note="复查", entity="legal_entity").decided_by == "乙"
        )
    finally:
        ws.close()


# -- CLI and API ----------------------------------------------------------------------------------


def _app() -> typer.Typer:
    if any(g.name == "registry" for g in main_app.registered_groups):
        return main_app
    from shuzhi.cli.registry import register

    app = typer.Typer()
    app.command("noop", hidden=True)(lambda: None)
    register(app)
    return app


def _run(*args: str) -> Result:
    return CliRunner().invoke(_app(), list(args), env={"COLUMNS": "200"})


def _ok(*args: str) -> str:
    result = _run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_cli_lists_and_decides_entity_items(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    try:
        build(ws, "legal_entity", sources=_sources(tmp_path))
    finally:
        ws.close()
    w = str(tmp_path / "ws")
    items = json.loads(_ok("registry", "review", "--entity", "legal_entity", "-w", w, "--json"))
    assert len(items) == 4 and all(i["detail"]["rule"] == "name_full" for i in items)
    assert json.loads(_ok("registry", "review", "-w", w, "--json")) == []
    text = _ok("registry", "review", "--entity", "legal_entity", "-w", w, "--lang", "en")
    assert "name_full 2" in text and "(candidate)" in text and "(record)" in text and XINGHE in text
    first = items[0]["id"]
    assert _run("registry", "decide", str(first), "same", "-w", w).exit_code != 0  # not a person item
    out = json.loads(
        _ok("registry", "decide", str(first), "same", "--entity", "legal_entity", "-w", w, "--json")
    )
    assert out["status"] == "same" and out["detail"]["rule"] == "name_full"
    left = json.loads(_ok("registry", "review", "--entity", "legal_entity", "-w", w, "--json"))
    assert {i["id"] for i in left} == {i["id"] for i in items} - {first}


@pytest.mark.anyio
async def test_api_lists_and_decides_entity_items(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    try:
        build(ws, "legal_entity", sources=_sources(tmp_path))
        app = create_app(ws)
        if not any(getattr(r, "path", "").startswith(f"{API_PREFIX}/registry") for r in app.routes):
            app.include_router(registry_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
            r = await c.get(f"{API_PREFIX}/registry/reviews", params={"entity": "legal_entity"})
            assert r.status_code == 200 and r.json()["count"] == 4
            item = next(i for i in r.json()["items"] if {i["left"]["key"], i["right"]["key"]} == {"S1", "D2"})
            sides = (item["left"]["registry_id"], item["right"]["registry_id"])
            assert item["detail"]["candidate_id"] in sides
            r = await c.post(f"{API_PREFIX}/registry/reviews/{item['id']}", json={"decision": "same"})
            assert r.status_code == 404  # a person item by default
            r = await c.post(
                f"{API_PREFIX}/registry/reviews/{item['id']}",
                params={"entity": "legal_entity"},
                json={"decision": "same", "note": "同一纳税人"},
                headers={"X-Shuzhi-User": "clerk"},
            )
            assert r.status_code == 200 and r.json()["status"] == "same" and r.json()["decided_by"] == "clerk"
        ids = _crosswalk(build(ws, "legal_entity", sources=_sources(tmp_path)))
        assert ids[("SW-NSR", "S1")] == ids[("SCJG-DJ", "D2")]
    finally:
        ws.close()


def test_a_record_linked_by_name_is_split_out_one_linked_by_code_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shuzhi.errors import ValidationError
    from shuzhi.registry import decide_pair, lookup, split_record

    d1 = next(r for r in TABLES["SCJG-DJ"] if r["djxh"] == "D1")
    taxed = {"xh": "S9", "nsrsbh": d1["tyxydm"], "nsrmc": d1["qymc"], "frdb": None, "scjydz": None}
    monkeypatch.setitem(TABLES, "SW-NSR", [*TABLES["SW-NSR"], taxed])
    ws = Workspace.init(tmp_path / "ws")
    try:
        first = build(ws, "legal_entity", sources=_sources(tmp_path))
        ids, rules = _crosswalk(first), _rules(first)
        eid = ids[("SCJG-DJ", "D3")]
        assert ids[("SW-NSR", "S3")] == eid and rules[("SW-NSR", "S3")] == "name_full"
        (item,) = split_record(ws, eid, ("SW-NSR", "S3"), by="复核员", note="同名不同企业")
        assert item.status == "different" and item.entity == "legal_entity"
        second = build(ws, "legal_entity", sources=_sources(tmp_path))
        after = _crosswalk(second)
        assert after[("SCJG-DJ", "D3")] == eid != after[("SW-NSR", "S3")]
        history = lookup(ws, eid)[0].history
        assert any(h["action"] == "split" and h["reason"] == "decided" for h in history), history
        # a record in its entity by its credit code: one code is one entity, no decision splits it
        assert (
            after[("SW-NSR", "S9")] == after[("SCJG-DJ", "D1")] and _rules(second)[("SW-NSR", "S9")] == "uscc"
        )
        with pytest.raises(ValidationError, match="one code is one legal entity"):
            split_record(ws, after[("SCJG-DJ", "D1")], ("SW-NSR", "S9"))
        # … nor a pair decided different: it would bind nothing, silently
        with pytest.raises(ValidationError, match="one code is one legal entity"):
            decide_pair(ws, ("SW-NSR", "S9"), ("SCJG-DJ", "D1"), "different", entity="legal_entity")
        assert (
            decide_pair(ws, ("SW-NSR", "S9"), ("SCJG-DJ", "D1"), "same", entity="legal_entity").status
            == "same"
        )
    finally:
        ws.close()
