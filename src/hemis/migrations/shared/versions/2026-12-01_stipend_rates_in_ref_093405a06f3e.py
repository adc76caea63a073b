"""stipend rates in ref

Revision ID: 093405a06f3e
Revises: 771c597cd123
Create Date: 2026-12-01 20:32:05.803937
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "093405a06f3e"
down_revision: str | Sequence[str] | None = "771c597cd123"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stipend_rate",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("amount_tiyin", sa.BigInteger(), nullable=True),
        sa.Column("base_percent", sa.SmallInteger(), nullable=True),
        sa.Column("basis", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(amount_tiyin IS NULL) <> (base_percent IS NULL)", name=op.f("ck_stipend_rate_amount_or_percent")
        ),
        sa.CheckConstraint("amount_tiyin > 0 AND base_percent > 0", name=op.f("ck_stipend_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stipend_rate")),
        sa.UniqueConstraint("code", "valid_from", name=op.f("uq_stipend_rate_code")),
        schema="ref",
    )
    # National amounts (tiyin), each in force from its date until a later row of its type: the
    # base and the two fixed awards as the h_stipend_rate release lists them from September 2024,
    # an earlier base to show dating, and the increased (+20 %) and privileged (+50 %) stipends as
    # percentages of whatever base is in force. A new act is a new row, never an edit.
    rates = sa.table(
        "stipend_rate",
        sa.column("code", sa.String),
        sa.column("valid_from", sa.Date),
        sa.column("amount_tiyin", sa.BigInteger),
        sa.column("base_percent", sa.SmallInteger),
        sa.column("basis", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        schema="ref",
    )
    at = datetime(2026, 12, 1, tzinfo=UTC)
    op.bulk_insert(
        rates,
        [
            {
                "code": code,
                "valid_from": since,
                "amount_tiyin": amount,
                "base_percent": percent,
                "basis": basis,
                "created_at": at,
                "updated_at": at,
            }
            for code, since, amount, percent, basis in (
                ("11", date(2023, 9, 1), 38_900_000, None, "base stipend (seed)"),
                ("11", date(2024, 9, 1), 42_800_000, None, "base stipend, h_stipend_rate release"),
                ("12", date(2023, 9, 1), None, 120, "increased: base + 20 %"),
                ("13", date(2023, 9, 1), None, 150, "privileged: base + 50 %"),
                ("14", date(2024, 9, 1), 181_119_100, None, "presidential, h_stipend_rate release"),
                ("15", date(2024, 9, 1), 120_746_100, None, "state named, h_stipend_rate release"),
            )
        ],
    )


def downgrade() -> None:
    op.drop_table("stipend_rate", schema="ref")
