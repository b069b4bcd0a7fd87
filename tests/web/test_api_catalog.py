"""``/api/v1/catalog``: the catalog over HTTP, in process (httpx ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from shuzhi.catalog import declare
from shuzhi.web import create_app
from shuzhi.workspace import Workspace

pytestmark = pytest.mark.anyio

CATALOG = Path(__file__).parents[1] / "catalog" / "catalog.yaml"
ERROR_KEYS = {"ok", "error", "code", "status"}
API = "/api/v1/catalog"


@pytest.fixture
def workspace(tmp_path: Path, store_url: str) -> Iterator[Workspace]:
    ws = Workspace.init(
        tmp_path / "city", name="晋城市", store_url=None if store_url.startswith("sqlite") else store_url
    )
    declare(ws, CATALOG, by="张三")
    yield ws
    ws.close()


@pytest.fixture
async def client(workspace: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(workspace), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        yield c


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = r.json()
    assert r.status_code == status, body
    assert body["ok"] is False and body["status"] == status and body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    assert set(body) in (ERROR_KEYS, ERROR_KEYS | {"errors"})
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [r["code"] for r in body["resources"]]


async def test_list_and_filter(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/resources")
    assert r.status_code == 200 and r.json()["count"] == 3
    first = r.json()["resources"][0]
    assert first["code"] == "JC-GA-HJRK" and first["department_name"] == "晋城市公安局"
    assert first["labels"]["sharing_type"] == "有条件共享" and first["revision"] == 1
    assert (
        first["fields"][0]["label"] == "公民身份号码"
        and first["labels"]["fields"][0]["personal_info"] == "身份信息"
    )
    r = await client.get(
        f"{API}/resources", params={"sharing": "有条件共享", "grade": "important", "lang": "en"}
    )
    assert codes(r.json()) == ["JC-GA-HJRK", "JC-WJ-JKDA"]
    assert r.json()["resources"][0]["labels"]["sharing_type"] == "conditional"
    r = await client.get(f"{API}/resources", params={"standard": "address"})
    assert codes(r.json()) == ["JC-GA-HJRK"]
    # pages: the count is of every match, the page is limit from offset
    r = await client.get(f"{API}/resources", params={"limit": 2, "offset": 1})
    assert r.json()["count"] == 3 and codes(r.json()) == ["JC-MZ-DBDX", "JC-WJ-JKDA"]
    assert (r.json()["limit"], r.json()["offset"]) == (2, 1)
    for bad in ({"limit": 0}, {"offset": -5}):
        assert_error(await client.get(f"{API}/resources", params=bad), 422, "validation")
    r = await client.get(f"{API}/resources", params={"department": "JC", "q": "低保"})
    assert codes(r.json()) == ["JC-MZ-DBDX"]
    body = assert_error(await client.get(f"{API}/resources", params={"grade": "绝密"}), 422, "validation")
    assert list(body["errors"]) == ["query.grade"]
    body = assert_error(await client.get(f"{API}/resources", params={"sharing": "共享"}), 422, "validation")
    assert list(body["errors"]) == ["query.sharing"]
    # every bad filter at once; a standard nobody follows is a typo, not an empty list
    params = {"sharing": "共享", "grade": "绝密", "standard": "idcrad"}
    body = assert_error(await client.get(f"{API}/resources", params=params), 422, "validation")
    assert sorted(body["errors"]) == ["query.grade", "query.sharing", "query.standard"]
    # an unknown department, or a misspelt parameter, answered everything or nothing before
    body = assert_error(
        await client.get(f"{API}/resources", params={"department": "JC-WX"}), 422, "validation"
    )
    assert list(body["errors"]) == ["query.department"] and "JC-WX" in body["errors"]["query.department"][0]
    # the domain's 422 begins as the request validation's does
    assert body["error"].startswith("请求无效 / invalid request — query.department: 部门不存在")
    body = assert_error(
        await client.get(f"{API}/resources", params={"deparment": "JC-MZ"}), 422, "validation"
    )
    assert list(body["errors"]) == ["query.deparment"]
    assert "unknown parameter 'deparment'" in body["error"] and "department" in body["error"]
    r = await client.get(f"{API}/resources/JC-WJ-JKDA", params={"lang": "en"})
    assert r.status_code == 200  # a parameter of the route's dependencies is known
    body = assert_error(await client.get(f"{API}/resources/JC-WJ-JKDA", params={"x": "1"}), 422, "validation")
    assert list(body["errors"]) == ["query.x"]


async def test_get_one_and_missing(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/resources/JC-WJ-JKDA")
    assert r.status_code == 200
    body = r.json()
    assert body["related"] == ["JC-GA-HJRK"] and body["sharing"]["condition"] == "卫健部门审批"
    assert body["created_by"] == "张三" and body["retired"] is False and body["current_version"] is None
    body = assert_error(await client.get(f"{API}/resources/NOPE"), 404, "not_found")
    assert "NOPE" in body["error"]


async def test_search(client: httpx.AsyncClient) -> None:
    for q in ("rkk", "renkou", "人口", "人口庫", "公安"):
        r = await client.get(f"{API}/search", params={"q": q})
        assert r.status_code == 200 and codes(r.json())[0] == "JC-GA-HJRK", q
    r = await client.get(f"{API}/search", params={"q": "公民身份号码", "limit": 2})
    assert r.json()["count"] == 2 and r.json()["query"] == "公民身份号码"
    assert_error(await client.get(f"{API}/search"), 422, "validation")
    assert_error(await client.get(f"{API}/search", params={"q": " "}), 422, "validation")


async def test_post_creates_then_updates_with_history(client: httpx.AsyncClient) -> None:
    spec = {
        "code": "JC-RS-SB",
        "name": "社保参保人员",
        "department": "JC-MZ",
        "fields": [{"name": "id_number", "label": "公民身份号码", "standard": "idcard", "key": True}],
        "sharing": {"type": "有条件共享", "condition": "人社部门审批"},
    }
    r = await client.post(f"{API}/resources", json=spec, headers={"X-Shuzhi-User": quote("王五")})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["action"], body["revision"]) == ("created", 1)
    assert body["resource"]["sharing"]["type"] == "conditional" and body["resource"]["created_by"] == "王五"

    r = await client.post(f"{API}/resources", json=spec)
    assert r.status_code == 200 and r.json()["action"] == "unchanged" and r.json()["revision"] == 1

    spec["fields"].append({"name": "insured_on", "label": "参保日期", "type": "date"})  # type: ignore[attr-defined]
    r = await client.put(f"{API}/resources/JC-RS-SB", json=spec, headers={"X-Shuzhi-User": "赵六".encode()})
    assert r.status_code == 200 and (r.json()["action"], r.json()["revision"]) == ("updated", 2)

    r = await client.get(f"{API}/resources/JC-RS-SB/history")
    assert r.status_code == 200
    h = r.json()["history"]
    assert [(x["revision"], x["action"], x["changed_by"]) for x in h] == [
        (1, "created", "王五"),
        (2, "updated", "赵六"),
    ]
    assert h[1]["changes"]["fields[1]"][0] is None and h[1]["changes"]["fields[1]"][1]["name"] == "insured_on"
    assert h[1]["spec"]["fields"][1]["label"] == "参保日期"


async def test_put_creates_and_checks_the_code(client: httpx.AsyncClient) -> None:
    spec = {
        "code": "X-1",
        "name": "测试",
        "department": "JC",
        "fields": [{"name": "a", "label": "甲"}],
        "sharing": {"type": "unconditional"},
    }
    r = await client.put(f"{API}/resources/X-1", json=spec)
    assert r.status_code == 201 and r.json()["action"] == "created"
    body = assert_error(await client.put(f"{API}/resources/X-2", json=spec), 422, "validation")
    assert list(body["errors"]) == ["body.code"]


async def test_bad_bodies_are_422_naming_the_field(client: httpx.AsyncClient) -> None:
    spec = {
        "code": "X-1",
        "name": "测试",
        "department": "JC-NONE",
        "fields": [{"name": "a", "label": "甲"}],
        "sharing": {"type": "有条件共享"},
    }
    body = assert_error(await client.post(f"{API}/resources", json=spec), 422, "validation")
    assert list(body["errors"]) == ["body.sharing.condition"], body
    spec["sharing"] = {"type": "unconditional"}
    body = assert_error(await client.post(f"{API}/resources", json=spec), 422, "validation")
    assert list(body["errors"]) == ["body.department"]
    spec.update(department="JC", related=["NOPE"])
    body = assert_error(await client.post(f"{API}/resources", json=spec), 422, "validation")
    assert list(body["errors"]) == ["body.related[0]"]
    # a resource's own problems, each at its key (they were all keyed "body")
    bad = {
        **spec,
        "related": ["X-1"],
        "fields": [
            {"name": "a", "label": "甲", "type": "integer", "min": 5, "max": 2},
            {"name": "a", "label": "乙"},
        ],
    }
    body = assert_error(await client.post(f"{API}/resources", json=bad), 422, "validation")
    assert sorted(body["errors"]) == ["body.fields[0].min", "body.fields[1].name", "body.related[0]"]
    typo = {**spec, "fields": [{"name": "a", "label": "甲", "requried": True}]}
    body = assert_error(await client.post(f"{API}/resources", json=typo), 422, "validation")
    assert body["errors"] == {
        "body.fields[0].requried": ["未知的键（是不是 required？）/ unknown key (did you mean required?)"]
    }
    broken = b'{"code": "X-1", "name": "\xe6\xb5\x8b",, }'
    body = assert_error(
        await client.post(f"{API}/resources", content=broken, headers={"content-type": "application/json"}),
        422,
        "validation",
    )
    assert body["errors"] == {
        "body": [
            "JSON 格式错误：键名须用双引号括起（或多了一个逗号） / malformed JSON: "
            "Expecting property name enclosed in double quotes（第 1 行第 29 列 / line 1, column 29）"
        ]
    }
    # where, in a body of several lines (the offset alone said little)
    lines = b'{\n  "code": "X-1",\n  "name": \n}'
    body = assert_error(
        await client.post(f"{API}/resources", content=lines, headers={"content-type": "application/json"}),
        422,
        "validation",
    )
    assert "第 4 行第 1 列 / line 4, column 1" in body["errors"]["body"][0]
    plain = await client.post(f"{API}/resources", content=b"code: x", headers={"content-type": "text/plain"})
    assert assert_error(plain, 422, "validation")["errors"]["body"][0].startswith("请求体应为 JSON 对象")
    # bodies the JSON parser cannot even read: in the same shape, saying why, in both languages
    gbk = '{"code": "X-1", "name": "测试"}'.encode("gbk")
    body = assert_error(
        await client.post(f"{API}/resources", content=gbk, headers={"content-type": "application/json"}),
        422,
        "validation",
    )
    assert list(body["errors"]) == ["body"] and "不是 UTF-8" in body["errors"]["body"][0]
    assert "the body is not UTF-8 (from byte 26: B2 E2)" in body["errors"]["body"][0]
    twice = '{"code": "X-1", "name": "甲", "department": "JC", "name": "乙"}'.encode()
    body = assert_error(
        await client.post(f"{API}/resources", content=twice, headers={"content-type": "application/json"}),
        422,
        "validation",
    )
    assert body["errors"] == {
        "body": ["JSON 中同一层的键 'name' 写了两次 / the key 'name' is written twice in one JSON object"]
    }
    nested = b'{"code": "X-1", "fields": [{"name": "a", "label": "x", "label": "y"}]}'
    r = await client.post(f"{API}/resources", content=nested, headers={"content-type": "application/json"})
    assert "'label' is written twice" in assert_error(r, 422, "validation")["error"]
    deep = b'{"code": "X-1", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    body = assert_error(
        await client.post(f"{API}/resources", content=deep, headers={"content-type": "application/json"}),
        422,
        "validation",
    )
    assert body["errors"] == {"body": ["请求体嵌套过深，无法解析 / the body is nested too deeply to parse"]}
    empty = assert_error(await client.post(f"{API}/resources"), 422, "validation")
    assert empty["errors"] == {
        "body": ["缺少请求体：应为 JSON 对象 / the request has no body: a JSON object is expected"]
    }


async def test_quality_rule_errors_are_named_where_the_client_wrote_them(client: httpx.AsyncClient) -> None:
    """A rule is one member of a union of rule models: pydantic's location named the member it
    tried (``body.quality.rules.1.Range.min``), which no client sent. The key is the path in the
    body, written as the declaration's own checks write it, and the message is the YAML one."""
    spec: dict[str, Any] = {
        "code": "X-Q",
        "name": "测试",
        "department": "JC",
        "fields": [
            {"name": "house_no", "label": "门牌号"},
            {"name": "age", "label": "年龄", "type": "integer"},
        ],
        "sharing": {"type": "unconditional"},
        "quality": {
            "rules": [
                {"field": "age", "min": 0, "max": 120},
                {"field": "age", "min": "zero"},
                {"kind": "range", "field": "age", "mn": 3},
                {"field": "age", "kind": "rnage"},
            ]
        },
    }
    bad_bound = (
        "应为数字、日期（如 2024-03-01）或 today，实为 'zero' / expected a number, a date (2024-03-01) or "
        "today, got 'zero'"
    )
    for method, url in (("POST", f"{API}/resources"), ("PUT", f"{API}/resources/X-Q")):
        body = assert_error(await client.request(method, url, json=spec), 422, "validation")
        assert list(body["errors"]) == [
            "body.quality.rules[1].min",
            "body.quality.rules[2].mn",
            "body.quality.rules[3].kind",
        ], body
        assert body["errors"]["body.quality.rules[1].min"] == [bad_bound]
        assert body["errors"]["body.quality.rules[2].mn"] == ["未知的键 / unknown key"]
        assert body["errors"]["body.quality.rules[3].kind"][0].startswith(
            "取值无效 'rnage'（是不是 range？）"
        )
        assert "Range" not in body["error"] and ".1." not in body["error"]

    # the same rule in a catalog file: the same message, at the same key in the file
    text = (
        "resources:\n  - code: X-Q\n    name: 测试\n    department: JC\n    sharing: {type: 无条件共享}\n"
        "    fields:\n      - {name: age, label: 年龄, type: integer}\n"
        "    quality:\n      rules:\n        - {field: age, min: zero}\n"
    )
    imported = await client.post(
        f"{API}/import", content=text.encode(), headers={"content-type": "application/yaml"}
    )
    assert assert_error(imported, 422, "validation")["errors"] == {
        "request:10 resources[0].quality.rules[0].min": [bad_bound]
    }

    # what the declaration checks once the body reads well is named alike
    spec["quality"] = {
        "rules": [{"field": "house_no", "min": 0}, {"field": "house_no", "pattern": "(?=1)1号"}]
    }
    body = assert_error(await client.post(f"{API}/resources", json=spec), 422, "validation")
    assert list(body["errors"]) == ["body.quality.rules[0].min", "body.quality.rules[1].pattern"], body
    assert body["errors"]["body.quality.rules[0].min"][0].startswith(
        "字符型信息项 house_no 存的是文字，不能按数字比较"
    )


