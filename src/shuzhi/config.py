"""Workspace configuration: the ``shuzhi.toml`` file at the root of every workspace.

::

    config_version = 1

    [workspace]
    name = "晋城市大数据局"

    [store]                      # the metadata store (SQLAlchemy URL)
    url = "sqlite:///store.sqlite"          # relative SQLite paths are inside the workspace

    [warehouse]                  # where the Parquet versions live
    path = "warehouse"

    [engine]                     # the compute engine
    kind = "duckdb"
    memory_limit = "4GB"         # or "60%"; DuckDB spills to temp_dir beyond it
    # threads = 8                # default: one per CPU core
    temp_dir = "tmp/duckdb"

    [registry]                   # the base registries (人口库、法人库): see docs/registry.md
    max_comparisons = 50_000_000 # refuse a run whose blocking rules make more record pairs
    match_threshold = 0.95       # pairs at or above this match probability are the same entity

    [server]
    host = "127.0.0.1"
    port = 8000

    [ui]
    language = "zh"              # zh | en

Every key can be overridden by an environment variable ``SHUZHI_<SECTION>_<KEY>`` (see
:func:`env_vars`), e.g. ``SHUZHI_STORE_URL=postgresql+psycopg://shuzhi@db/shuzhi`` — the way to keep
a password out of the file. Relative paths are relative to the workspace folder.

Bad TOML, unknown keys and bad values raise :class:`~shuzhi.errors.ConfigError` naming the file (or
the environment variable) and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pydantic
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shuzhi import errors

__all__ = [
    "CONFIG_FILE",
    "Config",
    "EngineSettings",
    "RegistrySettings",
    "ServerSettings",
    "StoreSettings",
    "UISettings",
    "WarehouseSettings",
    "WorkspaceSettings",
    "apply_env",
    "env_vars",
    "load_config",
    "save_config",
]

#: the file that marks a folder as a workspace
CONFIG_FILE = "shuzhi.toml"
#: the default metadata store: a SQLite file inside the workspace
_DEFAULT_STORE_URL = "sqlite:///store.sqlite"

_MEMORY = re.compile(r"^\s*(\d+(\.\d+)?)\s*(%|B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


def _memory_size(v: str) -> str:
    m = _MEMORY.match(v)
    if not m:
        raise ValueError(f"not a memory size: {v!r} (write e.g. 4GB, 512MB or 60%)")
    if m.group(3) == "%" and not 0 < float(m.group(1)) <= 100:
        raise ValueError(f"a percentage of memory must be between 0 and 100: {v!r}")
    return v.strip()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkspaceSettings(_Section):
    """``[workspace]``"""

    #: a human name shown in the UI and ``shuzhi info``; defaults to the folder's name
    name: str | None = Field(default=None, min_length=1, max_length=200)


class StoreSettings(_Section):
    """``[store]``: the metadata store."""

    #: any SQLAlchemy URL: ``sqlite:///store.sqlite`` (relative to the workspace),
    #: ``postgresql+psycopg://user@host:5432/db``
    url: str = _DEFAULT_STORE_URL

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            u = make_url(v)
        except (ArgumentError, ValueError) as e:
            raise ValueError(f"not a database URL: {e}") from None
        backend = u.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
        return v


class WarehouseSettings(_Section):
    """``[warehouse]``: where the Parquet versions of every resource live."""

    path: str = Field(default="warehouse", min_length=1)


class EngineSettings(_Section):
    """``[engine]``: the compute engine that runs bulk SQL."""

    #: ``duckdb`` (in process) or ``spark`` (local Spark; needs ``pip install 'shuzhi[spark]'`` and Java 17+)
    kind: Literal["duckdb", "spark"] = "duckdb"
    #: memory the engine may use before spilling to ``temp_dir``: ``4GB``, ``512MB`` or ``60%``
    memory_limit: str = "4GB"
    #: worker threads; unset means one per CPU core
    threads: int | None = Field(default=None, ge=1, le=1024)
    #: spill directory, relative to the workspace
    temp_dir: str = Field(default="tmp/duckdb", min_length=1)

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, v: str) -> str:
        return _memory_size(v)


class RegistrySettings(_Section):
    """``[registry]``: entity resolution for the base registries (see ``docs/registry.md``)."""

    #: refuse a run whose blocking rules make more record pairs than this (counted before running)
    max_comparisons: int = Field(default=50_000_000, ge=1)
    #: pairs with a match probability at or above this are the same person (or legal entity)
    match_threshold: float = Field(default=0.95, gt=0, lt=1)
    #: pairs from here up to ``match_threshold`` are kept as candidates for clerical review
    review_threshold: float = Field(default=0.5, gt=0, lt=1)
    #: memory of the linkage's own DuckDB before it spills to ``tmp/registry``; default: ``[engine]``'s
    memory_limit: str | None = None
    #: threads of the linkage's DuckDB; default: ``[engine]``'s
    threads: int | None = Field(default=None, ge=1, le=1024)
    #: seed of the random sampling that estimates u probabilities (same seed, same model)
    seed: int = 20260101
    #: record pairs sampled to estimate u probabilities
    u_max_pairs: int = Field(default=10_000_000, ge=1000)
    #: record pairs (about) each expectation-maximisation session trains on: a deterministic
    #: sample (by a hash of the record number) when the blocking rule makes more; 0: all of them
    em_max_pairs: int = Field(default=2_000_000, ge=0)
    #: the share of true matches the deterministic rules are assumed to find (training)
    recall: float = Field(default=0.8, gt=0, le=1)
    #: save Splink's charts (match weights, m/u parameters, a waterfall) as HTML for each run
    charts: bool = True

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, v: str | None) -> str | None:
        return None if v is None else _memory_size(v)

    @model_validator(mode="after")
    def _thresholds(self) -> RegistrySettings:
        if self.review_threshold > self.match_threshold:
            raise ValueError(
                f"review_threshold ({self.review_threshold}) must not exceed match_threshold "
                f"({self.match_threshold})"
            )
        return self


class ServerSettings(_Section):
    """``[server]``: where ``shuzhi serve`` listens."""

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8000, ge=1, le=65535)


class UISettings(_Section):
    """``[ui]``"""

    #: language of messages: ``zh`` (简体中文) or ``en``
    language: Literal["zh", "en"] = "zh"


class Config(_Section):
    """The whole ``shuzhi.toml``."""

    config_version: Literal[1] = 1
    workspace: WorkspaceSettings = WorkspaceSettings()
    store: StoreSettings = StoreSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    engine: EngineSettings = EngineSettings()
    registry: RegistrySettings = RegistrySettings()
    server: ServerSettings = ServerSettings()
    ui: UISettings = UISettings()

    def to_toml(self) -> str:
        """The TOML text of this configuration (keys left unset are omitted)."""
        return _HEADER + tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))


def _env_vars() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for section, info in Config.model_fields.items():
        model = info.annotation
        if isinstance(model, type) and issubclass(model, _Section):
            for key in model.model_fields:
                out[f"SHUZHI_{section}_{key}".upper()] = (section, key)
    return out


_ENV_VARS: dict[str, tuple[str, str]] = _env_vars()


def env_vars() -> dict[str, tuple[str, str]]:
    """Each environment variable -> the (section, key) it overrides, e.g. ``SHUZHI_STORE_URL`` ->
    ``("store", "url")``."""
    return dict(_ENV_VARS)


_HEADER = (
    "# shuzhi 工作区配置 / workspace configuration.\n"
    "# Every key can be overridden by SHUZHI_<SECTION>_<KEY>, e.g. SHUZHI_STORE_URL.\n\n"
)


def load_config(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (a ``shuzhi.toml``) and apply environment overrides from ``env``.

    ``env`` defaults to ``os.environ``; pass ``{}`` to read the file alone.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise errors.ConfigError(f"配置文件不存在 / configuration file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise errors.ConfigError(f"无法读取配置文件 / cannot read {p}: {e}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise errors.ConfigError(f"配置文件不是有效的 TOML / invalid TOML in {p}: {e}") from None
    config = _validate(raw, source=str(p))
    return apply_env(config, os.environ if env is None else env)


def apply_env(config: Config, env: Mapping[str, str]) -> Config:
    """``config`` with every ``SHUZHI_<SECTION>_<KEY>`` variable set in ``env`` applied."""
    found = {var: env[var] for var in _ENV_VARS if env.get(var, "") != ""}
    if not found:
        return config
    raw: dict[str, Any] = config.model_dump(mode="json", exclude_none=True)
    for var, value in found.items():
        section, key = _ENV_VARS[var]
        raw.setdefault(section, {})[key] = value
    return _validate(raw, source="environment", env_keys={_ENV_VARS[v]: v for v in found})


def save_config(config: Config, path: str | os.PathLike[str]) -> None:
    """Write ``config`` to ``path`` atomically; owner-only permissions if it holds a password."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(config.to_toml(), encoding="utf-8")
    if _has_password(config.store.url):
        tmp.chmod(0o600)
    os.replace(tmp, p)


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    return make_url(url).password is not None


def _validate(
    raw: Mapping[str, Any], *, source: str, env_keys: Mapping[tuple[str, str], str] | None = None
) -> Config:
    try:
        return Config.model_validate(raw)
    except pydantic.ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(str(x) for x in err["loc"])
            key = ".".join(loc) or "(top level)"
            var = (env_keys or {}).get((loc[0], loc[1])) if len(loc) >= 2 else None
            where = f"environment variable {var} ({key})" if var else f"{source}: {key}"
            if err["type"] == "extra_forbidden":
                msg = "未知的配置项 / unknown key"
            else:
                msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
        raise errors.ConfigError("配置无效 / invalid configuration — " + "; ".join(problems)) from None
