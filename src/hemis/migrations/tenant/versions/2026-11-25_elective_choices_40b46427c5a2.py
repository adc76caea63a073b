"""elective choices

Revision ID: 40b46427c5a2
Revises: 7994fc364634
Create Date: 2026-11-25 16:52:16.999704
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "40b46427c5a2"
down_revision: str | Sequence[str] | None = "7994fc364634"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "elective_choice",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("curriculum_subject_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["curriculum_subject_id"],
            ["curriculum_subject.id"],
            name=op.f("fk_elective_choice_curriculum_subject_id_curriculum_subject"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_elective_choice_student_id_student"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elective_choice")),
        sa.UniqueConstraint("student_id", "curriculum_subject_id", name="uq_elective_choice"),
    )
    op.create_index(
        op.f("ix_elective_choice_curriculum_subject_id"),
        "elective_choice",
        ["curriculum_subject_id"],
        unique=False,
    )
    op.create_index(op.f("ix_elective_choice_student_id"), "elective_choice", ["student_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_elective_choice_student_id"), table_name="elective_choice")
    op.drop_index(op.f("ix_elective_choice_curriculum_subject_id"), table_name="elective_choice")
    op.drop_table("elective_choice")
