"""national.demography: each university's studying students by age band, accommodation,
education type and gender, and its employees by age band and gender, for HEMIS's public
stat-student and stat-employee (issue 7)

Revision ID: 3b7d5e9a1f42
Revises: c3e91f5a2b70
Create Date: 2026-12-08 00:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b7d5e9a1f42"
down_revision: str | Sequence[str] | None = "c3e91f5a2b70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Row-level security and grants: tenants.provision.ensure_platform (its policies name roles).
    op.create_table(
        "demography",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("age_band", sa.String(length=8), nullable=False),
        sa.Column("accommodation", sa.String(length=8), nullable=False),
        sa.Column("education_type", sa.String(length=8), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_code", sa.String(length=30), nullable=False),
        sa.Column("tenant_role", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demography")),
        schema="national",
    )
    op.create_index(
        op.f("ix_national_demography_tenant_code"),
        "demography",
        ["tenant_code"],
        unique=False,
        schema="national",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_national_demography_tenant_code"), table_name="demography", schema="national")
    op.drop_table("demography", schema="national")
