"""/api/v1/employees and /api/v1/teaching-assignments."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from hemis.core.auth import Principal, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read, without
from hemis.staff.models import Employee, Position
from hemis.staff.schemas import (
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
    EmployeeCreate,
    EmployeeRead,
    EmployeeUpdate,
)
from hemis.staff.service import AssignmentService, EmployeeService

STAFF = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.TEACHER, Role.INTEGRATION, Role.ACCOUNTANT)
HR = requires_role(Role.ADMIN, Role.REGISTRAR)
PERSONAL_DATA = frozenset({Role.ADMIN, Role.REGISTRAR, Role.ACCOUNTANT, Role.INTEGRATION})


def employee_view(row: Employee, principal: Principal) -> EmployeeRead:
    read = to_read(row, EmployeeRead)
    return read if principal.has_any(PERSONAL_DATA) else without(read, EmployeeService.personal)


_DEPENDENCIES = {
    "principal": Provide(provide_principal),
    "params": Provide(provide_list_params),
    "employees": provide_service(EmployeeService),
    "assignments": provide_service(AssignmentService),
}


class EmployeeController(Controller):
    path = "/api/v1/employees"
    tags = ["Staff"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = _DEPENDENCIES

    @get(operation_id="ListEmployees", guards=[STAFF])
    async def list_employees(
        self,
        employees: NamedDependency[EmployeeService],
        principal: NamedDependency[Principal],
        params: NamedDependency[ListParams],
        department_id: QueryId = None,
        position: Annotated[Position | None, QueryParameter()] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> Page[EmployeeRead]:
        """Employees; filter by department, position or activity; search by name or number."""
        rows, total = await employees.page(
            params, department_id=department_id, position=position, active=active
        )
        return Page(
            items=[employee_view(r, principal) for r in rows],
            total=total,
            limit=params.limit,
            offset=params.offset,
        )

    @get("/{item_id:int}", operation_id="GetEmployee", guards=[STAFF])
    async def get_employee(
        self,
        employees: NamedDependency[EmployeeService],
        principal: NamedDependency[Principal],
        item_id: PathId,
    ) -> EmployeeRead:
        """One employee."""
        return employee_view(await employees.get(item_id), principal)

    @post(operation_id="CreateEmployee", guards=[HR])
    async def create_employee(
        self,
        employees: NamedDependency[EmployeeService],
        principal: NamedDependency[Principal],
        data: JSONBody[EmployeeCreate],
    ) -> EmployeeRead:
        """Hire an employee into a department."""
        return employee_view(await employees.create(changes(data)), principal)

    @patch("/{item_id:int}", operation_id="UpdateEmployee", guards=[HR])
    async def update_employee(
        self,
        employees: NamedDependency[EmployeeService],
        principal: NamedDependency[Principal],
        item_id: PathId,
        data: JSONBody[EmployeeUpdate],
    ) -> EmployeeRead:
        """Move, promote, change rate or contacts, or deactivate."""
        return employee_view(await employees.update(item_id, changes(data)), principal)


class AssignmentController(Controller):
    path = "/api/v1/teaching-assignments"
    tags = ["Staff"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = _DEPENDENCIES

    @get(operation_id="ListTeachingAssignments", guards=[STAFF])
    async def list_assignments(
        self,
        assignments: NamedDependency[AssignmentService],
        params: NamedDependency[ListParams],
        employee_id: QueryId = None,
        group_id: QueryId = None,
    ) -> Page[AssignmentRead]:
        """Who teaches what to whom; filter by teacher or group."""
        rows, total = await assignments.page(params, employee_id=employee_id, group_id=group_id)
        return page_of(rows, total, params.limit, params.offset, AssignmentRead)

    @post(operation_id="CreateTeachingAssignment", guards=[HR])
    async def create_assignment(
        self, assignments: NamedDependency[AssignmentService], data: JSONBody[AssignmentCreate]
    ) -> AssignmentRead:
        """Assign a teacher to a curriculum subject of a group, for one training type."""
        return to_read(await assignments.create(changes(data)), AssignmentRead)

    @patch("/{item_id:int}", operation_id="UpdateTeachingAssignment", guards=[HR])
    async def update_assignment(
        self,
        assignments: NamedDependency[AssignmentService],
        item_id: PathId,
        data: JSONBody[AssignmentUpdate],
    ) -> AssignmentRead:
        """Set or clear the teacher's e-course link for this subject."""
        return to_read(await assignments.update(item_id, changes(data)), AssignmentRead)

    @delete("/{item_id:int}", operation_id="DeleteTeachingAssignment", guards=[HR])
    async def delete_assignment(
        self, assignments: NamedDependency[AssignmentService], item_id: PathId
    ) -> None:
        """Withdraw an assignment."""
        await assignments.delete(item_id)
