"""department history: every change to a department, like the resources' history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    history = op.create_table(
        "department_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_history")),
        sa.UniqueConstraint(
            "department_code", "revision", name=op.f("uq_department_history_department_code_revision")
        ),
    )
    op.create_index(
        op.f("ix_department_history_department_code"), "department_history", ["department_code"], unique=False
    )
    # the departments already there: their present state as revision 1, as of their creation
    # (who created them and what they were before was never recorded)
    con = op.get_bind()
    departments = sa.table(
        "departments",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("name_en", sa.String),
        sa.column("parent_code", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),  # read and written back as stored
    )
    rows = con.execute(sa.select(departments).order_by(departments.c.code)).all()
    if rows:
        op.bulk_insert(
            history,
            [
                {
                    "department_code": code,
                    "revision": 1,
                    "action": "created",
                    "spec": {"code": code, "name": name, "name_en": name_en, "parent": parent},
                    "changes": {},
                    "changed_by": None,
                    "changed_at": created_at,
                    "comment": "迁移时补记（此前的修改未记录）/ recorded at migration "
                    "(earlier changes were not kept)",
                }
                for code, name, name_en, parent, created_at in rows
            ],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_department_history_department_code"), table_name="department_history")
    op.drop_table("department_history")
