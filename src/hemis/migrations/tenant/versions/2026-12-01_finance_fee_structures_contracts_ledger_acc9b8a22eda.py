"""finance: fee structures, discounts, instalment plans, contracts with their number counter and
schedule, and the insert-only ledger

Revision ID: acc9b8a22eda
Revises: fb53668ff289
Create Date: 2026-12-01 20:00:06.241833
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.ddl import append_only

revision: str = "acc9b8a22eda"
down_revision: str | Sequence[str] | None = "fb53668ff289"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contract_counter",
        sa.Column("academic_year", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("academic_year", name=op.f("pk_contract_counter")),
    )
    op.create_table(
        "fee_discount",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'percent' AND percent > 0 AND percent <= 100 AND amount IS NULL) OR (kind = 'sum' AND amount > 0 AND percent IS NULL)",
            name=op.f("ck_fee_discount_value_of_kind"),
        ),
        sa.CheckConstraint("kind IN ('percent', 'sum')", name=op.f("ck_fee_discount_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_discount")),
        sa.UniqueConstraint("code", name=op.f("uq_fee_discount_code")),
    )
    op.create_table(
        "instalment_plan",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instalment_plan")),
        sa.UniqueConstraint("code", name=op.f("uq_instalment_plan_code")),
    )
    op.create_table(
        "fee_structure",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("academic_year", sa.SmallInteger(), nullable=False),
        sa.Column("specialty_id", sa.BigInteger(), nullable=False),
        sa.Column("education_form", sa.String(length=8), nullable=False),
        sa.Column("course", sa.String(length=8), nullable=False),
        sa.Column("payment_form", sa.String(length=8), nullable=False),
        sa.Column("contract_type", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("bhm_coefficient", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("instalment_plan_id", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "contract_type IN ('base', 'differentiated', 'recommendation', 'foreign', 'state_grant')",
            name=op.f("ck_fee_structure_contract_type"),
        ),
        sa.CheckConstraint(
            "(amount IS NULL) <> (bhm_coefficient IS NULL)",
            name=op.f("ck_fee_structure_amount_or_coefficient"),
        ),
        sa.CheckConstraint(
            "amount IS NULL OR amount >= 0", name=op.f("ck_fee_structure_amount_not_negative")
        ),
        sa.CheckConstraint(
            "bhm_coefficient IS NULL OR bhm_coefficient > 0",
            name=op.f("ck_fee_structure_coefficient_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["instalment_plan_id"],
            ["instalment_plan.id"],
            name=op.f("fk_fee_structure_instalment_plan_id_instalment_plan"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialty.id"],
            name=op.f("fk_fee_structure_specialty_id_specialty"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_structure")),
        sa.UniqueConstraint(
            "academic_year",
            "specialty_id",
            "education_form",
            "course",
            "payment_form",
            "contract_type",
            name="uq_fee_structure_key",
        ),
    )
    op.create_index(
        op.f("ix_fee_structure_instalment_plan_id"), "fee_structure", ["instalment_plan_id"], unique=False
    )
    op.create_index(op.f("ix_fee_structure_specialty_id"), "fee_structure", ["specialty_id"], unique=False)
    op.create_table(
        "contract",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("academic_year", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("fee_structure_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_type", sa.String(length=20), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("base_amount", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("verify_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "contract_type IN ('base', 'differentiated', 'recommendation', 'foreign', 'state_grant')",
            name=op.f("ck_contract_contract_type"),
        ),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f("ck_contract_status")),
        sa.CheckConstraint("seq > 0", name=op.f("ck_contract_seq_positive")),
        sa.ForeignKeyConstraint(
            ["fee_structure_id"],
            ["fee_structure.id"],
            name=op.f("fk_contract_fee_structure_id_fee_structure"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_contract_student_id_student"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("academic_year", "seq", name="uq_contract_year_seq"),
        sa.UniqueConstraint("number", name=op.f("uq_contract_number")),
        sa.UniqueConstraint("verify_token", name=op.f("uq_contract_verify_token")),
    )
    op.create_index(op.f("ix_contract_fee_structure_id"), "contract", ["fee_structure_id"], unique=False)
    op.create_index(op.f("ix_contract_status"), "contract", ["status"], unique=False)
    op.create_index(op.f("ix_contract_student_id"), "contract", ["student_id"], unique=False)
    op.create_index(
        "uq_contract_student_year",
        "contract",
        ["student_id", "academic_year"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "contract_instalment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_contract_instalment_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_instalment_contract_id_contract"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_instalment")),
        sa.UniqueConstraint("contract_id", "number", name="uq_contract_instalment_number"),
    )
    op.create_index(
        op.f("ix_contract_instalment_contract_id"), "contract_instalment", ["contract_id"], unique=False
    )
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("discount_id", sa.BigInteger(), nullable=True),
        sa.Column("related_contract_id", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.String(length=20), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "(kind = 'charge' AND amount >= 0) OR (kind = 'discount' AND amount < 0) OR (kind = 'payment' AND amount < 0) OR (kind = 'refund' AND amount > 0) OR (kind = 'carry_over' AND amount <> 0)",
            name=op.f("ck_ledger_entry_sign_of_kind"),
        ),
        sa.CheckConstraint(
            "(provider IS NULL) = (external_id IS NULL) AND (provider IS NULL OR kind IN ('payment', 'refund'))",
            name=op.f("ck_ledger_entry_provider_of_money_moves"),
        ),
        sa.CheckConstraint(
            "kind IN ('charge', 'discount', 'payment', 'refund', 'carry_over')",
            name=op.f("ck_ledger_entry_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_ledger_entry_contract_id_contract"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["discount_id"],
            ["fee_discount.id"],
            name=op.f("fk_ledger_entry_discount_id_fee_discount"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["related_contract_id"],
            ["contract.id"],
            name=op.f("fk_ledger_entry_related_contract_id_contract"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_ledger_entry_student_id_student"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("provider", "external_id", name="uq_ledger_entry_external"),
    )
    op.create_index(op.f("ix_ledger_entry_contract_id"), "ledger_entry", ["contract_id"], unique=False)
    op.create_index(op.f("ix_ledger_entry_discount_id"), "ledger_entry", ["discount_id"], unique=False)
    op.create_index(op.f("ix_ledger_entry_student_id"), "ledger_entry", ["student_id"], unique=False)
    # Balances are sums of entries: the university's role may add entries, never change or remove one.
    op.execute(append_only("ledger_entry"))


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_entry_student_id"), table_name="ledger_entry")
    op.drop_index(op.f("ix_ledger_entry_discount_id"), table_name="ledger_entry")
    op.drop_index(op.f("ix_ledger_entry_contract_id"), table_name="ledger_entry")
    op.drop_table("ledger_entry")
    op.drop_index(op.f("ix_contract_instalment_contract_id"), table_name="contract_instalment")
    op.drop_table("contract_instalment")
    op.drop_index(
        "uq_contract_student_year", table_name="contract", postgresql_where=sa.text("status = 'active'")
    )
    op.drop_index(op.f("ix_contract_student_id"), table_name="contract")
    op.drop_index(op.f("ix_contract_status"), table_name="contract")
    op.drop_index(op.f("ix_contract_fee_structure_id"), table_name="contract")
    op.drop_table("contract")
    op.drop_index(op.f("ix_fee_structure_specialty_id"), table_name="fee_structure")
    op.drop_index(op.f("ix_fee_structure_instalment_plan_id"), table_name="fee_structure")
    op.drop_table("fee_structure")
    op.drop_table("instalment_plan")
    op.drop_table("fee_discount")
    op.drop_table("contract_counter")
