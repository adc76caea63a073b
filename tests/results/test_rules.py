"""Table-driven tests of the pure result rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hemis.grading.rules import CREDIT, RATING_100, ControlType, GradingScale
from hemis.results.rules import SubjectStatus, semesters_of_year, subject_outcome, year_outcome

D = Decimal
JN, ON, YN = ControlType.CURRENT, ControlType.MIDTERM, ControlType.FINAL


@pytest.mark.parametrize(
    ("scale", "marks", "barred", "expected"),
    [
        (CREDIT, {JN: D(30), ON: D(20), YN: D(40)}, False, (D(90), 5, SubjectStatus.PASSED, "A")),
        (CREDIT, {JN: D(30), ON: D(20), YN: D("39.99")}, False, (D("89.99"), 4, SubjectStatus.PASSED, "A")),
        (CREDIT, {JN: D(20), ON: D(10), YN: D(30)}, False, (D(60), 3, SubjectStatus.PASSED, "C")),
        (CREDIT, {JN: D(20), ON: D(10), YN: D("29.99")}, False, (D("59.99"), 2, SubjectStatus.DEBT, "F")),
        (CREDIT, {JN: D(30), ON: D(20)}, False, (D(50), None, SubjectStatus.PENDING, None)),
        (CREDIT, {JN: D(5)}, True, (D(5), None, SubjectStatus.BARRED, None)),
        (CREDIT, {}, False, (D(0), None, SubjectStatus.PENDING, None)),
        (RATING_100, {JN: D(30), ON: D(20), YN: D(5)}, False, (D(55), 3, SubjectStatus.PASSED, None)),
        (RATING_100, {JN: D(30), ON: D(20), YN: D("4.99")}, False, (D("54.99"), 2, SubjectStatus.DEBT, None)),
        (RATING_100, {YN: D(0)}, False, (D(0), 2, SubjectStatus.DEBT, None)),
    ],
)
def test_subject_outcome(
    scale: GradingScale,
    marks: dict[ControlType, Decimal],
    barred: bool,
    expected: tuple[Decimal, int | None, SubjectStatus, str | None],
) -> None:
    outcome = subject_outcome(marks, barred, scale)
    assert (outcome.total, outcome.grade, outcome.status, outcome.letter) == expected


def _outcome(total: str, final: bool = True, barred: bool = False):  # type: ignore[no-untyped-def]
    marks = {YN: D(total)} if final else {JN: D(total)}  # the rules add whatever was marked
    return subject_outcome(marks, barred, CREDIT)


@pytest.mark.parametrize(
    ("subjects", "gpa", "debts", "pending", "moves_on"),
    [
        ([(D(6), _outcome("95")), (D(4), _outcome("65"))], D("4.2"), 0, 0, True),
        ([(D(6), _outcome("40")), (D(4), _outcome("75"))], D("2.8"), 1, 0, True),  # credit: GPA decides
        ([(D(6), _outcome("20")), (D(4), _outcome("20"))], D("2.0"), 2, 0, False),
        ([(D(5), _outcome("95")), (D(5), _outcome("10", final=False))], D("5.0"), 0, 1, True),
        ([(D(5), _outcome("10", final=False, barred=True))], None, 1, 0, False),
        ([], None, 0, 0, False),
    ],
)
def test_year_outcome(
    subjects: list[tuple[Decimal, object]], gpa: Decimal | None, debts: int, pending: int, moves_on: bool
) -> None:
    outcome = year_outcome(subjects, CREDIT)  # type: ignore[arg-type]
    assert (outcome.gpa, outcome.debts, outcome.pending, outcome.can_move_on) == (
        gpa,
        debts,
        pending,
        moves_on,
    )


def test_the_100_point_system_needs_no_debts_and_nothing_pending() -> None:
    passed = subject_outcome({YN: D(60)}, False, RATING_100)
    pending = subject_outcome({JN: D(20)}, False, RATING_100)
    assert year_outcome([(D(4), passed)], RATING_100).can_move_on
    assert not year_outcome([(D(4), passed), (D(4), pending)], RATING_100).can_move_on


@pytest.mark.parametrize(("year", "codes"), [(1, ("11", "12")), (4, ("17", "18")), (6, ("21", "22"))])
def test_semesters_of_year(year: int, codes: tuple[str, str]) -> None:
    assert semesters_of_year(year) == codes


@pytest.mark.parametrize("year", [0, 7])
def test_semesters_of_year_bounds(year: int) -> None:
    with pytest.raises(ValueError):
        semesters_of_year(year)
