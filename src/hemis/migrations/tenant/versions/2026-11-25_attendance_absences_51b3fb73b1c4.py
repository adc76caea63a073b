"""attendance absences

Revision ID: 51b3fb73b1c4
Revises: d455d71d0dde
Create Date: 2026-11-25 16:05:53.465014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "51b3fb73b1c4"
down_revision: str | Sequence[str] | None = "d455d71d0dde"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("curriculum_subject_id", sa.BigInteger(), nullable=False),
        sa.Column("lesson_date", sa.Date(), nullable=False),
        sa.Column("lesson_pair", sa.SmallInteger(), nullable=False),
        sa.Column("training_type", sa.String(length=8), nullable=False),
        sa.Column("hours", sa.SmallInteger(), nullable=False),
        sa.Column("excuse_document", sa.String(length=255), nullable=True),
        sa.Column("excused_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours BETWEEN 1 AND 8", name=op.f("ck_absence_hours")),
        sa.CheckConstraint("lesson_pair BETWEEN 1 AND 8", name=op.f("ck_absence_lesson_pair")),
        sa.ForeignKeyConstraint(
            ["curriculum_subject_id"],
            ["curriculum_subject.id"],
            name=op.f("fk_absence_curriculum_subject_id_curriculum_subject"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_absence_student_id_student"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
        sa.UniqueConstraint(
            "student_id", "curriculum_subject_id", "lesson_date", "lesson_pair", name="uq_absence_lesson"
        ),
    )
    op.create_index(
        op.f("ix_absence_curriculum_subject_id"), "absence", ["curriculum_subject_id"], unique=False
    )
    op.create_index(op.f("ix_absence_student_id"), "absence", ["student_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_absence_student_id"), table_name="absence")
    op.drop_index(op.f("ix_absence_curriculum_subject_id"), table_name="absence")
    op.drop_table("absence")
