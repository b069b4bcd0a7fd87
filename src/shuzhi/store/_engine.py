"""Connecting to the metadata store: SQLite (the default, a file in the workspace) or PostgreSQL."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from shuzhi.errors import ConfigError, Conflict

__all__ = ["create_store", "mask_url", "session_scope"]

#: seconds to wait for PostgreSQL to accept a connection (unless the URL sets connect_timeout)
PG_CONNECT_TIMEOUT = 10
#: milliseconds a SQLite writer waits for another writer's lock
SQLITE_BUSY_TIMEOUT_MS = 10_000


#: ``scheme://user:password@`` (or ``scheme:/user:…``, mistyped) anywhere in a text; the password
#: runs to the last ``@`` before the host (an unescaped ``@`` in it is still hidden)
_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*:/+[^/:@\s]*:)[^\s/]*@")


def mask_passwords(text: str) -> str:
    """``text`` with the password of any database URL in it replaced by ``***`` (errors and
    records that may quote a URL: a mistyped one is not parsed, but its password still hidden)."""
    return _PASSWORD.sub(r"\1***@", text)


def mask_url(url: str | sa.URL) -> str:
    """``url`` as text with any password replaced by ``***``."""
    try:
        return mask_passwords(make_url(url).render_as_string(hide_password=True))
    except ArgumentError:
        return "<invalid URL>"


def create_store(url: str | sa.URL, *, echo: bool = False) -> sa.Engine:
    """A SQLAlchemy engine for the metadata store at ``url``.

    * SQLite: foreign keys enforced, WAL journal (readers never wait for the writer), a busy
      timeout, and real transactions (``BEGIN`` is emitted by SQLAlchemy, so DDL in a migration
      commits or rolls back as a whole).
    * PostgreSQL: driven by psycopg 3 (``postgresql://`` is read as ``postgresql+psycopg://``),
      with a connect timeout and pre-ping so a restarted server does not break the pool.
    """
    try:
        u = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"无效的数据库地址 / invalid store URL {url!r}: {e}") from None
    backend = u.get_backend_name()
    if backend == "sqlite":
        return _sqlite(u, echo=echo)
    if backend in ("postgresql", "postgres"):
        return _postgresql(u, echo=echo)
    raise ConfigError(f"不支持的数据库 / unsupported store database {backend!r} (use sqlite or postgresql)")


def _sqlite(u: sa.URL, *, echo: bool) -> sa.Engine:
    memory = u.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {}
    if memory:  # one shared connection, or every session would see its own empty database
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = sa.create_engine(u, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_con: Any, _record: Any) -> None:
        dbapi_con.isolation_level = None  # let SQLAlchemy, not the driver, begin transactions
        cur = dbapi_con.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(con: sa.Connection) -> None:
        con.exec_driver_sql("BEGIN")

    return engine


def _postgresql(u: sa.URL, *, echo: bool) -> sa.Engine:
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername != "postgresql+psycopg":
        raise ConfigError(
            "PostgreSQL 需使用 psycopg 驱动 / use the psycopg driver: "
            f"postgresql+psycopg://… (got {u.drivername})"
        )
    if importlib.util.find_spec("psycopg") is None:
        raise ConfigError("缺少 PostgreSQL 驱动 / PostgreSQL driver missing: pip install 'shuzhi[postgres]'")
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in u.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
    return sa.create_engine(u, echo=echo, pool_pre_ping=True, connect_args=connect_args)


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises.

    A violated constraint (duplicate code, unknown parent) becomes :class:`~shuzhi.errors.Conflict`
    naming the constraint, so adapters answer 409 without knowing SQL.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except IntegrityError as e:
        session.rollback()
        raise Conflict(f"与已有数据冲突 / conflicts with existing data: {describe_integrity_error(e)}") from e
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_integrity_error(e: IntegrityError) -> str:
    """One line naming the violated constraint, from either database's error."""
    diag = getattr(e.orig, "diag", None)  # psycopg
    if diag is not None:
        primary = getattr(diag, "message_primary", None) or str(e.orig).splitlines()[0]
        detail = getattr(diag, "message_detail", None)
        return f"{primary} ({detail})" if detail else str(primary)
    return str(e.orig).splitlines()[0]  # sqlite3: "UNIQUE constraint failed: departments.code"
