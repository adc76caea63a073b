"""self-enrolled second factor: pending TOTP secret

Revision ID: 4c1ba8b83754
Revises: e68524791bfc
Create Date: 2026-11-25 19:37:19.771677
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c1ba8b83754"
down_revision: str | Sequence[str] | None = "e68524791bfc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user_account", sa.Column("totp_pending", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("user_account", "totp_pending")