async def test_other_union_and_mapping_keys_are_named_as_sent(client: httpx.AsyncClient) -> None:
    """A mapping's key that is refused was named ``….bogus.[key]``; a list item ``fields.0``."""
    spec: dict[str, Any] = {
        "code": "X-R",
        "name": "测试",
        "department": "JC",
        "fields": [{"name": "a", "label": "甲", "type": "int"}],
        "sharing": {"type": "unconditional"},
        "registry": {"roles": {"bogus": "a"}},
    }
    body = assert_error(await client.post(f"{API}/resources", json=spec), 422, "validation")
    assert list(body["errors"]) == ["body.fields[0].type", "body.registry.roles.bogus"], body
    assert body["errors"]["body.registry.roles.bogus"][0].startswith("取值无效 'bogus'")


async def test_retire_and_restore(client: httpx.AsyncClient) -> None:
    assert_error(await client.delete(f"{API}/resources/JC-MZ-DBDX"), 422, "validation")  # no reason
    r = await client.delete(f"{API}/resources/JC-MZ-DBDX", params={"reason": "并入救助库"})
    assert r.status_code == 200 and r.json()["retired"] is True and r.json()["revision"] == 2
    assert codes((await client.get(f"{API}/resources")).json()) == ["JC-GA-HJRK", "JC-WJ-JKDA"]
    r = await client.get(f"{API}/resources", params={"include_retired": True})
    assert "JC-MZ-DBDX" in codes(r.json())
    assert_error(await client.delete(f"{API}/resources/JC-MZ-DBDX", params={"reason": "x"}), 409, "conflict")
    assert_error(await client.delete(f"{API}/resources/NOPE", params={"reason": "x"}), 404, "not_found")
    r = await client.post(f"{API}/resources/JC-MZ-DBDX/restore")
    assert r.status_code == 200 and r.json()["retired"] is False
    actions = [
        h["action"] for h in (await client.get(f"{API}/resources/JC-MZ-DBDX/history")).json()["history"]
    ]
    assert actions == ["created", "retired", "restored"]
    assert_error(await client.get(f"{API}/resources/NOPE/history"), 404, "not_found")


