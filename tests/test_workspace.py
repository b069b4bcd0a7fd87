"""Workspaces on SQLite and PostgreSQL stores: init, open, discover, migrate, info, close."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import shuzhi
from shuzhi.config import CONFIG_FILE, load_config
from shuzhi.engine import DuckDBEngine
from shuzhi.errors import ConfigError, Conflict, WorkspaceNotFound
from shuzhi.store import Department, downgrade, head_revision
from shuzhi.workspace import Workspace

UNREACHABLE_PG = "postgresql+psycopg://shuzhi:s3cret@127.0.0.1:1/nowhere?connect_timeout=2"


def sqlite_default(url: str) -> str | None:
    """The store_url fixture's SQLite variant stands for the default store inside the workspace."""
    return None if url.startswith("sqlite") else url


@pytest.fixture
def ws(tmp_path: Path, store_url: str) -> Iterator[Workspace]:
    w = Workspace.init(tmp_path / "city", name="晋城市", store_url=sqlite_default(store_url))
    yield w
    w.close()


def test_init_creates_the_layout(ws: Workspace, store_url: str) -> None:
    root = ws.path
    assert root.is_absolute()
    for name in (CONFIG_FILE, "warehouse", "tmp", "logs"):
        assert (root / name).exists(), name
    assert ws.warehouse == root / "warehouse"
    if store_url.startswith("sqlite"):
        assert (root / "store.sqlite").is_file()
        assert ws.config.store.url == "sqlite:///store.sqlite"
        assert ws.store_url == f"sqlite:///{root / 'store.sqlite'}"
    text = (root / CONFIG_FILE).read_text(encoding="utf-8")
    assert 'name = "晋城市"' in text
    c = load_config(root / CONFIG_FILE, env={})
    assert c.workspace.name == "晋城市"


def test_init_migrates_and_records_facts(ws: Workspace) -> None:
    status = ws.store_status()
    assert status == {
        "reachable": True,
        "revision": head_revision(),
        "head": head_revision(),
        "up_to_date": True,
        "error": None,
    }
    info = ws.info()
    assert len(info["id"]) == 36 and info["created_at"]
    assert info["store_written_by"] == shuzhi.__version__


def test_open_is_lazy_and_idempotent(ws: Workspace) -> None:
    first_id = ws.info()["id"]
    a = Workspace.open(ws.path)
    b = Workspace.open(ws.path)
    assert a.info()["id"] == b.info()["id"] == first_id
    assert a.name == "晋城市" and a.config == b.config
    a.close()
    a.close()
    b.close()


def test_session_round_trip(ws: Workspace) -> None:
    with ws.session() as s:
        s.add(Department(code="JC-GA", name="晋城市公安局"))
    with ws.session() as s:
        assert [d.name for d in s.scalars(sa.select(Department))] == ["晋城市公安局"]
    with pytest.raises(RuntimeError), ws.session() as s:
        s.add(Department(code="JC-MZ", name="民政局"))
        raise RuntimeError("rolled back")
    with ws.session() as s:
        assert s.scalars(sa.select(Department.code)).all() == ["JC-GA"]


def test_init_twice_is_a_conflict(ws: Workspace) -> None:
    with pytest.raises(Conflict, match="already exists"):
        Workspace.init(ws.path)


def test_force_reinitialises_without_losing_data_or_settings(ws: Workspace, store_url: str) -> None:
    with ws.session() as s:
        s.add(Department(code="JC-GA", name="公安局"))
    ws_id = ws.info()["id"]
    cfg = ws.config_path
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace('memory_limit = "4GB"', 'memory_limit = "2GB"'), "utf-8"
    )
    ws.close()

    again = Workspace.init(ws.path, name="晋城市大数据局", force=True, store_url=sqlite_default(store_url))
    assert again.name == "晋城市大数据局"
    assert again.config.engine.memory_limit == "2GB"
    assert again.info()["id"] == ws_id
    with again.session() as s:
        assert s.scalars(sa.select(Department.code)).all() == ["JC-GA"]
    again.close()


def test_a_store_belongs_to_one_workspace(tmp_path: Path, store_url: str) -> None:
    first = Workspace.init(tmp_path / "a", store_url=store_url)
    with pytest.raises(Conflict, match="already belongs to workspace"):
        Workspace.init(tmp_path / "b", store_url=store_url)
    assert not (tmp_path / "b").exists()  # nothing left behind
    second = Workspace.init(tmp_path / "b", store_url=store_url, force=True)
    assert second.info()["id"] == first.info()["id"]
    first.close()
    second.close()


def test_failed_init_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot reach the store") as err:
        Workspace.init(tmp_path / "new", store_url=UNREACHABLE_PG)
    assert "s3cret" not in err.value.message
    assert not (tmp_path / "new").exists()


