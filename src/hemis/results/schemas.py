"""Results API shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hemis.core.schemas import Struct
from hemis.results.rules import SubjectStatus


class SubjectResultRead(Struct):
    curriculum_subject_id: int
    subject_id: int
    subject_name: str
    semester: str
    credit: Decimal
    current: Decimal | None  # JN, latest attempt
    midterm: Decimal | None  # ON
    final: Decimal | None  # YN
    total: Decimal
    grade: int | None  # 5-point grade once the final is marked
    letter: str | None  # credit system: A+ … F
    status: SubjectStatus
    final_attempts: int
    unexcused_share: Decimal


class StudentResultsRead(Struct):
    student_id: int
    marking_system: str | None  # None: the student's group has no curriculum yet
    items: list[SubjectResultRead]


class YearResultRead(Struct):
    student_id: int
    year: int
    gpa: Decimal | None
    credits: Decimal
    earned_credits: Decimal
    debts: int
    pending: int
    can_move_on: bool


class RatingRowRead(Struct):
    rank: int
    student_id: int
    last_name: str
    first_name: str
    group_id: int
    group_name: str
    gpa: Decimal | None
    average_points: Decimal | None
    debts: int


class RatingPage(Struct):
    items: list[RatingRowRead]
    total: int
    limit: int
    offset: int


class MarkRowRead(Struct):
    curriculum_subject_id: int
    subject_name: str
    control_type: str
    attempt: int
    held_on: date
    points: Decimal
