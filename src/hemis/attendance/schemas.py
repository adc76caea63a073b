"""Attendance API shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec

from hemis.core.schemas import ClassCode, Id, Input, Struct


class AbsenceRead(Struct):
    id: int
    student_id: int
    curriculum_subject_id: int
    lesson_date: date
    lesson_pair: int
    training_type: str
    hours: int
    excused: bool
    excuse_document: str | None


class AbsenceCreate(Input):
    student_id: Id
    curriculum_subject_id: Id
    lesson_date: date
    lesson_pair: Annotated[int, msgspec.Meta(ge=1, le=8)]
    training_type: ClassCode
    hours: Annotated[int, msgspec.Meta(ge=1, le=8)] = 2


class ExcuseCreate(Input):
    document: Annotated[str, msgspec.Meta(min_length=3, max_length=255)]


class AttendanceSummaryRead(Struct):
    student_id: int
    curriculum_subject_id: int
    classroom_hours: int
    absent_hours: int
    unexcused_hours: int
    unexcused_share: Decimal
    barred_from_final: bool
