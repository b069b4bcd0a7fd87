"""The declarative base every shuzhi table derives from, and column types portable across databases.

The naming convention gives every constraint and index a deterministic name, so Alembic
migrations written on SQLite drop and alter the same names on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = ["NAMING_CONVENTION", "Base", "JSONDocument", "Revision", "UTCDateTime", "utcnow"]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table in the metadata store."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """Now, as a timezone-aware UTC datetime (the only kind :class:`UTCDateTime` accepts)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A point in time, stored as UTC and always returned timezone-aware.

    PostgreSQL stores ``timestamptz``; SQLite, which has no time zones, stores naive UTC text
    and the zone is put back on load. Naive datetimes are refused, so local times never slip in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime (e.g. utcnow())")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite text written by something other than us
            value = dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


#: a JSON document: ``JSONB`` on PostgreSQL, JSON text on SQLite
JSONDocument = sa.JSON().with_variant(JSONB(), "postgresql")


class Revision:
    """The columns of a history table (a resource's, a department's): one row per revision, only
    ever added — the declaration as it was after the change (``spec``), what changed against the
    previous revision (``changes``: {"path": [old, new]}, empty on creation), who, when and why."""

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(sa.Integer)
    #: created | updated | retired | restored
    action: Mapped[str] = mapped_column(sa.String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    changed_by: Mapped[str | None] = mapped_column(sa.String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())
    comment: Mapped[str | None] = mapped_column(sa.Text)
