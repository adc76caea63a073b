"""api tokens expire

Revision ID: fb53668ff289
Revises: b1197b498318
Create Date: 2026-11-25 20:01:23.508188
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fb53668ff289"
down_revision: str | Sequence[str] | None = "b1197b498318"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tokens issued before expiry existed get the default lifetime from now.
    op.add_column(
        "api_token",
        sa.Column(
            "expires_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now() + interval '90 days'"),
        ),
    )
    op.alter_column("api_token", "expires_at", server_default=None)
    op.create_index(op.f("ix_api_token_expires_at"), "api_token", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_token_expires_at"), table_name="api_token")
    op.drop_column("api_token", "expires_at")
