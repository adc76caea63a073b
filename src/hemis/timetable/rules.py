"""Pure timetable rules: when two lessons clash, which dates a weekly lesson falls on, the lock key.

No I/O: the service, the demo seeder and the tests share these definitions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = range(1, 7)  # Monday … Saturday
PAIRS = range(1, 9)
PARITIES = ("all", "odd", "even")
# Advisory locks are cluster-wide: keys of one database share one space with every schema and
# every other feature. Our keys live in a band no hashtext() value (a signed 32-bit number, what
# the other locks of hemis use) can reach, and carry the university's registry id, so two
# universities never wait on each other and nothing else waits on the timetable.
_LOCK_BAND = 0x5454 << 48


@dataclass(frozen=True, slots=True)
class Slot:
    """What decides a clash: the weekly place and span of a lesson, and who and what it uses."""

    weekday: int
    pair: int
    parity: str
    valid_from: date
    valid_to: date
    employee_id: int
    auditorium_id: int
    group_ids: frozenset[int]


def parities_meet(a: str, b: str) -> bool:
    """Two parities share a week: `all` meets anything, odd meets odd, even meets even."""
    return a == "all" or b == "all" or a == b


def same_time(a: Slot, b: Slot) -> bool:
    """Held at the same pair of at least one common day."""
    return (
        a.weekday == b.weekday
        and a.pair == b.pair
        and a.valid_from <= b.valid_to
        and b.valid_from <= a.valid_to
        and parities_meet(a.parity, b.parity)
    )


def clash_field(a: Slot, b: Slot) -> str | None:
    """The field of `a` that clashes with `b` (teacher first, then room, then groups), or None."""
    if not same_time(a, b):
        return None
    if a.employee_id == b.employee_id:
        return "employee_id"
    if a.auditorium_id == b.auditorium_id:
        return "auditorium_id"
    if a.group_ids & b.group_ids:
        return "group_ids"
    return None


# Weeks alternate odd, even, odd … from this Monday on, without a break: the ISO week number
# would not do, as a year of 53 weeks (2026) puts two odd weeks in a row mid-semester.
PARITY_ANCHOR = date(2024, 1, 1)  # a Monday, ISO week 1 of 2024: odd
FIRST_DAY, LAST_DAY = date(1901, 1, 7), date(2199, 12, 28)  # the weeks a timetable may show


class DayOutOfRange(ValueError):
    """A date whose week the calendar cannot hold (year 1 or 9999)."""


def week_of(day: date) -> tuple[date, date]:
    """Monday and Saturday of the ISO week of `day`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DayOutOfRange(day.isoformat())
    monday = day - timedelta(days=day.isoweekday() - 1)
    return monday, monday + timedelta(days=5)


def week_parity(day: date) -> str:
    """`odd` or `even`: the week of `day` counted from PARITY_ANCHOR (the weeks alternate)."""
    return "odd" if ((day - PARITY_ANCHOR).days // 7) % 2 == 0 else "even"


def held_on(weekday: int, parity: str, valid_from: date, valid_to: date, day: date) -> bool:
    """Does a lesson of this weekday, parity and span take place on `day`?"""
    return (
        day.isoweekday() == weekday
        and valid_from <= day <= valid_to
        and parities_meet(parity, week_parity(day))
    )


def lock_key(tenant_id: int, weekday: int, pair: int) -> int:
    """The advisory lock key of one university's (weekday, pair): a positive BIGINT."""
    return _LOCK_BAND | (tenant_id << 8) | (weekday << 4) | pair


CLASH_FIELDS = ("employee_id", "auditorium_id", "group_ids")  # the order a clash is reported in


def first_clash(slot: Slot, others: Collection[Slot]) -> tuple[int, str] | None:
    """(index into `others`, field) of the lesson `slot` clashes with, a teacher's clash before a
    room's before a group's, or None."""
    hits = [
        (CLASH_FIELDS.index(field), index, field)
        for index, other in enumerate(others)
        if (field := clash_field(slot, other)) is not None
    ]
    if not hits:
        return None
    _, index, field = min(hits)
    return index, field


def semester_span(day: date) -> tuple[date, date]:
    """The teaching span of the semester running on `day`: autumn from 1 September to 31 January
    (the winter session included), spring from 1 February to 30 June."""
    if day.month >= 9:
        return date(day.year, 9, 1), date(day.year + 1, 1, 31)
    if day.month == 1:
        return date(day.year - 1, 9, 1), date(day.year, 1, 31)
    return date(day.year, 2, 1), date(day.year, 6, 30)
