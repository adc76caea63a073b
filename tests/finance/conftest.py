"""Finance fixtures: an accountant and a registrar of alpha, a faculty with a specialty, a curriculum
and a first-year group studying by it, fee-paying students, and a fee structure for 2025/26."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.students.conftest import student_body

A = "/t/alpha/api/v1"
F = f"{A}/finance"
YEAR = 2025
FEE = 12_000_000_00  # 12 million so'm a year, in tiyin


@dataclass
class Setup:
    client: httpx.AsyncClient
    accountant: dict[str, str]
    registrar: dict[str, str]
    faculty: dict[str, Any]
    specialty: dict[str, Any]
    curriculum: dict[str, Any]
    group: dict[str, Any]
    students: list[dict[str, Any]] = field(default_factory=list)

    async def student(self, group: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        body = student_body(group or self.group, **overrides)
        response = await self.client.post(f"{A}/students", json=body, headers=self.registrar)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def fee(self, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"{F}/fee-structures", json=fee_body(self.specialty["id"], **overrides), headers=self.accountant
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def contract(self, student_id: int, **overrides: Any) -> dict[str, Any]:
        body = {"student_id": student_id, "academic_year": YEAR, "signed_on": "2025-09-01"} | overrides
        response = await self.client.post(f"{F}/contracts", json=body, headers=self.accountant)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def group_of(self, course: str = "11") -> dict[str, Any]:
        response = await self.client.post(
            f"{A}/groups",
            json={
                "name": f"KI-{uuid.uuid4().hex[:12]}",
                "department_id": self.faculty["id"],
                "education_type": "11",
                "education_form": "11",
                "education_lang": "11",
                "course": course,
                "admission_year": 2025,
                "curriculum_id": self.curriculum["id"],
            },
            headers=self.registrar,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


def fee_body(specialty: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "academic_year": YEAR,
        "specialty_id": specialty,
        "education_form": "11",
        "course": "11",
        "payment_form": "12",
        "contract_type": "base",
        "amount": FEE,
    }
    return body | overrides


@pytest.fixture
async def accountant(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ACCOUNTANT)


@pytest.fixture
async def fin(client: httpx.AsyncClient, accountant: dict[str, str], token_for: TokenFactory) -> Setup:
    registrar = await token_for("alpha", Role.REGISTRAR)
    faculty = await client.post(
        f"{A}/structure/departments",
        json={
            "code": f"F{uuid.uuid4().hex[:8]}",
            "name": "Kompyuter injiniringi fakulteti",
            "structure_type": "11",
        },
        headers=registrar,
    )
    specialty = await client.post(
        f"{A}/specialties",
        json={"code": f"S{uuid.uuid4().hex[:8]}", "name": "Kompyuter injiniringi", "education_type": "11"},
        headers=registrar,
    )
    curriculum = await client.post(
        f"{A}/curricula",
        json={
            "name": "KI 2025",
            "specialty_id": specialty.json()["id"],
            "department_id": faculty.json()["id"],
            "education_form": "11",
            "marking_system": "13",
            "admission_year": 2025,
            "semester_count": 8,
        },
        headers=registrar,
    )
    assert curriculum.status_code == 201, curriculum.text
    setup = Setup(
        client, accountant, registrar, faculty.json(), specialty.json(), curriculum.json(), group={}
    )
    setup.group = await setup.group_of()
    return setup


# Payment fixtures, defined once here so every module shares one fake Stripe per worker.
from tests.finance.payment_fixtures import fake_stripe, providers  # noqa: E402

__all__ = ["fake_stripe", "providers"]
