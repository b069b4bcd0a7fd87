"""quality runs, rule results and department scores

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_department_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("resources", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("level", sa.String(length=4), nullable=True),
        sa.Column("dimensions", JSON, nullable=False),
        sa.Column("rules_failed", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_department_scores")),
    )
    op.create_index(
        op.f("ix_quality_department_scores_department_code"),
        "quality_department_scores",
        ["department_code"],
        unique=False,
    )

    op.create_table(
        "quality_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("catalog_revision", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("level", sa.String(length=4), nullable=True),
        sa.Column("dimensions", JSON, nullable=False),
        sa.Column("fields_total", sa.Integer(), nullable=False),
        sa.Column("fields_covered", sa.Integer(), nullable=False),
        sa.Column("rules_total", sa.Integer(), nullable=False),
        sa.Column("rules_failed", sa.Integer(), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_runs")),
    )
    op.create_index(
        op.f("ix_quality_runs_department_code"), "quality_runs", ["department_code"], unique=False
    )
    op.create_index(
        op.f("ix_quality_runs_resource_code_version_number"),
        "quality_runs",
        ["resource_code", "version_number"],
        unique=False,
    )

    op.create_table(
        "quality_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("rule", JSON, nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("must_pass", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked", sa.BigInteger(), nullable=False),
        sa.Column("failing", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("sample", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quality_runs.id"],
            name=op.f("fk_quality_results_run_id_quality_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_results")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_quality_results_run_id_position")),
    )
    op.create_index(op.f("ix_quality_results_run_id"), "quality_results", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_quality_results_run_id"), table_name="quality_results")
    op.drop_table("quality_results")
    op.drop_index(op.f("ix_quality_runs_resource_code_version_number"), table_name="quality_runs")
    op.drop_index(op.f("ix_quality_runs_department_code"), table_name="quality_runs")
    op.drop_table("quality_runs")
    op.drop_index(
        op.f("ix_quality_department_scores_department_code"), table_name="quality_department_scores"
    )
    op.drop_table("quality_department_scores")
