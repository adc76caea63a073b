"""support access: the university's record of support grants

Revision ID: bbda218f579f
Revises: 4c1ba8b83754
Create Date: 2026-11-25 19:45:34.838104
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bbda218f579f"
down_revision: str | Sequence[str] | None = "4c1ba8b83754"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_access",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("grant_key", sa.String(length=32), nullable=False),
        sa.Column("staff_username", sa.String(length=64), nullable=False),
        sa.Column("staff_name", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_access")),
        sa.UniqueConstraint("grant_key", name=op.f("uq_support_access_grant_key")),
    )


def downgrade() -> None:
    op.drop_table("support_access")
