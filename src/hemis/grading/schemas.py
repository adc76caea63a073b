"""Grading API shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from hemis.core.schemas import ClassCode, Code, Id, Input, Name, Struct
from hemis.grading.rules import ControlType

Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class ScaleRead(Struct):
    id: int
    code: str
    name: str
    marking_system: str
    max_points: Decimal
    min_excellent: Decimal
    min_good: Decimal
    min_satisfactory: Decimal
    pass_points: Decimal
    final_attempts: int
    gpa_limit: Decimal | None
    is_default: bool


class ScaleCreate(Input):
    code: Code
    name: Name
    marking_system: ClassCode
    max_points: Decimal
    min_excellent: Decimal  # least points of grade 5
    min_good: Decimal  # … of grade 4
    min_satisfactory: Decimal  # … of grade 3; below is 2
    pass_points: Decimal
    final_attempts: Annotated[int, msgspec.Meta(ge=1, le=5)] = 3
    gpa_limit: Decimal | None = None  # required by the credit system
    is_default: bool = False


class ScaleUpdate(Input):
    name: Name | Unset = UNSET
    max_points: Decimal | Unset = UNSET
    min_excellent: Decimal | Unset = UNSET
    min_good: Decimal | Unset = UNSET
    min_satisfactory: Decimal | Unset = UNSET
    pass_points: Decimal | Unset = UNSET
    final_attempts: Annotated[int, msgspec.Meta(ge=1, le=5)] | Unset = UNSET
    gpa_limit: Decimal | Unset | None = UNSET
    is_default: bool | Unset = UNSET


class SheetRead(Struct):
    id: int
    curriculum_subject_id: int
    group_id: int
    control_type: ControlType
    attempt: int
    held_on: date
    lock_after_days: int
    locked: bool


class SheetCreate(Input):
    curriculum_subject_id: Id
    group_id: Id
    control_type: ControlType
    held_on: date
    attempt: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1
    lock_after_days: Annotated[int, msgspec.Meta(ge=0, le=30)] = 2


class MarkRead(Struct):
    id: int
    sheet_id: int
    student_id: int
    points: Decimal
    version: int


class MarkCreate(Input):
    student_id: Id
    points: Decimal  # bounded by the service: 0 … the control's maximum in the curriculum


class MarkCorrection(Input):
    points: Decimal
    version: Annotated[int, msgspec.Meta(ge=1)]
    reason: Reason


class GradeEventRead(Struct):
    id: int
    old_points: Decimal | None
    new_points: Decimal
    actor: str
    reason: str
    at: datetime
    hash: str


class ChainReport(Struct):
    events: int
    broken_ids: list[int]
    mismatched_mark_ids: list[int]
    intact: bool


class ChangeRequestCreate(Input):
    points: Decimal
    version: Annotated[int, msgspec.Meta(ge=1)]
    reason: Reason


class DecisionCreate(Input):
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ChangeRequestRead(Struct):
    id: int
    mark_id: int
    points: Decimal
    version: int
    reason: str
    requested_by: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
