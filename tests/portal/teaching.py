"""A class a teacher signs in to teach: the timetable's world (two groups on one curriculum, two
teachers, rooms; tests.timetable.conftest), three students of the first group with distinct names,
an open JN sheet, today's lecture in the timetable (not on Sundays), and a local teacher account
of teacher 0, linked to the employee."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.core.clock import local_today
from hemis.identity.users import UserService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.portal.conftest import PASSWORD
from tests.students.conftest import student_body
from tests.timetable.conftest import World, build_world

A = "/t/alpha/api/v1"
J = "/t/alpha/portal/journal"
NAMES = (("Abdullayev", "Sardor"), ("Bakirova", "Malika"), ("Choriyev", "Otabek"))


async def teacher_account(
    maker: async_sessionmaker[AsyncSession],
    tenant: TenantRef,
    employee_id: int,
    roles: tuple[Role, ...] = (Role.TEACHER,),
) -> str:
    """A local account of the employee (a password already of their own); its user name."""
    username = f"oqituvchi{uuid.uuid4().hex[:8]}"
    async with tenant_session(maker, tenant) as session:
        user, _ = await UserService(session, actor="test").open_account(
            {
                "username": username,
                "display_name": "O'qituvchi",
                "roles": list(roles),
                "password": PASSWORD,
                "employee_id": employee_id,
            }
        )
        user.must_change_password = False
        await session.commit()
    return username


@dataclass
class Class:
    client: httpx.AsyncClient
    world: World
    students: list[dict[str, Any]]
    sheet: dict[str, Any]
    teacher: str  # user name of teacher 0 (lectures both groups)
    lesson: dict[str, Any] | None  # today's lecture of group 0, None on a Sunday

    @property
    def group(self) -> dict[str, Any]:
        return self.world.groups[0]

    @property
    def line(self) -> dict[str, Any]:
        return self.world.line

    def attendance_url(self, day: date | None = None, pair: int = 1) -> str:
        day = day or local_today()
        return (
            f"{J}/attendance?group_id={self.group['id']}&curriculum_subject_id={self.line['id']}"
            f"&date={day.isoformat()}&pair={pair}&training_type=11"
        )

    async def open_sheet(self, control: str = "ON", held_on: date | None = None) -> dict[str, Any]:
        response = await self.client.post(
            f"{A}/grading/sheets",
            json={
                "curriculum_subject_id": self.line["id"],
                "group_id": self.group["id"],
                "control_type": control,
                "held_on": (held_on or local_today()).isoformat(),
            },
            headers=self.world.auth,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


async def build_class(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    maker: async_sessionmaker[AsyncSession],
    tenant: TenantRef,
) -> Class:
    world = await build_world(client, auth)
    students = []
    for last, first in NAMES:
        response = await client.post(
            f"{A}/students",
            json=student_body(world.groups[0], last_name=last, first_name=first, patronymic=""),
            headers=auth,
        )
        assert response.status_code == 201, response.text
        students.append(response.json())
    sheet = await client.post(
        f"{A}/grading/sheets",
        json={
            "curriculum_subject_id": world.line["id"],
            "group_id": world.groups[0]["id"],
            "control_type": "JN",
            "held_on": local_today().isoformat(),
        },
        headers=auth,
    )
    assert sheet.status_code == 201, sheet.text
    lesson = None
    today = local_today()
    if today.isoweekday() != 7:
        created = await client.post(
            f"{world.url}/lessons",
            json=world.lesson(
                weekday=today.isoweekday(),
                pair=3,  # 11:30-12:50 by the seeded pairs
                valid_from=(today - timedelta(days=30)).isoformat(),
                valid_to=(today + timedelta(days=30)).isoformat(),
            ),
            headers=auth,
        )
        assert created.status_code == 201, created.text
        lesson = created.json()
    teacher = await teacher_account(maker, tenant, world.teachers[0]["id"])
    return Class(client, world, students, sheet.json(), teacher, lesson)


@pytest.fixture
async def klass(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
) -> Class:
    return await build_class(client, admin, maker, tenants["alpha"])
