"""Stipends API shapes. Money is whole tiyin (int) in every field named *_tiyin; never float."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from hemis.core.schemas import Id, Input, Struct

RateCodeField = Annotated[str, msgspec.Meta(pattern=r"^1[1-5]$")]  # h_stipend_rate
Month = Annotated[str, msgspec.Meta(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]  # YYYY-MM
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
OrderNumber = Annotated[str, msgspec.Meta(max_length=50)]
MinGrade = Annotated[int, msgspec.Meta(ge=3, le=5)]


class RateRead(Struct):
    code: str
    valid_from: date
    amount_tiyin: int | None  # a fixed amount
    base_percent: int | None  # or a percentage of the base in force
    monthly_tiyin: int | None  # what is paid a month on the day asked (None: no base in force)


class RuleRead(Struct):
    rate_code: str
    enabled: bool
    by_assignment: bool
    state_grant_only: bool
    min_grade: int | None
    first_semester: bool
    default: bool  # no rule of this university: the national default applies


class RuleUpdate(Input):
    enabled: bool
    by_assignment: bool
    state_grant_only: bool
    min_grade: MinGrade | None  # every subject of the last session at least this; null: not checked
    first_semester: bool


class AssignmentRead(Struct):
    id: int
    student_id: int
    rate_code: str
    valid_from: date
    valid_to: date | None
    reason: str
    order_number: str


class AssignmentCreate(Input):
    student_id: Id
    rate_code: RateCodeField
    valid_from: date
    reason: Reason
    valid_to: date | None = None
    order_number: OrderNumber = ""


class AssignmentUpdate(Input):
    """Ending an assignment (or correcting its end) and saying why."""

    valid_to: date | None
    reason: Reason


class RunCreate(Input):
    month: Month


class RunRead(Struct):
    id: int
    month: date
    kind: str  # regular | correction
    sequence: int  # 0 the month's regular run, 1, 2 … its corrections
    status: str  # draft | approved
    prepared_by: str
    prepared_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    students: int  # lines (a correction: the students whose stipend changed)
    paid: int  # lines paying something (a correction: paying more than before)
    total_tiyin: int  # a correction: net of what it recovers


class LineRead(Struct):
    id: int
    student_id: int
    group_id: int
    semester: str | None  # the session decided by (null: first-years before their first session)
    lowest_grade: int | None
    debts: int | None
    rate_code: str | None  # null: nothing paid, see reasons
    amount_tiyin: int  # what this run pays; a correction: the difference (< 0: recovered)
    reasons: list[str]
    previous_tiyin: int  # a correction: what the month's approved runs gave before it


class StudentLineRead(Struct):
    run_id: int
    month: date
    kind: str  # regular | correction (its amount is the difference paid or recovered)
    rate_code: str | None
    amount_tiyin: int
    reasons: list[str]
