"""Fixtures of the quality tests: a workspace with a small catalog, and versions written directly as
Parquet (the shape ingestion writes: typed fields, ``_row``, ``_source``, ``_loaded_in``,
``_issues``), with or without their ``resource_versions`` row; the helpers are in ``_qhelpers``.

Spark: ``spark_engine`` is one local Spark session per test module. The tests that use it are
marked ``spark`` and are SKIPPED when Java or pyspark is missing, unless ``SHUZHI_REQUIRE_SPARK=1``
(or ``CI=true``), when they FAIL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _qhelpers import CATALOG, HJRK_V1, spark_or_skip, write_version

from shuzhi.catalog import declare
from shuzhi.catalog.spec import CatalogFile
from shuzhi.engine import DuckDBEngine
from shuzhi.workspace import Workspace


@pytest.fixture(scope="session")
def duck() -> Iterator[DuckDBEngine]:
    """One DuckDB engine for the tests that pass ``engine=`` (quality SQL needs no standards macros,
    and installing them costs seconds per workspace)."""
    engine = DuckDBEngine(standards=False)
    yield engine
    engine.close()


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace (SQLite store) with the catalog of ``_qhelpers.CATALOG`` declared."""
    w = Workspace.init(tmp_path / "city", name="晋城市")
    declare(w, CatalogFile.model_validate(CATALOG), by="test")
    yield w
    w.close()


@pytest.fixture
def hjrk(ws: Workspace) -> Workspace:
    """The workspace with version 1 of 户籍人口 loaded and current (row 6's mobile flagged)."""
    write_version(ws, "JC-GA-HJRK", 1, HJRK_V1, issues={6: [("mobile", "phone.length", "1381234")]})
    return ws


# -- Spark ------------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: needs Java and pyspark (a local Spark session)")


@pytest.fixture(scope="module")
def spark_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local Spark engine, one per test module (starting Spark takes a while)."""
    spark_or_skip()
    from shuzhi.engine import SparkEngine

    engine = SparkEngine(temp_directory=tmp_path_factory.mktemp("spark"))
    yield engine
    engine.close()
