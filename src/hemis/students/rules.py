"""Pure rules of student records: the PINFL (JShShIR) and student id formats."""

from __future__ import annotations

import re
from datetime import date

from hemis.core.clock import local_today

PINFL_RE = re.compile(r"^[0-9]{14}$")  # ASCII digits only: "\d" would take any script's digits
# First digit: century and sex of the holder (1/2: 1800s, 3/4: 1900s, 5/6: 2000s; odd = male).
_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


def pinfl_problem(pinfl: str) -> str | None:
    """Why `pinfl` cannot be a personal identification number, or None if it can.

    Checked: 14 digits, a known century digit, and a real birth date (DDMMYY) in digits
    2-7. The 14th digit is a check digit whose algorithm is not published, so it is not
    verified here.
    """
    if not PINFL_RE.fullmatch(pinfl):
        return "format"
    century = _CENTURY.get(pinfl[0])
    if century is None:
        return "century"
    try:
        born = pinfl_birth_date(pinfl)
    except ValueError:
        return "birth_date"
    return "birth_date" if born > local_today() else None


def pinfl_birth_date(pinfl: str) -> date:
    """The birth date in digits 2-7 (DDMMYY) of a PINFL whose format has been checked."""
    return date(_CENTURY[pinfl[0]] + int(pinfl[5:7]), int(pinfl[3:5]), int(pinfl[1:3]))


def pinfl_is_male(pinfl: str) -> bool:
    return int(pinfl[0]) % 2 == 1
