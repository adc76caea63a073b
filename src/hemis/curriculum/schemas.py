"""Curriculum API shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec

from hemis.core.schemas import ClassCode, Code, Id, Input, Name, Struct

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
Hours = Annotated[int, msgspec.Meta(ge=0, le=2000)]
# msgspec has no bounds for Decimal: the service checks them (core.errors.OutOfRange).
Credit = Decimal
Points = Decimal


class SpecialtyRead(Struct):
    id: int
    code: str
    name: str
    education_type: str


class SpecialtyCreate(Input):
    code: Code
    name: Name
    education_type: ClassCode


class SubjectRead(Struct):
    id: int
    code: str
    name: str
    department_id: int | None


class SubjectCreate(Input):
    code: Code
    name: Name
    department_id: Id | None = None


class CurriculumRead(Struct):
    id: int
    name: str
    specialty_id: int
    department_id: int
    education_form: str
    marking_system: str
    grading_scale_id: int | None
    admission_year: int
    semester_count: int
    active: bool


class CurriculumCreate(Input):
    name: Name
    specialty_id: Id
    department_id: Id
    education_form: ClassCode
    marking_system: ClassCode
    admission_year: Annotated[int, msgspec.Meta(ge=1991, le=2100)]
    semester_count: Annotated[int, msgspec.Meta(ge=1, le=12)]
    active: bool = True
    grading_scale_id: Id | None = None  # None: the university's default scale of the marking system


class CurriculumUpdate(Input):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    grading_scale_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class CurriculumSubjectRead(Struct):
    id: int
    curriculum_id: int
    subject_id: int
    semester: str
    subject_type: str
    subject_block: str
    credit: Decimal
    lecture_hours: int
    practice_hours: int
    laboratory_hours: int
    seminar_hours: int
    independent_hours: int
    max_current: Decimal
    max_midterm: Decimal
    max_final: Decimal


class CurriculumSubjectCreate(Input):
    subject_id: Id
    semester: ClassCode
    subject_type: ClassCode
    subject_block: ClassCode
    credit: Credit
    max_current: Points
    max_midterm: Points
    max_final: Points
    lecture_hours: Hours = 0
    practice_hours: Hours = 0
    laboratory_hours: Hours = 0
    seminar_hours: Hours = 0
    independent_hours: Hours = 0


class CurriculumSubjectUpdate(Input):
    credit: Credit | Unset = UNSET
    subject_type: ClassCode | Unset = UNSET
    subject_block: ClassCode | Unset = UNSET
    max_current: Points | Unset = UNSET
    max_midterm: Points | Unset = UNSET
    max_final: Points | Unset = UNSET
    lecture_hours: Hours | Unset = UNSET
    practice_hours: Hours | Unset = UNSET
    laboratory_hours: Hours | Unset = UNSET
    seminar_hours: Hours | Unset = UNSET
    independent_hours: Hours | Unset = UNSET


class WeekRead(Struct):
    id: int
    curriculum_id: int
    semester: str
    number: int
    start_date: date
    week_type: str


class WeekCreate(Input):
    semester: ClassCode
    number: Annotated[int, msgspec.Meta(ge=1, le=30)]
    start_date: date  # a Monday
    week_type: ClassCode  # h_education_week_type


class WeekBlock(Input):
    week_type: ClassCode
    count: Annotated[int, msgspec.Meta(ge=1, le=30)]


class SemesterPlan(Input):
    start_date: date  # the semester's first Monday
    blocks: Annotated[list[WeekBlock], msgspec.Meta(min_length=1, max_length=10)]
