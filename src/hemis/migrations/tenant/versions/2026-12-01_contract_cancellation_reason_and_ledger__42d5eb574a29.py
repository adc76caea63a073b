"""contract cancellation: when and why a contract was cancelled, and the ledger's cancellation entry

A cancelled contract's charge less its discounts is written off by one `cancellation` entry
(amount < 0); what the student paid stays their credit on the contract.

Revision ID: 42d5eb574a29
Revises: 05ec399911f5
Create Date: 2026-12-01 22:33:32.821732
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "42d5eb574a29"
down_revision: str | Sequence[str] | None = "05ec399911f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "('charge', 'discount', 'payment', 'refund', 'carry_over')"
SIGNS = (
    "(kind = 'charge' AND amount >= 0) OR (kind = 'discount' AND amount < 0) "
    "OR (kind = 'payment' AND amount < 0) OR (kind = 'refund' AND amount > 0) "
    "OR (kind = 'carry_over' AND amount <> 0)"
)
CANCELLATION_KINDS = KINDS[:-1] + ", 'cancellation')"
CANCELLATION_SIGNS = SIGNS + " OR (kind = 'cancellation' AND amount < 0)"


def _ledger_rules(kinds: str, signs: str) -> None:
    op.drop_constraint(op.f("ck_ledger_entry_kind"), "ledger_entry", type_="check")
    op.drop_constraint(op.f("ck_ledger_entry_sign_of_kind"), "ledger_entry", type_="check")
    op.create_check_constraint(op.f("ck_ledger_entry_kind"), "ledger_entry", f"kind IN {kinds}")
    op.create_check_constraint(op.f("ck_ledger_entry_sign_of_kind"), "ledger_entry", signs)


def upgrade() -> None:
    op.add_column("contract", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "contract",
        sa.Column("cancel_reason", sa.String(length=500), nullable=False, server_default=sa.text("''")),
    )
    op.alter_column("contract", "cancel_reason", server_default=None)
    op.create_check_constraint(
        op.f("ck_contract_cancelled_when"), "contract", "status = 'cancelled' OR cancelled_at IS NULL"
    )
    _ledger_rules(CANCELLATION_KINDS, CANCELLATION_SIGNS)


def downgrade() -> None:
    # Fails while cancellation entries exist: the ledger is insert-only, they are not removed.
    _ledger_rules(KINDS, SIGNS)
    op.drop_constraint(op.f("ck_contract_cancelled_when"), "contract", type_="check")
    op.drop_column("contract", "cancel_reason")
    op.drop_column("contract", "cancelled_at")
