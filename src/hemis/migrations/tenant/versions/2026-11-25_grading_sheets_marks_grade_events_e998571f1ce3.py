"""grading sheets marks grade events

Revision ID: e998571f1ce3
Revises: 0bcc34fa8d4a
Create Date: 2026-11-25 15:46:39.860320
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hemis.grading import chain
from tenants.ddl import read_only, update_only_columns

revision: str = "e998571f1ce3"
down_revision: str | Sequence[str] | None = "0bcc34fa8d4a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grade_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("mark_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("sheet_id", sa.BigInteger(), nullable=False),
        sa.Column("old_points", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("new_points", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_grade_event_hash")),
    )
    op.create_index(op.f("ix_grade_event_mark_id"), "grade_event", ["mark_id"], unique=False)
    op.create_index(op.f("ix_grade_event_student_id"), "grade_event", ["student_id"], unique=False)
    op.create_table(
        "mark_sheet",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("curriculum_subject_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("control_type", sa.String(length=2), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("lock_after_days", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("control_type IN ('JN', 'ON', 'YN')", name=op.f("ck_mark_sheet_control_type")),
        sa.CheckConstraint("attempt BETWEEN 1 AND 5", name=op.f("ck_mark_sheet_attempt")),
        sa.ForeignKeyConstraint(
            ["curriculum_subject_id"],
            ["curriculum_subject.id"],
            name=op.f("fk_mark_sheet_curriculum_subject_id_curriculum_subject"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["academic_group.id"],
            name=op.f("fk_mark_sheet_group_id_academic_group"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mark_sheet")),
        sa.UniqueConstraint(
            "curriculum_subject_id", "group_id", "control_type", "attempt", name="uq_mark_sheet_control"
        ),
    )
    op.create_index(
        op.f("ix_mark_sheet_curriculum_subject_id"), "mark_sheet", ["curriculum_subject_id"], unique=False
    )
    op.create_index(op.f("ix_mark_sheet_group_id"), "mark_sheet", ["group_id"], unique=False)
    op.create_table(
        "mark",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("sheet_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_mark_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["mark_sheet.id"], name=op.f("fk_mark_sheet_id_mark_sheet"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_mark_student_id_student"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mark")),
        sa.UniqueConstraint("sheet_id", "student_id", name="uq_mark_sheet_student"),
    )
    op.create_index(op.f("ix_mark_sheet_id"), "mark", ["sheet_id"], unique=False)
    op.create_index(op.f("ix_mark_student_id"), "mark", ["student_id"], unique=False)

    op.execute(chain.TRIGGER_FUNCTION)
    op.execute(chain.TRIGGER)
    op.execute(read_only("grade_event"))
    op.execute(update_only_columns("mark", ("points", "version", "updated_at")))
    # Tenant roles only read the history; the trigger writes it (as the invoking role, so INSERT stays).


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS mark_history ON mark")
    op.execute("DROP FUNCTION IF EXISTS grade_event_chain()")
    op.drop_index(op.f("ix_mark_student_id"), table_name="mark")
    op.drop_index(op.f("ix_mark_sheet_id"), table_name="mark")
    op.drop_table("mark")
    op.drop_index(op.f("ix_mark_sheet_group_id"), table_name="mark_sheet")
    op.drop_index(op.f("ix_mark_sheet_curriculum_subject_id"), table_name="mark_sheet")
    op.drop_table("mark_sheet")
    op.drop_index(op.f("ix_grade_event_student_id"), table_name="grade_event")
    op.drop_index(op.f("ix_grade_event_mark_id"), table_name="grade_event")
    op.drop_table("grade_event")
