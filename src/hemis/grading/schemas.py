"""Grading API shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from hemis.core.schemas import Id, Input, Struct
from hemis.grading.rules import ControlType

Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


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
