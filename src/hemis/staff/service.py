"""Staff rules: real departments and codes, a valid PINFL when given, allowed rates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hemis.core.clock import local_today
from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import HemisError, OutOfRange
from hemis.core.listing import ListParams, fetch_page
from hemis.core.refs import check_sent_codes
from hemis.curriculum.models import CurriculumSubject
from hemis.staff.models import RATES, Employee, TeachingAssignment
from hemis.structure.models import Department
from hemis.students.models import AcademicGroup
from hemis.students.rules import pinfl_birth_date, pinfl_problem
from hemis.students.service import PinflInvalid, PinflMismatch

EMPLOYEE_CODES = {
    "gender": "h_gender",
    "academic_degree": "h_academic_degree",
    "academic_rank": "h_academic_rank",
}


class RateNotAllowed(HemisError):
    status_code = 422
    message_key = "staff.rate"


class EmployeeService(CrudService[Employee]):
    model = Employee
    personal = frozenset({"pinfl", "birth_date", "phone", "email"})

    async def check(self, values: dict[str, Any], current: Employee | None, changed: frozenset[str]) -> None:
        if "rate" in changed and (not values["rate"].is_finite() or values["rate"] not in RATES):
            raise RateNotAllowed(field="rate", allowed=", ".join(str(r) for r in RATES))
        if "birth_date" in changed and values["birth_date"] > local_today():
            raise OutOfRange(field="birth_date", low="1900-01-01", high=local_today().isoformat())
        pinfl = values.get("pinfl")
        if pinfl is not None and changed & {"pinfl", "birth_date"}:
            if problem := pinfl_problem(pinfl):
                raise PinflInvalid(f"students.pinfl_{problem}", field="pinfl")
            if values["birth_date"] != pinfl_birth_date(pinfl):
                raise PinflMismatch(field="birth_date" if "birth_date" in changed else "pinfl")
        if "department_id" in changed and not await self.exists(Department, values["department_id"]):
            raise BadReference(field="department_id")
        await check_sent_codes(self.session, values, changed, EMPLOYEE_CODES)

    async def page(
        self, params: ListParams, *, department_id: int | None, position: str | None, active: bool | None
    ) -> tuple[list[Employee], int]:
        query = select(Employee)
        if department_id is not None:
            query = query.where(Employee.department_id == department_id)
        if position is not None:
            query = query.where(Employee.position == position)
        if active is not None:
            query = query.where(Employee.active.is_(active))
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"last_name": Employee.last_name, "employee_id_number": Employee.employee_id_number},
            default_sort="last_name",
            searchable=[Employee.last_name, Employee.first_name, Employee.employee_id_number],
        )


class AssignmentService(CrudService[TeachingAssignment]):
    model = TeachingAssignment

    async def check(
        self, values: dict[str, Any], current: TeachingAssignment | None, changed: frozenset[str]
    ) -> None:
        for field, model in (
            ("employee_id", Employee),
            ("curriculum_subject_id", CurriculumSubject),
            ("group_id", AcademicGroup),
        ):
            if field in changed and not await self.exists(model, values[field]):
                raise BadReference(field=field)
        await check_sent_codes(self.session, values, changed, {"training_type": "h_training_type"})

    async def page(
        self, params: ListParams, *, employee_id: int | None, group_id: int | None
    ) -> tuple[list[TeachingAssignment], int]:
        query = select(TeachingAssignment)
        if employee_id is not None:
            query = query.where(TeachingAssignment.employee_id == employee_id)
        if group_id is not None:
            query = query.where(TeachingAssignment.group_id == group_id)
        return await fetch_page(
            self.session, query, params, sortable={"id": TeachingAssignment.id}, default_sort="id"
        )
