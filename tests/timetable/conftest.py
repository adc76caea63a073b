"""Timetable fixtures: a faculty with two groups on one curriculum, two teachers, two rooms.

Every test builds its own (fresh names and ids), so lessons of other tests never clash with it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.staff.test_controller import employee_body
from tests.students.conftest import admin  # noqa: F401  (the registrar of alpha)

SPRING = ("2027-02-01", "2027-06-30")


def base(tenant: str) -> str:
    return f"/t/{tenant}/api/v1"


async def _post(client: httpx.AsyncClient, url: str, body: dict[str, Any], auth: dict[str, str]) -> Any:
    response = await client.post(url, json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


@dataclass
class World:
    tenant: str
    auth: dict[str, str]
    faculty: dict[str, Any]
    groups: list[dict[str, Any]]
    line: dict[str, Any]  # a curriculum subject of both groups' curriculum
    subject_name: str
    teachers: list[dict[str, Any]]  # [0] lectures both groups, [1] has their practice (13)
    rooms: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{base(self.tenant)}/timetable"

    def lesson(self, **overrides: Any) -> dict[str, Any]:
        """A valid lecture of teacher 0 in room 0 for group 0, Monday pair 1, the whole spring."""
        return {
            "curriculum_subject_id": self.line["id"],
            "training_type": "11",
            "employee_id": self.teachers[0]["id"],
            "auditorium_id": self.rooms[0]["id"],
            "weekday": 1,
            "pair": 1,
            "valid_from": SPRING[0],
            "valid_to": SPRING[1],
            "group_ids": [self.groups[0]["id"]],
        } | overrides


async def build_world(client: httpx.AsyncClient, auth: dict[str, str], tenant: str = "alpha") -> World:
    api = base(tenant)
    tag = uuid.uuid4().hex[:8]
    faculty = await _post(
        client,
        f"{api}/structure/departments",
        {"code": f"F{tag}", "name": "Kompyuter injiniringi fakulteti", "structure_type": "11"},
        auth,
    )
    specialty = await _post(
        client,
        f"{api}/specialties",
        {"code": f"S{tag}", "name": "Kompyuter injiniringi", "education_type": "11"},
        auth,
    )
    curriculum = await _post(
        client,
        f"{api}/curricula",
        {
            "name": f"KI {tag}",
            "specialty_id": specialty["id"],
            "department_id": faculty["id"],
            "education_form": "11",
            "marking_system": "13",
            "admission_year": 2026,
            "semester_count": 8,
        },
        auth,
    )
    subject_name = f"Diskret matematika {tag}"
    subject = await _post(client, f"{api}/subjects", {"code": f"D{tag}", "name": subject_name}, auth)
    line = await _post(
        client,
        f"{api}/curricula/{curriculum['id']}/subjects",
        {
            "subject_id": subject["id"],
            "semester": "12",
            "subject_type": "11",
            "subject_block": "11.02",
            "credit": "6",
            "lecture_hours": 30,
            "practice_hours": 30,
            "max_current": "30",
            "max_midterm": "20",
            "max_final": "50",
        },
        auth,
    )
    groups = []
    for index in range(2):
        group = await _post(
            client,
            f"{api}/groups",
            {
                "name": f"KI-{tag}-{index + 1}",
                "department_id": faculty["id"],
                "education_type": "11",
                "education_form": "11",
                "education_lang": "11",
                "course": "11",
                "admission_year": 2026,
            },
            auth,
        )
        linked = await client.patch(
            f"{api}/groups/{group['id']}", json={"curriculum_id": curriculum["id"]}, headers=auth
        )
        assert linked.status_code == 200, linked.text
        groups.append(linked.json())
    teachers = [
        await _post(
            client,
            f"{api}/employees",
            employee_body(faculty["id"], last_name=last, first_name=first, patronymic=patronymic),
            auth,
        )
        for last, first, patronymic in (
            ("Rahimova", "Dilnoza", "Akmal qizi"),
            ("Tursunov", "Bekzod", "Anvar o'g'li"),
        )
    ]
    for group in groups:
        await _post(
            client,
            f"{api}/teaching-assignments",
            {
                "employee_id": teachers[0]["id"],
                "curriculum_subject_id": line["id"],
                "group_id": group["id"],
                "training_type": "11",
            },
            auth,
        )
        await _post(
            client,
            f"{api}/teaching-assignments",
            {
                "employee_id": teachers[1]["id"],
                "curriculum_subject_id": line["id"],
                "group_id": group["id"],
                "training_type": "13",
            },
            auth,
        )
    building = await _post(
        client,
        f"{api}/structure/buildings",
        {"name": f"Bino {tag}", "address": "Amir Temur ko'chasi, 108"},
        auth,
    )
    rooms = [
        await _post(
            client,
            f"{api}/structure/auditoriums",
            {
                "code": f"{tag}-{number}",
                "name": "Ma'ruza zali",
                "building_id": building["id"],
                "auditorium_type": "lecture",
                "capacity": 90,
            },
            auth,
        )
        for number in (101, 102)
    ]
    return World(tenant, auth, faculty, groups, line, subject_name, teachers, rooms)


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: dict[str, str]) -> World:  # noqa: F811
    return await build_world(client, admin)
