"""Money rules of tuition contracts, pure: amounts, discounts, instalments, balances, in tiyin.

Money is an `int` of tiyin (1 so'm = 100 tiyin), never a float. The rounding rules:
- an amount given as a coefficient of the base calculation amount (BHM) is rounded to whole
  so'm, half up (contracts are written in whole so'm);
- a percent discount is rounded to whole so'm, half up, and never exceeds the charge; a sum
  discount is capped at the charge (a discount never makes a contract owe less than nothing);
- each instalment but the last is its share of the total rounded DOWN to whole so'm; the last
  takes the remainder, so the instalments always add up to the total exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

TIYIN_PER_SOM = 100
HUNDRED = Decimal(100)
ACADEMIC_YEAR_START_MONTH = 9  # the academic year runs September to August
MAX_INSTALMENTS = 12


class ContractType(StrEnum):
    BASE = "base"  # bazaviy
    DIFFERENTIATED = "differentiated"  # tabaqalashtirilgan: by admission score
    RECOMMENDATION = "recommendation"  # tavsiya asosida
    FOREIGN = "foreign"  # xorijiy fuqarolar
    STATE_GRANT = "state_grant"  # davlat granti (paid by the state; amount may be 0)


class EntryKind(StrEnum):
    """Ledger entries. A positive amount is owed by the student, a negative one is in their favour."""

    CHARGE = "charge"
    DISCOUNT = "discount"
    PAYMENT = "payment"
    REFUND = "refund"
    CARRY_OVER = "carry_over"
    # A cancelled contract's charge less its discounts, written off: what was paid stays the
    # student's credit on the contract (refunded, or carried into their next contract).
    CANCELLATION = "cancellation"


class DiscountKind(StrEnum):
    PERCENT = "percent"
    SUM = "sum"


# The sign each kind's amount must have (mirrored by a CHECK constraint on ledger_entry).
SIGN_RULE_SQL = (
    "(kind = 'charge' AND amount >= 0) OR (kind = 'discount' AND amount < 0) "
    "OR (kind = 'payment' AND amount < 0) OR (kind = 'refund' AND amount > 0) "
    "OR (kind = 'carry_over' AND amount <> 0) OR (kind = 'cancellation' AND amount < 0)"
)


def sign_ok(kind: EntryKind, amount: int) -> bool:
    return {
        EntryKind.CHARGE: amount >= 0,  # a state-grant contract may charge nothing
        EntryKind.DISCOUNT: amount < 0,
        EntryKind.PAYMENT: amount < 0,
        EntryKind.REFUND: amount > 0,
        EntryKind.CARRY_OVER: amount != 0,
        EntryKind.CANCELLATION: amount < 0,
    }[kind]


def round_to_som(tiyin: Decimal, rounding: str = ROUND_HALF_UP) -> int:
    """`tiyin` rounded to whole so'm (a multiple of 100 tiyin)."""
    soms = (tiyin / TIYIN_PER_SOM).quantize(Decimal(1), rounding=rounding)
    return int(soms) * TIYIN_PER_SOM


def fee_amount(*, fixed: int | None, coefficient: Decimal | None, base_amount: int | None) -> int:
    """The yearly fee in tiyin: the fixed amount, or coefficient × the BHM in force (whole so'm)."""
    if fixed is not None:
        return fixed
    if coefficient is None or base_amount is None:
        raise ValueError("a fee is a fixed amount or a coefficient of a known base amount")
    return round_to_som(coefficient * base_amount)


def discount_amount(charge: int, kind: DiscountKind, *, percent: Decimal | None, amount: int | None) -> int:
    """How much the discount takes off `charge` (≥ 0, ≤ charge)."""
    if kind is DiscountKind.PERCENT:
        if percent is None:
            raise ValueError("a percent discount needs its percent")
        off = round_to_som(Decimal(charge) * percent / HUNDRED)
    else:
        if amount is None:
            raise ValueError("a sum discount needs its amount")
        off = amount
    return max(0, min(off, charge))


@dataclass(frozen=True, slots=True)
class PlanPart:
    """One instalment of a plan: its share of the total (percent) and its due day in the year."""

    share: Decimal
    month: int
    day: int


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int
    due_on: date
    amount: int


def due_date(academic_year: int, month: int, day: int) -> date:
    """September to December fall in the year the academic year begins, January to August in the next."""
    return date(academic_year if month >= ACADEMIC_YEAR_START_MONTH else academic_year + 1, month, day)


def academic_year_of(day: date) -> int:
    """The year the academic year of `day` began (2025 for 2025/26)."""
    return day.year if day.month >= ACADEMIC_YEAR_START_MONTH else day.year - 1


