"""Tables of the base registries (人口库、法人库): runs, stable identifiers and their history.

The bulk of a registry run — standardised records, scored pairs, clusters, golden records,
lineage and conflicts — is Parquet in the warehouse (``warehouse/_registry/<entity>/run-<N>/``).
The store keeps what must outlive any one run and be looked up by key: the identifiers
(``P000000000001``), which run is current, and every merge and split with its reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shuzhi.store._base import Base, JSONDocument, UTCDateTime, utcnow

__all__ = ["RegistryEvent", "RegistryIdentifier", "RegistryReview", "RegistryRun"]


class RegistryRun(Base):
    """One build of a registry. Only a ``succeeded`` run's folder is read; the newest one is current."""

    __tablename__ = "registry_runs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    #: person | legal_entity
    entity: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: running | succeeded | failed | refused
    status: Mapped[str] = mapped_column(sa.String(12), index=True)
    #: full | incremental
    mode: Mapped[str] = mapped_column(sa.String(12), default="full")
    #: the run whose identifiers this one inherited (None for the first)
    previous_run: Mapped[int | None] = mapped_column(sa.Integer)
    #: {resource code: {"version": N, "records": n, "roles": {role: field}}}
    resources: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: the [registry] settings in force
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: RunSummary.to_dict()
    summary: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    #: folder of the run's outputs, relative to the warehouse
    path: Mapped[str | None] = mapped_column(sa.String(500))
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_by: Mapped[str | None] = mapped_column(sa.String(100))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"RegistryRun({self.id}, {self.entity!r}, {self.status})"


class RegistryIdentifier(Base):
    """A registry identifier (登记标识): one per person or legal entity ever found, never reused."""

    __tablename__ = "registry_ids"

    #: ``P`` + 12 digits for persons, ``L`` + 12 digits for legal entities
    registry_id: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: active | merged (into ``merged_into``) | retired (split up, or no records left; active again
    #: when its records come back)
    status: Mapped[str] = mapped_column(sa.String(10), index=True)
    merged_into: Mapped[str | None] = mapped_column(sa.String(20))
    created_run: Mapped[int] = mapped_column(sa.Integer, index=True)
    #: the run that merged or retired it
    ended_run: Mapped[int | None] = mapped_column(sa.Integer)

    def __repr__(self) -> str:
        return f"RegistryIdentifier({self.registry_id!r}, {self.status})"


class RegistryEvent(Base):
    """A change of identity between two runs: a merge or a split, with its reason."""

    __tablename__ = "registry_history"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("registry_runs.id"), index=True)
    entity: Mapped[str] = mapped_column(sa.String(20))
    #: the identifier the event is about
    registry_id: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: merged (its records joined ``related``) | absorbed (took in ``related``) | split (records
    #: went to ``related``) | retired (no records left) | revived (its records are back) | rekeyed
    #: (a content-keyed record changed and its successor kept the identifier)
    action: Mapped[str] = mapped_column(sa.String(10))
    related: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    #: a stable code (``linked``, ``unlinked``, ``different_ids``, ``records_removed``,
    #: ``content_removed``, ``records_returned``, ``content_changed``) …
    reason: Mapped[str] = mapped_column(sa.String(30))
    #: … and what it means, in both languages, with the numbers
    reason_text: Mapped[str] = mapped_column(sa.Text)
    #: records moved, the strongest pair linking the two, …
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())

    def __repr__(self) -> str:
        return f"RegistryEvent({self.registry_id!r}, {self.action}, {self.related})"


class RegistryReview(Base):
    """Clerical review (人工复核) of a pair of source records: queued when their match probability
    falls between the two thresholds (persons) or when the record is one of a tie's candidates
    (legal entities: the record and the candidate entity's first record), decided by a person; a
    decision binds every later run."""

    __tablename__ = "registry_reviews"
    __table_args__ = (sa.UniqueConstraint("entity", "src_l", "key_l", "src_r", "key_r"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: the two records, (src_l, key_l) sorting before (src_r, key_r)
    src_l: Mapped[str] = mapped_column(sa.String(64))
    key_l: Mapped[str] = mapped_column(sa.String(200))
    src_r: Mapped[str] = mapped_column(sa.String(64))
    key_r: Mapped[str] = mapped_column(sa.String(200))
    #: pending | same | different
    status: Mapped[str] = mapped_column(sa.String(10), index=True)
    #: the model's view when last queued (None for a pair decided without being queued)
    probability: Mapped[float | None] = mapped_column(sa.Float)
    match_weight: Mapped[float | None] = mapped_column(sa.Float)
    first_run: Mapped[int | None] = mapped_column(sa.Integer)
    last_run: Mapped[int | None] = mapped_column(sa.Integer)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return (
            f"RegistryReview({self.id}, {self.src_l}:{self.key_l} ~ {self.src_r}:{self.key_r}, {self.status})"
        )
