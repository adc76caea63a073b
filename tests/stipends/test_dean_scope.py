"""A dean reads the stipends of their own faculty only: a run's lines, a student's history and the
assignments (their reasons are personal: disability, orphanhood) leave out or refuse the students
of another faculty; the run's totals are the university's and name nobody."""

from __future__ import annotations

from typing import Any

import httpx

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.identity.test_sessions import cookie, login, new_user
from tests.results.conftest import Term
from tests.stipends.test_payroll import S, T, next_month, prepare
from tests.students.conftest import new_group, student_body


async def group_elsewhere(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    return await new_group(client, headers, faculty_name="Tarix fakulteti")


async def assign(
    client: httpx.AsyncClient, headers: dict[str, str], student: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        f"{S}/assignments",
        json={
            "student_id": student["id"],
            "rate_code": "13",
            "valid_from": "2025-01-01",
            "reason": "I guruh nogironi (ma'lumotnoma)",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestDeanSeesOwnFaculty:
    async def test_lines_history_and_assignments(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], token_for: TokenFactory
    ) -> None:
        ours = await term.student(payment_form="11")
        await term.marks(ours, "A", "25", "15", "35")
        await term.marks(ours, "B", "30", "20", "50")
        other_group = await group_elsewhere(client, term.headers)
        created = await client.post(
            f"{T}/students", json=student_body(other_group, payment_form="11"), headers=term.headers
        )
        assert created.status_code == 201, created.text
        theirs = created.json()
        our_assignment, their_assignment = (
            await assign(client, accountant, ours),
            await assign(client, accountant, theirs),
        )
        run = await prepare(client, accountant, next_month())
        admin = await token_for("alpha", Role.ADMIN)
        account = await new_user(client, admin, roles=["dean"], faculty_id=term.group["department_id"])
        dean = cookie(await login(client, account["username"]))

        lines = await client.get(f"{S}/runs/{run['id']}/lines", params={"limit": 200}, headers=dean)
        assert lines.status_code == 200, lines.text
        seen = {line["student_id"] for line in lines.json()["items"]}
        assert ours["id"] in seen and theirs["id"] not in seen
        assert lines.json()["total"] < run["students"]  # the run's other faculties are left out
        only_theirs = await client.get(
            f"{S}/runs/{run['id']}/lines", params={"group_id": other_group["id"]}, headers=dean
        )
        assert only_theirs.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
        office = await client.get(
            f"{S}/runs/{run['id']}/lines", params={"group_id": other_group["id"]}, headers=accountant
        )
        assert [line["student_id"] for line in office.json()["items"]] == [theirs["id"]]

        assert (await client.get(f"{S}/students/{ours['id']}", headers=dean)).status_code == 200
        assert (await client.get(f"{S}/students/{theirs['id']}", headers=dean)).status_code == 403

        listed = await client.get(f"{S}/assignments", params={"limit": 200}, headers=dean)
        assert listed.status_code == 200, listed.text
        ids = {a["id"] for a in listed.json()["items"]}
        assert our_assignment["id"] in ids and their_assignment["id"] not in ids
        by_student = await client.get(f"{S}/assignments", params={"student_id": theirs["id"]}, headers=dean)
        assert by_student.json()["total"] == 0
        assert (await client.get(f"{S}/assignments/{our_assignment['id']}", headers=dean)).status_code == 200
        one = await client.get(f"{S}/assignments/{their_assignment['id']}", headers=dean)
        assert one.status_code == 403 and one.json()["field"] == "student_id"
        assert (
            await client.get(f"{S}/assignments/{their_assignment['id']}", headers=accountant)
        ).status_code == 200
