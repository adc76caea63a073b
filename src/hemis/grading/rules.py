"""Pure grading rules from DOMAIN.md and HEMIS (no I/O): scales, grades, debts, GPA.

Points and grades are Decimal: borders carry two decimals (HEMIS v0.8.2) and GPA is
rounded half-up to one decimal, which binary floats would get wrong at the edges.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class MarkingSystem(StrEnum):
    """HEMIS h_marking_system codes."""

    RATING = "11"  # 100-point rating
    FIVE_POINT = "12"
    CREDIT = "13"  # credit-module system (KMT)


class ControlType(StrEnum):
    CURRENT = "JN"  # joriy nazorat
    MIDTERM = "ON"  # oraliq nazorat
    FINAL = "YN"  # yakuniy nazorat


@dataclass(frozen=True, slots=True)
class Border:
    """Points from `minimum` up (to the next border) earn `grade`."""

    grade: int
    minimum: Decimal


@dataclass(frozen=True, slots=True)
class GradingScale:
    system: MarkingSystem
    borders: tuple[Border, ...]  # highest grade first
    max_points: Decimal
    pass_points: Decimal  # HEMIS minimum_limit: below it the course is a debt
    final_attempts: int  # HEMIS count_final_exams
    gpa_limit: Decimal | None = None  # credit system: GPA needed to move on

    def __post_init__(self) -> None:
        minimums = [b.minimum for b in self.borders]
        if not minimums or minimums[-1] != 0 or any(a <= b for a, b in itertools.pairwise(minimums)):
            raise ValueError("borders must run strictly down from the highest grade to 0 points")
        if minimums[0] > self.max_points:
            raise ValueError("the top border lies above the scale's maximum")
        if not 0 < self.pass_points <= self.max_points:
            raise ValueError("pass_points must lie within the scale")
        if self.system == MarkingSystem.CREDIT and self.gpa_limit is None:
            raise ValueError("the credit system needs a gpa_limit (HEMIS: at least 2.4)")


def _d(value: str) -> Decimal:
    return Decimal(value)


# The three scales seeded by HEMIS (migration m210130_191716_fix_marking_system).
RATING_100 = GradingScale(
    MarkingSystem.RATING,
    (Border(5, _d("86")), Border(4, _d("71")), Border(3, _d("55")), Border(2, _d("0"))),
    max_points=_d("100"),
    pass_points=_d("55"),
    final_attempts=3,
)
FIVE_POINT = GradingScale(
    MarkingSystem.FIVE_POINT,
    (Border(5, _d("4.5")), Border(4, _d("3.5")), Border(3, _d("2.5")), Border(2, _d("0"))),
    max_points=_d("5"),
    pass_points=_d("2.5"),
    final_attempts=3,
)
CREDIT = GradingScale(
    MarkingSystem.CREDIT,
    (Border(5, _d("90")), Border(4, _d("70")), Border(3, _d("60")), Border(2, _d("0"))),
    max_points=_d("100"),
    pass_points=_d("60"),
    final_attempts=2,
    gpa_limit=_d("2.4"),
)
DEFAULT_SCALES = {s.system: s for s in (RATING_100, FIVE_POINT, CREDIT)}


class PointsOutOfRangeError(ValueError):
    """Points below 0 or above the scale's maximum."""


def five_point_grade(points: Decimal, scale: GradingScale) -> int:
    """The 5-point grade (2..5) that `points` earn on `scale`."""
    if points < 0 or points > scale.max_points:
        raise PointsOutOfRangeError(f"{points} outside 0..{scale.max_points}")
    return next(b.grade for b in scale.borders if points >= b.minimum)


@dataclass(frozen=True, slots=True)
class CreditLetter:
    letter: str
    min_points: Decimal
    gpa_min: Decimal
    gpa_max: Decimal


# MarkingSystem::getCreditScale in HEMIS; below 60 points is F.
CREDIT_LETTERS: tuple[CreditLetter, ...] = (
    CreditLetter("A+", _d("91"), _d("4.51"), _d("5.0")),
    CreditLetter("A", _d("86"), _d("4.26"), _d("4.5")),
    CreditLetter("B+", _d("81"), _d("4.01"), _d("4.25")),
    CreditLetter("B", _d("71"), _d("3.51"), _d("4.0")),
    CreditLetter("C+", _d("66"), _d("3.26"), _d("3.5")),
    CreditLetter("C", _d("60"), _d("3.0"), _d("3.25")),
    CreditLetter("F", _d("0"), _d("0"), _d("2.99")),
)


def credit_letter(points: Decimal) -> CreditLetter:
    """The letter (A+ … C, F) of 0..100 credit points."""
    if points < 0 or points > 100:
        raise PointsOutOfRangeError(f"{points} outside 0..100")
    return next(letter for letter in CREDIT_LETTERS if points >= letter.min_points)


def is_academic_debt(total_points: Decimal, grade: int, scale: GradingScale) -> bool:
    """A course is a debt when its total is below the pass mark or its grade below 3."""
    return total_points < scale.pass_points or grade < 3


@dataclass(frozen=True, slots=True)
class CourseResult:
    credit: Decimal
    grade: int  # 5-point grade


def year_gpa(results: Iterable[CourseResult]) -> Decimal | None:
    """GPA = Σ(credit × grade) / Σ credit, rounded half-up to one decimal; None without credits."""
    items: Sequence[CourseResult] = list(results)
    if any(r.credit < 0 for r in items):
        raise ValueError("credits cannot be negative")
    credits = sum((r.credit for r in items), Decimal(0))
    if credits == 0:
        return None
    weighted = sum((r.credit * r.grade for r in items), Decimal(0))
    return (weighted / credits).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def can_move_on(gpa: Decimal | None, debts: int, scale: GradingScale) -> bool:
    """HEMIS can_transfer: the credit system moves on by GPA ≥ its limit (debts are retaken in a
    paid summer term); the other systems need no debts, and GPA ≥ the limit when one is set."""
    meets_gpa = scale.gpa_limit is None or (gpa is not None and gpa >= scale.gpa_limit)
    if scale.system is MarkingSystem.CREDIT:
        return meets_gpa
    return debts == 0 and meets_gpa


def scale_of(
    system: MarkingSystem,
    *,
    max_points: Decimal,
    min_excellent: Decimal,
    min_good: Decimal,
    min_satisfactory: Decimal,
    pass_points: Decimal,
    final_attempts: int,
    gpa_limit: Decimal | None,
) -> GradingScale:
    """A university's configured scale as the rules use it (grades 5, 4, 3 from their least points)."""
    borders = (
        Border(5, min_excellent),
        Border(4, min_good),
        Border(3, min_satisfactory),
        Border(2, Decimal(0)),
    )
    return GradingScale(system, borders, max_points, pass_points, final_attempts, gpa_limit)