async def test_departments(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/departments")
    depts = {d["code"]: d for d in r.json()["departments"]}
    assert depts["JC-GA"]["name"] == "晋城市公安局" and depts["JC-GA"]["resources"] == 1
    r = await client.post(f"{API}/departments", json={"code": "JC-RS", "name": "人社局", "parent": "JC"})
    assert (
        r.status_code == 201 and r.json()["action"] == "created" and r.json()["department"]["parent"] == "JC"
    )
    r = await client.post(
        f"{API}/departments", json={"code": "JC-RS", "name": "晋城市人社局"}, params={"comment": "简称"}
    )
    assert r.status_code == 200 and r.json()["action"] == "updated"
    assert r.json()["department"]["parent"] == "JC"  # left out: kept
    r = await client.get(f"{API}/departments/JC-RS/history")
    assert r.status_code == 200
    created, renamed = r.json()["history"]
    assert created["action"] == "created" and created["spec"]["parent"] == "JC"
    assert renamed["changes"] == {"name": ["人社局", "晋城市人社局"]} and renamed["changed_by"] == "anonymous"
    assert renamed["comment"] == "简称"
    r = await client.post(
        f"{API}/departments", json={"code": "JC-RS", "name": "晋城市人社局", "parent": None}
    )
    assert r.json()["department"]["parent"] is None  # null clears it
    assert_error(await client.get(f"{API}/departments/NOPE/history"), 404, "not_found")
    body = assert_error(
        await client.post(f"{API}/departments", json={"code": "JC-X", "name": "x", "parent": "NOPE"}),
        422,
        "validation",
    )
    assert list(body["errors"]) == ["body.parent"]


async def test_dcat(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/dcat")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    assert doc["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert doc["@id"] == "urn:shuzhi:%E6%99%8B%E5%9F%8E%E5%B8%82:catalog"
    assert [d["dct:identifier"] for d in doc["dcat:dataset"]] == ["JC-GA-HJRK", "JC-MZ-DBDX", "JC-WJ-JKDA"]
    r = await client.get(f"{API}/dcat", params={"code": ["JC-WJ-JKDA"], "base_uri": "https://d.example/"})
    assert [d["@id"] for d in r.json()["dcat:dataset"]] == ["https://d.example/resource/JC-WJ-JKDA"]
    assert_error(await client.get(f"{API}/dcat", params={"code": "NOPE"}), 404, "not_found")


IMPORT = """\
departments:
  - {code: JC-RS, name: 晋城市人力资源和社会保障局, parent: JC}
resources:
  - code: JC-RS-SB
    name: 社保参保人员
    department: JC-RS
    fields:
      - {name: id_number, label: 公民身份号码, standard: idcard, key: true}
    sharing: {type: 无条件共享}
"""


async def test_import_yaml(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{API}/import",
        content=IMPORT.encode(),
        headers={"content-type": "application/yaml", "X-Shuzhi-User": quote("钱七")},
    )
    assert r.status_code == 201, r.json()  # created, as POST /catalog/resources says
    assert r.json()["created"] == ["JC-RS-SB"] and r.json()["departments_created"] == ["JC-RS"]
    r = await client.post(
        f"{API}/import", content=IMPORT.encode(), headers={"content-type": "text/plain; charset=utf-8"}
    )
    assert r.status_code == 200 and r.json()["unchanged"] == ["JC-RS-SB"]
    r = await client.get(f"{API}/resources/JC-RS-SB")
    assert r.json()["department_name"] == "晋城市人力资源和社会保障局" and r.json()["created_by"] == "钱七"


async def test_bodies_and_user_names_have_a_size_limit(client: httpx.AsyncClient) -> None:
    """Nothing of an oversized body is stored: 413 before any of it is read into a declaration."""
    from shuzhi.web.api.deps import MAX_BODY_BYTES

    spec: dict[str, Any] = {
        "code": "X-BIG",
        "name": "大",
        "department": "JC",
        "sharing": {"type": "无条件共享"},
    }
    spec["fields"] = [{"name": "a", "label": "甲"}]
    spec["summary"] = "长" * (MAX_BODY_BYTES // 3 + 1)
    body = assert_error(await client.post(f"{API}/resources", json=spec), 413, "too_large")
    assert body["error"] == (
        f"请求体过大：上限 {MAX_BODY_BYTES:,} 字节 / the request body is larger than the "
        f"{MAX_BODY_BYTES:,} bytes allowed"
    )
    assert_error(await client.get(f"{API}/resources/X-BIG"), 404, "not_found")
    big = IMPORT + "#" * MAX_BODY_BYTES
    r = await client.post(f"{API}/import", content=big.encode(), headers={"content-type": "application/yaml"})
    assert_error(r, 413, "too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it is read
        yield b'{"code": "X-BIG", "summary": "'
        for _ in range(6):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    r = await client.post(f"{API}/resources", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "too_large")
    del spec["summary"]
    r = await client.post(f"{API}/resources", json=spec, headers={"X-Shuzhi-User": "a" * 101})
    body = assert_error(r, 422, "validation")
    assert body["errors"] == {
        "header.X-Shuzhi-User": ["操作人过长：101 个字符，上限 100 / too long: 101 characters, at most 100"]
    }
    r = await client.post(f"{API}/resources", json=spec, headers={"X-Shuzhi-User": "a" * 100})
    assert r.status_code == 201, r.json()
    assert r.json()["resource"]["created_by"] == "a" * 100


async def test_import_errors_name_the_line(client: httpx.AsyncClient) -> None:
    bad = IMPORT.replace("type: 无条件共享", "type: 共享").replace("parent: JC}", "parent: JC, boss: x}")
    r = await client.post(f"{API}/import", content=bad.encode(), headers={"content-type": "application/yaml"})
    body = assert_error(r, 422, "validation")
    assert set(body["errors"]) == {"request:2 departments[0].boss", "request:9 resources[0].sharing.type"}
    r = await client.post(
        f"{API}/import", content=b"resources: [\n  - code", headers={"content-type": "application/yaml"}
    )
    body = assert_error(r, 422, "validation")
    assert any(k.startswith("request:") for k in body["errors"])
    bad = IMPORT.replace("department: JC-RS", "department: JC-NONE")
    body = assert_error(
        await client.post(
            f"{API}/import", content=bad.encode(), headers={"content-type": "application/yaml"}
        ),
        422,
        "validation",
    )
    assert list(body["errors"]) == ["request:6 resources[0].department"]
    assert_error(
        await client.post(f"{API}/import", content=b"", headers={"content-type": "application/yaml"}),
        422,
        "validation",
    )
    r = await client.post(f"{API}/import", json={"resources": []})
    assert_error(r, 415, "unsupported_media_type")
    r = await client.post(f"{API}/import", content="名".encode("gbk"), headers={"content-type": "text/yaml"})
    assert_error(r, 422, "validation")
    assert (await client.get(f"{API}/resources/JC-RS-SB")).status_code == 404  # nothing half-imported


async def test_without_a_workspace_the_catalog_says_so() -> None:
    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shuzhi.test") as c:
        body = assert_error(await c.get(f"{API}/resources"), 500, "config")
        assert "--workspace" in body["error"]


async def test_openapi_documents_the_catalog(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "catalog" in {t["name"] for t in spec["tags"]}
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/catalog/resources", "get"),
        ("/api/v1/catalog/resources", "post"),
        ("/api/v1/catalog/resources/{code}", "put"),
        ("/api/v1/catalog/resources/{code}", "delete"),
        ("/api/v1/catalog/resources/{code}/history", "get"),
        ("/api/v1/catalog/search", "get"),
        ("/api/v1/catalog/departments", "post"),
        ("/api/v1/catalog/departments/{code}/history", "get"),
        ("/api/v1/catalog/dcat", "get"),
        ("/api/v1/catalog/import", "post"),
    ]:
        assert method in paths[path], (path, method)
    assert "application/yaml" in paths["/api/v1/catalog/import"]["post"]["requestBody"]["content"]
