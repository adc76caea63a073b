"""Fixtures of the students tests: a registrar of alpha, a fresh group, valid student bodies."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory

_serial = itertools.count(1000)


def pinfl(birth: date, male: bool = True) -> str:
    """A well-formed PINFL for a birth date and sex (unique serial part)."""
    first = ("3" if birth.year < 2000 else "5") if male else ("4" if birth.year < 2000 else "6")
    return f"{first}{birth:%d%m%y}{next(_serial):07d}"


def student_body(group: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    birth = date(2006, 5, 17)
    body = {
        "student_id_number": f"3{next(_serial):011d}",
        "pinfl": pinfl(birth),
        "last_name": "Karimov",
        "first_name": "Jasur",
        "patronymic": "Anvar o'g'li",
        "birth_date": birth.isoformat(),
        "gender": "11",
        "citizenship": "11",
        "group_id": group["id"],
        "payment_form": "12",
        "phone": "+998901234567",
        "passport": "AC1234567",
        "email": "jasur@example.uz",
    }
    return body | overrides


@pytest.fixture
async def admin(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.REGISTRAR)


async def new_group(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    tenant: str = "alpha",
    faculty_name: str = "Dasturiy injiniring fakulteti",
) -> dict[str, Any]:
    """A new faculty of `tenant` and a first-year full-time bachelor group in it (names unique)."""
    base = f"/t/{tenant}/api/v1"
    faculty = await client.post(
        f"{base}/structure/departments",
        json={"code": f"F{uuid.uuid4().hex[:8]}", "name": faculty_name, "structure_type": "11"},
        headers=auth,
    )
    assert faculty.status_code == 201, faculty.text
    response = await client.post(
        f"{base}/groups",
        json={
            "name": f"G-{uuid.uuid4().hex[:12]}",
            "department_id": faculty.json()["id"],
            "education_type": "11",
            "education_form": "11",
            "education_lang": "11",
            "course": "11",
            "admission_year": 2025,
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
async def group(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    return await new_group(client, admin)
