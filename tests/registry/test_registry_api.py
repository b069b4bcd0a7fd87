"""``/api/v1/registry`` over real HTTP semantics (httpx ASGITransport), on the session's registry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from _people import Built

from shuzhi.web import create_app
from shuzhi.web._app import API_PREFIX
from shuzhi.web._errors import ERROR_RESPONSES
from shuzhi.web.api import registry as registry_api

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(built: Built) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(built.ws)
    if not any(getattr(r, "path", "").startswith(f"{API_PREFIX}/registry") for r in app.routes):
        app.include_router(registry_api.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        yield c


async def test_lookup_by_citizen_id_in_any_form(client: httpx.AsyncClient, built: Built) -> None:
    p = built.city.people["id15"]
    fifteen = p.id_number[:6] + p.id_number[8:17]
    a = (await client.get("/api/v1/registry/lookup", params={"q": fifteen})).json()
    b = (await client.get("/api/v1/registry/lookup", params={"q": p.id_number})).json()
    assert a["count"] == 1 and a["entries"] == b["entries"]
    entry = a["entries"][0]
    assert entry["golden"]["id_number"] == p.id_number
    assert {r["resource"] for r in entry["records"]} == {"GA-HJ", "WJ-YM", "RS-SB"}
    assert entry["lineage"]["name"][0]["chosen"] is True


async def test_one_person_by_registry_id(client: httpx.AsyncClient, built: Built) -> None:
    (rid,) = built.person("dead-alive")
    r = await client.get(f"/api/v1/registry/{rid}")
    assert r.status_code == 200
    body = r.json()
    assert body["registry_id"] == rid and body["status"] == "active"
    assert [c["kind"] for c in body["conflicts"]] == ["vital_status"]
    assert body["golden"]["deceased"] is True and body["golden"]["death_date"] == "2023-02-01"


async def test_not_found_and_bad_queries(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/registry/P999999999999")
    assert r.status_code == 404 and r.json()["ok"] is False
    r = await client.get("/api/v1/registry/lookup", params={"q": "张伟"})
    assert r.status_code == 422 and "出生日期" in r.json()["error"]
    r = await client.get("/api/v1/registry/lookup", params={"q": "110105194912310021"})
    assert r.status_code == 200 and r.json()["count"] == 0


async def test_stats(client: httpx.AsyncClient, built: Built) -> None:
    r = await client.get("/api/v1/registry/stats")
    assert r.status_code == 200
    body = r.json()
    assert body["persons"] == built.summary.clusters and body["records"] == built.summary.records
    assert body["conflicts"] == built.summary.conflicts


async def test_review_queue_and_decisions(client: httpx.AsyncClient, built: Built) -> None:
    r = await client.get("/api/v1/registry/reviews", params={"status": "all"})
    assert r.status_code == 200 and r.json()["count"] == len(r.json()["items"])
    r = await client.post("/api/v1/registry/reviews/999999", json={"decision": "same"})
    assert r.status_code == 404
    r = await client.get("/api/v1/registry/reviews", params={"status": "done"})
    assert r.status_code == 422 and "pending" in r.json()["error"]


async def test_any_two_records_decided_and_a_record_split_out(
    client: httpx.AsyncClient, built: Built
) -> None:
    cw = built.crosswalk()
    by_person: dict[str, list[tuple[str, str]]] = {}
    for k, v in sorted(cw.items()):
        by_person.setdefault(v, []).append(k)
    (pid, recs), (other_pid, others) = [(p, r) for p, r in by_person.items() if len(r) >= 2][:2]

    def ref(k: tuple[str, str]) -> dict[str, str]:
        return {"resource": k[0], "key": k[1]}

    body = {"left": ref(recs[0]), "right": ref(others[0]), "decision": "different", "note": "核实"}
    r = await client.post(
        "/api/v1/registry/decisions", json=body, headers={"X-Shuzhi-User": "%E8%B5%B5%E5%85%AD"}
    )
    assert r.status_code == 200, r.text
    item = r.json()
    assert item["status"] == "different" and item["decided_by"] == "赵六" and item["note"] == "核实"
    assert {item["left"]["registry_id"], item["right"]["registry_id"]} == {pid, other_pid}
    # a key nobody holds: 404 naming it; a decision that is neither: 422
    r = await client.post(
        "/api/v1/registry/decisions", json={**body, "right": {"resource": "GA-HJ", "key": "no-such-key"}}
    )
    assert r.status_code == 404 and "GA-HJ:no-such-key" in r.json()["error"]
    r = await client.post("/api/v1/registry/decisions", json={**body, "decision": "maybe"})
    assert r.status_code == 422 and "same or different" in r.json()["error"]
    assert list(r.json()["errors"]) == ["body.decision"]  # keyed by the request's path, as FastAPI's
    # "RESOURCE:KEY" in the resource, an empty key: the request is wrong, not the record unknown
    bad = {**body, "right": {"resource": f"{others[0][0]}:{others[0][1]}", "key": ""}}
    r = await client.post("/api/v1/registry/decisions", json=bad)
    assert r.status_code == 422 and {"body.right.resource", "body.right.key"} <= set(r.json()["errors"])
    # split: the record must be one of the person's
    r = await client.post(f"/api/v1/registry/{pid}/split", json={"record": ref(others[0])})
    assert r.status_code == 422 and "不属于" in r.json()["error"]
    assert list(r.json()["errors"]) == ["body.record"]
    r = await client.post("/api/v1/registry/P999999999999/split", json={"record": ref(recs[0])})
    assert r.status_code == 404
    r = await client.post(f"/api/v1/registry/{pid}/split", json={"record": ref(recs[-1]), "note": "错并"})
    assert r.status_code == 200, r.text
    split = r.json()
    assert split["count"] == len(recs) - 1
    assert all(i["status"] == "different" and i["note"] == "错并" for i in split["items"])


async def test_huge_numbers_and_mistyped_keys_are_422(client: httpx.AsyncClient) -> None:
    huge = "99999999999999999999"
    r = await client.post(f"/api/v1/registry/reviews/{huge}", json={"decision": "same"})
    assert r.status_code == 422 and "path.item" in r.json()["errors"]
    r = await client.get("/api/v1/registry/reviews", params={"offset": huge})
    assert r.status_code == 422 and "query.offset" in r.json()["errors"]
    # a typo in "resources" ran a full build of everything
    r = await client.post("/api/v1/registry/build", json={"entity": "person", "resourcs": ["GA-HJ"]})
    assert r.status_code == 422 and "body.resourcs" in r.json()["errors"]
    # a value the route checks itself is keyed where it came from, as pydantic's checks are
    r = await client.post("/api/v1/registry/build", json={"entity": "people"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["body.entity"]
    r = await client.get("/api/v1/registry/reviews", params={"entity": "people"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["query.entity"]
    r = await client.post(
        "/api/v1/registry/reviews/1", params={"entity": "people"}, json={"decision": "same"}
    )
    assert r.status_code == 422 and list(r.json()["errors"]) == ["query.entity"]
