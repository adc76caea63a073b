"""Grading fixtures: a group with two students, a credit curriculum line, an open JN sheet."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from tests.students.conftest import admin, group, student_body  # noqa: F401  (fixtures reused)

T = "/t/alpha/api/v1"


@pytest.fixture
async def term(client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    students = []
    for _ in range(2):
        response = await client.post(f"{T}/students", json=student_body(group), headers=admin)
        assert response.status_code == 201, response.text
        students.append(response.json())
    specialty = (
        await client.post(
            f"{T}/specialties",
            json={"code": f"S{uuid.uuid4().hex[:8]}", "name": "Dasturiy injiniring", "education_type": "11"},
            headers=admin,
        )
    ).json()
    subject = (
        await client.post(
            f"{T}/subjects",
            json={"code": f"M{uuid.uuid4().hex[:8]}", "name": "Oliy matematika"},
            headers=admin,
        )
    ).json()
    curriculum = (
        await client.post(
            f"{T}/curricula",
            json={
                "name": "DI 2025",
                "specialty_id": specialty["id"],
                "department_id": group["department_id"],
                "education_form": "11",
                "marking_system": "13",
                "admission_year": 2025,
                "semester_count": 8,
            },
            headers=admin,
        )
    ).json()
    line = (
        await client.post(
            f"{T}/curricula/{curriculum['id']}/subjects",
            json={
                "subject_id": subject["id"],
                "semester": "11",
                "subject_type": "11",
                "subject_block": "11.02",
                "credit": "6",
                "max_current": "30",
                "max_midterm": "20",
                "max_final": "50",
            },
            headers=admin,
        )
    ).json()
    sheet = await client.post(
        f"{T}/grading/sheets",
        json={
            "curriculum_subject_id": line["id"],
            "group_id": group["id"],
            "control_type": "JN",
            "held_on": date.today().isoformat(),
        },
        headers=admin,
    )
    assert sheet.status_code == 201, sheet.text
    return {"students": students, "line": line, "sheet": sheet.json(), "group": group}
