"""catalog and versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_detail", JSON, nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_jobs")),
    )
    op.create_index(op.f("ix_ingest_jobs_resource_code"), "ingest_jobs", ["resource_code"], unique=False)
    op.create_index(op.f("ix_ingest_jobs_status"), "ingest_jobs", ["status"], unique=False)

    op.create_table(
        "resource_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_history")),
        sa.UniqueConstraint(
            "resource_code", "revision", name=op.f("uq_resource_history_resource_code_revision")
        ),
    )
    op.create_index(
        op.f("ix_resource_history_resource_code"), "resource_history", ["resource_code"], unique=False
    )

    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("classification", JSON, nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("sharing_type", sa.String(length=20), nullable=False),
        sa.Column("sharing_condition", sa.Text(), nullable=True),
        sa.Column("sharing_method", sa.String(length=200), nullable=True),
        sa.Column("open_type", sa.String(length=20), nullable=False),
        sa.Column("update_cycle", sa.String(length=20), nullable=False),
        sa.Column("security_grade", sa.String(length=20), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("region", sa.String(length=12), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("related", JSON, nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("code <> ''", name=op.f("ck_resources_code_not_empty")),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_resources_department_code_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("code", name=op.f("uq_resources_code")),
    )
    op.create_index(op.f("ix_resources_department_code"), "resources", ["department_code"], unique=False)
    op.create_index(op.f("ix_resources_security_grade"), "resources", ["security_grade"], unique=False)
    op.create_index(op.f("ix_resources_sharing_type"), "resources", ["sharing_type"], unique=False)

    op.create_table(
        "resource_fields",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("standard", sa.String(length=20), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("key", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("personal_info", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_fields_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_fields")),
        sa.UniqueConstraint("resource_id", "name", name=op.f("uq_resource_fields_resource_id_name")),
    )
    op.create_index(op.f("ix_resource_fields_resource_id"), "resource_fields", ["resource_id"], unique=False)
    op.create_index(op.f("ix_resource_fields_standard"), "resource_fields", ["standard"], unique=False)

    op.create_table(
        "resource_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("base_number", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("source_format", sa.String(length=20), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_size", sa.BigInteger(), nullable=True),
        sa.Column("encoding", sa.String(length=20), nullable=True),
        sa.Column("rows_in", sa.BigInteger(), nullable=False),
        sa.Column("rows_loaded", sa.BigInteger(), nullable=False),
        sa.Column("rows_quarantined", sa.BigInteger(), nullable=False),
        sa.Column("rows_flagged", sa.BigInteger(), nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=False),
        sa.Column("rows_added", sa.BigInteger(), nullable=False),
        sa.Column("rows_updated", sa.BigInteger(), nullable=False),
        sa.Column("rows_removed", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("columns", JSON, nullable=False),
        sa.Column("mapping", JSON, nullable=False),
        sa.Column("quarantine_summary", JSON, nullable=False),
        sa.Column("catalog_revision", sa.Integer(), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_versions_resource_id_resources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_versions")),
        sa.UniqueConstraint("resource_id", "number", name=op.f("uq_resource_versions_resource_id_number")),
    )
    op.create_index(
        op.f("ix_resource_versions_resource_id"), "resource_versions", ["resource_id"], unique=False
    )
    op.create_index(
        op.f("ix_resource_versions_source_hash"), "resource_versions", ["source_hash"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_resource_versions_source_hash"), table_name="resource_versions")
    op.drop_index(op.f("ix_resource_versions_resource_id"), table_name="resource_versions")

    op.drop_table("resource_versions")
    op.drop_index(op.f("ix_resource_fields_standard"), table_name="resource_fields")
    op.drop_index(op.f("ix_resource_fields_resource_id"), table_name="resource_fields")

    op.drop_table("resource_fields")
    op.drop_index(op.f("ix_resources_sharing_type"), table_name="resources")
    op.drop_index(op.f("ix_resources_security_grade"), table_name="resources")
    op.drop_index(op.f("ix_resources_department_code"), table_name="resources")

    op.drop_table("resources")
    op.drop_index(op.f("ix_resource_history_resource_code"), table_name="resource_history")

    op.drop_table("resource_history")
    op.drop_index(op.f("ix_ingest_jobs_status"), table_name="ingest_jobs")
    op.drop_index(op.f("ix_ingest_jobs_resource_code"), table_name="ingest_jobs")

    op.drop_table("ingest_jobs")
