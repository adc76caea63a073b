"""PINFL rules, table-driven (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from hemis.students.rules import pinfl_birth_date, pinfl_is_male, pinfl_problem


class TestPinfl:
    @pytest.mark.parametrize(
        ("pinfl", "problem"),
        [
            ("51403051234567", None),  # male, born 14.03.2005
            ("62912041234567", None),  # female, 29.12.2004
            ("32902961234567", None),  # 29.02.1996 is real (a leap year)
            ("32902971234567", "birth_date"),  # 29.02.1997 is not
            ("5140305123456", "format"),  # 13 digits
            ("514030512345678", "format"),  # 15 digits
            ("5140305123456a", "format"),
            ("71403051234567", "century"),
            ("01403051234567", "century"),
            ("53213051234567", "birth_date"),  # day 32
        ],
    )
    def test_problem(self, pinfl: str, problem: str | None) -> None:
        assert pinfl_problem(pinfl) == problem

    def test_birth_date_and_sex(self) -> None:
        assert pinfl_birth_date("51403051234567") == date(2005, 3, 14)
        assert pinfl_is_male("51403051234567") is True
        assert pinfl_is_male("62912041234567") is False
        assert pinfl_birth_date("41501991234567") == date(1999, 1, 15)
