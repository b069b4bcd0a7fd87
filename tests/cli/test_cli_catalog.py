"""``shuzhi catalog …``: declare, browse, search, export from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from shuzhi.catalog import get_resource, history
from shuzhi.cli import EXIT_CODES, app
from shuzhi.errors import Conflict, NotFound, ValidationError
from shuzhi.workspace import Workspace

CATALOG = Path(__file__).parents[1] / "catalog" / "catalog.yaml"

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def exit_code(result: Result) -> int:
    """The exit code ``shuzhi`` (``shuzhi.cli.main``) gives for the result's error."""
    names = {c.__name__ for c in type(result.exception).__mro__}
    return next(code for name, code in EXIT_CODES if name in names)


@pytest.fixture
def wsdir(tmp_path: Path, store_url: str) -> Iterator[str]:
    path = tmp_path / "city"
    Workspace.init(path, store_url=None if store_url.startswith("sqlite") else store_url).close()
    yield str(path)


@pytest.fixture
def city(wsdir: str) -> str:
    ok("catalog", "add", str(CATALOG), "-w", wsdir, "--by", "张三")
    return wsdir


def test_add_reports_created_then_unchanged(wsdir: str) -> None:
    out = ok("catalog", "add", str(CATALOG), "-w", wsdir, "--by", "张三")
    assert "新建 3" in out and "JC-GA-HJRK (r1)" in out and "新建部门 4" in out
    out = ok("catalog", "add", str(CATALOG), "-w", wsdir, "--lang", "en")
    assert "unchanged 3" in out and "created" not in out
    data = json.loads(ok("catalog", "add", str(CATALOG), "-w", wsdir, "--json"))
    assert data["unchanged"] == ["JC-GA-HJRK", "JC-WJ-JKDA", "JC-MZ-DBDX"] and data["created"] == []
    with Workspace.open(wsdir) as ws:
        assert history(ws, "JC-GA-HJRK")[0].changed_by == "张三"


def test_add_refuses_a_bad_file_naming_the_line(wsdir: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        CATALOG.read_text(encoding="utf-8").replace("type: 无条件共享", "type: 共享"), encoding="utf-8"
    )
    result = run("catalog", "add", str(CATALOG), str(bad), "-w", wsdir)
    assert isinstance(result.exception, ValidationError) and exit_code(result) == 3
    line = CATALOG.read_text(encoding="utf-8").splitlines().index("      type: 无条件共享") + 1
    assert list(result.exception.errors) == [f"{bad}:{line} resources[2].sharing.type"]
    assert json.loads(ok("catalog", "list", "-w", wsdir, "--json")) == []  # the good file was not declared


def test_list_and_filters(city: str) -> None:
    out = ok("catalog", "list", "-w", city)
    for text in ("户籍人口库", "居民健康档案", "低保对象", "有条件共享", "重要数据", "共 3 个资源"):
        assert text in out
    out = ok("catalog", "list", "-w", city, "--lang", "en")
    assert "Registered population" in out and "conditional" in out and "3 resource(s)" in out
    codes = [
        e["code"] for e in json.loads(ok("catalog", "list", "-w", city, "--sharing", "有条件共享", "--json"))
    ]
    assert codes == ["JC-GA-HJRK", "JC-WJ-JKDA"]
    data = json.loads(ok("catalog", "list", "-w", city, "--standard", "address", "--grade", "重要", "--json"))
    assert [e["code"] for e in data] == ["JC-GA-HJRK"]
    assert data[0]["labels"]["sharing_type"] == "有条件共享"
    data = json.loads(ok("catalog", "list", "-w", city, "--department", "JC-MZ", "--lang", "en", "--json"))
    assert [e["code"] for e in data] == ["JC-MZ-DBDX"] and data[0]["labels"][
        "sharing_type"
    ] == "unconditional"
    result = run("catalog", "list", "-w", city, "--sharing", "乱写")
    assert isinstance(result.exception, ValidationError) and exit_code(result) == 3


def test_show_with_fields_and_history(city: str) -> None:
    out = ok("catalog", "show", "JC-GA-HJRK", "-w", city, "--history")
    for text in (
        "户籍人口库",
        "晋城市公安局 (JC-GA)",
        "公民身份号码",
        "idcard",
        "身份信息",
        "每日",
        "修订历史",
        "张三",
        "新建",
    ):
        assert text in out, text
    out = ok("catalog", "show", "JC-WJ-JKDA", "-w", city, "--lang", "en")
    assert "medical and health" in out and "monthly" in out
    data = json.loads(ok("catalog", "show", "JC-WJ-JKDA", "-w", city, "--json", "--history"))
    assert (
        data["code"] == "JC-WJ-JKDA" and data["revision"] == 1 and data["history"][0]["action"] == "created"
    )
    result = run("catalog", "show", "NOPE", "-w", city)
    assert isinstance(result.exception, NotFound) and exit_code(result) == 4


