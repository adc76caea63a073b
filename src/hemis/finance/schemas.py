"""Finance API shapes. Money is an integer of tiyin (1 so'm = 100 tiyin) everywhere."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from hemis.core.schemas import ClassCode, Code, Id, Input, Struct
from hemis.finance.rules import ContractType, DiscountKind

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
# At most 10^13 so'm: far above any fee, far below BIGINT.
Tiyin = Annotated[int, msgspec.Meta(ge=0, le=10**15)]
PositiveTiyin = Annotated[int, msgspec.Meta(ge=1, le=10**15)]
AcademicYear = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=255)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Provider = Annotated[str, msgspec.Meta(min_length=2, max_length=20, pattern=r"^[a-z][a-z0-9_]*$")]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")]


class BaseAmountRead(Struct):
    valid_from: date
    amount: int
    note: str


class FeeStructureRead(Struct):
    id: int
    academic_year: int
    specialty_id: int
    education_form: str
    course: str
    payment_form: str
    contract_type: str
    amount: int | None
    bhm_coefficient: Decimal | None
    instalment_plan_id: int | None
    active: bool


class FeeStructureCreate(Input):
    academic_year: AcademicYear
    specialty_id: Id
    education_form: ClassCode
    course: ClassCode
    payment_form: ClassCode
    contract_type: ContractType = ContractType.BASE
    amount: Tiyin | None = None  # a fixed yearly fee …
    bhm_coefficient: Decimal | None = None  # … or this many base calculation amounts
    instalment_plan_id: Id | None = None
    active: bool = True


class FeeStructureUpdate(Input):
    amount: Tiyin | Unset | None = UNSET
    bhm_coefficient: Decimal | Unset | None = UNSET
    instalment_plan_id: Id | Unset | None = UNSET
    active: bool | Unset = UNSET


class DiscountRead(Struct):
    id: int
    code: str
    reason: str
    kind: str
    percent: Decimal | None
    amount: int | None
    active: bool


class DiscountCreate(Input):
    code: Code
    reason: Reason
    kind: DiscountKind
    percent: Decimal | None = None
    amount: PositiveTiyin | None = None
    active: bool = True


class DiscountUpdate(Input):
    reason: Reason | Unset = UNSET
    active: bool | Unset = UNSET


class PlanPartBody(Struct, forbid_unknown_fields=True):
    share: Decimal  # percent of the year's fee
    month: Annotated[int, msgspec.Meta(ge=1, le=12)]
    day: Annotated[int, msgspec.Meta(ge=1, le=31)]


class PlanRead(Struct):
    id: int
    code: str
    name: str
    parts: list[PlanPartBody]
    active: bool


class PlanCreate(Input):
    code: Code
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=255)]
    parts: list[PlanPartBody]
    active: bool = True


class PlanUpdate(Input):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=255)] | Unset = UNSET
    parts: list[PlanPartBody] | Unset = UNSET
    active: bool | Unset = UNSET


class ContractCreate(Input):
    student_id: Id
    academic_year: AcademicYear | None = None  # default: the running academic year
    contract_type: ContractType = ContractType.BASE
    signed_on: date | None = None  # default: today (Tashkent); the BHM in force that day applies
    discount_id: Id | None = None


class ContractBulkCreate(Input):
    """Every fee-paying student (studying) of a group, or of a specialty, without a contract yet."""

    group_id: Id | None = None
    specialty_id: Id | None = None
    academic_year: AcademicYear | None = None
    contract_type: ContractType = ContractType.BASE
    signed_on: date | None = None


class InstalmentRead(Struct):
    number: int
    due_on: date
    amount: int


class ContractRead(Struct):
    id: int
    number: str
    academic_year: int
    student_id: int
    fee_structure_id: int
    contract_type: str
    signed_on: date
    amount: int
    base_amount: int | None
    status: str
    balance: int  # sum of the contract's ledger entries: > 0 owed, < 0 overpaid
    instalments: list[InstalmentRead] = msgspec.field(default_factory=list)
    # The public verification page (the QR code's target); staff and the student see it.
    verify_url: str = ""
    cancelled_at: datetime | None = None  # set when the contract was cancelled
    cancel_reason: str = ""


class ContractCancel(Input):
    """Why the contract is cancelled (an order's number and date, the student's application …)."""

    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


class SkippedStudent(Struct):
    student_id: int
    code: str  # the catalog key of the reason
    field: str | None


class BulkResult(Struct):
    created: list[ContractRead]
    skipped: list[SkippedStudent]
    remaining: int  # students without a contract left for another call (at most 2,000 a call)


class LedgerEntryRead(Struct):
    id: int
    contract_id: int
    kind: str
    amount: int
    booked_on: date
    at: datetime
    actor: str | None  # null for students: who booked it is the office's business
    note: str
    discount_id: int | None
    related_contract_id: int | None
    provider: str | None
    external_id: str | None


class PaymentCreate(Input):
    amount: PositiveTiyin
    booked_on: date | None = None  # default: today
    provider: Provider = "manual"
    external_id: ExternalId | None = None  # the bank's or provider's id; required unless manual
    note: Note = ""


class RefundCreate(Input):
    amount: PositiveTiyin
    note: Reason  # why the money goes back
    booked_on: date | None = None
    provider: Provider = "manual"
    external_id: ExternalId | None = None


class DiscountApply(Input):
    discount_id: Id


class StudentBalanceRead(Struct):
    student_id: int
    debt: int  # the sum over all the student's contracts (> 0 owed)
    contracts: list[ContractRead]


class DebtorRead(Struct):
    student_id: int
    student_id_number: str
    full_name: str
    group_id: int
    group_name: str
    course: str
    faculty_id: int
    debt: int
    overdue: int  # what the running contracts' schedules asked by today and is still unpaid


class ContractVerification(Struct):
    """What the public page shows: enough to tell a real contract from a forged one, no more."""

    university: str
    number: str
    academic_year: str
    student: str  # initials only
    amount: int
    amount_text: str
    status: str  # active, paid, carried_over or cancelled


# Online payments

Secret = Annotated[str, msgspec.Meta(min_length=8, max_length=255)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^(usd|eur|uzs)$")]
Rate = Decimal  # so'm per unit of the currency; > 0, four places (checked by the service)


class PaymentProviderUpdate(Input):
    """A provider account: Stripe (api_key = secret key, webhook_secret = the endpoint's signing
    secret, currency and exchange_rate) or Payme (api_key = the merchant key, merchant_id).
    Secrets are write-only; a field left out keeps its value."""

    active: bool | Unset = UNSET
    api_key: Secret | Unset = UNSET
    webhook_secret: Secret | Unset = UNSET
    merchant_id: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] | Unset = UNSET
    currency: Currency | Unset = UNSET
    exchange_rate: Rate | Unset | None = UNSET


class PaymentProviderRead(Struct):
    """A provider account as its accountants see it: whether secrets are set, never their values."""

    provider: str
    active: bool
    merchant_id: str
    currency: str
    exchange_rate: Decimal | None
    has_api_key: bool
    has_webhook_secret: bool
    endpoint: str  # where this university's provider must send its requests


class PaymentEventRead(Struct):
    id: int
    provider: str
    event_id: str | None
    event_type: str
    status: str
    reason: str
    received_at: datetime
    applied_at: datetime | None
    contract_id: int | None
    ledger_entry_id: int | None


class PaymentEventDetail(PaymentEventRead):
    """One event with what was received: the body as text (undecodable bytes replaced) and the
    headers kept (never credentials)."""

    body: str
    headers: dict[str, str]


class CheckoutCreate(Input):
    instalment: Annotated[int, msgspec.Meta(ge=1, le=12)]


class CheckoutRead(Struct):
    id: int
    contract_id: int
    instalment: int
    amount: int  # tiyin credited to the contract once paid
    currency: str
    amount_minor: int  # what Stripe charges, in the currency's minor unit (cents)
    exchange_rate: Decimal | None
    url: str  # Stripe's hosted checkout page
    status: str
