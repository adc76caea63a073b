"""Timetable API shapes."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal

import msgspec

from hemis.core.schemas import ClassCode, Id, Input, Struct

Weekday = Annotated[int, msgspec.Meta(ge=1, le=6)]  # 1 = Monday … 6 = Saturday
PairNumber = Annotated[int, msgspec.Meta(ge=1, le=8)]
ParityName = Literal["all", "odd", "even"]
# A lecture stream rarely spans more than a handful of groups; the bound keeps one request small.
GroupIds = Annotated[list[Id], msgspec.Meta(min_length=1, max_length=20)]


class PairRead(Struct):
    number: int
    starts_at: time
    ends_at: time


# A time of day as people write it, "08:30", or with seconds, "08:30:00" (msgspec's time type
# requires the seconds). The service receives a datetime.time (clock_time).
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")]


def clock_time(text: str) -> time:
    return time.fromisoformat(text)


class PairUpdate(Input):
    starts_at: ClockTime
    ends_at: ClockTime


class LessonRead(Struct):
    id: int
    curriculum_subject_id: int
    training_type: str
    employee_id: int
    auditorium_id: int
    weekday: int
    pair: int
    parity: str
    valid_from: date
    valid_to: date
    group_ids: list[int]
    version: int


class LessonCreate(Input):
    curriculum_subject_id: Id
    training_type: ClassCode
    employee_id: Id
    auditorium_id: Id
    weekday: Weekday
    pair: PairNumber
    valid_from: date
    valid_to: date
    group_ids: GroupIds
    parity: ParityName = "all"


class LessonUpdate(Input):
    version: Annotated[int, msgspec.Meta(ge=1)]  # the version the caller saw (409 if it changed)
    curriculum_subject_id: Id | msgspec.UnsetType = msgspec.UNSET
    training_type: ClassCode | msgspec.UnsetType = msgspec.UNSET
    employee_id: Id | msgspec.UnsetType = msgspec.UNSET
    auditorium_id: Id | msgspec.UnsetType = msgspec.UNSET
    weekday: Weekday | msgspec.UnsetType = msgspec.UNSET
    pair: PairNumber | msgspec.UnsetType = msgspec.UNSET
    parity: ParityName | msgspec.UnsetType = msgspec.UNSET
    valid_from: date | msgspec.UnsetType = msgspec.UNSET
    valid_to: date | msgspec.UnsetType = msgspec.UNSET
    group_ids: GroupIds | msgspec.UnsetType = msgspec.UNSET


class WeekLessonRead(Struct):
    """One lesson on one date, as every schedule page shows it."""

    lesson_id: int
    date: date
    weekday: int
    pair: int
    starts_at: time | None
    ends_at: time | None
    curriculum_subject_id: int
    subject_name: str
    training_type: str
    training_type_name: str
    employee_id: int
    teacher_name: str
    auditorium_id: int
    auditorium_code: str
    group_ids: list[int]
    group_names: list[str]
    parity: str


class WeekRead(Struct):
    monday: date
    saturday: date
    week_parity: str
    lessons: list[WeekLessonRead]
