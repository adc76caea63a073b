"""group tutor (curator)

Revision ID: b1197b498318
Revises: bbda218f579f
Create Date: 2026-11-25 19:58:02.280567
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1197b498318"
down_revision: str | Sequence[str] | None = "bbda218f579f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("academic_group", sa.Column("tutor_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_academic_group_tutor_id"), "academic_group", ["tutor_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_academic_group_tutor_id_employee"),
        "academic_group",
        "employee",
        ["tutor_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_academic_group_tutor_id_employee"), "academic_group", type_="foreignkey")
    op.drop_index(op.f("ix_academic_group_tutor_id"), table_name="academic_group")
    op.drop_column("academic_group", "tutor_id")
