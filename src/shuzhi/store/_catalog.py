"""Tables of the resource catalog (政务数据资源目录): resources, their fields and their history.

The full declaration of a resource is kept as a document (``spec``, the JSON form of
:class:`shuzhi.catalog.spec.ResourceSpec`); the columns beside it are what lists, filters and
searches need. ``resource_fields`` lets later stages ask "which resources carry a citizen ID".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shuzhi.store._base import Base, JSONDocument, Revision, UTCDateTime, utcnow

__all__ = ["Resource", "ResourceField", "ResourceHistory"]


class Resource(Base):
    """A data resource (数据资源) a department provides."""

    __tablename__ = "resources"
    __table_args__ = (sa.CheckConstraint("code <> ''", name="code_not_empty"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    department_code: Mapped[str] = mapped_column(
        sa.String(64), sa.ForeignKey("departments.code", ondelete="RESTRICT"), index=True
    )
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(20))
    classification: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    format: Mapped[str] = mapped_column(sa.String(20))
    sharing_type: Mapped[str] = mapped_column(sa.String(20), index=True)
    sharing_condition: Mapped[str | None] = mapped_column(sa.Text)
    sharing_method: Mapped[str | None] = mapped_column(sa.String(200))
    open_type: Mapped[str] = mapped_column(sa.String(20))
    update_cycle: Mapped[str] = mapped_column(sa.String(20))
    security_grade: Mapped[str] = mapped_column(sa.String(20), index=True)
    release_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    region: Mapped[str | None] = mapped_column(sa.String(12))
    tags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    related: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    #: the whole declaration (ResourceSpec as JSON)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: lower-case text searched by ``catalog search``: code, names, summary, tags, field labels,
    #: and the pinyin (full and initials) of the Chinese names
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    #: 1 on creation, +1 on every change (resource_history keeps each revision)
    revision: Mapped[int] = mapped_column(sa.Integer, default=1)
    #: number of the published (current) version, None before the first load
    current_version: Mapped[int | None] = mapped_column(sa.Integer)
    #: set when the entry is withdrawn (撤销); its history and versions stay
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )
    created_by: Mapped[str | None] = mapped_column(sa.String(100))
    updated_by: Mapped[str | None] = mapped_column(sa.String(100))

    fields: Mapped[list[ResourceField]] = relationship(
        back_populates="resource",
        cascade="all, delete-orphan",
        order_by="ResourceField.position",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"Resource({self.code!r}, {self.name!r})"


class ResourceField(Base):
    """An information item (信息项) of a resource, one row per field, in declared order."""

    __tablename__ = "resource_fields"
    __table_args__ = (sa.UniqueConstraint("resource_id", "name"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(63))
    label: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(20))
    standard: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    required: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    key: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    sensitive: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    personal_info: Mapped[str] = mapped_column(sa.String(30), default="none")

    resource: Mapped[Resource] = relationship(back_populates="fields")

    def __repr__(self) -> str:
        return f"ResourceField({self.name!r}, {self.label!r})"


class ResourceHistory(Revision, Base):
    """One revision of a catalog entry (see :class:`~shuzhi.store._base.Revision`)."""

    __tablename__ = "resource_history"
    __table_args__ = (sa.UniqueConstraint("resource_code", "revision"),)

    #: not a foreign key: the history outlives the entry
    resource_code: Mapped[str] = mapped_column(sa.String(64), index=True)

    def __repr__(self) -> str:
        return f"ResourceHistory({self.resource_code!r}, r{self.revision}, {self.action})"
