"""Per-object rights of signed-in people (issue 4): a student sees only their own records, a
teacher works only on the groups and subjects of their teaching assignments, a tutor follows
the groups they are curator of, a dean only in their faculty. The registrar's office and the
university admin see the whole university. A guardian (issue 8) reads the marks, results and
attendance of the students linked to them, and nothing else: only reads that ask for it
(`check_student(..., guardians=True)`) let them through, and lists never show them a student.

Machine clients (API tokens, `principal.user_id is None`) are service accounts an admin
issued for the whole university: their roles apply university-wide.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.auth import Forbidden, Principal, Role
from hemis.guardians.models import GuardianLink
from hemis.staff.models import TeachingAssignment
from hemis.students.models import AcademicGroup, Student

WHOLE_UNIVERSITY = frozenset({Role.ADMIN, Role.REGISTRAR, Role.INTEGRATION, Role.ACCOUNTANT})


def _unscoped(principal: Principal | None) -> bool:
    return principal is None or principal.user_id is None or principal.has_any(WHOLE_UNIVERSITY)


async def _in_faculty(session: AsyncSession, principal: Principal, group_id: int) -> bool:
    if Role.DEAN not in principal.roles or principal.faculty_id is None:
        return False
    group = await session.get(AcademicGroup, group_id)
    return group is not None and group.department_id == principal.faculty_id


async def _teaches(session: AsyncSession, principal: Principal, group_id: int, line_id: int) -> bool:
    if Role.TEACHER not in principal.roles or principal.employee_id is None:
        return False
    query = exists().where(
        TeachingAssignment.employee_id == principal.employee_id,
        TeachingAssignment.group_id == group_id,
        TeachingAssignment.curriculum_subject_id == line_id,
    )
    return bool(await session.scalar(select(query)))


async def check_group_subject(
    session: AsyncSession, principal: Principal | None, group_id: int, line_id: int, *, field: str
) -> None:
    """May the caller mark or record attendance for this group in this subject?"""
    if _unscoped(principal):
        return
    assert principal is not None
    if await _in_faculty(session, principal, group_id) or await _teaches(
        session, principal, group_id, line_id
    ):
        return
    raise Forbidden(field=field)


async def check_student(
    session: AsyncSession, principal: Principal | None, student_id: int, *, guardians: bool = False
) -> None:
    """May the caller read this student's records? `guardians`: this read is one a linked guardian
    may make too (marks, results, attendance); off by default, so a guardian who is also staff or a
    student never reaches a child's contract or stipends through another role's endpoint."""
    if _unscoped(principal):
        return
    assert principal is not None
    if Role.STUDENT in principal.roles and principal.student_id == student_id:
        return
    if guardians and await _guards(session, principal, student_id):
        return
    visible = group_filter(principal, Student.group_id)  # a teacher's groups, a dean's faculty
    assert visible is not None  # scoped callers always get a condition
    if await session.scalar(select(Student.id).where(Student.id == student_id, visible)) is not None:
        return
    raise Forbidden(field="student_id")


async def _guards(session: AsyncSession, principal: Principal, student_id: int) -> bool:
    if Role.GUARDIAN not in principal.roles or principal.user_id is None:
        return False
    linked = exists().where(GuardianLink.user_id == principal.user_id, GuardianLink.student_id == student_id)
    return bool(await session.scalar(select(linked)))


def faculty_filter(principal: Principal | None, group_id: Any) -> ColumnElement[bool] | None:
    """A WHERE condition on a group id column for what only a dean's office changes about groups
    (the timetable): their faculty's groups, never the groups they also teach or tutor (None: all)."""
    if _unscoped(principal):
        return None
    assert principal is not None
    if Role.DEAN in principal.roles and principal.faculty_id is not None:
        faculty = select(AcademicGroup.id).where(AcademicGroup.department_id == principal.faculty_id)
        condition: ColumnElement[bool] = group_id.in_(faculty)
        return condition
    return false()


def group_filter(principal: Principal | None, group_id: Any) -> ColumnElement[bool] | None:
    """A WHERE condition on a group id column limiting a list to the caller's groups (None: all)."""
    if _unscoped(principal):
        return None
    assert principal is not None
    conditions: list[ColumnElement[bool]] = []
    if Role.DEAN in principal.roles and principal.faculty_id is not None:
        faculty = select(AcademicGroup.id).where(AcademicGroup.department_id == principal.faculty_id)
        conditions.append(group_id.in_(faculty))
    if Role.TEACHER in principal.roles and principal.employee_id is not None:
        taught = select(TeachingAssignment.group_id).where(
            TeachingAssignment.employee_id == principal.employee_id
        )
        conditions.append(group_id.in_(taught))
    if Role.TUTOR in principal.roles and principal.employee_id is not None:
        tutored = select(AcademicGroup.id).where(AcademicGroup.tutor_id == principal.employee_id)
        conditions.append(group_id.in_(tutored))
    return or_(*conditions) if conditions else false()
