"""Contingent rules: valid PINFLs matching the person, real classifier codes, status history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from hemis.core import audit
from hemis.core.clock import local_today
from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import HemisError, OutOfRange
from hemis.core.listing import ListParams, fetch_page
from hemis.core.observability import request_id_var
from hemis.core.refs import check_codes, check_sent_codes
from hemis.curriculum.models import Curriculum
from hemis.identity.scope import check_student, group_filter
from hemis.staff.models import Employee
from hemis.structure.models import Department, StructureType
from hemis.students.models import AcademicGroup, Student, StudentStatusChange
from hemis.students.rules import pinfl_birth_date, pinfl_is_male, pinfl_problem

STUDYING = "11"
MALE, FEMALE = "11", "12"


class PinflInvalid(HemisError):
    status_code = 422


class PinflMismatch(HemisError):
    status_code = 422
    message_key = "students.pinfl_mismatch"


class CurriculumMismatch(HemisError):
    status_code = 422
    message_key = "students.curriculum_mismatch"


class SameStatus(HemisError):
    status_code = 409
    message_key = "students.same_status"


class TransitionRefused(HemisError):
    status_code = 409
    message_key = "students.transition"


class PinflRequired(HemisError):
    status_code = 422
    message_key = "students.pinfl_required"


# Which status may follow which (h_student_status): graduation is final; an expelled
# student comes back only by reinstatement (qayta tiklash) to "studying".
TRANSITIONS = {"11": {"12", "13", "14"}, "13": {"11", "12"}, "12": {"11"}, "14": set()}
CITIZEN = "11"
GROUP_CODES = {
    "education_type": "h_education_type",
    "education_form": "h_education_form",
    "education_lang": "h_language",
    "course": "h_course",
}
STUDENT_CODES = {
    "gender": "h_gender",
    "citizenship": "h_citizenship_type",
    "payment_form": "h_payment_form",
    "region_code": "h_soato",
    "accommodation": "h_accommodation",
}


class GroupService(CrudService[AcademicGroup]):
    model = AcademicGroup

    async def check(
        self, values: dict[str, Any], current: AcademicGroup | None, changed: frozenset[str]
    ) -> None:
        if "department_id" in changed:
            faculty = await self.session.get(Department, values["department_id"])
            if faculty is None or faculty.structure_type != StructureType.FACULTY:
                raise BadReference(field="department_id")
        await check_sent_codes(self.session, values, changed, GROUP_CODES)
        tutor = values.get("tutor_id") if "tutor_id" in changed else None
        if tutor is not None and not await self.exists(Employee, tutor):
            raise BadReference(field="tutor_id")
        if values.get("curriculum_id") is not None and changed & {"curriculum_id", "department_id"}:
            curriculum = await self.session.get(Curriculum, values["curriculum_id"])
            if curriculum is None:
                raise BadReference(field="curriculum_id")
            # A group studies by a curriculum of its own faculty and form of study.
            if (curriculum.department_id, curriculum.education_form) != (
                values["department_id"],
                values["education_form"],
            ):
                raise CurriculumMismatch(
                    field="curriculum_id" if "curriculum_id" in changed else "department_id"
                )

    async def page(
        self, params: ListParams, *, department_id: int | None, course: str | None
    ) -> tuple[list[AcademicGroup], int]:
        query = select(AcademicGroup)
        if department_id is not None:
            query = query.where(AcademicGroup.department_id == department_id)
        if course is not None:
            query = query.where(AcademicGroup.course == course)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"name": AcademicGroup.name, "course": AcademicGroup.course},
            default_sort="name",
            searchable=[AcademicGroup.name],
        )


class StudentService(CrudService[Student]):
    model = Student
    personal = frozenset({"pinfl", "passport", "birth_date", "phone", "email"})

    async def check(self, values: dict[str, Any], current: Student | None, changed: frozenset[str]) -> None:
        pinfl = values.get("pinfl")
        if pinfl is None and values["citizenship"] == CITIZEN:
            raise PinflRequired(field="pinfl")
        if values["birth_date"] > local_today():
            raise OutOfRange(field="birth_date", low="1900-01-01", high=local_today().isoformat())
        if pinfl is not None and changed & {"pinfl", "birth_date", "gender"}:
            if problem := pinfl_problem(pinfl):
                raise PinflInvalid(f"students.pinfl_{problem}", field="pinfl")
            # Name what the caller sent: a new PINFL against the stored date, or the other way round.
            if values["birth_date"] != pinfl_birth_date(pinfl):
                raise PinflMismatch(field="birth_date" if "birth_date" in changed else "pinfl")
            if values["gender"] in (MALE, FEMALE) and (values["gender"] == MALE) != pinfl_is_male(pinfl):
                raise PinflMismatch(field="gender" if "gender" in changed else "pinfl")
        if "group_id" in changed and not await self.exists(AcademicGroup, values["group_id"]):
            raise BadReference(field="group_id")
        await check_sent_codes(self.session, values, changed, STUDENT_CODES)

    async def get(self, item_id: int, *, for_update: bool = False) -> Student:
        student = await super().get(item_id, for_update=for_update)
        await check_student(self.session, self.principal, student.id)
        return student

    async def create(self, values: dict[str, Any]) -> Student:
        student = await super().create({**values, "status": STUDYING})
        self._history(student, None, STUDYING, "admission")
        await self.session.flush()
        return student

    async def change_status(self, student_id: int, status: str, reason: str) -> StudentStatusChange:
        # Row lock: two concurrent changes must not both start from the same old status.
        student = await self.get(student_id, for_update=True)
        if status == student.status:
            raise SameStatus(field="status")
        await check_codes(self.session, {"status": ("h_student_status", status)})
        if status not in TRANSITIONS.get(student.status, set()):
            raise TransitionRefused(field="status", old=student.status, new=status)
        change = self._history(student, student.status, status, reason)
        student.status = status
        await self.session.flush()
        await audit.record(
            self.session,
            "student.status_changed",
            entity="student",
            entity_id=student.id,
            actor=self.actor,
            data={"old": change.old_status, "new": status},
        )
        return change

    async def history(self, student_id: int) -> list[StudentStatusChange]:
        await self.get(student_id)
        rows = await self.session.scalars(
            select(StudentStatusChange)
            .where(StudentStatusChange.student_id == student_id)
            .order_by(StudentStatusChange.id)
        )
        return list(rows)

    def _history(self, student: Student, old: str | None, new: str, reason: str) -> StudentStatusChange:
        change = StudentStatusChange(
            student_id=student.id,
            old_status=old,
            new_status=new,
            reason=reason,
            at=datetime.now(UTC),
            actor=self.actor,
            request_id=request_id_var.get() or "",
        )
        self.session.add(change)
        return change

    async def page(
        self, params: ListParams, *, group_id: int | None, status: str | None, payment_form: str | None
    ) -> tuple[list[Student], int]:
        query = select(Student)
        mine = group_filter(self.principal, Student.group_id)
        if mine is not None:  # a teacher's groups, a dean's faculty
            query = query.where(mine)
        if group_id is not None:
            query = query.where(Student.group_id == group_id)
        if status is not None:
            query = query.where(Student.status == status)
        if payment_form is not None:
            query = query.where(Student.payment_form == payment_form)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={
                "last_name": Student.last_name,
                "student_id_number": Student.student_id_number,
                "created_at": Student.created_at,
            },
            default_sort="last_name",
            searchable=[Student.last_name, Student.first_name, Student.student_id_number],
        )
