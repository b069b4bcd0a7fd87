"""``/api/v1/resources/{code}/…``: loads, versions, diffs and quarantines over HTTP, in process
(httpx ASGITransport)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from _ingest_fixtures import HEADER, ROWS, make_workspace, new_resource

from shuzhi.web import create_app
from shuzhi.workspace import Workspace

pytestmark = pytest.mark.anyio

ERROR_KEYS = {"ok", "error", "code", "status"}
BAD = "14050219900307152X,赵六,男,1990-03-07,13803561234,,100,1,"


def _csv(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


@pytest.fixture
def store_ws(tmp_path: Path, store_url: str) -> Iterator[Workspace]:
    url = None if store_url.startswith("sqlite") else store_url
    with make_workspace(tmp_path / "ws", store_url=url) as w:
        yield w


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with make_workspace(tmp_path_factory.mktemp("api") / "ws") as w:
        yield w


async def _client(w: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(w), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


@pytest.fixture
async def client(ws: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(ws):
        yield c


async def _upload(
    c: httpx.AsyncClient, code: str, rows: list[str], *, name: str = "低保.csv", **data: str
) -> httpx.Response:
    return await c.post(
        f"/api/v1/resources/{code}/versions",
        files={"file": (name, _csv(rows), "text/csv")},
        data=data,
        headers={"X-Shuzhi-User": quote("张三")},
    )


async def test_upload_list_read_diff_and_quarantine(store_ws: Workspace) -> None:
    code = new_resource(store_ws)
    async for c in _client(store_ws):
        r = await _upload(c, code, ROWS)
        assert r.status_code == 201, r.text
        first = r.json()
        assert (first["version"], first["rows_loaded"], first["loaded_by"]) == (1, 4, "张三")
        assert first["source"]["name"] == first["source"]["file"] == "低保.csv"
        assert first["path"] == f"{code}/v1"  # as in the versions list, not the server's path
        r = await _upload(
            c, code, [ROWS[0], ROWS[1].replace("650.5", "700"), BAD], name="v2.csv", mode="upsert"
        )
        assert r.status_code == 201, r.text
        second = r.json()
        assert (second["rows_quarantined"], second["rows_updated"], second["rows_total"]) == (1, 1, 4)

        listed = (await c.get(f"/api/v1/resources/{code}/versions")).json()
        assert listed["current"] == 2 and [v["number"] for v in listed["versions"]] == [1, 2]
        one = (await c.get(f"/api/v1/resources/{code}/versions/current")).json()
        assert one["number"] == 2 and one["mode"] == "upsert" and one["current"] is True

        rows = (await c.get(f"/api/v1/resources/{code}/versions/1/rows", params={"limit": 2})).json()
        assert rows["total"] == 4 and len(rows["rows"]) == 2
        assert rows["rows"][0]["birth_date"] == "1990-03-07" and rows["rows"][0]["_row"] == 2

        d = (await c.get(f"/api/v1/resources/{code}/diff", params={"from": 1, "to": 2})).json()
        assert (d["added"], d["removed"], d["changed"]) == (0, 0, 1)
        assert d["changed_sample"][0]["changes"] == [{"field": "amount", "old": "650.5", "new": "700.0"}]

        q = (await c.get(f"/api/v1/resources/{code}/versions/latest/quarantine")).json()
        assert q["total"] == 1 and q["rows"][0]["row"] == 4
        assert q["rows"][0]["values"]["姓名"] == "赵六"
        assert q["by_rule"][0]["rule"] == "id_number.idcard.check_mismatch"


async def test_quarantine_downloads(ws: Workspace, client: httpx.AsyncClient) -> None:
    from openpyxl import load_workbook

    code = new_resource(ws)
    assert (await _upload(client, code, [ROWS[0], BAD])).status_code == 201
    r = await client.get(f"/api/v1/resources/{code}/versions/1/quarantine.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    (row,) = csv.DictReader(r.content.decode("utf-8-sig").splitlines())
    assert row["行号"] == "3" and row["姓名"] == "赵六" and "校验码" in row["问题"]
    r = await client.get(f"/api/v1/resources/{code}/versions/1/quarantine.xlsx", params={"lang": "en"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    assert sheet is not None
    header, first = list(sheet.iter_rows(values_only=True))[:2]
    assert header[:2] == ("row", "problems") and first[0] == 3
    assert not list((ws.tmp / "exports").glob("*/*"))  # the temporary export is removed
    # a domain check of a query parameter is keyed where the parameter came from
    r = await client.get(f"/api/v1/resources/{code}/versions/1/quarantine", params={"rule": "无此规则"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["query.rule"]


async def test_a_mapping_file_can_be_uploaded(ws: Workspace, client: httpx.AsyncClient) -> None:
    code = new_resource(ws)
    mapping = f"resource: {code}\ncolumns:\n  身份证: id_number\n  名字: name\n".encode()
    body = "身份证,名字\n14050219900307151X,张伟\n".encode()
    r = await client.post(
        f"/api/v1/resources/{code}/versions",
        files={"file": ("a.csv", body, "text/csv"), "mapping": ("dibao.yaml", mapping, "application/yaml")},
    )
    assert r.status_code == 201, r.text
    assert {m["field"]: m["matched_by"] for m in r.json()["columns"]}["name"] == "mapping"
    # no X-Shuzhi-User: recorded as anonymous, not as the server's OS account
    assert r.json()["loaded_by"] == "anonymous"
    version = (await client.get(f"/api/v1/resources/{code}/versions")).json()["versions"][0]
    assert version["mapping"]["file"] == "dibao.yaml"  # the uploaded mapping's own name
    # a misspelt field loaded the file without its mapping; a second file was dropped
    r = await client.post(
        f"/api/v1/resources/{code}/versions",
        files=[
            ("file", ("a.csv", body, "text/csv")),
            ("maping", ("dibao.yaml", mapping, "application/yaml")),
        ],
    )
    assert r.status_code == 422, r.text
    assert list(r.json()["errors"]) == ["body.maping"] and "unknown form field 'maping'" in r.text
    r = await client.post(
        f"/api/v1/resources/{code}/versions",
        files=[("file", ("a.csv", body, "text/csv")), ("file", ("b.csv", body, "text/csv"))],
        data={"mode": "append"},
    )
    assert r.status_code == 422 and list(r.json()["errors"]) == ["body.file"], r.text
    assert len((await client.get(f"/api/v1/resources/{code}/versions")).json()["versions"]) == 1


async def test_bad_input_answers_one_error_shape(ws: Workspace, client: httpx.AsyncClient) -> None:
    code = new_resource(ws)
    assert (await _upload(client, code, ROWS)).status_code == 201
    r = await _upload(client, code, [ROWS[0], ROWS[1] + ",多余"], name="ragged.csv")
    assert r.status_code == 422
    body = r.json()
    assert ERROR_KEYS <= set(body) and body["code"] == "data" and body["row"] == 3
    # the uploaded file's own name, not the server's temporary copy of it
    assert body["file"] == "ragged.csv" and str(ws.tmp) not in body["error"]
    headless = "\n".join(["身份证号码,名字", "14050219900307151X,张伟"]).encode()
    r = await client.post(
        f"/api/v1/resources/{code}/versions", files={"file": ("无映射.csv", headless, "text/csv")}
    )
    assert r.status_code == 422 and r.json()["file"] == "无映射.csv", r.text
    assert "mapping 字段" in r.json()["error"] and str(ws.tmp) not in r.json()["error"]
    bad_map = f"resource: {code}\ncolumns:\n  身份证: not_a_field\n".encode()
    r = await client.post(
        f"/api/v1/resources/{code}/versions",
        files={"file": ("a.csv", _csv(ROWS), "text/csv"), "mapping": ("m.yaml", bad_map, "application/yaml")},
    )
    assert r.status_code == 422 and r.json()["code"] == "validation"
    assert any(k.startswith("m.yaml:3") for k in r.json()["errors"])
    r = await _upload(client, code, ROWS, mode="merge")
    assert r.status_code == 422
    # the framework's validation answers in Chinese too
    assert r.json()["errors"]["body.mode"] == [
        "取值无效 'merge'；应为 full、append 或 upsert / "
        "invalid value 'merge'; expected full, append or upsert"
    ]
    # a mapping sent as a form's text, or JSON sent to the upload: said how to send files
    r = await client.post(
        f"/api/v1/resources/{code}/versions",
        data={"mapping": f"resource: {code}"},
        files={"file": ("a.csv", _csv(ROWS), "text/csv")},
    )
    assert r.json()["errors"]["body.mapping"][0].startswith("应以文件上传：multipart/form-data 的文件部分")
    r = await client.post(f"/api/v1/resources/{code}/versions", json={"file": "a.csv"})
    assert "curl -F file=@" in r.json()["errors"]["body.file"][0]
    r = await client.get(f"/api/v1/resources/{code}/diff", params={"from": 1})
    assert r.status_code == 422 and r.json()["errors"]["query.to"] == ["缺少必填项 / required key missing"]
    assert (await client.get(f"/api/v1/resources/{code}/versions")).json()["current"] == 1
    assert not list((ws.tmp / "uploads").glob("*"))  # uploads are removed whatever happens


async def test_unknown_things_are_404(ws: Workspace, client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/resources/NO-SUCH/versions")
    assert r.status_code == 404 and ERROR_KEYS <= set(r.json())
    code = new_resource(ws)
    assert (await client.get(f"/api/v1/resources/{code}/versions/current")).status_code == 404
    assert (await client.get(f"/api/v1/resources/{code}/versions/7/rows")).status_code == 404
    assert (await client.get(f"/api/v1/resources/{code}/versions/x")).status_code == 422
    r = await _upload(client, "NO-SUCH", ROWS)
    assert r.status_code == 404


async def test_the_routes_are_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for p in (
        "/api/v1/resources/{code}/versions",
        "/api/v1/resources/{code}/versions/{n}",
        "/api/v1/resources/{code}/versions/{n}/rows",
        "/api/v1/resources/{code}/diff",
        "/api/v1/resources/{code}/versions/{n}/quarantine",
        "/api/v1/resources/{code}/versions/{n}/quarantine.csv",
        "/api/v1/resources/{code}/versions/{n}/quarantine.xlsx",
    ):
        assert p in paths, p
    assert "ingest" in {t["name"] for t in spec["tags"]}


async def test_numbers_too_large_for_the_store_are_404_or_422_not_500(
    ws: Workspace, client: httpx.AsyncClient
) -> None:
    """A version number, offset or review id beyond 64-bit integers overflowed SQLite and DuckDB
    and answered 500."""
    code = new_resource(ws)
    assert (await _upload(client, code, ROWS)).status_code == 201
    huge = "99999999999999999999999"
    base = f"/api/v1/resources/{code}"
    for method, url in [
        ("GET", f"{base}/versions/{huge}"),
        ("GET", f"{base}/versions/{huge}/rows"),
        ("GET", f"{base}/versions/{huge}/quarantine"),
    ]:
        r = await client.request(method, url)
        assert r.status_code == 404, (url, r.status_code, r.text)
    for method, url, body in [
        ("POST", f"{base}/versions/{huge}/publish", {"reason": "x"}),
        ("GET", f"{base}/versions/1/rows?offset={huge}", None),
        ("GET", f"{base}/diff?from=1&to={huge}", None),
        ("GET", f"/api/v1/quality/resources/{code}/versions/{huge}", None),
    ]:
        r = await client.request(method, url, json=body)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert ERROR_KEYS <= set(r.json())


async def test_a_mistyped_key_or_a_bad_user_header_is_refused(
    ws: Workspace, client: httpx.AsyncClient
) -> None:
    code = new_resource(ws)
    assert (await _upload(client, code, ROWS)).status_code == 201
    r = await client.post(f"/api/v1/resources/{code}/versions/1/publish", json={"reason": "x", "bogus": 1})
    assert r.status_code == 422 and "body.bogus" in r.json()["errors"]  # not made current all the same
    r = await client.post(
        f"/api/v1/resources/{code}/versions/1/publish",
        json={"reason": "x"},
        headers={"X-Shuzhi-User": "%E5%BC"},
    )
    assert r.status_code == 422 and "header.X-Shuzhi-User" in r.json()["errors"]


async def test_the_job_log_over_http(ws: Workspace, client: httpx.AsyncClient) -> None:
    code = new_resource(ws)
    assert (await _upload(client, code, ROWS)).status_code == 201
    r = await client.get(f"/api/v1/resources/{code}/jobs")
    assert r.status_code == 200
    (job,) = r.json()
    assert (job["mode"], job["status"], job["version"], job["by"]) == ("full", "succeeded", 1, "张三")
    assert (await client.get("/api/v1/resources/NO-SUCH/jobs")).status_code == 404


async def test_a_version_is_verified_over_http(ws: Workspace, client: httpx.AsyncClient) -> None:
    from shuzhi.ingest import get_version

    code = new_resource(ws)
    assert (await _upload(client, code, ROWS)).status_code == 201
    r = await client.get(f"/api/v1/resources/{code}/versions/current/verify")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["version"], body["intact"], body["problem"]) == (1, True, None)
    assert body["checksum"] == get_version(ws, code, 1).checksum
    # a data file changed behind shuzhi's back: the check runs and says so
    (data,) = (ws.warehouse / get_version(ws, code, 1).path / "data").glob("*.parquet")
    data.write_bytes(data.read_bytes() + b"\0")
    body = (await client.get(f"/api/v1/resources/{code}/versions/1/verify")).json()
    assert body["intact"] is False and "校验和" in body["problem"] and "checksum" in body["problem"]
    assert str(ws.path) not in body["problem"]  # the server's folders are not told
    # a data file gone: reading the version says so (it answered 500)
    data.unlink()
    r = await client.get(f"/api/v1/resources/{code}/versions/1/rows")
    assert r.status_code == 422 and r.json()["code"] == "data", r.text
    assert f"data files of v1 are missing: {data.name}" in r.json()["error"] and str(ws.path) not in r.text
    assert (await client.get(f"/api/v1/resources/{code}/versions/7/verify")).status_code == 404
