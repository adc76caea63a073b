"""platform audit event: staff actions in universities' consoles

Revision ID: 771c597cd123
Revises: 7f2415a72822
Create Date: 2026-12-01 20:04:59.029808
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "771c597cd123"
down_revision: str | Sequence[str] | None = "7f2415a72822"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_audit_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["shared.platform_account.id"],
            name=op.f("fk_platform_audit_event_account_id_platform_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_audit_event")),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_platform_audit_event_account_id"),
        "platform_audit_event",
        ["account_id"],
        unique=False,
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_platform_audit_event_at"),
        "platform_audit_event",
        ["at"],
        unique=False,
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_platform_audit_event_tenant_code"),
        "platform_audit_event",
        ["tenant_code"],
        unique=False,
        schema="shared",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_shared_platform_audit_event_tenant_code"), table_name="platform_audit_event", schema="shared"
    )
    op.drop_index(
        op.f("ix_shared_platform_audit_event_at"), table_name="platform_audit_event", schema="shared"
    )
    op.drop_index(
        op.f("ix_shared_platform_audit_event_account_id"), table_name="platform_audit_event", schema="shared"
    )
    op.drop_table("platform_audit_event", schema="shared")
