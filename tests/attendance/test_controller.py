"""Attendance over HTTP: absences, dean's excuses, the 25 % bar, named errors, isolation."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory

T = "/t/alpha/api/v1"


@pytest.fixture
async def course(client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]) -> dict[str, Any]:
    """A subject of 60 classroom hours (30 lecture + 30 practice) in the term's curriculum."""
    subject = (
        await client.post(
            f"{T}/subjects", json={"code": f"A{uuid.uuid4().hex[:8]}", "name": "Fizika"}, headers=admin
        )
    ).json()
    line = await client.post(
        f"{T}/curricula/{term['line']['curriculum_id']}/subjects",
        json={
            "subject_id": subject["id"],
            "semester": "11",
            "subject_type": "11",
            "subject_block": "11.02",
            "credit": "4",
            "lecture_hours": 30,
            "practice_hours": 30,
            "max_current": "30",
            "max_midterm": "20",
            "max_final": "50",
        },
        headers=admin,
    )
    assert line.status_code == 201, line.text
    return {"line": line.json(), "student": term["students"][0]}


async def _absent(
    client: httpx.AsyncClient, headers: dict[str, str], course: dict[str, Any], day: int, hours: int = 2
) -> httpx.Response:
    return await client.post(
        f"{T}/attendance/absences",
        json={
            "student_id": course["student"]["id"],
            "curriculum_subject_id": course["line"]["id"],
            "lesson_date": (date.today() - timedelta(days=day)).isoformat(),
            "lesson_pair": 1,
            "training_type": "11",
            "hours": hours,
        },
        headers=headers,
    )


class TestAttendance:
    async def test_bar_at_a_quarter_and_excuse_lifts_it(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        course: dict[str, Any],
        token_for: TokenFactory,
    ) -> None:
        ids = [(await _absent(client, admin, course, day)).json()["id"] for day in range(1, 9)]  # 16 hours
        url = (
            f"{T}/attendance/summary?student_id={course['student']['id']}"
            f"&curriculum_subject_id={course['line']['id']}"
        )
        summary = (await client.get(url, headers=admin)).json()
        assert (summary["classroom_hours"], summary["unexcused_hours"], summary["barred_from_final"]) == (
            60,
            16,
            True,
        )
        dean = await token_for("alpha", Role.DEAN)
        excused = await client.post(
            f"{T}/attendance/absences/{ids[0]}/excuse",
            json={"document": "Tibbiy ma'lumotnoma No 095"},
            headers=dean,
        )
        assert excused.status_code == 201
        assert excused.json()["excused"] is True
        summary = (await client.get(url, headers=admin)).json()
        assert (summary["unexcused_hours"], summary["barred_from_final"]) == (14, False)

    async def test_only_the_dean_excuses(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        course: dict[str, Any],
        token_for: TokenFactory,
    ) -> None:
        absence = (await _absent(client, admin, course, 1)).json()
        teacher = await token_for("alpha", Role.TEACHER)
        response = await client.post(
            f"{T}/attendance/absences/{absence['id']}/excuse", json={"document": "Spravka"}, headers=teacher
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"hours": 9}, "hours"),
            ({"lesson_pair": 0}, "lesson_pair"),
            ({"training_type": "99"}, "training_type"),
            ({"student_id": 99_999_999}, "student_id"),
        ],
    )
    async def test_bad_input_is_named(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        course: dict[str, Any],
        override: dict[str, Any],
        field: str,
    ) -> None:
        body = {
            "student_id": course["student"]["id"],
            "curriculum_subject_id": course["line"]["id"],
            "lesson_date": date.today().isoformat(),
            "lesson_pair": 2,
            "training_type": "11",
            "hours": 2,
        } | override
        response = await client.post(f"{T}/attendance/absences", json=body, headers=admin)
        assert response.status_code in (400, 422), response.text
        assert response.json()["field"] == field

    async def test_future_lesson_is_refused(
        self, client: httpx.AsyncClient, admin: dict[str, str], course: dict[str, Any]
    ) -> None:
        response = await _absent(client, admin, course, -3)
        assert response.status_code == 422
        assert response.json()["field"] == "lesson_date"

    async def test_beta_cannot_excuse_or_summarise_alpha(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        course: dict[str, Any],
        token_for: TokenFactory,
    ) -> None:
        absence = (await _absent(client, admin, course, 2)).json()
        beta_dean = await token_for("beta", Role.DEAN)
        excuse = await client.post(
            f"/t/beta/api/v1/attendance/absences/{absence['id']}/excuse",
            json={"document": "Begona"},
            headers=beta_dean,
        )
        assert excuse.status_code in (404, 409)
        url = (
            f"{T}/attendance/summary?student_id={course['student']['id']}"
            f"&curriculum_subject_id={course['line']['id']}"
        )
        assert (await client.get(url, headers=admin)).json()["unexcused_hours"] == 2
