"""platform staff: accounts, sessions, support grants

Revision ID: d0a2018554ae
Revises: 0fa32e398253
Create Date: 2026-11-25 19:45:31.892648
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d0a2018554ae"
down_revision: str | Sequence[str] | None = "0fa32e398253"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_account",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_account")),
        sa.UniqueConstraint("username", name=op.f("uq_platform_account_username")),
        schema="shared",
    )
    op.create_table(
        "platform_session",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["shared.platform_account.id"],
            name=op.f("fk_platform_session_account_id_platform_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_platform_session_token_hash")),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_platform_session_account_id"),
        "platform_session",
        ["account_id"],
        unique=False,
        schema="shared",
    )
    op.create_table(
        "support_grant",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("expires_at > starts_at", name=op.f("ck_support_grant_time_boxed")),
        sa.CheckConstraint("length(reason) >= 10", name=op.f("ck_support_grant_reason_given")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["shared.platform_account.id"],
            name=op.f("fk_support_grant_account_id_platform_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_grant")),
        sa.UniqueConstraint("key", name=op.f("uq_support_grant_key")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_support_grant_token_hash")),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_support_grant_account_id"),
        "support_grant",
        ["account_id"],
        unique=False,
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_support_grant_tenant_code"),
        "support_grant",
        ["tenant_code"],
        unique=False,
        schema="shared",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shared_support_grant_tenant_code"), table_name="support_grant", schema="shared")
    op.drop_index(op.f("ix_shared_support_grant_account_id"), table_name="support_grant", schema="shared")
    op.drop_table("support_grant", schema="shared")
    op.drop_index(
        op.f("ix_shared_platform_session_account_id"), table_name="platform_session", schema="shared"
    )
    op.drop_table("platform_session", schema="shared")
    op.drop_table("platform_account", schema="shared")
