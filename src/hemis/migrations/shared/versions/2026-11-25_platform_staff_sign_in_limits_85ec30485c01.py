"""platform staff sign-in limits

Revision ID: 85ec30485c01
Revises: d0a2018554ae
Create Date: 2026-11-25 20:30:27.992538
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "85ec30485c01"
down_revision: str | Sequence[str] | None = "d0a2018554ae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_login_throttle",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_login_throttle")),
        sa.UniqueConstraint("key", name=op.f("uq_platform_login_throttle_key")),
        schema="shared",
    )


def downgrade() -> None:
    op.drop_table("platform_login_throttle", schema="shared")
