"""``shuzhi init``, ``info``, ``migrate`` and ``serve`` — in process with Typer's runner, and as
the real console command where exit codes and a listening server matter."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from shuzhi.cli import app
from shuzhi.errors import Conflict, WorkspaceNotFound
from shuzhi.store import downgrade, head_revision
from shuzhi.workspace import Workspace

runner = CliRunner()


def shuzhi_cmd(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real entry point (``shuzhi.cli:main``), which maps errors to exit codes."""
    return subprocess.run(
        [sys.executable, "-c", "from shuzhi.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or _env(),
        timeout=120,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUZHI_")}
    env.update({"COLUMNS": "200", **extra})
    return env


def test_init_creates_a_workspace(tmp_path: Path, store_url: str) -> None:
    target = tmp_path / "city"
    args = ["init", str(target), "--name", "晋城市"]
    if not store_url.startswith("sqlite"):
        args += ["--store-url", store_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "workspace created" in result.output
    for name in ("shuzhi.toml", "warehouse/", "tmp/", "logs/"):
        assert re.search(rf"created\s+{name}", result.output), name
        assert (target / name).exists()
    assert f"schema {head_revision()}" in result.output
    with Workspace.open(target) as ws:
        assert ws.name == "晋城市" and ws.store_status()["up_to_date"]


def test_init_twice_fails(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path / "w")]).exit_code == 0
    result = runner.invoke(app, ["init", str(tmp_path / "w")])
    assert result.exit_code != 0 and isinstance(result.exception, Conflict)

    proc = shuzhi_cmd("init", str(tmp_path / "w"))
    assert proc.returncode == 6  # Conflict, through the CLI's one error table
    assert "already exists" in proc.stderr and "--force" in proc.stderr

    result = runner.invoke(app, ["init", str(tmp_path / "w"), "--force", "--name", "新名字"])
    assert result.exit_code == 0, result.output
    assert "re-initialised" in result.output


def test_init_warns_about_a_password_in_the_file(tmp_path: Path, pg_store_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_store_url)
    password = url.password or "pw"  # a server with trust authentication ignores it
    with_password = url.set(password=password).render_as_string(hide_password=False)
    result = runner.invoke(app, ["init", str(tmp_path / "w"), "--store-url", with_password])
    assert result.exit_code == 0, result.output
    assert "password" in result.output and ":***@" in result.output
    assert f":{password}@" not in result.output
    assert (tmp_path / "w" / "shuzhi.toml").stat().st_mode & 0o077 == 0


def test_info(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path / "w"), "--name", "晋城市"])
    result = runner.invoke(app, ["info", "--workspace", str(tmp_path / "w")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "晋城市" in result.output and head_revision() in result.output and "duckdb" in result.output

    result = runner.invoke(app, ["info", "-w", str(tmp_path / "w"), "--json"])
    data = json.loads(result.output)
    assert data["name"] == "晋城市" and data["store"]["revision"] == head_revision()


def test_info_finds_the_workspace_from_env_or_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner.invoke(app, ["init", str(tmp_path / "w")])
    monkeypatch.chdir(tmp_path / "w" / "warehouse")
    assert json.loads(runner.invoke(app, ["info", "--json"]).output)["path"] == str(tmp_path / "w")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHUZHI_WORKSPACE", str(tmp_path / "w"))
    assert json.loads(runner.invoke(app, ["info", "--json"]).output)["path"] == str(tmp_path / "w")


def test_info_without_a_workspace(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", "-w", str(tmp_path / "none")])
    assert isinstance(result.exception, WorkspaceNotFound)
    proc = shuzhi_cmd("info", "-w", str(tmp_path / "none"))
    assert proc.returncode == 4
    assert "shuzhi init" in proc.stderr


def test_migrate(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path / "w")])
    result = runner.invoke(app, ["migrate", "-w", str(tmp_path / "w")])
    assert result.exit_code == 0 and "already at" in result.output
    with Workspace.open(tmp_path / "w") as ws:
        downgrade(ws.store, "base")
    result = runner.invoke(app, ["migrate", "-w", str(tmp_path / "w")])
    assert result.exit_code == 0 and f"(empty) → {head_revision()}" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_and_get(args: list[str], cwd: Path) -> dict[str, object]:
    port = _free_port()
    cmd = [sys.executable, "-c", "from shuzhi.cli import main; main()", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                body: dict[str, object] = r.json()
                return body
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("the server did not answer within 30 s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


@pytest.mark.slow
def test_serve_with_and_without_a_workspace(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path / "w"), "--name", "晋城市"])
    body = _serve_and_get(["--workspace", str(tmp_path / "w"), "--host", "127.0.0.1"], cwd=tmp_path)
    assert body["workspace"] == "晋城市" and body["status"] == "ok"

    (tmp_path / "empty").mkdir()
    body = _serve_and_get([], cwd=tmp_path / "empty")
    assert body["workspace"] is None and body["status"] == "ok"


def test_tables_written_to_a_pipe_are_wide(monkeypatch: pytest.MonkeyPatch) -> None:
    from shuzhi.cli._console import PIPED_WIDTH, new_console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert new_console(file=io.StringIO()).width == PIPED_WIDTH  # not Rich's 80
    monkeypatch.setenv("COLUMNS", "100")
    assert new_console(file=io.StringIO()).width == 100  # the user's choice wins


@pytest.mark.parametrize(
    ("args", "expected", "command"),
    [
        (
            ["ingest", "人口", "a.csv", "--mode", "merge"],
            "错误 / error: 选项 --mode 取值无效 / invalid value for --mode: "
            "应为 full、append、upsert 之一，实为 'merge'",
            "ingest",
        ),
        (["diff", "人口", "一", "2"], "参数 V1 取值无效 / invalid value for V1: 应为整数，实为 '一'", "diff"),
        (["ingest"], "缺少参数 RESOURCE / missing argument RESOURCE", "ingest"),
        (
            ["ingest", "人口", "a.csv", "--mod", "full"],
            "没有选项 --mod / no such option: --mod（是不是 --mode？",
            "ingest",
        ),
        # Click raises this one without its command: no usage line
        (
            ["ingest", "人口", "a.csv", "--mode"],
            "选项 --mode 后面缺少取值 / option --mode requires a value",
            None,
        ),
        (["catalog", "lst"], "没有命令 'lst' / no such command 'lst'（是不是 list？", "catalog"),
        (["versions", "人口", "2", "3"], "多余的参数：2 3 / unexpected extra arguments: 2 3", "versions"),
        # raised by the command itself, without its parameter
        (["check", "idcard"], "取值无效 / invalid value: 请给出要检查的值", "check"),
        (
            ["catalog", "export", "--format", "xml"],
            "取值无效 / invalid value: --format 应为 dcat 或 yaml",
            "catalog export",
        ),
    ],
)
def test_usage_errors_are_worded_in_chinese_and_english(
    tmp_path: Path, args: list[str], expected: str, command: str | None
) -> None:
    run = shuzhi_cmd(*args, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert expected in run.stderr
    assert "Invalid value" not in run.stderr and "Usage:" not in run.stderr
    if command is not None:
        assert f"用法 / usage: shuzhi {command} [OPTIONS]" in run.stderr
        assert f"帮助 / help: shuzhi {command} --help" in run.stderr


def test_help_and_a_bare_group_still_work(tmp_path: Path) -> None:
    assert shuzhi_cmd("--help", cwd=tmp_path).returncode == 0
    bare = shuzhi_cmd("catalog", cwd=tmp_path)  # a group without its command: its help
    assert bare.returncode == 2
    assert "catalog" in bare.stdout + bare.stderr and "list" in bare.stdout + bare.stderr


def test_times_are_shown_in_the_local_zone_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt
    import time

    from shuzhi.cli._console import local_time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        stored = dt.datetime(2026, 12, 1, 2, 39, 5)  # the store keeps UTC, without a zone
        assert local_time(stored) == "2026-12-01 10:39 CST"
        assert local_time(stored.replace(tzinfo=dt.UTC), seconds=True) == "2026-12-01 10:39:05 CST"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_help_paragraphs_are_not_broken_where_the_docstring_was(tmp_path: Path) -> None:
    # a docstring's own line breaks, kept by Typer 0.29 and wrapped again by Rich, made every
    # command's help ragged (a line of 100 characters, then one of 20)
    run = shuzhi_cmd("ingest", "--help", cwd=tmp_path, env=_env(COLUMNS="300"))
    assert run.returncode == 0, run.stderr
    assert "the resource's quality gate applied, before it is published. Exit code 0" in run.stdout
    bare = shuzhi_cmd("registry", "--help", cwd=tmp_path, env=_env(COLUMNS="300"))
    assert "Build a registry (all: both) from the catalog's current versions." in bare.stdout


def test_unwrap_joins_lines_keeps_paragraphs_and_list_items() -> None:
    from shuzhi.cli import unwrap

    text = """加载数据文件为资源的新版
    本 / Load a file into
    a new version.

    Modes:
    - full
    - append
    """
    expected = "加载数据文件为资源的新版本 / Load a file into a new version.\n\nModes:\n- full\n- append"
    assert unwrap(text) == expected
