"""base_calculation_amount (ref: the national BHM by date); per tenant: fee_structure, fee_discount,
instalment_plan, contract_counter, contract, contract_instalment, ledger_entry (insert-only),
payment_provider, payment_event (raw provider requests), stripe_checkout, payme_transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    text,  # noqa: TID251 - partial index predicates, no user input
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import SharedModel, TenantBase, TenantModel
from hemis.finance.rules import SIGN_RULE_SQL
from tenants.naming import REF_SCHEMA

CONTRACT_TYPES_SQL = "('base', 'differentiated', 'recommendation', 'foreign', 'state_grant')"


class BaseCalculationAmount(SharedModel):
    """The base calculation amount (bazaviy hisoblash miqdori, BHM) from `valid_from` on, set by
    presidential decree for the whole country; fees may be a coefficient of it. Read-only to tenants."""

    __tablename__ = "base_calculation_amount"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"), {"schema": REF_SCHEMA})

    valid_from: Mapped[date] = mapped_column(Date, unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # tiyin
    note: Mapped[str] = mapped_column(String(255), default="")


class FeeStructure(TenantModel):
    """The yearly fee of one specialty, form of study, course, payment form and contract type, in
    one academic year: a fixed amount or a coefficient of the BHM in force on the contract's date."""

    __tablename__ = "fee_structure"
    __table_args__ = (
        UniqueConstraint(
            "academic_year",
            "specialty_id",
            "education_form",
            "course",
            "payment_form",
            "contract_type",
            name="uq_fee_structure_key",
        ),
        CheckConstraint("(amount IS NULL) <> (bhm_coefficient IS NULL)", name="amount_or_coefficient"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        CheckConstraint("bhm_coefficient IS NULL OR bhm_coefficient > 0", name="coefficient_positive"),
        CheckConstraint(f"contract_type IN {CONTRACT_TYPES_SQL}", name="contract_type"),
    )

    academic_year: Mapped[int] = mapped_column(SmallInteger)  # 2025 = 2025/26
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"), index=True)
    education_form: Mapped[str] = mapped_column(String(8))  # h_education_form
    course: Mapped[str] = mapped_column(String(8))  # h_course
    payment_form: Mapped[str] = mapped_column(String(8))  # h_payment_form
    contract_type: Mapped[str] = mapped_column(String(20), default="base")
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)  # tiyin a year
    bhm_coefficient: Mapped[Decimal | None] = mapped_column(Numeric(8, 3), default=None)
    instalment_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("instalment_plan.id", ondelete="RESTRICT"), index=True, default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FeeDiscount(TenantModel):
    """A discount the university grants (orphans, siblings, excellent results …): a percent or a sum."""

    __tablename__ = "fee_discount"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'sum')", name="kind"),
        CheckConstraint(
            "(kind = 'percent' AND percent > 0 AND percent <= 100 AND amount IS NULL) "
            "OR (kind = 'sum' AND amount > 0 AND percent IS NULL)",
            name="value_of_kind",
        ),
    )

    code: Mapped[str] = mapped_column(String(20), unique=True)
    reason: Mapped[str] = mapped_column(String(255))  # why it is granted, printed on the contract
    kind: Mapped[str] = mapped_column(String(8))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=None)
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)  # tiyin
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InstalmentPlan(TenantModel):
    """How a year's fee is paid: parts [{"share": "25", "month": 10, "day": 1}, …] (shares add up
    to 100; due days in order through the academic year). One row, so a plan is always whole."""

    __tablename__ = "instalment_plan"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ContractCounter(TenantBase):
    """The last contract number of an academic year. Taking a number updates this row, which
    holds its lock to the end of the transaction: numbers are unique, and gap-free because a
    rolled-back contract rolls its number back too."""

    __tablename__ = "contract_counter"

    # BIGINT like every key (DESIGN.md, Citus readiness), though a year would fit a smallint.
    academic_year: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)


