"""mark change requests

Revision ID: cf5b409c81e6
Revises: 40b46427c5a2
Create Date: 2026-11-25 16:58:03.041169
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cf5b409c81e6"
down_revision: str | Sequence[str] | None = "40b46427c5a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mark_change_request",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("mark_id", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_mark_change_request_status")
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_mark_change_request_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["mark_id"], ["mark.id"], name=op.f("fk_mark_change_request_mark_id_mark"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mark_change_request")),
    )
    op.create_index(op.f("ix_mark_change_request_mark_id"), "mark_change_request", ["mark_id"], unique=False)
    op.create_index(op.f("ix_mark_change_request_status"), "mark_change_request", ["status"], unique=False)
    op.create_index(
        "uq_mark_change_request_pending",
        "mark_change_request",
        ["mark_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_mark_change_request_pending",
        table_name="mark_change_request",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_mark_change_request_status"), table_name="mark_change_request")
    op.drop_index(op.f("ix_mark_change_request_mark_id"), table_name="mark_change_request")
    op.drop_table("mark_change_request")
