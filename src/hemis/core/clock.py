"""The university's calendar day. Sheets lock, lessons happen and people are born on
Tashkent's dates, not the server's: between 19:00 and 24:00 UTC they differ by a day.
Uzbekistan keeps one time zone (UTC+5, no daylight saving), so one zone serves every tenant."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

UNIVERSITY_TZ = ZoneInfo("Asia/Tashkent")


def local_today() -> date:
    return datetime.now(UNIVERSITY_TZ).date()
