"""Alembic environment for the metadata store, run from code by :mod:`shuzhi.store._migrate`.

The caller passes an open connection (``config.attributes["connection"]``) or an engine
(``config.attributes["engine"]``); ``sqlalchemy.url`` is used only when neither is given.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

import shuzhi.store  # noqa: F401  (imports every model onto Base.metadata)
from shuzhi.store._base import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER on SQLite copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes.get("engine")
    own = engine is None
    if engine is None:
        from shuzhi.store._engine import create_store

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no connection, engine or sqlalchemy.url given to the shuzhi migrations")
        engine = create_store(url)
    try:
        with engine.begin() as con:
            _run(con)
    finally:
        if own:
            engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
