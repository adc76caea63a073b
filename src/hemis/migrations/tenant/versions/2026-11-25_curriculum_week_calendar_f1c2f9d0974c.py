"""curriculum week calendar

Revision ID: f1c2f9d0974c
Revises: cf5b409c81e6
Create Date: 2026-11-25 17:11:12.884238
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1c2f9d0974c"
down_revision: str | Sequence[str] | None = "cf5b409c81e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "curriculum_week",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("curriculum_id", sa.BigInteger(), nullable=False),
        sa.Column("semester", sa.String(length=8), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("week_type", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "extract(isodow FROM start_date) = 1", name=op.f("ck_curriculum_week_starts_on_monday")
        ),
        sa.CheckConstraint("number BETWEEN 1 AND 30", name=op.f("ck_curriculum_week_number")),
        sa.ForeignKeyConstraint(
            ["curriculum_id"],
            ["curriculum.id"],
            name=op.f("fk_curriculum_week_curriculum_id_curriculum"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum_week")),
        sa.UniqueConstraint("curriculum_id", "semester", "number", name="uq_curriculum_week_number"),
        sa.UniqueConstraint("curriculum_id", "start_date", name="uq_curriculum_week_start"),
    )
    op.create_index(
        op.f("ix_curriculum_week_curriculum_id"), "curriculum_week", ["curriculum_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_curriculum_week_curriculum_id"), table_name="curriculum_week")
    op.drop_table("curriculum_week")
