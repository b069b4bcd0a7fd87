"""Compute engines: where bulk SQL runs (DuckDB in process; Spark for a cluster, ``[engine] kind = "spark"``).

::

    from shuzhi.engine import create_engine
    with create_engine(config.engine, base_dir=workspace_path) as engine:
        engine.register("people", "warehouse/people/v3")
        engine.write_parquet("SELECT *, sz_idcard_check(id) AS v FROM people", "out.parquet")

All SQL is written in DuckDB's dialect; an engine for another system translates it (see
:class:`Engine`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from shuzhi.engine._base import Engine, Params, Source
from shuzhi.engine._duckdb import DuckDBEngine
from shuzhi.engine._spark import SparkEngine

if TYPE_CHECKING:
    from shuzhi.config import EngineSettings

__all__ = ["DuckDBEngine", "Engine", "Params", "Source", "SparkEngine", "create_engine"]


def create_engine(settings: EngineSettings, *, base_dir: str | os.PathLike[str] | None = None) -> Engine:
    """The engine ``settings`` (the ``[engine]`` section) ask for.

    Relative paths in the settings (the spill directory) are taken relative to ``base_dir``,
    the workspace folder.
    """
    from pathlib import Path

    from shuzhi.errors import ConfigError

    if settings.kind == "duckdb":
        temp = Path(settings.temp_dir).expanduser()
        if not temp.is_absolute() and base_dir is not None:
            temp = Path(base_dir) / temp
        return DuckDBEngine(memory_limit=settings.memory_limit, threads=settings.threads, temp_directory=temp)
    if settings.kind == "spark":
        temp = Path(settings.temp_dir).expanduser()
        if not temp.is_absolute() and base_dir is not None:
            temp = Path(base_dir) / temp
        return SparkEngine(memory_limit=settings.memory_limit, threads=settings.threads, temp_directory=temp)
    raise ConfigError(f"不支持的计算引擎 / unsupported engine kind: {settings.kind!r}")  # pragma: no cover
