"""shuzhi.toml: defaults, validation with the file and key named, environment overrides."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import shuzhi.config as config_mod
from shuzhi.config import (
    CONFIG_FILE,
    Config,
    EngineSettings,
    StoreSettings,
    env_vars,
    load_config,
    save_config,
)
from shuzhi.errors import ConfigError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / CONFIG_FILE
    p.write_text(text, encoding="utf-8")
    return p


def test_public_api_is_pinned() -> None:
    assert config_mod.__all__ == sorted(config_mod.__all__)


def test_defaults_round_trip(tmp_path: Path) -> None:
    c = Config()
    assert c.store.url == "sqlite:///store.sqlite"
    assert c.engine.kind == "duckdb" and c.engine.memory_limit == "4GB" and c.engine.threads is None
    assert c.server.port == 8000 and c.ui.language == "zh"
    p = tmp_path / CONFIG_FILE
    save_config(c, p)
    assert p.read_text(encoding="utf-8").startswith("# shuzhi")
    assert load_config(p, env={}) == c


def test_a_partial_file_takes_defaults(tmp_path: Path) -> None:
    p = write(tmp_path, '[workspace]\nname = "晋城市"\n[engine]\nthreads = 4\nmemory_limit = "60%"\n')
    c = load_config(p, env={})
    assert c.workspace.name == "晋城市"
    assert c.engine.threads == 4 and c.engine.memory_limit == "60%"
    assert c.warehouse.path == "warehouse"


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    p = write(tmp_path, "[store\nurl = 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(p, env={})
    assert str(p) in err.value.message and "TOML" in err.value.message and "line 1" in err.value.message


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ("[engine]\nthreads = 'many'\n", "engine.threads", "integer"),
        ("[engine]\nthreads = 0\n", "engine.threads", "greater than or equal to 1"),
        ("[engine]\nmemory_limit = 'lots'\n", "engine.memory_limit", "not a memory size"),
        ("[engine]\nmemory_limit = '150%'\n", "engine.memory_limit", "between 0 and 100"),
        ("[engine]\nkind = 'flink'\n", "engine.kind", "'duckdb' or 'spark'"),
        ("[engine]\nmemorylimit = '4GB'\n", "engine.memorylimit", "unknown key"),
        ("[server]\nport = 70000\n", "server.port", "less than or equal to 65535"),
        ("[ui]\nlanguage = 'fr'\n", "ui.language", "'zh' or 'en'"),
        ("[store]\nurl = 'mysql://u@h/db'\n", "store.url", "unsupported database"),
        ("[store]\nurl = 'nonsense'\n", "store.url", "not a database URL"),
        ("[storage]\nurl = 'x'\n", "storage", "unknown key"),
        ("config_version = 2\n", "config_version", "1"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, key: str, says: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(p, env={})
    assert f"{p}: {key}:" in err.value.message
    assert says in err.value.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    p = write(tmp_path, "[engine]\nthreads = 'x'\n[server]\nport = 'y'\n")
    with pytest.raises(ConfigError) as err:
        load_config(p, env={})
    assert "engine.threads" in err.value.message and "server.port" in err.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / CONFIG_FILE, env={})


def test_environment_overrides(tmp_path: Path) -> None:
    p = write(tmp_path, "[server]\nport = 8000\n")
    env = {
        "SHUZHI_STORE_URL": "postgresql+psycopg://shuzhi:pw@db/city",
        "SHUZHI_SERVER_PORT": "9000",
        "SHUZHI_ENGINE_THREADS": "3",
        "SHUZHI_UI_LANGUAGE": "en",
        "SHUZHI_ENGINE_MEMORY_LIMIT": "",  # empty means unset
        "UNRELATED": "x",
    }
    c = load_config(p, env=env)
    assert c.store.url == "postgresql+psycopg://shuzhi:pw@db/city"
    assert c.server.port == 9000 and c.engine.threads == 3 and c.ui.language == "en"
    assert c.engine.memory_limit == "4GB"


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    p = write(tmp_path, "")
    with pytest.raises(ConfigError) as err:
        load_config(p, env={"SHUZHI_SERVER_PORT": "eighty"})
    assert "environment variable SHUZHI_SERVER_PORT (server.port)" in err.value.message


def test_env_vars_cover_every_key() -> None:
    assert env_vars()["SHUZHI_STORE_URL"] == ("store", "url")
    assert env_vars()["SHUZHI_WAREHOUSE_PATH"] == ("warehouse", "path")
    assert env_vars()["SHUZHI_ENGINE_MEMORY_LIMIT"] == ("engine", "memory_limit")
    keys = {(s, k) for s, k in env_vars().values()}
    for section in ("workspace", "store", "warehouse", "engine", "server", "ui"):
        model = type(getattr(Config(), section))
        assert {(section, k) for k in model.model_fields} <= keys


def test_every_setting_and_variable_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [v for v in env_vars() if f"`{v}`" not in text]
    missing += [f"{s}.{k}" for s, k in env_vars().values() if f"`{k}`" not in text]
    assert missing == [], f"document these in {DOCS.name}: {missing}"


def test_password_in_config_makes_the_file_private(tmp_path: Path) -> None:
    p = tmp_path / CONFIG_FILE
    save_config(Config(store=StoreSettings(url="postgresql+psycopg://u:secret@db/x")), p)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_settings_are_validated_in_code_too() -> None:
    with pytest.raises(ValueError, match="memory size"):
        EngineSettings(memory_limit="4 parsecs")