def test_search(city: str) -> None:
    assert "户籍人口库" in ok("catalog", "search", "rkk", "-w", city)
    data = json.loads(ok("catalog", "search", "人口庫", "-w", city, "--json"))
    assert [e["code"] for e in data] == ["JC-GA-HJRK"]
    assert "没有找到" in ok("catalog", "search", "不存在的东西", "-w", city)


def test_history_retire_restore(city: str) -> None:
    out = ok("catalog", "retire", "JC-MZ-DBDX", "--reason", "并入救助库", "-w", city, "--by", "李四")
    assert "已撤销 JC-MZ-DBDX" in out
    assert "低保对象" not in ok("catalog", "list", "-w", city)
    assert "低保对象" in ok("catalog", "list", "-w", city, "--all")
    result = run("catalog", "retire", "JC-MZ-DBDX", "--reason", "again", "-w", city)
    assert isinstance(result.exception, Conflict) and exit_code(result) == 6
    ok("catalog", "restore", "JC-MZ-DBDX", "-w", city, "--comment", "误撤")
    out = ok("catalog", "history", "JC-MZ-DBDX", "-w", city)
    for text in ("新建", "撤销", "恢复", "并入救助库", "误撤", "李四", "撤销时间"):
        assert text in out, text
    data = json.loads(ok("catalog", "history", "JC-MZ-DBDX", "-w", city, "--json"))
    assert [h["action"] for h in data] == ["created", "retired", "restored"]


def test_departments(city: str) -> None:
    out = ok("catalog", "departments", "-w", city)
    assert "晋城市卫生健康委员会" in out and "Jincheng Public Security Bureau" in out
    ok("catalog", "add-department", "JC-RS", "晋城市人力资源和社会保障局", "--parent", "JC", "-w", city)
    data = json.loads(ok("catalog", "departments", "-w", city, "--json"))
    assert {d["code"]: d["parent"] for d in data}["JC-RS"] == "JC"
    assert {d["code"]: d["resources"] for d in data}["JC-GA"] == 1
    ok("catalog", "add-department", "JC-RS", "晋城市人社局", "-w", city, "--by", "王五", "--comment", "简称")
    renamed = {d["code"]: d for d in json.loads(ok("catalog", "departments", "-w", city, "--json"))}["JC-RS"]
    assert renamed["parent"] == "JC"  # a rename leaves the parent where it was
    out = ok("catalog", "history", "JC-RS", "-w", city)
    for text in (
        "部门 JC-RS 修订历史",
        "新建",
        "修改",
        "王五",
        "名称: 晋城市人力资源和社会保障局 → 晋城市人社局",
    ):
        assert text in out, text
    data = json.loads(ok("catalog", "history", "JC-RS", "-w", city, "--json"))
    assert [h["action"] for h in data] == ["created", "updated"] and data[1]["spec"]["name"] == "晋城市人社局"
    assert (
        data[1]["changes"] == {"name": ["晋城市人力资源和社会保障局", "晋城市人社局"]}
        and data[1]["comment"] == "简称"
    )
    ok("catalog", "add-department", "JC-RS", "晋城市人社局", "--parent", "", "-w", city)  # "" clears it
    assert json.loads(ok("catalog", "history", "JC-RS", "-w", city, "--json"))[-1]["changes"] == {
        "parent": ["JC", None]
    }
    result = run("catalog", "history", "NOPE", "-w", city)
    assert isinstance(result.exception, NotFound) and "资源或部门" in str(result.exception)


