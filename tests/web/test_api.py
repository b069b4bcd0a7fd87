"""The HTTP API, in process over real HTTP semantics (httpx ASGITransport)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import shuzhi
import shuzhi.web as web
from shuzhi.errors import Conflict
from shuzhi.standards import KINDS, CheckKind, Verdict
from shuzhi.standards._registry import register_kind
from shuzhi.standards._sql import MACROS, macro
from shuzhi.standards._verdict import REASONS, precheck, register_reasons
from shuzhi.store import downgrade, head_revision
from shuzhi.web import create_app
from shuzhi.web.api.standards import MAX_BULK
from shuzhi.workspace import Workspace

pytestmark = pytest.mark.anyio

ERROR_KEYS = {"ok", "error", "code", "status"}


# -- a small kind of our own, so the API is tested whatever standards have landed -------------


def _check_digits(value: object) -> Verdict:
    text, done = precheck("sztest", value)
    if done is not None:  # the SQL form's parts struct always has its keys
        return dataclasses.replace(done, parts={"length": done.parts.get("length")})
    assert text is not None
    s = text.strip()
    if not s.isascii() or not s.isdigit():
        return Verdict("sztest", text, False, reason="sztest.not_digits", parts={"length": len(s)})
    return Verdict(
        "sztest",
        text,
        True,
        normalized=s,
        notes=("sztest.trimmed",) if s != text else (),
        parts={"length": len(s)},
    )


_SQL = """CASE WHEN sz_precheck(s) IS NOT NULL
    THEN {'valid': false, 'normalized': NULL::VARCHAR, 'reason': sz_precheck(s), 'notes': []::VARCHAR[],
          'parts': {'length': CASE WHEN sz_precheck(s) = 'too_long' THEN length(s) END::BIGINT}}
  WHEN regexp_full_match(trim(s), '[0-9]+')
    THEN {'valid': true, 'normalized': trim(s), 'reason': NULL::VARCHAR,
          'notes': CASE WHEN trim(s) <> s THEN ['sztest.trimmed'] ELSE []::VARCHAR[] END,
          'parts': {'length': length(trim(s))::BIGINT}}
  ELSE {'valid': false, 'normalized': NULL::VARCHAR, 'reason': 'sztest.not_digits', 'notes': []::VARCHAR[],
        'parts': {'length': length(trim(s))::BIGINT}} END"""


@pytest.fixture
def digits_kind() -> Iterator[str]:
    register_reasons(
        {
            "sztest.not_digits": ("只能是数字（{length} 个字符）", "digits only ({length} characters)"),
            "sztest.trimmed": ("已去掉空格", "spaces removed"),
        }
    )
    macro("sz_sztest_check", ["s"], _SQL)
    register_kind(CheckKind("sztest", "数字串", "digit string", _check_digits, "sz_sztest_check"))
    yield "sztest"
    del KINDS["sztest"], MACROS["sz_sztest_check"], REASONS["sztest.not_digits"], REASONS["sztest.trimmed"]


# -- clients --------------------------------------------------------------------------------


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        yield c


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(create_app()):
        yield c


@pytest.fixture
def workspace(tmp_path: Path, store_url: str) -> Iterator[Workspace]:
    ws = Workspace.init(
        tmp_path / "city", name="晋城市", store_url=None if store_url.startswith("sqlite") else store_url
    )
    yield ws
    ws.close()


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = r.json()
    assert r.status_code == status
    assert body["ok"] is False and body["status"] == status and body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    assert set(body) in (ERROR_KEYS, ERROR_KEYS | {"errors"})
    return body


# -- tests ----------------------------------------------------------------------------------


def test_public_api_is_pinned() -> None:
    assert web.__all__ == ["API_PREFIX", "create_app"]
    assert web.API_PREFIX == "/api/v1"


async def test_health_without_workspace(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "version": shuzhi.__version__,
        "workspace": None,
        "store_reachable": None,
        "schema_revision": None,
        "schema_head": head_revision(),
    }


async def test_health_with_workspace(workspace: Workspace) -> None:
    async for c in _client(create_app(workspace)):
        r = await c.get("/api/v1/health")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "ok" and body["workspace"] == "晋城市"
        assert body["store_reachable"] is True and body["schema_revision"] == head_revision()

        downgrade(workspace.store, "base")
        body = (await c.get("/api/v1/health")).json()
        assert body["status"] == "degraded" and body["schema_revision"] is None


async def test_health_with_unreachable_store(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUZHI_STORE_URL", "postgresql+psycopg://u:pw@127.0.0.1:1/x?connect_timeout=2")
    with Workspace.open(workspace.path) as ws:
        async for c in _client(create_app(ws)):
            r = await c.get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable" and r.json()["store_reachable"] is False


async def test_kinds(client: httpx.AsyncClient, digits_kind: str) -> None:
    r = await client.get("/api/v1/standards/kinds")
    assert r.status_code == 200
    kinds = {k["name"]: k for k in r.json()["kinds"]}
    assert set(kinds) == set(KINDS)
    assert kinds[digits_kind] == {
        "name": "sztest",
        "label": "数字串",
        "label_zh": "数字串",
        "label_en": "digit string",
        "sql_function": "sz_sztest_check(s)",
    }
    r = await client.get("/api/v1/standards/kinds", params={"lang": "en"})
    assert {k["name"]: k["label"] for k in r.json()["kinds"]}[digits_kind] == "digit string"


async def test_check_one(client: httpx.AsyncClient, digits_kind: str) -> None:
    r = await client.get(f"/api/v1/standards/check/{digits_kind}", params={"value": " 12345 "})
    assert r.status_code == 200
    assert r.json() == {
        "kind": "sztest",
        "input": " 12345 ",
        "valid": True,
        "normalized": "12345",
        "reason": None,
        "reason_code": None,
        "notes": ["已去掉空格"],
        "note_codes": ["sztest.trimmed"],
        "parts": {"length": 5},
    }

    r = await client.get(f"/api/v1/standards/check/{digits_kind}", params={"value": "12a", "lang": "en"})
    body = r.json()
    assert body["valid"] is False and body["reason_code"] == "sztest.not_digits"
    assert body["reason"] == "digits only (3 characters)"
    r = await client.get(f"/api/v1/standards/check/{digits_kind}", params={"value": "12a"})
    assert r.json()["reason"] == "只能是数字（3 个字符）"


async def test_check_bulk_agrees_with_single(client: httpx.AsyncClient, digits_kind: str) -> None:
    values = ["123", " 45 ", "x1", "", None, "١٢٣", "9" * 1001]
    r = await client.post(f"/api/v1/standards/check/{digits_kind}", json={"values": values})
    assert r.status_code == 200
    body = r.json()
    assert (body["kind"], body["count"], body["valid"], body["invalid"]) == ("sztest", 7, 2, 5)
    assert [v["input"] for v in body["results"]] == values
    for value, got in zip(values, body["results"], strict=True):
        assert got == _check_digits(value).to_dict("zh"), value
    # again: the pooled connection is reused
    r = await client.post(f"/api/v1/standards/check/{digits_kind}?lang=en", json={"values": ["1"]})
    assert r.json()["results"][0]["valid"] is True


async def test_every_registered_kind_is_checkable(client: httpx.AsyncClient) -> None:
    for name in KINDS:
        r = await client.get(f"/api/v1/standards/check/{name}", params={"value": "?"})
        assert r.status_code == 200 and r.json()["kind"] == name
        r = await client.post(f"/api/v1/standards/check/{name}", json={"values": ["?", None]})
        assert r.status_code == 200 and r.json()["count"] == 2


async def test_unknown_kind_is_404(client: httpx.AsyncClient) -> None:
    body = assert_error(
        await client.get("/api/v1/standards/check/nope", params={"value": "1"}), 404, "not_found"
    )
    assert "nope" in body["error"]
    assert_error(await client.post("/api/v1/standards/check/nope", json={"values": ["1"]}), 404, "not_found")


async def test_bad_requests_are_422_with_errors_by_field(client: httpx.AsyncClient, digits_kind: str) -> None:
    url = f"/api/v1/standards/check/{digits_kind}"
    body = assert_error(await client.post(url, json={"values": "123"}), 422, "validation")
    assert list(body["errors"]) == ["body.values"]
    body = assert_error(await client.post(url, json={}), 422, "validation")
    assert "body.values" in body["errors"]
    body = assert_error(await client.post(url, json={"values": [1, "2"]}), 422, "validation")
    assert list(body["errors"]) == ["body.values[0]"]
    body = assert_error(await client.post(url, json={"values": ["1"] * (MAX_BULK + 1)}), 422, "validation")
    assert "body.values" in body["errors"]
    body = assert_error(
        await client.post(url, content=b"{not json", headers={"content-type": "application/json"}),
        422,
        "validation",
    )
    body = assert_error(await client.get(url), 422, "validation")
    assert list(body["errors"]) == ["query.value"]
    body = assert_error(await client.get(url, params={"value": "1", "lang": "fr"}), 422, "validation")
    assert list(body["errors"]) == ["query.lang"]


async def test_error_shape_is_one_shape() -> None:
    """Pins the JSON of every error: framework errors and ShuzhiError subclasses alike."""
    app = create_app()

    @app.get("/api/v1/_test/conflict")
    def conflict() -> None:
        raise Conflict("已存在 / already there")

    @app.get("/api/v1/_test/crash")
    def crash() -> None:
        raise RuntimeError("secret internals")

    async for c in _client(app):
        r = await c.get("/api/v1/_test/conflict")
        assert r.json() == {"ok": False, "error": "已存在 / already there", "code": "conflict", "status": 409}
        assert r.status_code == 409
        r = await c.get("/api/v1/_test/crash")
        assert r.json() == {
            "ok": False,
            "error": "服务器内部错误 / internal server error",
            "code": "internal",
            "status": 500,
        }
        assert_error(await c.get("/no/such/path"), 404, "not_found")
        assert_error(await c.delete("/api/v1/health"), 405, "method_not_allowed")


async def test_language_defaults_to_the_workspace_setting(tmp_path: Path, digits_kind: str) -> None:
    ws = Workspace.init(tmp_path / "w")
    (ws.config_path).write_text(ws.config_path.read_text(encoding="utf-8").replace('"zh"', '"en"'), "utf-8")
    ws.close()
    with Workspace.open(tmp_path / "w") as en_ws:
        async for c in _client(create_app(en_ws)):
            r = await c.get(f"/api/v1/standards/check/{digits_kind}", params={"value": "a"})
            assert r.json()["reason"] == "digits only (1 characters)"
            r = await c.get(f"/api/v1/standards/check/{digits_kind}", params={"value": "a", "lang": "zh"})
            assert r.json()["reason"] == "只能是数字（1 个字符）"


async def test_openapi_and_offline_docs(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "数治" in spec["info"]["title"] and "shuzhi" in spec["info"]["title"]
    assert "城市数据平台" in spec["info"]["description"] and "data platform" in spec["info"]["description"]
    assert spec["info"]["version"] == shuzhi.__version__
    paths = spec["paths"]
    assert set(paths["/api/v1/standards/check/{kind}"]) == {"get", "post"}
    assert "/api/v1/health" in paths and "/api/v1/standards/kinds" in paths
    assert all(p.startswith("/api/v1/") for p in paths)
    # every router's tag is documented (domains add theirs as they land)
    tags = {t["name"] for t in spec["tags"]}
    assert tags >= {"health", "standards", "catalog"}
    used = {tag for ops in paths.values() for op in ops.values() for tag in op.get("tags", [])}
    assert used <= tags
    # the documented error shape is the real one, not FastAPI's default
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorPublic"]["properties"]) == ERROR_KEYS | {"errors"}
    check = paths["/api/v1/standards/check/{kind}"]["post"]["responses"]
    assert {"404", "422", "500"} <= set(check)
    assert check["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorPublic"
    }

    home = await client.get("/")  # the address `shuzhi serve` prints leads somewhere
    assert home.status_code == 307 and home.headers["location"] == "/docs"
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        assert "/openapi.json" in html
        assert "cdn" not in html.lower() and "googleapis" not in html  # nothing fetched from outside
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        r = await client.get(f"/static/apidocs/{asset}")
        assert r.status_code == 200 and len(r.content) > 1000, asset
