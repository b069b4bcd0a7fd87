"""version publishing: the quality gate's verdict and who published a version

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resource_versions") as batch:
        batch.add_column(sa.Column("quality_status", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("quality_run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("published_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("publish_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resource_versions") as batch:
        batch.drop_column("publish_note")
        batch.drop_column("published_by")
        batch.drop_column("published_at")
        batch.drop_column("quality_run_id")
        batch.drop_column("quality_status")
