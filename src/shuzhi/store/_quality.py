"""Tables of data quality assessment (数据质量评估, GB/T 36344): runs, rule results, department scores.

A *run* evaluates one version of a resource; it keeps the score per dimension, the overall score
and level, the coverage of rules over fields and the gate's verdict. Each rule's figures are a
row of ``quality_results``: rows checked, failing rows (the count, not only the rate: 100 bad rows
in a million still matter) and a capped, masked sample. After every run (and every version
published by hand, every evaluated resource retired or restored) the provider department's
aggregate, and its parents', is recorded in ``quality_department_scores``, so trends show per
resource (over versions) and per department (over time). Rows are only ever added.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shuzhi.store._base import Base, JSONDocument, UTCDateTime, utcnow

__all__ = ["QualityDepartmentScore", "QualityResult", "QualityRun"]


class QualityRun(Base):
    """One evaluation of one version of a resource."""

    __tablename__ = "quality_runs"
    __table_args__ = (
        sa.Index("ix_quality_runs_resource_code_version_number", "resource_code", "version_number"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    #: not foreign keys: the results outlive a retired entry
    resource_code: Mapped[str] = mapped_column(sa.String(64))
    version_number: Mapped[int] = mapped_column(sa.Integer)
    #: the provider department when the run was made
    department_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    catalog_revision: Mapped[int | None] = mapped_column(sa.Integer)
    #: ok | error (the version could not be read: only accessibility was measured) | failed (the
    #: rules could not run, or the evaluation raised: no figures)
    status: Mapped[str] = mapped_column(sa.String(10))
    error: Mapped[str | None] = mapped_column(sa.Text)
    engine: Mapped[str] = mapped_column(sa.String(20))
    rows: Mapped[int] = mapped_column(sa.BigInteger)
    #: 0–100 over the dimensions that have rules; None when no rule could be scored
    score: Mapped[float | None] = mapped_column(sa.Float)
    #: 优 良 中 差 劣
    level: Mapped[str | None] = mapped_column(sa.String(4))
    #: {"conformity": 98.5, "consistency": null, ...}
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    fields_total: Mapped[int] = mapped_column(sa.Integer)
    fields_covered: Mapped[int] = mapped_column(sa.Integer)
    rules_total: Mapped[int] = mapped_column(sa.Integer)
    rules_failed: Mapped[int] = mapped_column(sa.Integer)
    #: the gate's bilingual reason to hold the version back, None when it may be published
    hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())
    duration_s: Mapped[float] = mapped_column(sa.Float)
    started_by: Mapped[str | None] = mapped_column(sa.String(100))

    results: Mapped[list[QualityResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="QualityResult.position", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"QualityRun({self.resource_code!r}, v{self.version_number}, score={self.score})"


class QualityResult(Base):
    """The figures of one rule in one run."""

    __tablename__ = "quality_results"
    __table_args__ = (sa.UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("quality_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    rule_id: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(30))
    dimension: Mapped[str] = mapped_column(sa.String(20))
    #: the fields the rule reads
    fields: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    description_zh: Mapped[str] = mapped_column(sa.Text)
    description_en: Mapped[str] = mapped_column(sa.Text)
    #: the rule as declared (JSON form)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    weight: Mapped[float] = mapped_column(sa.Float)
    must_pass: Mapped[bool] = mapped_column(sa.Boolean)
    #: ok | skipped (could not run here, e.g. the referenced resource has no version)
    status: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str | None] = mapped_column(sa.Text)
    checked: Mapped[int] = mapped_column(sa.BigInteger)
    failing: Mapped[int] = mapped_column(sa.BigInteger)
    rate: Mapped[float | None] = mapped_column(sa.Float)  # failing / checked
    score: Mapped[float | None] = mapped_column(sa.Float)  # 100 × (1 − rate)
    #: up to sample_size failing rows, masked: [{"_row": 17, "id_number": "140502********151X"}]
    sample: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)

    run: Mapped[QualityRun] = relationship(back_populates="results")

    def __repr__(self) -> str:
        return f"QualityResult({self.rule_id!r}, {self.failing}/{self.checked})"


class QualityDepartmentScore(Base):
    """A department's aggregate after a run: the mean over its resources' latest runs."""

    __tablename__ = "quality_department_scores"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    department_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    resources: Mapped[int] = mapped_column(sa.Integer)
    score: Mapped[float | None] = mapped_column(sa.Float)
    level: Mapped[str | None] = mapped_column(sa.String(4))
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    rules_failed: Mapped[int] = mapped_column(sa.Integer)
    computed_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )

    def __repr__(self) -> str:
        return f"QualityDepartmentScore({self.department_code!r}, score={self.score})"
