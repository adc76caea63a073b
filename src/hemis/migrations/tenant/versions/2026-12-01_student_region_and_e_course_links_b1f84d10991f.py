"""Students: the region (h_soato) they live in; teaching assignments: the teacher's e-course link (issue 7 KPIs)

Revision ID: b1f84d10991f
Revises: 1c6d14f87fca
Create Date: 2026-12-01 22:30:24.580920
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1f84d10991f"
down_revision: str | Sequence[str] | None = "1c6d14f87fca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("student", sa.Column("region_code", sa.String(length=8), nullable=True))
    op.add_column("teaching_assignment", sa.Column("e_course_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.drop_column("teaching_assignment", "e_course_url")
    op.drop_column("student", "region_code")
