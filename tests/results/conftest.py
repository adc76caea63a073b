"""A small term built through the API: a credit-system curriculum with two mandatory subjects and
two alternative electives in semester 1, one subject in semester 2, a group studying by it, and
students with marks; `Term` helps tests add more."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.students.conftest import admin, group, student_body  # noqa: F401  (fixtures reused)

T = "/t/alpha/api/v1"


@dataclass
class Term:
    client: httpx.AsyncClient
    headers: dict[str, str]
    group: dict[str, Any]
    curriculum: dict[str, Any]
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    sheets: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)

    async def add_line(
        self, key: str, semester: str, credit: str, subject_type: str = "11", block: str = "11.02"
    ) -> None:
        subject = await self.client.post(
            f"{T}/subjects",
            json={"code": f"M{uuid.uuid4().hex[:8]}", "name": f"Fan {key}"},
            headers=self.headers,
        )
        line = await self.client.post(
            f"{T}/curricula/{self.curriculum['id']}/subjects",
            json={
                "subject_id": subject.json()["id"],
                "semester": semester,
                "subject_type": subject_type,
                "subject_block": block,
                "credit": credit,
                "lecture_hours": 30,
                "practice_hours": 30,
                "max_current": "30",
                "max_midterm": "20",
                "max_final": "50",
            },
            headers=self.headers,
        )
        assert line.status_code == 201, line.text
        self.lines[key] = line.json()

    async def sheet(self, key: str, control: str, attempt: int = 1) -> dict[str, Any]:
        if (key, control, attempt) not in self.sheets:
            response = await self.client.post(
                f"{T}/grading/sheets",
                json={
                    "curriculum_subject_id": self.lines[key]["id"],
                    "group_id": self.group["id"],
                    "control_type": control,
                    "attempt": attempt,
                    "held_on": date.today().isoformat(),
                },
                headers=self.headers,
            )
            assert response.status_code == 201, response.text
            self.sheets[(key, control, attempt)] = response.json()
        return self.sheets[(key, control, attempt)]

    async def mark(
        self, student: dict[str, Any], key: str, control: str, points: str, attempt: int = 1
    ) -> httpx.Response:
        sheet = await self.sheet(key, control, attempt)
        return await self.client.post(
            f"{T}/grading/sheets/{sheet['id']}/marks",
            json={"student_id": student["id"], "points": points},
            headers=self.headers,
        )

    async def marks(self, student: dict[str, Any], key: str, jn: str, on: str, yn: str) -> None:
        for control, points in (("JN", jn), ("ON", on), ("YN", yn)):
            response = await self.mark(student, key, control, points)
            assert response.status_code == 201, response.text

    async def absent(self, student: dict[str, Any], key: str, pairs: int) -> None:
        for day in range(pairs):
            response = await self.client.post(
                f"{T}/attendance/absences",
                json={
                    "student_id": student["id"],
                    "curriculum_subject_id": self.lines[key]["id"],
                    "lesson_date": (date.today() - timedelta(days=day + 1)).isoformat(),
                    "lesson_pair": 1,
                    "training_type": "11",
                    "hours": 2,
                },
                headers=self.headers,
            )
            assert response.status_code == 201, response.text

    async def student(self, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"{T}/students", json=student_body(self.group, **overrides), headers=self.headers
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture
async def term(client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]) -> Term:  # noqa: F811
    specialty = await client.post(
        f"{T}/specialties",
        json={"code": f"S{uuid.uuid4().hex[:8]}", "name": "Dasturiy injiniring", "education_type": "11"},
        headers=admin,
    )
    curriculum = await client.post(
        f"{T}/curricula",
        json={
            "name": "DI 2025",
            "specialty_id": specialty.json()["id"],
            "department_id": group["department_id"],
            "education_form": "11",
            "marking_system": "13",
            "admission_year": 2025,
            "semester_count": 8,
        },
        headers=admin,
    )
    assert curriculum.status_code == 201, curriculum.text
    joined = await client.patch(
        f"{T}/groups/{group['id']}", json={"curriculum_id": curriculum.json()["id"]}, headers=admin
    )
    assert joined.status_code == 200, joined.text
    term = Term(client, admin, joined.json(), curriculum.json())
    await term.add_line("A", "11", "6")
    await term.add_line("B", "11", "4")
    await term.add_line("E1", "11", "5", subject_type="12", block="11.03")
    await term.add_line("E2", "11", "5", subject_type="12", block="11.03")
    await term.add_line("C", "12", "5")
    return term