def plan_problem(parts: Sequence[PlanPart]) -> str | None:
    """Why a plan is not valid (a catalog key), or None: 1-12 parts, positive shares with at most
    two decimals adding up to 100, real days of any year (no 29 February), in order through the
    academic year."""
    if not 1 <= len(parts) <= MAX_INSTALMENTS:
        return "finance.plan_parts"
    # NaN, infinities and absurd exponents first: Decimal comparisons and exponents fail on them.
    if any(not p.share.is_finite() or not 0 < p.share <= HUNDRED for p in parts):
        return "finance.plan_share"
    if any(-int(p.share.as_tuple().exponent) > 2 for p in parts):
        return "finance.plan_share"
    if sum((p.share for p in parts), Decimal(0)) != HUNDRED:
        return "finance.plan_total"
    try:
        # 2001/02 has no 29 February: a plan must work every year.
        dues = [due_date(2001, p.month, p.day) for p in parts]
    except ValueError:
        return "finance.plan_date"
    if any(later <= earlier for earlier, later in itertools.pairwise(dues)):
        return "finance.plan_order"
    return None


def instalments(total: int, parts: Sequence[PlanPart], academic_year: int) -> list[Instalment]:
    """Split `total` by the plan (see the module docstring for rounding); a valid plan is assumed."""
    result = []
    given = 0
    for number, part in enumerate(parts, 1):
        if number < len(parts):
            amount = round_to_som(Decimal(total) * part.share / HUNDRED, ROUND_FLOOR)
        else:
            amount = total - given
        given += amount
        result.append(Instalment(number, due_date(academic_year, part.month, part.day), amount))
    return result


def due_by(schedule: Sequence[Instalment], day: date) -> int:
    """What the schedule asks to have been paid by `day` (inclusive)."""
    return sum(i.amount for i in schedule if i.due_on <= day)


def base_amount_on(values: Sequence[tuple[date, int]], day: date) -> int | None:
    """The base amount in force on `day`: the latest value that took effect on or before it."""
    in_force = [(since, amount) for since, amount in values if since <= day]
    return max(in_force)[1] if in_force else None


def contract_number(academic_year: int, seq: int) -> str:
    """The printed number: academic year and the university's sequence in it, e.g. 2025-00042."""
    return f"{academic_year}-{seq:05d}"


def mask_name(last_name: str, first_name: str) -> str:
    """A name on a public page: initials only, so a paper contract can be matched without
    publishing whose it is ("Karimov Jasur" → "K*** J***")."""
    return " ".join(f"{part.strip()[:1].upper()}***" for part in (last_name, first_name) if part.strip())


def format_som(tiyin: int) -> str:
    """12 500 000,00 so'm style, with a thin space between thousands (for documents)."""
    sign = "-" if tiyin < 0 else ""
    soms, rest = divmod(abs(tiyin), TIYIN_PER_SOM)
    return f"{sign}{soms:,}".replace(",", " ") + f",{rest:02d}"


# Online payments

# Stripe's presentment currencies we charge in. All are two-decimal at Stripe (UZS is not on its
# zero-decimal list), so an amount's minor unit is 1/100 of the currency: for UZS that is the tiyin.
STRIPE_CURRENCIES = ("usd", "eur", "uzs")
# Stripe takes amounts of at most eight digits: 999,999.99 so'm in UZS, less than one instalment of
# most contracts. So foreign students are charged in USD (or EUR) at the university's stored rate.
STRIPE_MAX_MINOR = 99_999_999


def stripe_amount(tiyin: int, currency: str, rate: Decimal | None) -> int | None:
    """What Stripe is asked to charge for `tiyin`, in the currency's minor unit; None when it
    cannot be charged (no rate, nothing to charge, over Stripe's eight digits). In UZS the minor
    unit is the tiyin itself; otherwise `rate` is so'm per unit of the currency, so the cents are
    tiyin / rate (tiyin/100 so'm ÷ rate × 100), rounded half up."""
    if currency not in STRIPE_CURRENCIES or tiyin <= 0:
        return None
    if currency == "uzs":
        minor = tiyin
    else:
        if rate is None or not rate.is_finite() or rate <= 0:
            return None
        minor = int((Decimal(tiyin) / rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return minor if 0 < minor <= STRIPE_MAX_MINOR else None


def refunded_tiyin(amount: int, amount_minor: int, refunded_minor: int) -> int:
    """Tiyin given back when Stripe has refunded `refunded_minor` of a checkout that charged
    `amount_minor` for `amount` tiyin: in proportion, half up, the whole amount for a full refund."""
    if refunded_minor >= amount_minor:
        return amount
    share = Decimal(amount) * Decimal(max(refunded_minor, 0)) / Decimal(amount_minor)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def instalment_outstanding(schedule: Sequence[int], number: int, balance: int) -> int:
    """What is still unpaid of instalment `number` (1-based) of a contract whose schedule holds
    `schedule` (tiyin per instalment) and whose balance is `balance`: payments fill the earliest
    instalments first, so the instalments after it are still owed in full."""
    if not 1 <= number <= len(schedule):
        return 0
    later = sum(schedule[number:])
    return max(0, min(schedule[number - 1], balance - later))
