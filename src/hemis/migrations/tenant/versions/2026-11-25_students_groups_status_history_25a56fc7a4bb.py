"""students groups status history

Revision ID: 25a56fc7a4bb
Revises: 0b49fa6e8936
Create Date: 2026-11-25 15:29:56.732862
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.ddl import append_only

revision: str = "25a56fc7a4bb"
down_revision: str | Sequence[str] | None = "0b49fa6e8936"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "academic_group",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("department_id", sa.BigInteger(), nullable=False),
        sa.Column("education_type", sa.String(length=8), nullable=False),
        sa.Column("education_form", sa.String(length=8), nullable=False),
        sa.Column("education_lang", sa.String(length=8), nullable=False),
        sa.Column("course", sa.String(length=8), nullable=False),
        sa.Column("admission_year", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_academic_group_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_academic_group")),
        sa.UniqueConstraint("name", name=op.f("uq_academic_group_name")),
    )
    op.create_index(
        op.f("ix_academic_group_department_id"), "academic_group", ["department_id"], unique=False
    )
    op.create_table(
        "student",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("student_id_number", sa.String(length=20), nullable=False),
        sa.Column("pinfl", sa.String(length=14), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("patronymic", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("citizenship", sa.String(length=8), nullable=False),
        sa.Column("passport", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_form", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["academic_group.id"],
            name=op.f("fk_student_group_id_academic_group"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student")),
        sa.UniqueConstraint("pinfl", name=op.f("uq_student_pinfl")),
        sa.UniqueConstraint("student_id_number", name=op.f("uq_student_student_id_number")),
    )
    op.create_index(op.f("ix_student_group_id"), "student", ["group_id"], unique=False)
    op.create_index(op.f("ix_student_last_name"), "student", ["last_name"], unique=False)
    op.create_index(op.f("ix_student_status"), "student", ["status"], unique=False)
    op.create_table(
        "student_status_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("old_status", sa.String(length=8), nullable=True),
        sa.Column("new_status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_student_status_change_student_id_student"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_status_change")),
    )
    op.create_index(
        op.f("ix_student_status_change_student_id"), "student_status_change", ["student_id"], unique=False
    )

    op.execute(append_only("student_status_change"))


def downgrade() -> None:
    op.drop_index(op.f("ix_student_status_change_student_id"), table_name="student_status_change")
    op.drop_table("student_status_change")
    op.drop_index(op.f("ix_student_status"), table_name="student")
    op.drop_index(op.f("ix_student_last_name"), table_name="student")
    op.drop_index(op.f("ix_student_group_id"), table_name="student")
    op.drop_table("student")
    op.drop_index(op.f("ix_academic_group_department_id"), table_name="academic_group")
    op.drop_table("academic_group")