def test_init_rejects_bad_store_urls(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid store URL"):
        Workspace.init(tmp_path / "x", store_url="mysql://u@h/db")
    assert not (tmp_path / "x").exists()


def test_init_into_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        Workspace.init(tmp_path / "f")


def test_relative_sqlite_store_lives_in_the_workspace(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "w", store_url="sqlite:///meta/db.sqlite") as w:
        assert (tmp_path / "w" / "meta" / "db.sqlite").is_file()
        assert w.config.store.url == "sqlite:///meta/db.sqlite"


def test_open_missing_workspace_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceNotFound) as err:
        Workspace.open(tmp_path / "nope")
    assert "shuzhi init" in err.value.message and err.value.status == 404


def test_discover_from_env_and_from_cwd(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = ws.warehouse / "people" / "v1"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    assert Workspace.discover() == ws.path
    with Workspace.open() as w:
        assert w.path == ws.path

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(WorkspaceNotFound):
        Workspace.open()
    monkeypatch.setenv("SHUZHI_WORKSPACE", str(ws.path))
    assert Workspace.discover() == ws.path
    monkeypatch.setenv("SHUZHI_WORKSPACE", str(elsewhere))
    with pytest.raises(WorkspaceNotFound):
        Workspace.discover()


def test_environment_overrides_apply_on_open(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUZHI_WORKSPACE_NAME", "测试")
    monkeypatch.setenv("SHUZHI_ENGINE_THREADS", "2")
    with Workspace.open(ws.path) as w:
        assert w.name == "测试" and w.config.engine.threads == 2
        assert w.info()["env_overrides"] == ["SHUZHI_ENGINE_THREADS", "SHUZHI_WORKSPACE_NAME"]


def test_session_refuses_a_store_at_another_schema(ws: Workspace) -> None:
    downgrade(ws.store, "base")
    with Workspace.open(ws.path) as w:
        assert w.store_status()["up_to_date"] is False
        with pytest.raises(ConfigError, match="shuzhi migrate"), w.session():
            pass
        assert w.migrate() == head_revision()
        with w.session() as s:
            assert s.scalars(sa.select(Department)).all() == []


def test_a_store_from_a_newer_shuzhi_is_refused(ws: Workspace) -> None:
    with ws.store.begin() as con:
        con.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with Workspace.open(ws.path) as w:
        with pytest.raises(ConfigError, match="newer shuzhi"), w.session():
            pass
        with pytest.raises(ConfigError, match="newer shuzhi"):
            w.migrate()
        assert w.store_status()["up_to_date"] is False


def test_engine_is_created_lazily_and_released(ws: Workspace) -> None:
    eng = ws.engine
    assert isinstance(eng, DuckDBEngine) and ws.engine is eng
    assert eng.settings()["temp_directory"] == str(ws.path / "tmp" / "duckdb")
    assert eng.fetch_rows("SELECT sz_precheck('')") == [("empty",)]
    ws.close()
    with pytest.raises(RuntimeError, match="closed"):
        eng.fetch_rows("SELECT 1")
    assert ws.engine is not eng  # usable again after close


def test_info(ws: Workspace, store_url: str) -> None:
    (ws.warehouse / "a.parquet").write_bytes(b"x" * 100)
    info = ws.info()
    assert info["name"] == "晋城市" and info["path"] == str(ws.path)
    assert info["store"]["reachable"] is True and info["store"]["up_to_date"] is True
    assert info["store"]["size_bytes"] > 0
    assert info["store"]["dialect"] == ("sqlite" if store_url.startswith("sqlite") else "postgresql")
    assert info["warehouse"] == {"path": str(ws.warehouse), "size_bytes": 100, "files": 1}
    assert info["engine"] == {
        "kind": "duckdb",
        "memory_limit": "4GB",
        "threads": None,
        "temp_dir": str(ws.path / "tmp" / "duckdb"),
    }
    assert info["language"] == "zh" and info["server"] == {"host": "127.0.0.1", "port": 8000}


def test_info_masks_password_and_survives_an_unreachable_store(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUZHI_STORE_URL", UNREACHABLE_PG)
    with Workspace.open(ws.path) as w:
        info = w.info()
    assert info["store"]["url"] == "postgresql+psycopg://shuzhi:***@127.0.0.1:1/nowhere?connect_timeout=2"
    assert info["store"]["reachable"] is False and info["store"]["error"]
    assert "s3cret" not in repr(info)


def test_missing_sqlite_file_is_reported_not_recreated(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w").close()
    for p in (tmp_path / "w").glob("store.sqlite*"):
        os.remove(p)
    with Workspace.open(tmp_path / "w") as w:
        status = w.store_status()
        assert status["reachable"] is False and "missing" in status["error"]
        assert not (tmp_path / "w" / "store.sqlite").exists()
        assert w.migrate() == head_revision()  # `shuzhi migrate` makes a new, empty one
