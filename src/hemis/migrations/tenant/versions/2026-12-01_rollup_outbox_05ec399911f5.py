"""The roll-up outbox: a statement trigger on every table the national figures read writes one
row per statement, in the same transaction (issue 7)

Revision ID: 05ec399911f5
Revises: b1f84d10991f
Create Date: 2026-12-01 22:36:34.240256
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "05ec399911f5"
down_revision: str | Sequence[str] | None = "b1f84d10991f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The tables hemis.rollups.figures.SOURCES reads (a test holds the two lists equal).
WATCHED = (
    "absence",
    "academic_group",
    "contract",
    "curriculum",
    "curriculum_subject",
    "curriculum_week",
    "elective_choice",
    "employee",
    "grading_scale",
    "institution_profile",
    "ledger_entry",
    "mark",
    "mark_sheet",
    "stipend_line",
    "stipend_run",
    "student",
    "teaching_assignment",
    "user_account",
)

# Schema-qualified from the trigger's own table, so a bulk load or a migration running under
# another search_path still writes this university's outbox. No format() with %: the offline
# rendering that provisioning runs would double it.
TOUCH = """
CREATE FUNCTION rollup_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'INSERT INTO ' || quote_ident(TG_TABLE_SCHEMA) || '.rollup_outbox (source) VALUES ($1)'
        USING TG_TABLE_NAME;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "rollup_outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_outbox")),
    )
    op.execute(TOUCH)
    for table in WATCHED:
        op.execute(
            f"CREATE TRIGGER rollup_outbox AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION rollup_touch()"
        )


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER rollup_outbox ON {table}")
    op.execute("DROP FUNCTION rollup_touch()")
    op.drop_table("rollup_outbox")
