"""Pure attendance rules: the share of unexcused absence and the bar from the final (DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Commonly 25 % of a course's classroom hours; configurable per university.
DEFAULT_BAR = Decimal("0.25")


@dataclass(frozen=True, slots=True)
class AttendanceSummary:
    classroom_hours: int
    absent_hours: int
    unexcused_hours: int
    unexcused_share: Decimal  # 0..1, four decimals
    barred_from_final: bool


def summarise(
    classroom_hours: int, absent_hours: int, excused_hours: int, bar: Decimal = DEFAULT_BAR
) -> AttendanceSummary:
    """Unexcused hours over the subject's classroom hours; at or above `bar` the student may not sit the final."""
    if classroom_hours < 0 or absent_hours < 0 or excused_hours < 0 or excused_hours > absent_hours:
        raise ValueError("hours must be non-negative and excused ≤ absent")
    unexcused = absent_hours - excused_hours
    share = Decimal(0) if classroom_hours == 0 else (Decimal(unexcused) / classroom_hours)
    share = share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return AttendanceSummary(
        classroom_hours, absent_hours, unexcused, share, classroom_hours > 0 and share >= bar
    )
