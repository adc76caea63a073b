"""Guardians (parents): the registrar links a guardian's account to a student (audited); the
guardian reads that student's marks, results and attendance and nothing else — no other student,
no list, no money, no write — and a link of one university means nothing at another."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.audit import AuditEvent
from hemis.core.auth import Role
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.notifications.conftest import signed_in
from tests.results.conftest import Term
from tests.students.conftest import new_group, student_body

A = "/t/alpha/api/v1"


@pytest.fixture
async def admin_token(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ADMIN)


def guardians_of(student: dict[str, Any], base: str = A) -> str:
    return f"{base}/students/{student['id']}/guardians"


async def link(term: Term, student: dict[str, Any], user_id: int, relation: str = "mother") -> dict[str, Any]:
    response = await term.client.post(
        guardians_of(student), json={"user_id": user_id, "relation": relation}, headers=term.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def reads(
    client: httpx.AsyncClient, headers: dict[str, str], student: dict[str, Any], line: int
) -> list[int]:
    """The status of each read a guardian may make of a student (marks, results, year, attendance)."""
    sid = student["id"]
    return [
        (await client.get(url, params=params, headers=headers)).status_code
        for url, params in (
            (f"{A}/results/students/{sid}/marks", {"semester": "11"}),
            (f"{A}/results/students/{sid}", {}),
            (f"{A}/results/students/{sid}/years/1", {}),
            (f"{A}/attendance/summary", {"student_id": sid, "curriculum_subject_id": line}),
        )
    ]


class TestLinks:
    async def test_link_list_unlink_audited(
        self,
        term: Term,
        admin_token: dict[str, str],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        child = await term.student()
        mother, _ = await signed_in(term.client, admin_token, ["guardian"])
        made = await link(term, child, mother["id"])
        assert (made["student_id"], made["user_id"], made["relation"]) == (
            child["id"],
            mother["id"],
            "mother",
        )
        assert made["username"] == mother["username"]

        listed = await term.client.get(guardians_of(child), headers=term.headers)
        assert listed.status_code == 200 and [g["id"] for g in listed.json()] == [made["id"]]
        again = await term.client.post(
            guardians_of(child), json={"user_id": mother["id"], "relation": "guardian"}, headers=term.headers
        )
        assert again.status_code == 409 and again.json()["field"] in ("student_id", "user_id")

        removed = await term.client.delete(f"{guardians_of(child)}/{made['id']}", headers=term.headers)
        assert removed.status_code == 204
        assert (await term.client.get(guardians_of(child), headers=term.headers)).json() == []
        async with tenant_session(maker, tenants["alpha"]) as session:
            actions = await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.entity == "guardian_link", AuditEvent.entity_id == str(made["id"])
                )
            )
            assert sorted(actions) == ["guardian_link.created", "guardian_link.deleted"]

    async def test_bad_input_is_named_and_nothing_is_written(
        self, term: Term, admin_token: dict[str, str]
    ) -> None:
        child, other = await term.student(), await term.student()
        teacher, _ = await signed_in(term.client, admin_token, ["registrar"])
        not_guardian = await term.client.post(
            guardians_of(child),
            json={"user_id": teacher["id"], "relation": "father"},
            headers=term.headers,
            params={"l": "ru"},
        )
        assert not_guardian.status_code == 422 and not_guardian.json()["field"] == "user_id"
        assert "опекуна" in not_guardian.json()["detail"]
        unknown = await term.client.post(
            guardians_of(child), json={"user_id": 10**12, "relation": "father"}, headers=term.headers
        )
        assert unknown.status_code == 422 and unknown.json()["field"] == "user_id"
        relation = await term.client.post(
            guardians_of(child), json={"user_id": teacher["id"], "relation": "uncle"}, headers=term.headers
        )
        assert relation.status_code == 422 and "relation" in relation.text
        assert (await term.client.get(guardians_of(child), headers=term.headers)).json() == []
        assert (
            await term.client.post(
                f"{A}/students/{10**12}/guardians",
                json={"user_id": teacher["id"], "relation": "other"},
                headers=term.headers,
            )
        ).status_code == 404

        father, _ = await signed_in(term.client, admin_token, ["guardian"])
        made = await link(term, child, father["id"], "father")
        # Another student's path does not reach this link.
        assert (
            await term.client.delete(f"{guardians_of(other)}/{made['id']}", headers=term.headers)
        ).status_code == 404
        assert len((await term.client.get(guardians_of(child), headers=term.headers)).json()) == 1

    async def test_only_the_registrar_office_and_admin_link(
        self, term: Term, admin_token: dict[str, str], token_for: TokenFactory
    ) -> None:
        child = await term.student()
        for role in (Role.DEAN, Role.TEACHER, Role.ACCOUNTANT, Role.STUDENT):
            refused = await term.client.get(guardians_of(child), headers=await token_for("alpha", role))
            assert refused.status_code == 403, role
        assert (await term.client.get(guardians_of(child), headers=admin_token)).status_code == 200


class TestGuardianReads:
    async def test_a_guardian_reads_their_childs_marks_and_attendance_only(
        self, term: Term, admin_token: dict[str, str]
    ) -> None:
        child, stranger = await term.student(), await term.student()
        await term.marks(child, "A", "25", "15", "40")
        await term.marks(stranger, "A", "10", "10", "10")
        await term.absent(child, "A", 2)
        mother, session = await signed_in(term.client, admin_token, ["guardian"])
        line = term.lines["A"]["id"]
        client = term.client

        assert await reads(client, session, child, line) == [403, 403, 403, 403]  # not linked yet
        await link(term, child, mother["id"])
        assert await reads(client, session, child, line) == [200, 200, 200, 200]
        marks = await client.get(
            f"{A}/results/students/{child['id']}/marks", params={"semester": "11"}, headers=session
        )
        assert sorted((m["control_type"], m["points"]) for m in marks.json()) == [
            ("JN", "25.00"), ("ON", "15.00"), ("YN", "40.00"),
        ]  # fmt: skip
        summary = await client.get(
            f"{A}/attendance/summary",
            params={"student_id": child["id"], "curriculum_subject_id": line},
            headers=session,
        )
        assert summary.json()["absent_hours"] == 4

        # Editing the id reaches no other student.
        assert await reads(client, session, stranger, line) == [403, 403, 403, 403]

    async def test_a_guardian_sees_no_list_no_money_and_writes_nothing(
        self, term: Term, admin_token: dict[str, str]
    ) -> None:
        child = await term.student()
        mother, session = await signed_in(term.client, admin_token, ["guardian"])
        await link(term, child, mother["id"])
        client, sid = term.client, child["id"]
        for url, params in (
            (f"{A}/students", {}),
            (f"{A}/students/{sid}", {}),
            (f"{A}/groups", {}),
            (f"{A}/results/rating", {"year": 1}),
            (f"{A}/finance/students/{sid}/balance", {}),
            (f"{A}/finance/contracts", {}),
            (f"{A}/stipends/students/{sid}", {}),
            (f"{A}/grading/sheets/{(await term.sheet('A', 'JN'))['id']}/marks", {}),
            (f"{A}/notifications", {}),
            (guardians_of(child), {}),
        ):
            assert (await client.get(url, params=params, headers=session)).status_code == 403, url
        sheet = await term.sheet("A", "JN")
        wrote = await client.post(
            f"{A}/grading/sheets/{sheet['id']}/marks",
            json={"student_id": sid, "points": "30"},
            headers=session,
        )
        assert wrote.status_code == 403
        absence = await client.post(
            f"{A}/attendance/absences",
            json={
                "student_id": sid, "curriculum_subject_id": term.lines["A"]["id"], "lesson_date": "2026-11-02",
                "lesson_pair": 1, "training_type": "11", "hours": 2,
            },
            headers=session,
        )  # fmt: skip
        assert absence.status_code == 403
        assert (
            await client.post(
                guardians_of(child), json={"user_id": mother["id"], "relation": "other"}, headers=session
            )
        ).status_code == 403

    async def test_unlinking_ends_the_access(self, term: Term, admin_token: dict[str, str]) -> None:
        child = await term.student()
        father, session = await signed_in(term.client, admin_token, ["guardian"])
        made = await link(term, child, father["id"], "father")
        line = term.lines["A"]["id"]
        assert await reads(term.client, session, child, line) == [200, 200, 200, 200]
        await term.client.delete(f"{guardians_of(child)}/{made['id']}", headers=term.headers)
        assert await reads(term.client, session, child, line) == [403, 403, 403, 403]


class TestIsolation:
    async def test_a_link_of_alpha_means_nothing_at_beta(
        self, term: Term, admin_token: dict[str, str], token_for: TokenFactory
    ) -> None:
        child = await term.student()
        mother, session = await signed_in(term.client, admin_token, ["guardian"])
        made = await link(term, child, mother["id"])
        client = term.client
        beta = "/t/beta/api/v1"
        beta_registrar = await token_for("beta", Role.REGISTRAR)

        # The guardian's session is alpha's: nothing at beta, whatever the id.
        got = await client.get(
            f"{beta}/results/students/{child['id']}/marks", params={"semester": "11"}, headers=session
        )
        assert got.status_code == 401
        client.cookies.clear()
        # A beta guardian linked to a beta student with alpha's ids sees nothing of alpha.
        beta_group = await new_group(client, beta_registrar, tenant="beta")
        beta_child = (
            await client.post(f"{beta}/students", json=student_body(beta_group), headers=beta_registrar)
        ).json()
        beta_parent, beta_session = await signed_in(
            client, await token_for("beta", Role.ADMIN), ["guardian"], "beta"
        )
        linked = await client.post(
            guardians_of(beta_child, beta),
            json={"user_id": beta_parent["id"], "relation": "father"},
            headers=beta_registrar,
        )
        assert linked.status_code == 201, linked.text
        assert (
            await client.get(f"{A}/results/students/{child['id']}", headers=beta_session)
        ).status_code == 401
        client.cookies.clear()

        # Beta's registrar neither sees nor removes alpha's link.
        theirs = await client.get(guardians_of(child, beta), headers=beta_registrar)
        assert theirs.status_code == 404 or all(
            g["id"] != made["id"] or g["user_id"] != mother["id"] for g in theirs.json()
        )
        await client.delete(f"{guardians_of(child, beta)}/{made['id']}", headers=beta_registrar)
        mine = await client.get(guardians_of(child), headers=term.headers)
        assert [g["id"] for g in mine.json()] == [made["id"]]
        assert await reads(client, session, child, term.lines["A"]["id"]) == [200, 200, 200, 200]
