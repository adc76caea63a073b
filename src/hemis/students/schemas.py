"""Groups and students as the API shows them; personal fields are null for roles that may not see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from hemis.core.schemas import ClassCode, Id, Input, Struct

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
PersonName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\W\d_]+(?:[ '’ʻʼ\-][^\W\d_]*)*$")
]
Patronymic = Annotated[str, msgspec.Meta(max_length=100, pattern=r"^(?:[^\W\d_]+(?:[ '’ʻʼ\-][^\W\d_]*)*)?$")]
Pinfl = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]  # the rule itself lives in rules.py
StudentIdNumber = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6,20}$")]
Passport = Annotated[str, msgspec.Meta(pattern=r"^(?:[A-Z0-9]{5,20})?$")]  # AA1234567 and foreign passports
Phone = Annotated[str, msgspec.Meta(pattern=r"^(?:\+[0-9]{7,15})?$")]
Email = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^(?:[^@\s]+@[^@\s]+\.[^@\s]+)?$")]
GroupName = Annotated[str, msgspec.Meta(min_length=2, max_length=50)]
Year = Annotated[int, msgspec.Meta(ge=1991, le=2100)]


class GroupRead(Struct):
    id: int
    name: str
    department_id: int
    education_type: str
    education_form: str
    education_lang: str
    course: str
    admission_year: int
    active: bool
    curriculum_id: int | None
    tutor_id: int | None


class GroupCreate(Input):
    name: GroupName
    department_id: Id
    education_type: ClassCode
    education_form: ClassCode
    education_lang: ClassCode
    course: ClassCode
    admission_year: Year
    active: bool = True
    curriculum_id: Id | None = None
    tutor_id: Id | None = None


class GroupUpdate(Input):
    name: GroupName | Unset = UNSET
    department_id: Id | Unset = UNSET
    curriculum_id: Id | Unset | None = UNSET
    tutor_id: Id | Unset | None = UNSET
    education_lang: ClassCode | Unset = UNSET
    course: ClassCode | Unset = UNSET
    active: bool | Unset = UNSET


class StudentRead(Struct):
    id: int
    student_id_number: str
    last_name: str
    first_name: str
    patronymic: str
    group_id: int
    payment_form: str
    status: str
    gender: str
    citizenship: str
    region_code: str | None
    accommodation: str | None  # h_accommodation
    # Personal data: null unless the caller's role may see it (ASVS 8.2.3).
    pinfl: str | None
    birth_date: date | None
    passport: str | None
    phone: str | None
    email: str | None


class StudentCreate(Input):
    student_id_number: StudentIdNumber
    last_name: PersonName
    first_name: PersonName
    birth_date: date
    gender: ClassCode
    citizenship: ClassCode
    group_id: Id
    payment_form: ClassCode
    pinfl: Pinfl | None = None  # required for citizens of Uzbekistan
    region_code: ClassCode | None = None  # h_soato: where the student permanently lives
    accommodation: ClassCode | None = None  # h_accommodation: where they live while studying
    patronymic: Patronymic = ""
    passport: Passport = ""
    phone: Phone = ""
    email: Email = ""


class StudentUpdate(Input):
    pinfl: Pinfl | Unset | None = UNSET
    last_name: PersonName | Unset = UNSET
    first_name: PersonName | Unset = UNSET
    patronymic: Patronymic | Unset = UNSET
    birth_date: date | Unset = UNSET
    gender: ClassCode | Unset = UNSET
    passport: Passport | Unset = UNSET
    phone: Phone | Unset = UNSET
    email: Email | Unset = UNSET
    group_id: Id | Unset = UNSET
    payment_form: ClassCode | Unset = UNSET
    region_code: ClassCode | Unset | None = UNSET
    accommodation: ClassCode | Unset | None = UNSET


class StatusChangeCreate(Input):
    status: ClassCode
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


class StatusChangeRead(Struct):
    id: int
    old_status: str | None
    new_status: str
    reason: str
    at: datetime
    actor: str
