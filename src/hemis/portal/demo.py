"""Who signs in to the demo portal: in each demo university a student of the second course, a
guardian linked to them, a teacher of their group and the registrar's office, all with one
password that `hemis demo` prints. Demo data only: real universities open accounts through
/api/v1/users and their own single sign-on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.auth import Role
from hemis.guardians.service import GuardianService
from hemis.identity.users import UserService
from hemis.staff.models import TeachingAssignment
from hemis.students.models import AcademicGroup, Student

DEMO_PASSWORD = "demo-parol-2026"  # noqa: S105 - the demo's published password, printed by `hemis demo`
ACTOR = "demo"


async def seed_portal_accounts(session: AsyncSession) -> list[tuple[str, str]]:
    """Open the demo accounts (the caller commits); returns (user name, what it shows)."""
    student = await session.scalar(
        select(Student)
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .where(AcademicGroup.course == "12", AcademicGroup.curriculum_id.is_not(None))
        .order_by(Student.id)
        .limit(1)
    )
    if student is None:
        return []
    teacher_id = await session.scalar(
        select(TeachingAssignment.employee_id)
        .where(TeachingAssignment.group_id == student.group_id)
        .order_by(TeachingAssignment.id)
        .limit(1)
    )
    users = UserService(session, actor=ACTOR)
    wanted: list[tuple[str, str, Role, dict[str, int]]] = [
        ("talaba", f"{student.last_name} {student.first_name}", Role.STUDENT, {"student_id": student.id}),
        ("ota-ona", f"{student.last_name} (ota-ona)", Role.GUARDIAN, {}),
        ("registrator", "Registrator ofisi", Role.REGISTRAR, {}),
    ]
    if teacher_id is not None:
        wanted.append(("oqituvchi", "O'qituvchi", Role.TEACHER, {"employee_id": teacher_id}))
    opened = []
    for username, name, role, links in wanted:
        user, _ = await users.open_account(
            {"username": username, "display_name": name, "roles": [role], "password": DEMO_PASSWORD} | links
        )
        user.must_change_password = False  # a demo: nobody to hand the first password to
        opened.append((username, role.value))
        if role is Role.GUARDIAN:
            await GuardianService(session, actor=ACTOR).link(
                student.id, {"user_id": user.id, "relation": "mother"}
            )
    await session.flush()
    return opened
