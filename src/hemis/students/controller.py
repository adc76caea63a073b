"""/api/v1/groups and /api/v1/students (with status changes and their history)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from hemis.core.auth import Principal, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read, without
from hemis.students.models import Student
from hemis.students.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    StatusChangeCreate,
    StatusChangeRead,
    StudentCreate,
    StudentRead,
    StudentUpdate,
)
from hemis.students.service import GroupService, StudentService

STAFF = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.TEACHER, Role.TUTOR, Role.INTEGRATION)
REGISTRY = requires_role(Role.ADMIN, Role.REGISTRAR)
STATUS = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN)
# Roles that may see a student's personal data (PINFL, passport, birth date, contacts).
PERSONAL_DATA = frozenset({Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.INTEGRATION})


def student_view(row: Student, principal: Principal) -> StudentRead:
    read = to_read(row, StudentRead)
    return read if principal.has_any(PERSONAL_DATA) else without(read, StudentService.personal)


_DEPENDENCIES = {
    "principal": Provide(provide_principal),
    "params": Provide(provide_list_params),
    "groups": provide_service(GroupService),
    "students": provide_service(StudentService),
}


class GroupController(Controller):
    path = "/api/v1/groups"
    tags = ["Students"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = _DEPENDENCIES

    @get(operation_id="ListGroups", guards=[STAFF])
    async def list_groups(
        self,
        groups: NamedDependency[GroupService],
        params: NamedDependency[ListParams],
        department_id: QueryId = None,
        course: Annotated[str | None, QueryParameter(pattern=r"^\d{2}$")] = None,
    ) -> Page[GroupRead]:
        """Academic groups; filter by faculty or course."""
        rows, total = await groups.page(params, department_id=department_id, course=course)
        return page_of(rows, total, params.limit, params.offset, GroupRead)

    @get("/{item_id:int}", operation_id="GetGroup", guards=[STAFF])
    async def get_group(self, groups: NamedDependency[GroupService], item_id: PathId) -> GroupRead:
        """One group."""
        return to_read(await groups.get(item_id), GroupRead)

    @post(operation_id="CreateGroup", guards=[REGISTRY])
    async def create_group(
        self, groups: NamedDependency[GroupService], data: JSONBody[GroupCreate]
    ) -> GroupRead:
        """Open a group in a faculty."""
        return to_read(await groups.create(changes(data)), GroupRead)

    @patch("/{item_id:int}", operation_id="UpdateGroup", guards=[REGISTRY])
    async def update_group(
        self, groups: NamedDependency[GroupService], item_id: PathId, data: JSONBody[GroupUpdate]
    ) -> GroupRead:
        """Rename, move up a course, or close a group."""
        return to_read(await groups.update(item_id, changes(data)), GroupRead)


class StudentController(Controller):
    path = "/api/v1/students"
    tags = ["Students"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = _DEPENDENCIES

    @get(operation_id="ListStudents", guards=[STAFF])
    async def list_students(
        self,
        students: NamedDependency[StudentService],
        principal: NamedDependency[Principal],
        params: NamedDependency[ListParams],
        group_id: QueryId = None,
        status: Annotated[str | None, QueryParameter(pattern=r"^\d{2}$")] = None,
        payment_form: Annotated[str | None, QueryParameter(pattern=r"^\d{2}$")] = None,
    ) -> Page[StudentRead]:
        """Students; filter by group, status or payment form; search by name or student id number."""
        rows, total = await students.page(params, group_id=group_id, status=status, payment_form=payment_form)
        return Page(
            items=[student_view(r, principal) for r in rows],
            total=total,
            limit=params.limit,
            offset=params.offset,
        )

    @get("/{item_id:int}", operation_id="GetStudent", guards=[STAFF])
    async def get_student(
        self,
        students: NamedDependency[StudentService],
        principal: NamedDependency[Principal],
        item_id: PathId,
    ) -> StudentRead:
        """One student."""
        return student_view(await students.get(item_id), principal)

    @post(operation_id="CreateStudent", guards=[REGISTRY])
    async def create_student(
        self,
        students: NamedDependency[StudentService],
        principal: NamedDependency[Principal],
        data: JSONBody[StudentCreate],
    ) -> StudentRead:
        """Enrol a student (status "studying"; the first history row says so)."""
        return student_view(await students.create(changes(data)), principal)

    @patch("/{item_id:int}", operation_id="UpdateStudent", guards=[REGISTRY])
    async def update_student(
        self,
        students: NamedDependency[StudentService],
        principal: NamedDependency[Principal],
        item_id: PathId,
        data: JSONBody[StudentUpdate],
    ) -> StudentRead:
        """Correct a student's record; status changes go through /status."""
        return student_view(await students.update(item_id, changes(data)), principal)

    @post("/{item_id:int}/status", operation_id="ChangeStudentStatus", guards=[STATUS])
    async def change_status(
        self,
        students: NamedDependency[StudentService],
        item_id: PathId,
        data: JSONBody[StatusChangeCreate],
    ) -> StatusChangeRead:
        """Expel, send on academic leave, graduate or reinstate; kept in the history."""
        return to_read(await students.change_status(item_id, data.status, data.reason), StatusChangeRead)

    @get("/{item_id:int}/status-history", operation_id="ListStudentStatusHistory", guards=[STAFF])
    async def status_history(
        self, students: NamedDependency[StudentService], item_id: PathId
    ) -> list[StatusChangeRead]:
        """Every status the student has had, oldest first."""
        return [to_read(r, StatusChangeRead) for r in await students.history(item_id)]
