"""finance base calculation amount (ref): the national BHM by date, with the values in force since 2021

Revision ID: 7f2415a72822
Revises: 85ec30485c01
Create Date: 2026-12-01 19:59:47.612909
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "7f2415a72822"
down_revision: str | Sequence[str] | None = "85ec30485c01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The base calculation amount (bazaviy hisoblash miqdori) set by presidential decrees, in so'm.
# Later values are added by a migration like this one (the ministry's releases), never by tenants.
BASE_AMOUNTS = (
    (date(2021, 2, 1), 245_000),
    (date(2022, 4, 1), 270_000),
    (date(2023, 6, 1), 330_000),
    (date(2023, 10, 1), 340_000),
    (date(2024, 10, 1), 375_000),
    (date(2025, 8, 1), 412_000),
)


def upgrade() -> None:
    table = op.create_table(
        "base_calculation_amount",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_base_calculation_amount_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_base_calculation_amount")),
        sa.UniqueConstraint("valid_from", name=op.f("uq_base_calculation_amount_valid_from")),
        schema="ref",
    )
    # A fixed timestamp keeps the migration reproducible.
    loaded = datetime(2026, 12, 1, tzinfo=UTC)
    op.bulk_insert(
        table,
        [
            {
                "valid_from": since,
                "amount": som * 100,
                "note": "BHM",
                "created_at": loaded,
                "updated_at": loaded,
            }
            for since, som in BASE_AMOUNTS
        ],
    )


def downgrade() -> None:
    op.drop_table("base_calculation_amount", schema="ref")
