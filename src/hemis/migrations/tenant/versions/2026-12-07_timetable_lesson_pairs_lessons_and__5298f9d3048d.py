"""timetable: lesson pairs (seeded with a common day of eight pairs, each university edits its
own), weekly lessons and the groups attending them (several make a lecture stream)

Revision ID: 5298f9d3048d
Revises: d37adabd5956
Create Date: 2026-12-07 17:05:52.542769
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5298f9d3048d"
down_revision: str | Sequence[str] | None = "d37adabd5956"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Literal data (tenant migrations render offline): 80-minute pairs with breaks and a lunch hour.
DEFAULT_PAIRS = (
    "(1, '08:30', '09:50'), (2, '10:00', '11:20'), (3, '11:30', '12:50'), (4, '13:30', '14:50'), "
    "(5, '15:00', '16:20'), (6, '16:30', '17:50'), (7, '18:00', '19:20'), (8, '19:30', '20:50')"
)


def upgrade() -> None:
    op.create_table(
        "lesson_pair",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_lesson_pair_ends_after_start")),
        sa.CheckConstraint("number BETWEEN 1 AND 8", name=op.f("ck_lesson_pair_number")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_pair")),
        sa.UniqueConstraint("number", name=op.f("uq_lesson_pair_number")),
    )
    op.execute(
        "INSERT INTO lesson_pair (number, starts_at, ends_at, created_at, updated_at) "
        f"SELECT v.number, v.starts_at::time, v.ends_at::time, now(), now() FROM (VALUES {DEFAULT_PAIRS}) "
        "AS v(number, starts_at, ends_at)"
    )
    op.create_table(
        "lesson",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("curriculum_subject_id", sa.BigInteger(), nullable=False),
        sa.Column("training_type", sa.String(length=8), nullable=False),
        sa.Column("employee_id", sa.BigInteger(), nullable=False),
        sa.Column("auditorium_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("pair", sa.SmallInteger(), nullable=False),
        sa.Column("parity", sa.String(length=4), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("parity IN ('all', 'odd', 'even')", name=op.f("ck_lesson_parity")),
        sa.CheckConstraint("pair BETWEEN 1 AND 8", name=op.f("ck_lesson_pair")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_lesson_valid_range")),
        sa.CheckConstraint("weekday BETWEEN 1 AND 6", name=op.f("ck_lesson_weekday")),
        sa.ForeignKeyConstraint(
            ["auditorium_id"],
            ["auditorium.id"],
            name=op.f("fk_lesson_auditorium_id_auditorium"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["curriculum_subject_id"],
            ["curriculum_subject.id"],
            name=op.f("fk_lesson_curriculum_subject_id_curriculum_subject"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employee.id"], name=op.f("fk_lesson_employee_id_employee"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson")),
    )
    op.create_index(op.f("ix_lesson_auditorium_id"), "lesson", ["auditorium_id"], unique=False)
    op.create_index(
        op.f("ix_lesson_curriculum_subject_id"), "lesson", ["curriculum_subject_id"], unique=False
    )
    op.create_index(op.f("ix_lesson_employee_id"), "lesson", ["employee_id"], unique=False)
    op.create_index("ix_lesson_slot", "lesson", ["weekday", "pair"], unique=False)
    op.create_table(
        "lesson_group",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("lesson_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["academic_group.id"],
            name=op.f("fk_lesson_group_group_id_academic_group"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lesson.id"], name=op.f("fk_lesson_group_lesson_id_lesson"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_group")),
        sa.UniqueConstraint("lesson_id", "group_id", name="uq_lesson_group"),
    )
    op.create_index(op.f("ix_lesson_group_group_id"), "lesson_group", ["group_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lesson_group_group_id"), table_name="lesson_group")
    op.drop_table("lesson_group")
    op.drop_index("ix_lesson_slot", table_name="lesson")
    op.drop_index(op.f("ix_lesson_employee_id"), table_name="lesson")
    op.drop_index(op.f("ix_lesson_curriculum_subject_id"), table_name="lesson")
    op.drop_index(op.f("ix_lesson_auditorium_id"), table_name="lesson")
    op.drop_table("lesson")
    op.drop_table("lesson_pair")
