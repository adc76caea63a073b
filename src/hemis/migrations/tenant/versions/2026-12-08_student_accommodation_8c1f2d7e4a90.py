"""student.accommodation: where a student lives while studying (h_accommodation), for HEMIS's
public stat-student and the ministry's demography figures (issue 7)

Nullable: students recorded before it are "not stated" until a registrar fills it in.

Revision ID: 8c1f2d7e4a90
Revises: 4b0e6a1c9d27
Create Date: 2026-12-08 00:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c1f2d7e4a90"
down_revision: str | Sequence[str] | None = "4b0e6a1c9d27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("student", sa.Column("accommodation", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("student", "accommodation")
