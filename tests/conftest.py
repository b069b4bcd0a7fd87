"""Shared fixtures: real SQLite, real PostgreSQL, real DuckDB — no mocks of shuzhi's own code.

PostgreSQL
    ``pg_url`` creates a fresh database ``shuzhi_test_<random>`` on the server named by
    ``SHUZHI_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) once per
    session and drops it afterwards. If the server cannot be reached the tests that need it are
    SKIPPED — unless ``CI=true`` or ``SHUZHI_REQUIRE_PG=1``, when they FAIL. Every such test is
    marked ``postgres``: ``pytest -m postgres`` runs only them, ``-m "not postgres"`` none.

``store_url`` runs a test once on SQLite and once on PostgreSQL (a fresh schema per test).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: environment variables the tests themselves read; every other SHUZHI_* is cleared per test
_TEST_ENV = {"SHUZHI_TEST_PG_URL", "SHUZHI_REQUIRE_PG"}


def pg_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("SHUZHI_REQUIRE_PG") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own SHUZHI_WORKSPACE or SHUZHI_STORE_URL must not leak into tests."""
    for var in list(os.environ):
        if var.startswith("SHUZHI_") and var not in _TEST_ENV:
            monkeypatch.delenv(var)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped at the end)."""
    base = make_url(os.environ.get("SHUZHI_TEST_PG_URL") or DEFAULT_PG_URL)
    shown = base.render_as_string(hide_password=True)
    try:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with admin.connect() as con:
            con.execute(sa.text("SELECT 1"))
    except Exception as e:  # driver missing, server down, bad credentials
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        message = f"PostgreSQL not reachable at {shown}: {reason} (set SHUZHI_TEST_PG_URL)"
        if pg_required():
            pytest.fail(f"{message}; required because CI=true or SHUZHI_REQUIRE_PG=1", pytrace=False)
        pytest.skip(message)
    name = f"shuzhi_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_schema_url(pg_url: str) -> Iterator[str]:
    """A fresh schema in the session database, made the only one on the URL's search path."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_store_url(pg_url: str) -> Iterator[str]:
    """An empty PostgreSQL store: a fresh schema in the session database."""
    yield from _pg_schema_url(pg_url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty metadata store: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
    else:
        yield from _pg_schema_url(request.getfixturevalue("pg_url"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with every standards table and macro installed."""
    from shuzhi.standards import install

    c = duckdb.connect()
    install(c)
    yield c
    c.close()
