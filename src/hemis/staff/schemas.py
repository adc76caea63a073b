"""Staff API shapes; personal fields are null for roles that may not see them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec

from hemis.core.schemas import ClassCode, Id, Input, Struct
from hemis.staff.models import EmploymentForm, Position
from hemis.students.schemas import Email, Patronymic, PersonName, Phone, Pinfl

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
EmployeeNumber = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4,20}$")]
# A web address students open: http(s) only, so no javascript: or data: link reaches a page.
ECourseUrl = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://[^\s/$.?#][^\s]*$")]


class EmployeeRead(Struct):
    id: int
    employee_id_number: str
    last_name: str
    first_name: str
    patronymic: str
    gender: str
    department_id: int
    position: Position
    employment_form: EmploymentForm
    rate: Decimal
    academic_degree: str
    academic_rank: str
    active: bool
    pinfl: str | None
    birth_date: date | None
    phone: str | None
    email: str | None


class EmployeeCreate(Input):
    employee_id_number: EmployeeNumber
    last_name: PersonName
    first_name: PersonName
    birth_date: date
    gender: ClassCode
    department_id: Id
    position: Position
    employment_form: EmploymentForm
    rate: Decimal  # 0.25, 0.5, 0.75 or 1.0 (checked by the service)
    pinfl: Pinfl | None = None
    patronymic: Patronymic = ""
    academic_degree: ClassCode = "10"
    academic_rank: ClassCode = "10"
    phone: Phone = ""
    email: Email = ""


class EmployeeUpdate(Input):
    department_id: Id | Unset = UNSET
    position: Position | Unset = UNSET
    employment_form: EmploymentForm | Unset = UNSET
    rate: Decimal | Unset = UNSET
    academic_degree: ClassCode | Unset = UNSET
    academic_rank: ClassCode | Unset = UNSET
    phone: Phone | Unset = UNSET
    email: Email | Unset = UNSET
    active: bool | Unset = UNSET


class AssignmentRead(Struct):
    id: int
    employee_id: int
    curriculum_subject_id: int
    group_id: int
    training_type: str
    e_course_url: str | None


class AssignmentCreate(Input):
    employee_id: Id
    curriculum_subject_id: Id
    group_id: Id
    training_type: ClassCode
    e_course_url: ECourseUrl | None = None


class AssignmentUpdate(Input):
    e_course_url: ECourseUrl | Unset | None = UNSET
