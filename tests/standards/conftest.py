"""Shared fixtures of the standards tests."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from shuzhi.standards import install


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with every standards table and macro installed."""
    c = duckdb.connect()
    install(c)
    yield c
    c.close()