class Contract(TenantModel):
    """A student's tuition contract for one academic year. Its money is in ledger_entry only."""

    __tablename__ = "contract"
    __table_args__ = (
        UniqueConstraint("academic_year", "seq", name="uq_contract_year_seq"),
        CheckConstraint(f"contract_type IN {CONTRACT_TYPES_SQL}", name="contract_type"),
        CheckConstraint("status IN ('active', 'cancelled')", name="status"),
        CheckConstraint("status = 'cancelled' OR cancelled_at IS NULL", name="cancelled_when"),
        CheckConstraint("seq > 0", name="seq_positive"),
        # One contract a year per student (a cancelled one may be replaced).
        Index(
            "uq_contract_student_year",
            "student_id",
            "academic_year",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    academic_year: Mapped[int] = mapped_column(SmallInteger)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    fee_structure_id: Mapped[int] = mapped_column(
        ForeignKey("fee_structure.id", ondelete="RESTRICT"), index=True
    )
    contract_type: Mapped[str] = mapped_column(String(20))
    signed_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # the year's fee as charged, tiyin
    # The BHM the amount was computed from (None for fixed fees), kept for the printed contract.
    base_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    # The secret in the QR code's verification URL (unguessable; not the id or the number).
    verify_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Set once, by cancelling (ContractService.cancel): when and why.
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")


class ContractInstalment(TenantModel):
    """The contract's own schedule, fixed when it is made (a later change of the plan does not move it)."""

    __tablename__ = "contract_instalment"
    __table_args__ = (
        UniqueConstraint("contract_id", "number", name="uq_contract_instalment_number"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(SmallInteger)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)


class LedgerEntry(TenantBase):
    """Money of contracts: every balance is the sum of these rows. Tenant roles may INSERT and
    SELECT only (the migration revokes UPDATE/DELETE/TRUNCATE): a mistake is corrected by another entry."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('charge', 'discount', 'payment', 'refund', 'carry_over', 'cancellation')", name="kind"
        ),
        CheckConstraint(SIGN_RULE_SQL, name="sign_of_kind"),
        CheckConstraint(
            "(provider IS NULL) = (external_id IS NULL) AND (provider IS NULL OR kind IN ('payment', 'refund'))",
            name="provider_of_money_moves",
        ),
        # A provider's payment is recorded once, however often its webhook arrives.
        UniqueConstraint("provider", "external_id", name="uq_ledger_entry_external"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    # The contract's student, copied so that a student's debt is one indexed sum.
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)  # tiyin; > 0 owed by the student, < 0 in their favour
    booked_on: Mapped[date] = mapped_column(Date)  # the day the money moved (a payment's value date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when it was recorded
    actor: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    discount_id: Mapped[int | None] = mapped_column(
        ForeignKey("fee_discount.id", ondelete="RESTRICT"), index=True, default=None
    )
    # A carry-over names the other contract: where the balance went to, or came from.
    related_contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract.id", ondelete="RESTRICT"), default=None
    )
    provider: Mapped[str | None] = mapped_column(String(20), default=None)  # cash, bank, payme, stripe …
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)


# Online payments (step 2): provider configuration, the raw event store, Stripe checkouts and
# Payme transactions. Money still lives in ledger_entry only; these tables say why it moved.

PAYMENT_PROVIDERS_SQL = "('stripe', 'payme')"
# Payments that count as electronic in the ministry's KPI ("share of electronic contract
# payments"): the providers integrated here, and the national payment systems whose payments an
# accountant records by hand with their id. A bank payment order ("bank"), the cash desk ("cash")
# or a manual entry is not electronic, even with the order's or receipt's number as its id.
ELECTRONIC_PROVIDERS = ("payme", "stripe", "click", "uzum", "paynet")
# Rows with these statuses hold the (provider, event_id) slot: a second delivery of the same
# event finds it and is stored as 'duplicate'. Rejected rows (signature, age, auth) never hold
# it, so a forged request cannot take the id of a genuine event that arrives later.
EVENT_SLOT_SQL = "status IN ('pending', 'applied', 'ignored')"


class PaymentProvider(TenantModel):
    """A university's account at a payment provider. Secrets (Stripe's API key and webhook
    signing secret, Payme's merchant key) are readable by this tenant's role only and never
    returned by the API; a webhook is verified with the secret of the tenant it is addressed to."""

    __tablename__ = "payment_provider"
    __table_args__ = (
        CheckConstraint(f"provider IN {PAYMENT_PROVIDERS_SQL}", name="provider_known"),
        CheckConstraint("exchange_rate IS NULL OR exchange_rate > 0", name="rate_positive"),
    )

    provider: Mapped[str] = mapped_column(String(20), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    api_key: Mapped[str] = mapped_column(String(255), default="")  # Stripe secret key / Payme key
    webhook_secret: Mapped[str] = mapped_column(String(255), default="")  # Stripe whsec_…
    merchant_id: Mapped[str] = mapped_column(String(64), default="")  # Payme cashbox id
    # Stripe charges in this currency; for anything but UZS, at `exchange_rate` so'm per unit.
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)


class PaymentEvent(TenantBase):
    """Every request a payment provider sent us, raw, kept whatever became of it: applied
    (its ledger entry was written in the same transaction), duplicate (a delivery of an event
    already stored), ignored (authentic but without effect, with the reason) or rejected (not
    authentic or too old: refused with 4xx, kept for review in a transaction of its own)."""

    __tablename__ = "payment_event"
    __table_args__ = (
        CheckConstraint(f"provider IN {PAYMENT_PROVIDERS_SQL}", name="provider_known"),
        CheckConstraint(
            "status IN ('pending', 'applied', 'duplicate', 'ignored', 'rejected')", name="status_known"
        ),
        Index(
            "uq_payment_event_slot",
            "provider",
            "event_id",
            unique=True,
            postgresql_where=text(EVENT_SLOT_SQL),
        ),
        Index("ix_payment_event_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str | None] = mapped_column(String(255), default=None)  # None: unreadable
    event_type: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(100), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # exactly as received (signatures cover it)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # never Authorization
    request_id: Mapped[str] = mapped_column(String(64), default="")
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract.id", ondelete="RESTRICT"), index=True, default=None
    )
    ledger_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entry.id", ondelete="RESTRICT"), default=None
    )


class StripeCheckout(TenantModel):
    """A Stripe Checkout Session for one instalment of a contract: what it asks in Stripe's
    currency and what it pays in tiyin (fixed when it is made, with the rate used)."""

    __tablename__ = "stripe_checkout"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'paid')", name="status_known"),
        CheckConstraint("amount > 0 AND amount_minor > 0", name="amount_positive"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="refunded_within"),
    )

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    instalment: Mapped[int] = mapped_column(SmallInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # tiyin credited to the contract when paid
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # in Stripe's minor unit of `currency`
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)
    session_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    payment_intent: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    url: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)  # tiyin paid back so far
    created_by: Mapped[str] = mapped_column(String(255))


class PaymeTransaction(TenantModel):
    """A Payme merchant-API transaction: state 1 created, 2 performed, -1 cancelled before
    perform, -2 cancelled after perform. Times are Payme's milliseconds, echoed exactly."""

    __tablename__ = "payme_transaction"
    __table_args__ = (
        CheckConstraint("state IN (1, 2, -1, -2)", name="state_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    payme_id: Mapped[str] = mapped_column(String(64), unique=True)
    payme_time: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # tiyin
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="RESTRICT"), index=True)
    account: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    state: Mapped[int] = mapped_column(SmallInteger, default=1)
    reason: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    create_time: Mapped[int] = mapped_column(BigInteger, index=True)
    perform_time: Mapped[int] = mapped_column(BigInteger, default=0)
    cancel_time: Mapped[int] = mapped_column(BigInteger, default=0)
