"""curriculum specialties subjects

Revision ID: 5925060ff8d4
Revises: 25a56fc7a4bb
Create Date: 2026-11-25 15:35:11.472808
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5925060ff8d4"
down_revision: str | Sequence[str] | None = "25a56fc7a4bb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "specialty",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("education_type", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialty")),
        sa.UniqueConstraint("code", name=op.f("uq_specialty_code")),
    )
    op.create_table(
        "curriculum",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("specialty_id", sa.BigInteger(), nullable=False),
        sa.Column("department_id", sa.BigInteger(), nullable=False),
        sa.Column("education_form", sa.String(length=8), nullable=False),
        sa.Column("marking_system", sa.String(length=8), nullable=False),
        sa.Column("admission_year", sa.SmallInteger(), nullable=False),
        sa.Column("semester_count", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_curriculum_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialty.id"],
            name=op.f("fk_curriculum_specialty_id_specialty"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum")),
    )
    op.create_index(op.f("ix_curriculum_department_id"), "curriculum", ["department_id"], unique=False)
    op.create_index(op.f("ix_curriculum_specialty_id"), "curriculum", ["specialty_id"], unique=False)
    op.create_table(
        "subject",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("department_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_subject_department_id_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint("code", name=op.f("uq_subject_code")),
    )
    op.create_index(op.f("ix_subject_department_id"), "subject", ["department_id"], unique=False)
    op.create_table(
        "curriculum_subject",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("curriculum_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("semester", sa.String(length=8), nullable=False),
        sa.Column("subject_type", sa.String(length=8), nullable=False),
        sa.Column("subject_block", sa.String(length=8), nullable=False),
        sa.Column("credit", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("lecture_hours", sa.SmallInteger(), nullable=False),
        sa.Column("practice_hours", sa.SmallInteger(), nullable=False),
        sa.Column("laboratory_hours", sa.SmallInteger(), nullable=False),
        sa.Column("seminar_hours", sa.SmallInteger(), nullable=False),
        sa.Column("independent_hours", sa.SmallInteger(), nullable=False),
        sa.Column("max_current", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("max_midterm", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("max_final", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("credit > 0", name=op.f("ck_curriculum_subject_credit_positive")),
        sa.CheckConstraint(
            "lecture_hours >= 0 AND practice_hours >= 0 AND laboratory_hours >= 0 AND seminar_hours >= 0 AND independent_hours >= 0",
            name=op.f("ck_curriculum_subject_hours_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["curriculum_id"],
            ["curriculum.id"],
            name=op.f("fk_curriculum_subject_curriculum_id_curriculum"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject.id"],
            name=op.f("fk_curriculum_subject_subject_id_subject"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum_subject")),
        sa.UniqueConstraint(
            "curriculum_id", "subject_id", "semester", name=op.f("uq_curriculum_subject_curriculum_id")
        ),
    )
    op.create_index(
        op.f("ix_curriculum_subject_curriculum_id"), "curriculum_subject", ["curriculum_id"], unique=False
    )
    op.create_index(
        op.f("ix_curriculum_subject_subject_id"), "curriculum_subject", ["subject_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_curriculum_subject_subject_id"), table_name="curriculum_subject")
    op.drop_index(op.f("ix_curriculum_subject_curriculum_id"), table_name="curriculum_subject")
    op.drop_table("curriculum_subject")
    op.drop_index(op.f("ix_subject_department_id"), table_name="subject")
    op.drop_table("subject")
    op.drop_index(op.f("ix_curriculum_specialty_id"), table_name="curriculum")
    op.drop_index(op.f("ix_curriculum_department_id"), table_name="curriculum")
    op.drop_table("curriculum")
    op.drop_table("specialty")
