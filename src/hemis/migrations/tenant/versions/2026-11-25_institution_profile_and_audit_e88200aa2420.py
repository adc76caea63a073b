"""institution profile and audit

Revision ID: e88200aa2420
Revises:
Create Date: 2026-11-25 14:25:56.083290
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.ddl import append_only

revision: str = "e88200aa2420"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("entity", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_action"), "audit_event", ["action"], unique=False)
    op.create_table(
        "institution_profile",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name_uz", sa.String(length=255), nullable=False),
        sa.Column("name_oz", sa.String(length=255), nullable=False),
        sa.Column("name_ru", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("short_name", sa.String(length=32), nullable=False),
        sa.Column("hemis_code", sa.String(length=10), nullable=True),
        sa.Column("region_code", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("website", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("rector", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('university', 'national')", name=op.f("ck_institution_profile_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_profile")),
    )
    op.create_index(
        "uq_institution_profile_singleton", "institution_profile", [sa.literal_column("(true)")], unique=True
    )
    op.execute(append_only("audit_event"))


def downgrade() -> None:
    op.drop_index("uq_institution_profile_singleton", table_name="institution_profile")
    op.drop_table("institution_profile")
    op.drop_index(op.f("ix_audit_event_action"), table_name="audit_event")
    op.drop_table("audit_event")
