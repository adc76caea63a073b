"""payments: provider configuration, raw event store, stripe checkouts, payme transactions

payment_event keeps the raw body and headers as received: the tenant role may only change a
row's outcome (status, reason, applied_at, contract, ledger entry), never what was received,
and never delete a row.

Revision ID: 09b54a8b0a7c
Revises: acc9b8a22eda
Create Date: 2026-12-01 20:45:23.402924
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.ddl import update_only_columns

revision: str = "09b54a8b0a7c"
down_revision: str | Sequence[str] | None = "acc9b8a22eda"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_provider",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("api_key", sa.String(length=255), nullable=False),
        sa.Column("webhook_secret", sa.String(length=255), nullable=False),
        sa.Column("merchant_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("exchange_rate", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "provider IN ('stripe', 'payme')", name=op.f("ck_payment_provider_provider_known")
        ),
        sa.CheckConstraint(
            "exchange_rate IS NULL OR exchange_rate > 0", name=op.f("ck_payment_provider_rate_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_provider")),
        sa.UniqueConstraint("provider", name=op.f("uq_payment_provider_provider")),
    )
    op.create_table(
        "payme_transaction",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("payme_id", sa.String(length=64), nullable=False),
        sa.Column("payme_time", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("account", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.SmallInteger(), nullable=True),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("perform_time", sa.BigInteger(), nullable=False),
        sa.Column("cancel_time", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payme_transaction_amount_positive")),
        sa.CheckConstraint("state IN (1, 2, -1, -2)", name=op.f("ck_payme_transaction_state_known")),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_payme_transaction_contract_id_contract"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payme_transaction")),
        sa.UniqueConstraint("payme_id", name=op.f("uq_payme_transaction_payme_id")),
    )
    op.create_index(
        op.f("ix_payme_transaction_contract_id"), "payme_transaction", ["contract_id"], unique=False
    )
    op.create_index(
        op.f("ix_payme_transaction_create_time"), "payme_transaction", ["create_time"], unique=False
    )
    op.create_table(
        "stripe_checkout",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=False),
        sa.Column("instalment", sa.SmallInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("exchange_rate", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.Column("payment_intent", sa.String(length=255), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'paid')", name=op.f("ck_stripe_checkout_status_known")),
        sa.CheckConstraint(
            "amount > 0 AND amount_minor > 0", name=op.f("ck_stripe_checkout_amount_positive")
        ),
        sa.CheckConstraint(
            "refunded >= 0 AND refunded <= amount", name=op.f("ck_stripe_checkout_refunded_within")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_stripe_checkout_contract_id_contract"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_checkout")),
        sa.UniqueConstraint("session_id", name=op.f("uq_stripe_checkout_session_id")),
    )
    op.create_index(op.f("ix_stripe_checkout_contract_id"), "stripe_checkout", ["contract_id"], unique=False)
    op.create_index(
        op.f("ix_stripe_checkout_payment_intent"), "stripe_checkout", ["payment_intent"], unique=False
    )
    op.create_table(
        "payment_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.BigInteger(), nullable=True),
        sa.Column("ledger_entry_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("provider IN ('stripe', 'payme')", name=op.f("ck_payment_event_provider_known")),
        sa.CheckConstraint(
            "status IN ('pending', 'applied', 'duplicate', 'ignored', 'rejected')",
            name=op.f("ck_payment_event_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_payment_event_contract_id_contract"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_payment_event_ledger_entry_id_ledger_entry"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_event")),
    )
    op.create_index(op.f("ix_payment_event_contract_id"), "payment_event", ["contract_id"], unique=False)
    op.create_index(
        "ix_payment_event_status_received", "payment_event", ["status", "received_at"], unique=False
    )
    op.create_index(
        "uq_payment_event_slot",
        "payment_event",
        ["provider", "event_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'applied', 'ignored')"),
    )
    op.execute(
        update_only_columns(
            "payment_event",
            ("status", "reason", "applied_at", "contract_id", "ledger_entry_id", "event_type"),
        )
    )


def downgrade() -> None:
    op.drop_index(
        "uq_payment_event_slot",
        table_name="payment_event",
        postgresql_where=sa.text("status IN ('pending', 'applied', 'ignored')"),
    )
    op.drop_index("ix_payment_event_status_received", table_name="payment_event")
    op.drop_index(op.f("ix_payment_event_contract_id"), table_name="payment_event")
    op.drop_table("payment_event")
    op.drop_index(op.f("ix_stripe_checkout_payment_intent"), table_name="stripe_checkout")
    op.drop_index(op.f("ix_stripe_checkout_contract_id"), table_name="stripe_checkout")
    op.drop_table("stripe_checkout")
    op.drop_index(op.f("ix_payme_transaction_create_time"), table_name="payme_transaction")
    op.drop_index(op.f("ix_payme_transaction_contract_id"), table_name="payme_transaction")
    op.drop_table("payme_transaction")
    op.drop_table("payment_provider")
