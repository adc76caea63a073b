"""stipend rules assignments runs lines

Revision ID: 1c6d14f87fca
Revises: 09b54a8b0a7c
Create Date: 2026-12-01 20:32:18.404441
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1c6d14f87fca"
down_revision: str | Sequence[str] | None = "09b54a8b0a7c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROZEN_RUN = """
CREATE FUNCTION stipend_run_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'approved' THEN
        RAISE EXCEPTION 'an approved stipend run does not change' USING ERRCODE = '55000';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$
"""
# search_path pinned to the creating (tenant) schema, so stipend_run is the tenant's own.
FROZEN_LINE = """
CREATE FUNCTION stipend_line_frozen() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM stipend_run
        WHERE status = 'approved' AND id IN (NEW.run_id, OLD.run_id)
    ) THEN
        RAISE EXCEPTION 'lines of an approved stipend run do not change' USING ERRCODE = '55000';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "stipend_rule",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("rate_code", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("by_assignment", sa.Boolean(), nullable=False),
        sa.Column("state_grant_only", sa.Boolean(), nullable=False),
        sa.Column("min_grade", sa.SmallInteger(), nullable=True),
        sa.Column("first_semester", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("min_grade BETWEEN 3 AND 5", name=op.f("ck_stipend_rule_min_grade")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stipend_rule")),
        sa.UniqueConstraint("rate_code", name=op.f("uq_stipend_rule_rate_code")),
    )
    op.create_table(
        "stipend_run",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("prepared_by", sa.String(length=255), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("total_tiyin", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'approved')", name=op.f("ck_stipend_run_status")),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name=op.f("ck_stipend_run_first_of_month")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stipend_run")),
        sa.UniqueConstraint("month", name=op.f("uq_stipend_run_month")),
    )
    op.create_table(
        "stipend_assignment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("rate_code", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("order_number", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_stipend_assignment_period")),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_stipend_assignment_student_id_student"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stipend_assignment")),
    )
    op.create_index(
        op.f("ix_stipend_assignment_student_id"), "stipend_assignment", ["student_id"], unique=False
    )
    op.create_table(
        "stipend_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("semester", sa.String(length=8), nullable=True),
        sa.Column("lowest_grade", sa.SmallInteger(), nullable=True),
        sa.Column("debts", sa.SmallInteger(), nullable=True),
        sa.Column("rate_code", sa.String(length=8), nullable=True),
        sa.Column("amount_tiyin", sa.BigInteger(), nullable=False),
        sa.Column("reasons", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["academic_group.id"],
            name=op.f("fk_stipend_line_group_id_academic_group"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["stipend_run.id"],
            name=op.f("fk_stipend_line_run_id_stipend_run"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_stipend_line_student_id_student"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stipend_line")),
        sa.UniqueConstraint("run_id", "student_id", name=op.f("uq_stipend_line_run_id")),
    )
    op.create_index(op.f("ix_stipend_line_student_id"), "stipend_line", ["student_id"], unique=False)
    # An approved run and its lines are history: the database refuses to change them, whatever
    # the code does. No '%' in these bodies: Alembic's offline rendering would double it.
    op.execute(FROZEN_RUN)
    op.execute(
        "CREATE TRIGGER stipend_run_frozen BEFORE UPDATE OR DELETE ON stipend_run "
        "FOR EACH ROW EXECUTE FUNCTION stipend_run_frozen()"
    )
    op.execute(FROZEN_LINE)
    op.execute(
        "CREATE TRIGGER stipend_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON stipend_line "
        "FOR EACH ROW EXECUTE FUNCTION stipend_line_frozen()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS stipend_line_frozen ON stipend_line")
    op.execute("DROP TRIGGER IF EXISTS stipend_run_frozen ON stipend_run")
    op.execute("DROP FUNCTION IF EXISTS stipend_line_frozen()")
    op.execute("DROP FUNCTION IF EXISTS stipend_run_frozen()")
    op.drop_index(op.f("ix_stipend_line_student_id"), table_name="stipend_line")
    op.drop_table("stipend_line")
    op.drop_index(op.f("ix_stipend_assignment_student_id"), table_name="stipend_assignment")
    op.drop_table("stipend_assignment")
    op.drop_table("stipend_run")
    op.drop_table("stipend_rule")
