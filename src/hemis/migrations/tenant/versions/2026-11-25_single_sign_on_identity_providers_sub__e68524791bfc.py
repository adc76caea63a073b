"""single sign-on: identity providers, sub links, attempts

Revision ID: e68524791bfc
Revises: 2c8ed5a332ab
Create Date: 2026-11-25 19:25:46.189108
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e68524791bfc"
down_revision: str | Sequence[str] | None = "2c8ed5a332ab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_provider",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("discovery_url", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.String(length=500), nullable=False),
        sa.Column("claim", sa.String(length=64), nullable=False),
        sa.Column("match_by", sa.String(length=20), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "match_by IN ('pinfl', 'student_id_number', 'username')",
            name=op.f("ck_identity_provider_match_by_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_provider")),
    )
    op.create_table(
        "sso_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("provider_id", sa.BigInteger(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("return_to", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_provider.id"],
            name=op.f("fk_sso_attempt_provider_id_identity_provider"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_attempt")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_sso_attempt_state_hash")),
    )
    op.create_index(op.f("ix_sso_attempt_created_at"), "sso_attempt", ["created_at"], unique=False)
    op.create_index(op.f("ix_sso_attempt_provider_id"), "sso_attempt", ["provider_id"], unique=False)
    op.create_table(
        "sso_link",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("provider_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_provider.id"],
            name=op.f("fk_sso_link_provider_id_identity_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_sso_link_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_link")),
        sa.UniqueConstraint("provider_id", "subject", name=op.f("uq_sso_link_provider_id")),
    )
    op.create_index(op.f("ix_sso_link_user_id"), "sso_link", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sso_link_user_id"), table_name="sso_link")
    op.drop_table("sso_link")
    op.drop_index(op.f("ix_sso_attempt_provider_id"), table_name="sso_attempt")
    op.drop_index(op.f("ix_sso_attempt_created_at"), table_name="sso_attempt")
    op.drop_table("sso_attempt")
    op.drop_table("identity_provider")
