"""student pinfl optional and unique while active

Revision ID: 0bcc34fa8d4a
Revises: 5925060ff8d4
Create Date: 2026-11-25 15:41:43.297608
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0bcc34fa8d4a"
down_revision: str | Sequence[str] | None = "5925060ff8d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("student", "pinfl", existing_type=sa.VARCHAR(length=14), nullable=True)
    op.drop_constraint(op.f("uq_student_pinfl"), "student", type_="unique")
    op.create_index(
        "uq_student_pinfl",
        "student",
        ["pinfl"],
        unique=True,
        postgresql_where=sa.text("status IN ('11', '13')"),
    )
    op.create_check_constraint(op.f("ck_student_pinfl_digits"), "student", "pinfl ~ '^[0-9]{14}$'")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_student_pinfl_digits"), "student", type_="check")
    op.drop_index(
        "uq_student_pinfl", table_name="student", postgresql_where=sa.text("status IN ('11', '13')")
    )
    op.create_unique_constraint(
        op.f("uq_student_pinfl"), "student", ["pinfl"], postgresql_nulls_not_distinct=False
    )
    op.alter_column("student", "pinfl", existing_type=sa.VARCHAR(length=14), nullable=False)
