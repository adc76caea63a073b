"""stipend correction runs: a month's runs are numbered (the regular one 0, corrections 1, 2 …),
one draft a month at a time, and a line keeps what the month's approved runs gave before it

Existing runs become the regular runs of their months; existing lines had nothing before them.
Adding the columns fires no row trigger, so approved runs stay as they were.

Revision ID: d37adabd5956
Revises: 42d5eb574a29
Create Date: 2026-12-01 22:39:19.209606
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d37adabd5956"
down_revision: str | Sequence[str] | None = "42d5eb574a29"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "stipend_line",
        sa.Column("previous_tiyin", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.alter_column("stipend_line", "previous_tiyin", server_default=None)
    op.add_column(
        "stipend_run",
        sa.Column("kind", sa.String(length=12), nullable=False, server_default=sa.text("'regular'")),
    )
    op.alter_column("stipend_run", "kind", server_default=None)
    op.add_column(
        "stipend_run", sa.Column("sequence", sa.SmallInteger(), nullable=False, server_default=sa.text("0"))
    )
    op.alter_column("stipend_run", "sequence", server_default=None)
    op.create_check_constraint(
        op.f("ck_stipend_run_kind"), "stipend_run", "kind IN ('regular', 'correction')"
    )
    op.create_check_constraint(
        op.f("ck_stipend_run_sequence_of_kind"), "stipend_run", "(kind = 'regular') = (sequence = 0)"
    )
    op.drop_constraint(op.f("uq_stipend_run_month"), "stipend_run", type_="unique")
    op.create_unique_constraint("uq_stipend_run_month_sequence", "stipend_run", ["month", "sequence"])
    op.create_index(
        "uq_stipend_run_draft_month",
        "stipend_run",
        ["month"],
        unique=True,
        postgresql_where=sa.text("status = 'draft'"),
    )


def downgrade() -> None:
    # Fails while a month has correction runs: approved runs are frozen, they are not removed.
    op.drop_index(
        "uq_stipend_run_draft_month", table_name="stipend_run", postgresql_where=sa.text("status = 'draft'")
    )
    op.drop_constraint("uq_stipend_run_month_sequence", "stipend_run", type_="unique")
    op.create_unique_constraint(op.f("uq_stipend_run_month"), "stipend_run", ["month"])
    op.drop_constraint(op.f("ck_stipend_run_sequence_of_kind"), "stipend_run", type_="check")
    op.drop_constraint(op.f("ck_stipend_run_kind"), "stipend_run", type_="check")
    op.drop_column("stipend_run", "sequence")
    op.drop_column("stipend_run", "kind")
    op.drop_column("stipend_line", "previous_tiyin")
