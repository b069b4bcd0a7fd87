"""Tables of ingestion: the versions of each resource and the log of load jobs.

A version's data lives in the warehouse (``warehouse/<resource>/v<N>/``, immutable Parquet); its
row here is written in the same transaction that moves the resource's ``current_version``
pointer, so a version without a row is invisible and is swept away by the next load.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shuzhi.store._base import Base, JSONDocument, UTCDateTime, utcnow

__all__ = ["IngestJob", "ResourceVersion"]


class ResourceVersion(Base):
    """An immutable version (版本) of a resource's data: a full snapshot after one load."""

    __tablename__ = "resource_versions"
    __table_args__ = (sa.UniqueConstraint("resource_id", "number"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("resources.id", ondelete="RESTRICT"), index=True
    )
    #: 1, 2, 3 … per resource
    number: Mapped[int] = mapped_column(sa.Integer)
    #: the version this load started from (None for the first, or a full load's predecessor)
    base_number: Mapped[int | None] = mapped_column(sa.Integer)
    #: full | append | upsert
    mode: Mapped[str] = mapped_column(sa.String(10))
    #: folder of the version, relative to the warehouse
    path: Mapped[str] = mapped_column(sa.String(500))
    #: False when loaded but held back (e.g. by a quality gate): the pointer did not move; a held
    #: version made current later by ``publish_version`` becomes True
    published: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the quality gate at load: passed | held | error (evaluation failed) | skipped
    #: (``--no-quality``); None for versions loaded before gates existed
    quality_status: Mapped[str | None] = mapped_column(sa.String(10))
    #: the quality run made at load (``quality_runs.id``; not a foreign key, like the runs' own)
    quality_run_id: Mapped[int | None] = mapped_column(sa.Integer)
    #: when, by whom and why the version was made current (at load, or later by ``publish_version``)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(sa.String(100))
    publish_note: Mapped[str | None] = mapped_column(sa.Text)
    source_name: Mapped[str] = mapped_column(sa.Text)
    source_format: Mapped[str] = mapped_column(sa.String(20))
    #: sha256 of the source file's bytes (of the query text and URL for a database source)
    source_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    source_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    encoding: Mapped[str | None] = mapped_column(sa.String(20))
    rows_in: Mapped[int] = mapped_column(sa.BigInteger)  # rows read from the source
    rows_loaded: Mapped[int] = mapped_column(sa.BigInteger)  # of which accepted
    rows_quarantined: Mapped[int] = mapped_column(sa.BigInteger)
    rows_flagged: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # accepted with issues
    rows_total: Mapped[int] = mapped_column(sa.BigInteger)  # rows in the snapshot
    rows_added: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_updated: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_removed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: sha256 over the version's data files, in name order
    checksum: Mapped[str] = mapped_column(sa.String(64))
    #: [{"name", "type"}] of the data files
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    #: the mapping and options the load used, and its catalog revision
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: quarantined rows by rule: {"idcard.check_char": 3, ...}
    quarantine_summary: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    catalog_revision: Mapped[int] = mapped_column(sa.Integer)
    loaded_by: Mapped[str | None] = mapped_column(sa.String(100))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())
    duration_s: Mapped[float | None] = mapped_column(sa.Float)

    def __repr__(self) -> str:
        return f"ResourceVersion(resource_id={self.resource_id}, v{self.number})"


class IngestJob(Base):
    """A load attempt, recorded when it starts and closed when it ends; one left ``running`` by a
    process that died is marked ``abandoned`` by the next load of the resource."""

    __tablename__ = "ingest_jobs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    resource_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: running | succeeded | failed | abandoned
    status: Mapped[str] = mapped_column(sa.String(12), index=True)
    mode: Mapped[str] = mapped_column(sa.String(10))
    source_name: Mapped[str] = mapped_column(sa.Text)
    version_number: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.Text)
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    host: Mapped[str | None] = mapped_column(sa.String(200))
    pid: Mapped[int | None] = mapped_column(sa.Integer)
    started_by: Mapped[str | None] = mapped_column(sa.String(100))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"IngestJob({self.id}, {self.resource_code!r}, {self.status})"
