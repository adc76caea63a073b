"""A dean sees the finance of their own faculty only: the contracts list, a contract with its
ledger and PDF, a student's balance and the debtors report leave out (or refuse) the students
of another faculty of the same university."""

from __future__ import annotations

import uuid
from typing import Any

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.finance.conftest import FEE, YEAR, A, F, Setup
from tests.identity.test_sessions import cookie, login, new_user


async def other_faculty_group(fin: Setup) -> dict[str, Any]:
    """A first-year group of another faculty, by a curriculum of the same specialty (same fee)."""
    faculty = await fin.client.post(
        f"{A}/structure/departments",
        json={"code": f"F{uuid.uuid4().hex[:8]}", "name": "Iqtisodiyot fakulteti", "structure_type": "11"},
        headers=fin.registrar,
    )
    assert faculty.status_code == 201, faculty.text
    curriculum = await fin.client.post(
        f"{A}/curricula",
        json={
            "name": "KI 2025 (iqtisodiyot)",
            "specialty_id": fin.specialty["id"],
            "department_id": faculty.json()["id"],
            "education_form": "11",
            "marking_system": "13",
            "admission_year": 2025,
            "semester_count": 8,
        },
        headers=fin.registrar,
    )
    assert curriculum.status_code == 201, curriculum.text
    group = await fin.client.post(
        f"{A}/groups",
        json={
            "name": f"IQ-{uuid.uuid4().hex[:6]}",
            "department_id": faculty.json()["id"],
            "education_type": "11",
            "education_form": "11",
            "education_lang": "11",
            "course": "11",
            "admission_year": 2025,
            "curriculum_id": curriculum.json()["id"],
        },
        headers=fin.registrar,
    )
    assert group.status_code == 201, group.text
    return dict(group.json())


async def dean_of(fin: Setup, token_for: TokenFactory, faculty_id: int) -> dict[str, str]:
    admin = await token_for("alpha", Role.ADMIN)
    dean = await new_user(fin.client, admin, roles=["dean"], faculty_id=faculty_id)
    return cookie(await login(fin.client, dean["username"]))


class TestDeanSeesOwnFaculty:
    async def test_contracts_balances_and_debtors(self, fin: Setup, token_for: TokenFactory) -> None:
        await fin.fee()
        ours = await fin.student()
        theirs = await fin.student(await other_faculty_group(fin))
        our_contract, their_contract = await fin.contract(ours["id"]), await fin.contract(theirs["id"])
        dean = await dean_of(fin, token_for, fin.faculty["id"])

        listed = await fin.client.get(
            f"{F}/contracts", params={"academic_year": YEAR, "limit": 200}, headers=dean
        )
        assert listed.status_code == 200, listed.text
        ids = {c["id"] for c in listed.json()["items"]}
        assert our_contract["id"] in ids and their_contract["id"] not in ids
        searched = await fin.client.get(
            f"{F}/contracts", params={"search": their_contract["number"]}, headers=dean
        )
        assert searched.json()["items"] == []
        by_student = await fin.client.get(f"{F}/contracts", params={"student_id": theirs["id"]}, headers=dean)
        assert by_student.json()["total"] == 0

        assert (await fin.client.get(f"{F}/contracts/{our_contract['id']}", headers=dean)).status_code == 200
        for url in (
            f"{F}/contracts/{their_contract['id']}",
            f"{F}/contracts/{their_contract['id']}/ledger",
            f"{F}/contracts/{their_contract['id']}/pdf",
            f"{F}/students/{theirs['id']}/balance",
        ):
            assert (await fin.client.get(url, headers=dean)).status_code == 403, url
        assert (await fin.client.get(f"{F}/students/{ours['id']}/balance", headers=dean)).json()[
            "debt"
        ] == FEE

        debtors = {}
        for student in (ours, theirs):
            response = await fin.client.get(
                f"{F}/debtors", params={"search": student["student_id_number"]}, headers=dean
            )
            assert response.status_code == 200, response.text
            debtors |= {row["student_id"]: row for row in response.json()["items"]}
        assert set(debtors) == {ours["id"]}
        everyone = await fin.client.get(f"{F}/debtors", params={"limit": 200}, headers=dean)
        assert {row["faculty_id"] for row in everyone.json()["items"]} == {fin.faculty["id"]}
        # The accountant sees both: the filter is the dean's, not the data's.
        office = await fin.client.get(
            f"{F}/debtors", params={"search": theirs["student_id_number"]}, headers=fin.accountant
        )
        assert [row["student_id"] for row in office.json()["items"]] == [theirs["id"]]

    async def test_a_dean_changes_no_money(self, fin: Setup, token_for: TokenFactory) -> None:
        await fin.fee()
        ours = await fin.student()
        contract = await fin.contract(ours["id"])
        dean = await dean_of(fin, token_for, fin.faculty["id"])
        for path, body in (
            ("payments", {"amount": 100}),
            ("refunds", {"amount": 100, "note": "Qaytarish"}),
            ("cancel", {"reason": "Dekan bekor qildi"}),
        ):
            response = await fin.client.post(
                f"{F}/contracts/{contract['id']}/{path}", json=body, headers=dean
            )
            assert response.status_code == 403, path
