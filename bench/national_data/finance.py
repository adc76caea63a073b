"""One university's tuition money: fee structures, contracts with their schedules, and the
insert-only ledger (charges, a few discounts, payments by provider), by hemis.finance.rules."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

from bench.national_data.university import TenantBuilder
from bench.national_data.vocabulary import (
    ACTOR,
    CITIZEN,
    CONTRACT,
    FEE_COEFFICIENT,
    FOREIGN_FEE_TIYIN,
    FULL_TIME,
    MASTER,
)
from hemis.finance.demo import QUARTERS
from hemis.finance.fees import plan_parts
from hemis.finance.rules import (
    Instalment,
    academic_year_of,
    base_amount_on,
    contract_number,
    due_by,
    fee_amount,
    instalments,
    round_to_som,
)


def contracts(u: TenantBuilder, base_amounts: Sequence[tuple[date, int]]) -> None:
    """The academic year's contracts of the studying fee-paying students (the base amount in
    force on the signing day, from ref.base_calculation_amount): most pay each instalment about
    its due day or the whole year at once, a few pay part of what is due or nothing yet."""
    rng, today = u.rng, u.today
    year = academic_year_of(today)
    u.add(
        "instalment_plan",
        (u.next_id("instalment_plan"), "CHORAK", "Choraklar bo'yicha (25% dan)", json.dumps(QUARTERS)),
    )
    u.add(
        "fee_discount",
        (u.next_id("fee_discount"), "YETIM", "Chin yetim talabalar uchun", "percent", Decimal(50), None),
    )
    parts = plan_parts(QUARTERS)
    fees: dict[tuple[int, str, int, str], tuple[int, int | None, Decimal | None]] = {}
    masters = {specs[MASTER] for specs in u.specialties}
    field_of = {spec: u.fields[fac].key for fac, specs in enumerate(u.specialties) for spec in specs.values()}
    schedules: dict[int, list[Instalment]] = {}
    payments = dict.fromkeys(("payme", "stripe", "bank", "cash"), 0)
    for seq, e in enumerate(u.fee_paying, start=1):
        group, foreign = e.group, e.citizenship != CITIZEN
        kind = "foreign" if foreign else "differentiated" if rng.random() < 0.06 else "base"
        signed = date(year, 8, 10) + timedelta(days=rng.randrange(50))
        key = (group.specialty, group.form, group.course, kind)
        if key not in fees:
            fees[key] = fee(
                u, key, year, group.specialty in masters, FEE_COEFFICIENT[field_of[group.specialty]]
            )
        fee_id, fixed, coefficient = fees[key]
        base = None if coefficient is None else base_amount_on(base_amounts, signed)
        amount = fee_amount(fixed=fixed, coefficient=coefficient, base_amount=base)
        cid = u.next_id("contract")
        number = contract_number(year, seq)
        token = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
        u.add("contract", (cid, year, seq, number, e.id, fee_id, kind, signed, amount, base, token))
        signed_at = datetime.combine(signed, clock(10), UTC)
        ledger(u, cid, e.id, "charge", amount, signed, signed_at, number)
        total = amount
        if rng.random() < 0.03:  # orphans: half (hemis.finance.rules.discount_amount's rounding)
            off = round_to_som(Decimal(amount) / 2)
            total -= off
            ledger(
                u, cid, e.id, "discount", -off, signed, signed_at, "Chin yetim talabalar uchun", discount=1
            )
        if total not in schedules:
            schedules[total] = instalments(total, parts, year)
        for part in schedules[total]:
            u.add(
                "contract_instalment",
                (u.next_id("contract_instalment"), cid, part.number, part.due_on, part.amount),
            )
        r = rng.random()
        if r < 0.15:  # the whole year at once
            paid = [(total, signed + timedelta(days=rng.randrange(1, 20)))]
        elif r < 0.92:  # each instalment about its due day
            paid = [
                (p.amount, p.due_on + timedelta(days=rng.randint(-20, 4)))
                for p in schedules[total]
                if p.due_on <= today
            ]
        elif r < 0.97:  # part of what is due: a debtor
            paid = [
                (due_by(schedules[total], today) // 200 * 100, signed + timedelta(days=rng.randrange(10, 60)))
            ]
        else:  # nothing yet
            paid = []
        electronic = u.electronic_share + (0.2 if foreign else 0)
        for money, day in paid:
            if money <= 0:
                continue
            day = min(day, today)
            if rng.random() < electronic:  # foreign students' cards go through Stripe more often
                provider = "stripe" if rng.random() < (0.6 if foreign else 0.05) else "payme"
            else:
                provider = "bank" if rng.random() < 0.85 else "cash"
            payments[provider] += 1
            n = payments[provider]
            external = {
                "payme": f"{u.plan.number:04x}{n:020x}",  # Payme's ids are 24 hex digits
                "stripe": f"pi_{hashlib.sha1(f'{u.plan.code}/{n}'.encode(), usedforsecurity=False).hexdigest()[:24]}",
                "bank": f"P{day:%Y%m%d}{n:07d}",  # the payment order
                "cash": f"KASSA-{n:07d}",  # the cash desk's receipt
            }[provider]
            at = datetime.combine(day, clock(rng.randint(8, 20), rng.randint(0, 59)), UTC)
            ledger(
                u, cid, e.id, "payment", -money, day, at, "To'lov", provider=provider, external_id=external
            )
    if u.fee_paying:
        u.add("contract_counter", (year, len(u.fee_paying)))
    u.counts["payments_electronic"] = payments["payme"] + payments["stripe"]
    u.counts["payments"] = sum(payments.values())


def fee(
    u: TenantBuilder, key: tuple[int, str, int, str], year: int, master: bool, coefficient: int
) -> tuple[int, int | None, Decimal | None]:
    """A fee structure: a coefficient of the BHM by field, course, level and form (foreign
    students: a fixed sum, ~3,000 USD). Returns its id, fixed amount and coefficient."""
    specialty, form, course, kind = key
    fee_id = u.next_id("fee_structure")
    head = (fee_id, year, specialty, form, str(10 + course), CONTRACT, kind)
    if kind == "foreign":
        u.add("fee_structure", (*head, FOREIGN_FEE_TIYIN, None, 1))
        return fee_id, FOREIGN_FEE_TIYIN, None
    coef = Decimal(coefficient + course - 1) * (Decimal("1.3") if master else 1)
    coef *= (Decimal("0.7") if form != FULL_TIME else 1) * (
        Decimal("1.25") if kind == "differentiated" else 1
    )
    coef = coef.quantize(Decimal("0.001"))
    u.add("fee_structure", (*head, None, coef, 1))
    return fee_id, None, coef


def ledger(
    u: TenantBuilder, contract: int, student: int, kind: str, amount: int, booked: date, at: datetime, note: str,
    *, discount: int | None = None, provider: str | None = None, external_id: str | None = None,
) -> None:  # fmt: skip
    u.add(
        "ledger_entry",
        (u.next_id("ledger_entry"), contract, student, kind, amount, booked, at, ACTOR, note, discount, provider, external_id),
    )  # fmt: skip
