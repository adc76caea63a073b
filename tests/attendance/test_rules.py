"""Attendance rules, table-driven (no database)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from hemis.attendance.rules import summarise


class TestSummarise:
    @pytest.mark.parametrize(
        ("classroom", "absent", "excused", "share", "barred"),
        [
            (60, 0, 0, "0", False),
            (60, 14, 0, "0.2333", False),
            (60, 15, 0, "0.25", True),  # exactly a quarter bars
            (60, 20, 6, "0.2333", False),  # excused hours do not count
            (60, 30, 30, "0", False),
            (0, 0, 0, "0", False),  # a subject without classroom hours bars nobody
        ],
    )
    def test_share_and_bar(self, classroom: int, absent: int, excused: int, share: str, barred: bool) -> None:
        summary = summarise(classroom, absent, excused)
        assert summary.unexcused_share == D(share)
        assert summary.barred_from_final is barred

    def test_custom_bar(self) -> None:
        assert summarise(60, 12, 0, bar=D("0.2")).barred_from_final is True

    @pytest.mark.parametrize(("absent", "excused"), [(-1, 0), (2, 3)])
    def test_impossible_hours_are_refused(self, absent: int, excused: int) -> None:
        with pytest.raises(ValueError, match="hours"):
            summarise(60, absent, excused)
