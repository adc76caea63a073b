"""Pure stipend rules (no I/O): the rates in force on a date, the last session a group was examined
in, and which stipend a student gets this month and, if none, why.

Money is whole tiyin (1 so'm = 100 tiyin) in int, never float. A student gets at most one stipend
a month: the largest of the types they qualify for (a privileged +50 % student with all fives
gets the privileged one, not both).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from hemis.results.rules import SessionOutcome

STUDYING = "11"  # h_student_status
STATE_GRANT = "11"  # h_payment_form


class RateCode(StrEnum):
    """h_stipend_rate: the national stipend types."""

    BASE = "11"
    INCREASED = "12"  # +20 % of the base, for all fives
    PRIVILEGED = "13"  # +50 % of the base: disability, orphans (by the student's documents)
    PRESIDENTIAL = "14"  # fixed, by the President's order
    NAMED = "15"  # state named stipends, fixed, by order


class Reason(StrEnum):
    """Why a student gets no stipend this month (kept on the payroll line)."""

    NOT_STUDYING = "not_studying"
    NOT_STATE_GRANT = "not_state_grant"
    FIRST_SEMESTER = "first_semester"  # no session yet, and the type needs results
    NO_RESULTS = "no_results"  # the last session has no subjects for the student
    DEBTS = "debts"
    PENDING = "results_pending"  # a final of the last session is not marked
    LOW_GRADE = "grade_below_minimum"
    NO_RATE = "no_rate"  # the type has no amount in force this month
    NONE_ENABLED = "none_enabled"  # the university pays no type the student could get


@dataclass(frozen=True, slots=True)
class Rate:
    """One dated row of ref.stipend_rate: a fixed amount or a percentage of the base."""

    code: str
    valid_from: date
    amount_tiyin: int | None
    base_percent: int | None


def rates_in_force(rates: Iterable[Rate], on: date) -> dict[str, Rate]:
    """Per type, the row with the latest valid_from on or before `on`."""
    found: dict[str, Rate] = {}
    for rate in rates:
        if rate.valid_from <= on and (
            rate.code not in found or found[rate.code].valid_from < rate.valid_from
        ):
            found[rate.code] = rate
    return found


def monthly_amounts(in_force: Mapping[str, Rate]) -> dict[str, int]:
    """Tiyin per type; a percentage of the base is rounded half up to the tiyin. A percentage
    without a base in force has no amount."""
    base = in_force.get(RateCode.BASE)
    amounts: dict[str, int] = {}
    for code, rate in in_force.items():
        if rate.amount_tiyin is not None:
            amounts[code] = rate.amount_tiyin
        elif rate.base_percent is not None and base is not None and base.amount_tiyin is not None:
            amounts[code] = (base.amount_tiyin * rate.base_percent + 50) // 100
    return amounts


@dataclass(frozen=True, slots=True)
class Rule:
    """What a university pays for one type, and to whom."""

    rate_code: str
    enabled: bool = True
    by_assignment: bool = False  # only students assigned it (by order or documents); else automatic
    state_grant_only: bool = True
    min_grade: int | None = 3  # every subject of the last session at least this, no debts; None: not checked
    first_semester: bool = False  # first-years before their first session qualify (results unchecked)


DEFAULT_RULES: dict[str, Rule] = {
    RateCode.BASE: Rule(RateCode.BASE, min_grade=3, first_semester=True),
    RateCode.INCREASED: Rule(RateCode.INCREASED, min_grade=5),
    RateCode.PRIVILEGED: Rule(RateCode.PRIVILEGED, by_assignment=True, min_grade=3, first_semester=True),
    RateCode.PRESIDENTIAL: Rule(RateCode.PRESIDENTIAL, by_assignment=True, min_grade=None),
    RateCode.NAMED: Rule(RateCode.NAMED, by_assignment=True, min_grade=None),
}


def last_session_semester(course: str, month: date) -> str | None:
    """The h_semester code of the last session a group of `course` (h_course, "11" = 1st year)
    sat before `month`, or None for first-years before their first winter session.

    The winter session ends in January, so February to August pay by the autumn semester
    of the running year; September to January pay by the spring semester of the year before
    (groups move to the next course in September).
    """
    year = int(course) - 10
    semester = 2 * year - 1 if 2 <= month.month <= 8 else 2 * year - 2
    return None if semester < 1 else str(10 + semester)


@dataclass(frozen=True, slots=True)
class Candidate:
    status: str  # h_student_status
    payment_form: str  # h_payment_form
    session: SessionOutcome | None  # of the last session; None if there was none for the student
    first_semester: bool  # the group has sat no session yet
    assigned: frozenset[str] = frozenset()  # types assigned to the student for this month


def unmet(rule: Rule, who: Candidate) -> list[Reason]:
    """Why `who` does not qualify for `rule`'s type (empty: qualifies)."""
    reasons = []
    if who.status != STUDYING:
        reasons.append(Reason.NOT_STUDYING)
    if rule.state_grant_only and who.payment_form != STATE_GRANT:
        reasons.append(Reason.NOT_STATE_GRANT)
    if rule.min_grade is None:
        return reasons
    session = who.session
    if session is None or session.subjects == 0:
        if not who.first_semester:
            reasons.append(Reason.NO_RESULTS)
        elif not rule.first_semester:
            reasons.append(Reason.FIRST_SEMESTER)
        return reasons
    if session.debts:
        reasons.append(Reason.DEBTS)
    if session.pending:
        reasons.append(Reason.PENDING)
    if session.lowest_grade is not None and session.lowest_grade < rule.min_grade:
        reasons.append(Reason.LOW_GRADE)
    return reasons


@dataclass(frozen=True, slots=True)
class Decision:
    rate_code: str | None
    amount_tiyin: int
    reasons: tuple[str, ...]  # sorted; empty when paid


def decide(who: Candidate, rules: Mapping[str, Rule], amounts: Mapping[str, int]) -> Decision:
    """The one stipend `who` gets this month: the largest qualifying type (the lower code on a tie).
    If none, the reasons of the type the student came closest to (fewest reasons, lower code):
    a contract student is "not_state_grant", not also "grade_below_minimum" of the increased one."""
    best: tuple[int, str] | None = None
    closest: list[Reason] | None = None
    for code in sorted(rules):
        rule = rules[code]
        if not rule.enabled or (rule.by_assignment and code not in who.assigned):
            continue
        failing = unmet(rule, who)
        if code not in amounts:
            failing.append(Reason.NO_RATE)
        if not failing:
            if best is None or amounts[code] > best[0]:
                best = (amounts[code], code)
        elif closest is None or len(failing) < len(closest):
            closest = failing
    if best is not None:
        return Decision(best[1], best[0], ())
    return Decision(None, 0, tuple(sorted(closest if closest is not None else [Reason.NONE_ENABLED])))


def soum(tiyin: int) -> str:
    """Tiyin as so'm with two decimals, exactly ("428000.00"), for exports."""
    sign = "-" if tiyin < 0 else ""
    whole, part = divmod(abs(tiyin), 100)
    return f"{sign}{whole}.{part:02d}"
