"""The tables every workspace has from its first migration: workspace facts and departments."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shuzhi.store._base import Base, Revision, UTCDateTime, utcnow

__all__ = ["Department", "DepartmentHistory", "WorkspaceMeta"]


class WorkspaceMeta(Base):
    """Facts about the workspace this store belongs to: ``workspace_id``, ``created_at``,
    ``shuzhi_version`` (the version that last migrated it), one row per key."""

    __tablename__ = "workspace_meta"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )

    def __repr__(self) -> str:
        return f"WorkspaceMeta({self.key!r}, {self.value!r})"


class Department(Base):
    """A department (委办局) that owns, supplies or uses data; ``parent_code`` nests offices
    under their bureau."""

    __tablename__ = "departments"
    __table_args__ = (sa.CheckConstraint("code <> ''", name="code_not_empty"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    #: stable short code, e.g. a USCC or an internal code like ``JC-GA`` (公安局)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    parent_code: Mapped[str | None] = mapped_column(
        sa.String(64), sa.ForeignKey("departments.code", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())

    def __repr__(self) -> str:
        return f"Department({self.code!r}, {self.name!r})"


class DepartmentHistory(Revision, Base):
    """One revision of a department (see :class:`~shuzhi.store._base.Revision`): its declaration
    after the change is ``code``, ``name``, ``name_en``, ``parent``; its actions are created and
    updated."""

    __tablename__ = "department_history"
    __table_args__ = (sa.UniqueConstraint("department_code", "revision"),)

    #: not a foreign key, like the resources' history
    department_code: Mapped[str] = mapped_column(sa.String(64), index=True)

    def __repr__(self) -> str:
        return f"DepartmentHistory({self.department_code!r}, r{self.revision}, {self.action})"
