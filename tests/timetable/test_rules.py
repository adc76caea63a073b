"""The timetable's pure rules: week parity without a break at a year of 53 ISO weeks, the calendar's
bounds."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from hemis.timetable import rules


def test_weeks_alternate_across_a_year_of_53_iso_weeks() -> None:
    # 2026 has an ISO week 53: by week numbers, 28 Dec 2026 (week 53) and 4 Jan 2027 (week 1)
    # would both be odd. Counted from the anchor they alternate, week after week.
    monday = date(2026, 9, 7)
    parities = [rules.week_parity(monday + timedelta(weeks=n)) for n in range(40)]
    assert all(a != b for a, b in itertools.pairwise(parities)), parities
    assert rules.week_parity(date(2026, 12, 28)) != rules.week_parity(date(2027, 1, 4))
    # Every day of a week has its Monday's parity.
    assert {rules.week_parity(date(2027, 1, 4) + timedelta(days=d)) for d in range(7)} == {
        rules.week_parity(date(2027, 1, 4))
    }


@pytest.mark.parametrize("day", [date(1, 1, 3), date(9999, 12, 31)])
def test_a_week_at_the_calendars_edge_is_refused(day: date) -> None:
    with pytest.raises(rules.DayOutOfRange):
        rules.week_of(day)