def test_new_creates_a_resource_without_yaml(city: str) -> None:
    out = ok(
        "catalog", "new", "JC-RS-SB", "--name", "社保参保人员", "--department", "JC-MZ",
        "--field", "id_number:公民身份号码:idcard:key,identity",
        "--field", "insured_on:参保日期:date:date",
        "--field", "monthly_base:缴费基数::decimal,sensitive,scale=2",
        "--sharing", "有条件共享", "--condition", "人社部门审批", "--cycle", "每月", "--grade", "重要",
        "--tag", "社保", "--related", "JC-GA-HJRK", "-w", city, "--by", "王五",
    )  # fmt: skip
    assert "JC-RS-SB (r1)" in out
    with Workspace.open(city) as ws:
        e = get_resource(ws, "JC-RS-SB")
    s = e.spec
    assert (s.sharing.type.value, s.sharing.condition, s.update_cycle.value) == (
        "conditional",
        "人社部门审批",
        "monthly",
    )
    assert [f.name for f in s.fields] == ["id_number", "insured_on", "monthly_base"]
    f0, f1, f2 = s.fields
    assert f0.key and f0.standard == "idcard" and f0.personal_info.value == "identity"
    assert f1.type.value == "date" and f1.standard == "date"
    assert f2.type.value == "decimal" and f2.sensitive and f2.standard is None and f2.scale == 2
    assert "数值型（2 位小数）" in ok("catalog", "show", "JC-RS-SB", "-w", city)
    assert e.created_by == "王五" and s.related == ["JC-GA-HJRK"] and s.tags == ["社保"]
    assert "JC-RS-SB" in ok("catalog", "search", "sbcb", "-w", city)  # 社保参保 initials

    again = run("catalog", "new", "JC-RS-SB", "--name", "x", "-d", "JC-MZ", "-f", "a:b", "-w", city)
    assert isinstance(again.exception, Conflict)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["-f", "only_name"], "NAME:LABEL"),
        (["-f", "a:b::wobbly"], "unknown flag"),
        (["-f", "a:b::decimal,scale=two"], "scale must be a whole number"),
    ],
)
def test_new_refuses_bad_fields(city: str, args: list[str], error: str) -> None:
    result = run("catalog", "new", "X-1", "--name", "x", "-d", "JC-MZ", *args, "-w", city)
    assert result.exit_code == 2 and error in result.output


def test_new_validation_errors_name_the_key(city: str) -> None:
    result = run("catalog", "new", "X-1", "--name", "x", "-d", "JC-NONE", "-f", "a:b:passport", "-w", city)
    assert isinstance(result.exception, ValidationError)
    assert list(result.exception.errors) == ["fields[0].standard"]
    result = run("catalog", "new", "X-1", "--name", "x", "-d", "JC-NONE", "-f", "a:b", "-w", city)
    assert isinstance(result.exception, ValidationError) and list(result.exception.errors) == ["department"]
    result = run(
        "catalog",
        "new",
        "X-1",
        "--name",
        "x",
        "-d",
        "JC-MZ",
        "-f",
        "a:b",
        "--sharing",
        "有条件共享",
        "-w",
        city,
    )
    # the missing --condition, at its own key
    assert isinstance(result.exception, ValidationError)
    assert list(result.exception.errors) == ["sharing.condition"]
    result = run(
        "catalog", "new", "X-1", "--name", "x", "-d", "JC-MZ", "-f", "a:b", "--sharing", "随便", "-w", city
    )
    assert isinstance(result.exception, ValidationError)
    (message,) = result.exception.errors["sharing.type"]  # as the YAML and the API say it
    assert (
        message.startswith("取值无效 '随便'；应为 无条件共享、有条件共享 或 不予共享")
        and "Input should" not in message
    )


def test_export_dcat_and_yaml_round_trip(city: str, tmp_path: Path) -> None:
    doc = json.loads(ok("catalog", "export", "-w", city))
    assert doc["@type"] == "dcat:Catalog" and len(doc["dcat:dataset"]) == 3
    out = tmp_path / "one.jsonld"
    assert "exported 1 resource" in ok(
        "catalog", "export", "-w", city, "--code", "JC-WJ-JKDA", "-o", str(out)
    )
    assert [d["dct:identifier"] for d in json.loads(out.read_text("utf-8"))["dcat:dataset"]] == ["JC-WJ-JKDA"]

    yaml_file = tmp_path / "catalog.yaml"
    ok("catalog", "export", "--format", "yaml", "-o", str(yaml_file), "-w", city)
    assert "户籍人口库" in yaml_file.read_text("utf-8")
    assert "unchanged 3" in ok("catalog", "add", str(yaml_file), "-w", city, "--lang", "en")
    other = tmp_path / "other"
    Workspace.init(other).close()
    assert "新建 3" in ok("catalog", "add", str(yaml_file), "-w", str(other))
    assert (
        ok("catalog", "export", "--format", "yaml", "-w", str(other)).split("\n", 1)[1]
        == (yaml_file.read_text("utf-8").split("\n", 1)[1])
    )
    result = run("catalog", "export", "--format", "csv", "-w", city)
    assert result.exit_code == 2


def _cmd(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUZHI_")}
    return subprocess.run(
        [sys.executable, "-c", "from shuzhi.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=120,
    )


def test_exit_codes_of_the_real_command(city: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("resources:\n  - code: X\n    nme: y\n", encoding="utf-8")
    result = _cmd("catalog", "add", str(bad), "-w", city)
    assert result.returncode == 3 and f"{bad}:3 resources[0].nme" in result.stderr
    result = _cmd("catalog", "show", "NOPE", "-w", city)
    assert result.returncode == 4 and "NOPE" in result.stderr
