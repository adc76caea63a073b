"""shared registry and classifiers

Revision ID: 0fa32e398253
Revises:
Create Date: 2026-11-25 14:25:49.453124
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0fa32e398253"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for schema in ("shared", "ref", "national"):
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.create_table(
        "classifier",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_uz", sa.String(length=255), nullable=False),
        sa.Column("name_oz", sa.String(length=255), nullable=False),
        sa.Column("name_ru", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier")),
        sa.UniqueConstraint("code", name=op.f("uq_classifier_code")),
        schema="ref",
    )
    op.create_table(
        "classifier_release",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier_release")),
        sa.UniqueConstraint("version", name=op.f("uq_classifier_release_version")),
        schema="ref",
    )
    op.create_table(
        "tenant",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name_uz", sa.String(length=255), nullable=False),
        sa.Column("name_oz", sa.String(length=255), nullable=False),
        sa.Column("name_ru", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("hemis_code", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('university', 'national')", name=op.f("ck_tenant_kind")),
        sa.CheckConstraint(
            "status IN ('provisioning', 'active', 'suspended')", name=op.f("ck_tenant_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("code", name=op.f("uq_tenant_code")),
        schema="shared",
    )
    op.create_table(
        "classifier_item",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("classifier_code", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_uz", sa.String(length=500), nullable=False),
        sa.Column("name_oz", sa.String(length=500), nullable=False),
        sa.Column("name_ru", sa.String(length=500), nullable=False),
        sa.Column("name_en", sa.String(length=500), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("since_version", sa.String(length=32), nullable=False),
        sa.Column("retired_version", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["classifier_code"],
            ["ref.classifier.code"],
            name=op.f("fk_classifier_item_classifier_code_classifier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier_item")),
        sa.UniqueConstraint("classifier_code", "code", name=op.f("uq_classifier_item_classifier_code")),
        schema="ref",
    )
    op.create_index(
        op.f("ix_ref_classifier_item_classifier_code"),
        "classifier_item",
        ["classifier_code"],
        unique=False,
        schema="ref",
    )
    op.create_table(
        "tenant_domain",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["shared.tenant.id"],
            name=op.f("fk_tenant_domain_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_domain")),
        sa.UniqueConstraint("domain", name=op.f("uq_tenant_domain_domain")),
        schema="shared",
    )
    op.create_index(
        op.f("ix_shared_tenant_domain_tenant_id"),
        "tenant_domain",
        ["tenant_id"],
        unique=False,
        schema="shared",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shared_tenant_domain_tenant_id"), table_name="tenant_domain", schema="shared")
    op.drop_table("tenant_domain", schema="shared")
    op.drop_index(op.f("ix_ref_classifier_item_classifier_code"), table_name="classifier_item", schema="ref")
    op.drop_table("classifier_item", schema="ref")
    op.drop_table("tenant", schema="shared")
    op.drop_table("classifier_release", schema="ref")
    op.drop_table("classifier", schema="ref")
