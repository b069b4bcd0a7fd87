"""registry runs, identifiers, history and reviews

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_ids",
        sa.Column("registry_id", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("merged_into", sa.String(length=20), nullable=True),
        sa.Column("created_run", sa.Integer(), nullable=False),
        sa.Column("ended_run", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("registry_id", name=op.f("pk_registry_ids")),
    )
    op.create_index(op.f("ix_registry_ids_created_run"), "registry_ids", ["created_run"], unique=False)
    op.create_index(op.f("ix_registry_ids_entity"), "registry_ids", ["entity"], unique=False)
    op.create_index(op.f("ix_registry_ids_status"), "registry_ids", ["status"], unique=False)

    op.create_table(
        "registry_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("previous_run", sa.Integer(), nullable=True),
        sa.Column("resources", JSON, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_runs")),
    )
    op.create_index(op.f("ix_registry_runs_entity"), "registry_runs", ["entity"], unique=False)
    op.create_index(op.f("ix_registry_runs_status"), "registry_runs", ["status"], unique=False)

    op.create_table(
        "registry_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("registry_id", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("related", JSON, nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["registry_runs.id"], name=op.f("fk_registry_history_run_id_registry_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_history")),
    )
    op.create_index(
        op.f("ix_registry_history_registry_id"), "registry_history", ["registry_id"], unique=False
    )
    op.create_index(op.f("ix_registry_history_run_id"), "registry_history", ["run_id"], unique=False)

    op.create_table(
        "registry_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("src_l", sa.String(length=64), nullable=False),
        sa.Column("key_l", sa.String(length=200), nullable=False),
        sa.Column("src_r", sa.String(length=64), nullable=False),
        sa.Column("key_r", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("first_run", sa.Integer(), nullable=True),
        sa.Column("last_run", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_reviews")),
        sa.UniqueConstraint(
            "entity",
            "src_l",
            "key_l",
            "src_r",
            "key_r",
            name=op.f("uq_registry_reviews_entity_src_l_key_l_src_r_key_r"),
        ),
    )
    op.create_index(op.f("ix_registry_reviews_entity"), "registry_reviews", ["entity"], unique=False)
    op.create_index(op.f("ix_registry_reviews_status"), "registry_reviews", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_registry_reviews_status"), table_name="registry_reviews")
    op.drop_index(op.f("ix_registry_reviews_entity"), table_name="registry_reviews")
    op.drop_table("registry_reviews")
    op.drop_index(op.f("ix_registry_history_run_id"), table_name="registry_history")
    op.drop_index(op.f("ix_registry_history_registry_id"), table_name="registry_history")
    op.drop_table("registry_history")
    op.drop_index(op.f("ix_registry_runs_status"), table_name="registry_runs")
    op.drop_index(op.f("ix_registry_runs_entity"), table_name="registry_runs")
    op.drop_table("registry_runs")
    op.drop_index(op.f("ix_registry_ids_status"), table_name="registry_ids")
    op.drop_index(op.f("ix_registry_ids_entity"), table_name="registry_ids")
    op.drop_index(op.f("ix_registry_ids_created_run"), table_name="registry_ids")
    op.drop_table("registry_ids")
