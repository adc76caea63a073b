"""national.structure: each university's groups, specialities, departments and auditoriums
counted by type, for HEMIS's public stat-structure (issue 7)

Revision ID: c3e91f5a2b70
Revises: 7fd0a1fe5b33
Create Date: 2026-12-07 20:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e91f5a2b70"
down_revision: str | Sequence[str] | None = "7fd0a1fe5b33"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Row-level security and grants: tenants.provision.ensure_platform (its policies name roles).
    op.create_table(
        "structure",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_structure_tenant_code"),
        "structure",
        ["tenant_code"],
        unique=False,
        schema="national",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_national_structure_tenant_code"), table_name="structure", schema="national")
    op.drop_table("structure", schema="national")
