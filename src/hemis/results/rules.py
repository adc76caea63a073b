"""Pure result rules (no I/O): one subject's outcome from its marks, one study year's outcome.

A subject counts the latest attempt of each control (JN, ON, YN): a retake replaces the
earlier sitting. Until its final (YN) is marked a subject is pending; a student barred
from the final by absences carries the subject as a debt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from hemis.grading.rules import (
    ControlType,
    CourseResult,
    GradingScale,
    MarkingSystem,
    can_move_on,
    credit_letter,
    five_point_grade,
    is_academic_debt,
    year_gpa,
)


class SubjectStatus(StrEnum):
    PENDING = "pending"  # the final is not marked yet
    PASSED = "passed"
    DEBT = "debt"  # marked, below the pass mark or grade 2
    BARRED = "barred"  # too many unexcused absences to sit the final: a debt


@dataclass(frozen=True, slots=True)
class SubjectOutcome:
    total: Decimal
    grade: int | None  # 5-point grade, once the final is marked
    status: SubjectStatus
    letter: str | None = None  # the credit system's letter (A+ … F), once the final is marked


def subject_outcome(
    marks: Mapping[ControlType, Decimal], barred: bool, scale: GradingScale
) -> SubjectOutcome:
    """`marks` holds the latest attempt's points of each control marked so far."""
    total = sum(marks.values(), Decimal(0))
    if ControlType.FINAL not in marks:
        return SubjectOutcome(total, None, SubjectStatus.BARRED if barred else SubjectStatus.PENDING)
    capped = min(total, scale.max_points)
    grade = five_point_grade(capped, scale)
    debt = is_academic_debt(total, grade, scale)
    letter = credit_letter(capped).letter if scale.system is MarkingSystem.CREDIT else None
    return SubjectOutcome(total, grade, SubjectStatus.DEBT if debt else SubjectStatus.PASSED, letter)


@dataclass(frozen=True, slots=True)
class YearOutcome:
    gpa: Decimal | None  # over the subjects with a marked final
    credits: Decimal  # credits of the year's subjects
    earned_credits: Decimal  # credits of passed subjects
    debts: int  # debts and bars
    pending: int
    can_move_on: bool


def year_outcome(subjects: Iterable[tuple[Decimal, SubjectOutcome]], scale: GradingScale) -> YearOutcome:
    """`subjects` are (credit, outcome) of every subject of the study year. Subjects still pending
    count against moving on: the decision is taken when the year is over."""
    items = list(subjects)
    graded = [CourseResult(credit, o.grade) for credit, o in items if o.grade is not None]
    debts = sum(1 for _, o in items if o.status in (SubjectStatus.DEBT, SubjectStatus.BARRED))
    pending = sum(1 for _, o in items if o.status is SubjectStatus.PENDING)
    gpa = year_gpa(graded)
    return YearOutcome(
        gpa=gpa,
        credits=sum((credit for credit, _ in items), Decimal(0)),
        earned_credits=sum((c for c, o in items if o.status is SubjectStatus.PASSED), Decimal(0)),
        debts=debts,
        pending=pending,
        can_move_on=can_move_on(gpa, debts + pending, scale),
    )


def semesters_of_year(year: int) -> tuple[str, str]:
    """The h_semester codes of a study year: year 1 → ("11", "12")."""
    if not 1 <= year <= 6:
        raise ValueError("a study year is 1..6")
    return str(10 + 2 * year - 1), str(10 + 2 * year)


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """How a student came out of one semester's session: what stipends are decided by."""

    subjects: int  # subjects the student takes in the semester
    lowest_grade: int | None  # over the subjects with a marked final
    debts: int  # debts and bars
    pending: int  # finals not marked yet


def session_outcome(outcomes: Iterable[SubjectOutcome]) -> SessionOutcome:
    items = list(outcomes)
    grades = [o.grade for o in items if o.grade is not None]
    return SessionOutcome(
        subjects=len(items),
        lowest_grade=min(grades) if grades else None,
        debts=sum(1 for o in items if o.status in (SubjectStatus.DEBT, SubjectStatus.BARRED)),
        pending=sum(1 for o in items if o.status is SubjectStatus.PENDING),
    )
