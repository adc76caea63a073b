"""Curricula over HTTP: a credit-system curriculum with subjects per semester; bad input named."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory

T = "/t/alpha/api/v1"


def _u(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def registrar(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.REGISTRAR)


@pytest.fixture
async def plan(client: httpx.AsyncClient, registrar: dict[str, str]) -> dict[str, Any]:
    """A credit-system (KMT) bachelor curriculum of 8 semesters and one subject."""
    faculty = (
        await client.post(
            f"{T}/structure/departments",
            json={"code": _u("F"), "name": "Kompyuter injiniringi fakulteti", "structure_type": "11"},
            headers=registrar,
        )
    ).json()
    specialty = (
        await client.post(
            f"{T}/specialties",
            json={"code": _u("6061"), "name": "Dasturiy injiniring", "education_type": "11"},
            headers=registrar,
        )
    ).json()
    subject = (
        await client.post(
            f"{T}/subjects", json={"code": _u("DAS"), "name": "Dasturlash asoslari"}, headers=registrar
        )
    ).json()
    curriculum = await client.post(
        f"{T}/curricula",
        json={
            "name": "Dasturiy injiniring, kunduzgi, 2025",
            "specialty_id": specialty["id"],
            "department_id": faculty["id"],
            "education_form": "11",
            "marking_system": "13",
            "admission_year": 2025,
            "semester_count": 8,
        },
        headers=registrar,
    )
    assert curriculum.status_code == 201, curriculum.text
    return {"curriculum": curriculum.json(), "subject": subject}


def line(plan: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "subject_id": plan["subject"]["id"],
        "semester": "11",
        "subject_type": "11",
        "subject_block": "11.03",
        "credit": "6",
        "lecture_hours": 30,
        "laboratory_hours": 30,
        "independent_hours": 120,
        "max_current": "30",
        "max_midterm": "20",
        "max_final": "50",
    } | overrides


class TestCurriculumSubjects:
    async def test_add_and_list_by_semester(
        self, client: httpx.AsyncClient, registrar: dict[str, str], plan: dict[str, Any]
    ) -> None:
        url = f"{T}/curricula/{plan['curriculum']['id']}/subjects"
        added = await client.post(url, json=line(plan), headers=registrar)
        assert added.status_code == 201, added.text
        assert added.json()["credit"] == "6.0" or float(added.json()["credit"]) == 6
        assert [s["id"] for s in (await client.get(f"{url}?semester=11", headers=registrar)).json()] == [
            added.json()["id"]
        ]
        assert (await client.get(f"{url}?semester=12", headers=registrar)).json() == []

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"credit": "-1"}, "credit"),
            ({"credit": "0"}, "credit"),
            ({"lecture_hours": -2}, "lecture_hours"),
            ({"semester": "19"}, "semester"),  # the curriculum has 8 semesters
            ({"semester": "23"}, "semester"),  # not a semester at all
            ({"subject_type": "13"}, "subject_type"),
            ({"max_final": "60"}, "max_current"),  # 30 + 20 + 60 ≠ 100: the first maximum sent is named
            ({"credit": "NaN"}, "credit"),
            ({"credit": "6.55"}, "credit"),  # the column keeps one decimal
            ({"subject_id": 99_999_999}, "subject_id"),
        ],
    )
    async def test_bad_line_is_named_and_not_written(
        self,
        client: httpx.AsyncClient,
        registrar: dict[str, str],
        plan: dict[str, Any],
        override: dict[str, Any],
        field: str,
    ) -> None:
        url = f"{T}/curricula/{plan['curriculum']['id']}/subjects"
        response = await client.post(f"{url}?l=en", json=line(plan, **override), headers=registrar)
        assert response.status_code in (400, 409, 422), response.text
        assert response.json()["field"] == field
        assert (await client.get(url, headers=registrar)).json() == []

    async def test_same_subject_twice_in_a_semester_is_409(
        self, client: httpx.AsyncClient, registrar: dict[str, str], plan: dict[str, Any]
    ) -> None:
        url = f"{T}/curricula/{plan['curriculum']['id']}/subjects"
        assert (await client.post(url, json=line(plan), headers=registrar)).status_code == 201
        again = await client.post(url, json=line(plan), headers=registrar)
        assert again.status_code == 409

    async def test_patch_keeps_the_points_rule(
        self, client: httpx.AsyncClient, registrar: dict[str, str], plan: dict[str, Any]
    ) -> None:
        url = f"{T}/curricula/{plan['curriculum']['id']}/subjects"
        added = (await client.post(url, json=line(plan), headers=registrar)).json()
        bad = await client.patch(f"{url}/{added['id']}", json={"max_current": "40"}, headers=registrar)
        assert bad.status_code == 422
        assert bad.json()["field"] == "max_current"  # the field that was sent
        good = await client.patch(
            f"{url}/{added['id']}", json={"max_current": "40", "max_final": "40"}, headers=registrar
        )
        assert good.status_code == 200
        assert float(good.json()["max_final"]) == 40

    async def test_line_of_another_curriculum_is_404(
        self, client: httpx.AsyncClient, registrar: dict[str, str], plan: dict[str, Any]
    ) -> None:
        url = f"{T}/curricula/{plan['curriculum']['id']}/subjects"
        added = (await client.post(url, json=line(plan), headers=registrar)).json()
        other = f"{T}/curricula/{plan['curriculum']['id'] + 100000}/subjects/{added['id']}"
        assert (await client.patch(other, json={"credit": "5"}, headers=registrar)).status_code == 404


class TestIsolation:
    async def test_curriculum_is_invisible_from_beta(
        self, client: httpx.AsyncClient, plan: dict[str, Any], token_for: TokenFactory
    ) -> None:
        beta = await token_for("beta", Role.REGISTRAR)
        curriculum = plan["curriculum"]
        seen = await client.get(f"/t/beta/api/v1/curricula/{curriculum['id']}", headers=beta)
        assert seen.status_code == 404 or seen.json() != curriculum
        listed = (
            await client.get(f"/t/beta/api/v1/curricula?search={curriculum['name']}&limit=200", headers=beta)
        ).json()
        assert curriculum not in listed["items"]
        lines = await client.post(
            f"/t/beta/api/v1/curricula/{curriculum['id']}/subjects", json=line(plan), headers=beta
        )
        assert lines.status_code in (404, 422)
        subjects = (
            await client.get(f"/t/beta/api/v1/subjects?search={plan['subject']['code']}", headers=beta)
        ).json()
        assert subjects["total"] == 0
