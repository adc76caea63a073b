"""Employees and teaching assignments over HTTP: named errors, personal data by role, isolation."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.isolation import assert_isolated
from tests.students.conftest import pinfl

T = "/t/alpha/api/v1"
_number = itertools.count(5000)


def employee_body(department: int, **overrides: Any) -> dict[str, Any]:
    born = date(1980, 2, 11)
    return {
        "employee_id_number": f"{next(_number)}",
        "last_name": "Rahimova",
        "first_name": "Dilnoza",
        "patronymic": "Akmal qizi",
        "birth_date": born.isoformat(),
        "gender": "12",
        "pinfl": pinfl(born, male=False),
        "department_id": department,
        "position": "docent",
        "employment_form": "main",
        "rate": "1.0",
        "academic_degree": "13",
        "academic_rank": "11",
        "phone": "+998901112233",
        "email": "d.rahimova@example.uz",
    } | overrides


class TestEmployees:
    async def test_hire_and_read_by_role(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any], token_for: TokenFactory
    ) -> None:
        body = employee_body(group["department_id"])
        created = await client.post(f"{T}/employees", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert (
            created.json()
            == (await client.get(f"{T}/employees/{created.json()['id']}", headers=admin)).json()
        )
        teacher = await token_for("alpha", Role.TEACHER)
        seen = (await client.get(f"{T}/employees/{created.json()['id']}", headers=teacher)).json()
        assert seen["last_name"] == "Rahimova"
        assert [seen[k] for k in ("pinfl", "birth_date", "phone", "email")] == [None] * 4

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"rate": "0.6"}, "rate"),
            ({"position": "rector"}, "position"),
            ({"academic_degree": "99"}, "academic_degree"),
            ({"department_id": 99_999_999}, "department_id"),
            ({"birth_date": "1980-02-12"}, "birth_date"),  # not the PINFL's date
            ({"employee_id_number": "12a"}, "employee_id_number"),
        ],
    )
    async def test_bad_input_is_named(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        group: dict[str, Any],
        override: dict[str, Any],
        field: str,
    ) -> None:
        response = await client.post(
            f"{T}/employees?l=uz", json=employee_body(group["department_id"], **override), headers=admin
        )
        assert response.status_code in (400, 422), response.text
        assert response.json()["field"] == field

    async def test_isolated_from_beta(
        self, client: httpx.AsyncClient, admin: dict[str, str], group: dict[str, Any], token_for: TokenFactory
    ) -> None:
        body = employee_body(group["department_id"])
        row = (await client.post(f"{T}/employees", json=body, headers=admin)).json()
        beta = await token_for("beta", Role.REGISTRAR)
        await assert_isolated(
            client,
            "/api/v1/employees",
            row,
            owner=("alpha", admin),
            other=("beta", beta),
            patch={"rate": "0.5"},
            search=body["employee_id_number"],
        )


class TestAssignments:
    async def test_assign_list_and_withdraw(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any]
    ) -> None:
        teacher = (
            await client.post(
                f"{T}/employees", json=employee_body(term["group"]["department_id"]), headers=admin
            )
        ).json()
        body = {
            "employee_id": teacher["id"],
            "curriculum_subject_id": term["line"]["id"],
            "group_id": term["group"]["id"],
            "training_type": "11",
        }
        created = await client.post(f"{T}/teaching-assignments", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert (await client.post(f"{T}/teaching-assignments", json=body, headers=admin)).status_code == 409
        listed = (
            await client.get(f"{T}/teaching-assignments?employee_id={teacher['id']}", headers=admin)
        ).json()
        assert [a["id"] for a in listed["items"]] == [created.json()["id"]]
        assert (
            await client.delete(f"{T}/teaching-assignments/{created.json()['id']}", headers=admin)
        ).status_code == 204

    async def test_e_course_link_is_set_checked_and_cleared(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any], token_for: TokenFactory
    ) -> None:
        teacher = (
            await client.post(
                f"{T}/employees", json=employee_body(term["group"]["department_id"]), headers=admin
            )
        ).json()
        body = {
            "employee_id": teacher["id"],
            "curriculum_subject_id": term["line"]["id"],
            "group_id": term["group"]["id"],
            "training_type": "11",
            "e_course_url": "javascript:alert(1)",
        }
        refused = await client.post(f"{T}/teaching-assignments", json=body, headers=admin)
        assert refused.status_code in (400, 422), refused.text
        assert refused.json()["field"] == "e_course_url"
        body["e_course_url"] = "https://lms.tatu.uz/course/view.php?id=17"
        created = await client.post(f"{T}/teaching-assignments", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["e_course_url"] == body["e_course_url"]
        url = f"{T}/teaching-assignments/{created.json()['id']}"
        cleared = await client.patch(url, json={"e_course_url": None}, headers=admin)
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["e_course_url"] is None
        beta = await token_for("beta", Role.REGISTRAR)
        other = await client.patch(
            url.replace("/t/alpha/", "/t/beta/"), json={"e_course_url": "https://evil.example/"}, headers=beta
        )
        assert other.status_code == 404
        listed = (
            await client.get(f"{T}/teaching-assignments?employee_id={teacher['id']}", headers=admin)
        ).json()
        assert [a["e_course_url"] for a in listed["items"]] == [None]
        # Only the link can change here: moving an assignment is a new one.
        moved = await client.patch(url, json={"group_id": 1}, headers=admin)
        assert moved.status_code in (400, 422)
        assert moved.json()["field"] == "group_id"

    @pytest.mark.parametrize("field", ["employee_id", "curriculum_subject_id", "group_id"])
    async def test_unknown_reference_is_named(
        self, client: httpx.AsyncClient, admin: dict[str, str], term: dict[str, Any], field: str
    ) -> None:
        teacher = (
            await client.post(
                f"{T}/employees", json=employee_body(term["group"]["department_id"]), headers=admin
            )
        ).json()
        body = {
            "employee_id": teacher["id"],
            "curriculum_subject_id": term["line"]["id"],
            "group_id": term["group"]["id"],
            "training_type": "12",
            field: 99_999_999,
        }
        response = await client.post(f"{T}/teaching-assignments", json=body, headers=admin)
        assert response.status_code == 422
        assert response.json()["field"] == field
