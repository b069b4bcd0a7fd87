"""Schema migrations: Alembic, run from code with the scripts shipped inside the package.

No ``alembic.ini`` is needed: :func:`alembic_config` points Alembic at
``shuzhi/store/migrations``. To write a new migration after changing models::

    from alembic import command
    from shuzhi.store import alembic_config, create_store
    command.revision(alembic_config(create_store(url)), message="add catalog", autogenerate=True,
                     rev_id="0002")

against a store that is at head; then read and edit the generated file in ``migrations/versions``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

__all__ = ["alembic_config", "current_revision", "downgrade", "head_revision", "is_known_revision", "upgrade"]

SCRIPT_LOCATION = "shuzhi.store:migrations"


def alembic_config(engine: sa.Engine | None = None, connection: sa.Connection | None = None) -> AlembicConfig:
    """An Alembic config for our scripts, bound to ``connection`` (or ``engine``) if given."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    elif engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest revision this version of shuzhi knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def is_known_revision(revision: str) -> bool:
    """Whether this version of shuzhi has the migration ``revision`` (False: a newer one wrote it)."""
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the store is at, or None for an empty (never migrated) store."""
    with engine.connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> str | None:
    """Migrate the store up to ``revision`` in one transaction; returns the revision reached."""
    with engine.begin() as con:
        command.upgrade(alembic_config(connection=con), revision)
    return current_revision(engine)


def downgrade(engine: sa.Engine, revision: str = "base") -> str | None:
    """Migrate the store down to ``revision`` (``base``: drop every shuzhi table)."""
    with engine.begin() as con:
        command.downgrade(alembic_config(connection=con), revision)
    return current_revision(engine)
