"""The university day is Tashkent's (UTC+5), not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hemis.core.clock import UNIVERSITY_TZ, local_today
from hemis.grading.models import MarkSheet
from hemis.grading.service import is_locked


def test_tashkent_is_five_hours_ahead_all_year() -> None:
    for month in (1, 7):  # no daylight saving: the same offset in winter and summer
        moment = datetime(2026, month, 15, 20, 30, tzinfo=UTC)
        assert moment.astimezone(UNIVERSITY_TZ).date() == date(2026, month, 16)
    assert local_today() == (datetime.now(UTC) + timedelta(hours=5)).date()


def test_a_sheet_locks_on_tashkent_days() -> None:
    sheet = MarkSheet(held_on=date(2026, 11, 20), lock_after_days=2)
    assert not is_locked(sheet, today=date(2026, 11, 22))
    assert is_locked(sheet, today=date(2026, 11, 23))
