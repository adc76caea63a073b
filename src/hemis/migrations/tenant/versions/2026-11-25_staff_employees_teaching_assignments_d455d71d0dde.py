"""staff employees teaching assignments

Revision ID: d455d71d0dde
Revises: e998571f1ce3
Create Date: 2026-11-25 16:02:05.697301
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d455d71d0dde"
down_revision: str | Sequence[str] | None = "e998571f1ce3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "employee",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("employee_id_number", sa.String(length=20), nullable=False),
        sa.Column("pinfl", sa.String(length=14), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("patronymic", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("department_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.String(length=32), nullable=False),
        sa.Column("employment_form", sa.String(length=32), nullable=False),
        sa.Column("rate", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("academic_degree", sa.String(length=8), nullable=False),
        sa.Column("academic_rank", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rate IN (0.25, 0.5, 0.75, 1.0)", name=op.f("ck_employee_rate")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_employee_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employee")),
        sa.UniqueConstraint("employee_id_number", name=op.f("uq_employee_employee_id_number")),
        sa.UniqueConstraint("pinfl", name=op.f("uq_employee_pinfl")),
    )
    op.create_index(op.f("ix_employee_department_id"), "employee", ["department_id"], unique=False)
    op.create_index(op.f("ix_employee_last_name"), "employee", ["last_name"], unique=False)
    op.create_table(
        "teaching_assignment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("employee_id", sa.BigInteger(), nullable=False),
        sa.Column("curriculum_subject_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("training_type", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["curriculum_subject_id"],
            ["curriculum_subject.id"],
            name=op.f("fk_teaching_assignment_curriculum_subject_id_curriculum_subject"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employee.id"],
            name=op.f("fk_teaching_assignment_employee_id_employee"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["academic_group.id"],
            name=op.f("fk_teaching_assignment_group_id_academic_group"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teaching_assignment")),
        sa.UniqueConstraint(
            "curriculum_subject_id", "group_id", "training_type", "employee_id", name="uq_teaching_assignment"
        ),
    )
    op.create_index(
        op.f("ix_teaching_assignment_curriculum_subject_id"),
        "teaching_assignment",
        ["curriculum_subject_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_teaching_assignment_employee_id"), "teaching_assignment", ["employee_id"], unique=False
    )
    op.create_index(
        op.f("ix_teaching_assignment_group_id"), "teaching_assignment", ["group_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_teaching_assignment_group_id"), table_name="teaching_assignment")
    op.drop_index(op.f("ix_teaching_assignment_employee_id"), table_name="teaching_assignment")
    op.drop_index(op.f("ix_teaching_assignment_curriculum_subject_id"), table_name="teaching_assignment")
    op.drop_table("teaching_assignment")
    op.drop_index(op.f("ix_employee_last_name"), table_name="employee")
    op.drop_index(op.f("ix_employee_department_id"), table_name="employee")
    op.drop_table("employee")
