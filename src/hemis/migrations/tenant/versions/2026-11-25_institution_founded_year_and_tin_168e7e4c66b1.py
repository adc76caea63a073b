"""institution founded year and tin

Revision ID: 168e7e4c66b1
Revises: e88200aa2420
Create Date: 2026-11-25 14:30:28.224469
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "168e7e4c66b1"
down_revision: str | Sequence[str] | None = "e88200aa2420"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("institution_profile", sa.Column("founded_year", sa.SmallInteger(), nullable=True))
    op.add_column("institution_profile", sa.Column("tin", sa.String(length=9), nullable=True))
    op.create_index(op.f("ix_institution_profile_tin"), "institution_profile", ["tin"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_institution_profile_tin"), table_name="institution_profile")
    op.drop_column("institution_profile", "tin")
    op.drop_column("institution_profile", "founded_year")
