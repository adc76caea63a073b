"""Correction runs of an approved month: the students whose stipend changed since (a retake
passed, an assignment ended back in time) with the difference to pay or recover, through the
same draft → second-person approval → export; approved runs stay frozen and the history keeps
every run; a status change or a course move after the month changes nothing; isolated per
university."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.core.auth import Role
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory
from tests.results.conftest import Term
from tests.stipends.test_payroll import S, T, lines_of, next_month, prepare

BASE, PRIVILEGED = 42_800_000, 64_200_000  # monthly tiyin of types 11 and 13 in the test months


async def approve(client: httpx.AsyncClient, headers: dict[str, str], run: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{S}/runs/{run['id']}/approve", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def correct(
    client: httpx.AsyncClient, headers: dict[str, str], month: str, **params: str
) -> httpx.Response:
    return await client.post(f"{S}/corrections", params=params, json={"month": month}, headers=headers)


async def approved_month(
    client: httpx.AsyncClient, accountant: dict[str, str], second: dict[str, str], month: str | None = None
) -> tuple[str, dict[str, Any]]:
    month = month or next_month()
    return month, await approve(client, second, await prepare(client, accountant, month))


class TestCorrection:
    async def test_a_retake_passed_after_approval_is_paid_by_a_correction(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        late = await term.student(payment_form="11")
        await term.marks(late, "A", "30", "20", "50")  # B's final not marked yet: nothing paid
        month, regular = await approved_month(client, accountant, second)
        await term.marks(late, "B", "25", "15", "35")
        response = await correct(client, accountant, month)
        assert response.status_code == 201, response.text
        run = response.json()
        assert (run["kind"], run["sequence"], run["status"]) == ("correction", 1, "draft")
        assert (run["students"], run["paid"], run["total_tiyin"]) == (1, 1, BASE)
        lines = await lines_of(client, accountant, run, term.group["id"])
        assert list(lines) == [late["id"]]
        line = lines[late["id"]]
        assert (line["rate_code"], line["amount_tiyin"], line["previous_tiyin"]) == ("11", BASE, 0)
        assert line["semester"] == "11" and line["reasons"] == []
        refused = await client.post(f"{S}/runs/{run['id']}/approve", headers=accountant)
        assert refused.status_code == 403 and refused.json()["code"] == "stipends.same_person"
        assert (await approve(client, second, run))["status"] == "approved"
        # The regular run is as it was, and the month stays closed to it.
        again = await client.get(f"{S}/runs/{regular['id']}", headers=accountant)
        assert again.json() == regular
        assert (await client.post(f"{S}/runs", json={"month": month}, headers=accountant)).status_code == 409
        listed = await client.get(f"{S}/runs", params={"kind": "correction", "limit": 200}, headers=second)
        assert run["id"] in {r["id"] for r in listed.json()["items"]}
        history = await client.get(f"{S}/students/{late['id']}", headers=accountant)
        assert [(r["run_id"], r["kind"], r["rate_code"], r["amount_tiyin"]) for r in history.json()] == [
            (run["id"], "correction", "11", BASE),
            (regular["id"], "regular", None, 0),
        ]
        exported = await client.get(f"{S}/runs/{run['id']}/export", headers=accountant)
        assert exported.status_code == 200, exported.text
        assert f'stipendiya-{month}-tuzatish-1.csv"' in exported.headers["content-disposition"]
        rows = exported.content.decode("utf-8-sig").splitlines()
        assert next(r for r in rows if late["student_id_number"] in r).endswith(",11,428000.00,42800000")
        assert rows[-1].endswith("Jami,428000.00,42800000")

    async def test_an_assignment_ended_back_in_time_is_recovered(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11")
        await term.marks(student, "A", "25", "15", "35")  # grade 4: the base one without the assignment
        await term.marks(student, "B", "30", "20", "50")
        assigned = await client.post(
            f"{S}/assignments",
            json={
                "student_id": student["id"],
                "rate_code": "13",
                "valid_from": "2025-01-01",
                "reason": "Nogironlik ma'lumotnomasi",
            },
            headers=accountant,
        )
        assert assigned.status_code == 201, assigned.text
        month, _ = await approved_month(client, accountant, second)
        ended = await client.patch(
            f"{S}/assignments/{assigned.json()['id']}",
            json={
                "valid_to": str(date.fromisoformat(f"{month}-01") - timedelta(days=1)),
                "reason": "Soxta hujjat",
            },
            headers=accountant,
        )
        assert ended.status_code == 200, ended.text
        run = (await correct(client, accountant, month)).json()
        line = (await lines_of(client, accountant, run, term.group["id"]))[student["id"]]
        assert (line["rate_code"], line["previous_tiyin"]) == ("11", PRIVILEGED)
        assert line["amount_tiyin"] == BASE - PRIVILEGED == -21_400_000  # to recover
        assert (run["paid"], run["total_tiyin"]) == (0, -21_400_000)
        await approve(client, second, run)
        rows = (await client.get(f"{S}/runs/{run['id']}/export", headers=accountant)).content
        assert ",11,-214000.00,-21400000" in rows.decode("utf-8-sig")

    async def test_a_second_correction_counts_the_first(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11")
        await term.marks(student, "A", "30", "20", "50")
        month, _ = await approved_month(client, accountant, second)
        await term.marks(student, "B", "25", "15", "35")
        draft = (await correct(client, accountant, month)).json()
        again = await correct(client, second, month)  # a draft is recomputed, not doubled
        assert again.status_code == 201 and again.json()["id"] == draft["id"]
        first = await approve(client, accountant, again.json())
        assigned = await client.post(
            f"{S}/assignments",
            json={
                "student_id": student["id"],
                "rate_code": "13",
                "valid_from": "2025-01-01",
                "reason": "Yetim",
            },
            headers=accountant,
        )
        assert assigned.status_code == 201, assigned.text
        later = (await correct(client, accountant, month)).json()
        assert (later["sequence"], later["id"] != first["id"]) == (2, True)
        line = (await lines_of(client, accountant, later, term.group["id"]))[student["id"]]
        assert (line["rate_code"], line["amount_tiyin"], line["previous_tiyin"]) == (
            "13",
            PRIVILEGED - BASE,
            BASE,
        )

    async def test_nothing_changed_is_an_empty_correction(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11")
        await term.marks(student, "A", "25", "15", "35")
        await term.marks(student, "B", "30", "20", "50")
        month, _ = await approved_month(client, accountant, second)
        run = (await correct(client, accountant, month)).json()
        assert (run["students"], run["paid"], run["total_tiyin"]) == (0, 0, 0)

    async def test_a_status_change_or_course_move_after_the_month_changes_nothing(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        """Recorded after the month's end, an expulsion is not the month's; and a group that moved
        up a course since is decided by the session its lines were (else its first-years, paid
        before any session, would be asked for the results of one). A month already past, and
        used by no other test (the others take February to August)."""
        leaver, stayer = await term.student(payment_form="11"), await term.student(payment_form="11")
        month, regular = await approved_month(client, accountant, second, "2026-10")
        lines = await lines_of(client, accountant, regular, term.group["id"])
        assert {(lines[s["id"]]["rate_code"], lines[s["id"]]["semester"]) for s in (leaver, stayer)} == {
            ("11", None)
        }
        expelled = await client.post(
            f"{T}/students/{leaver['id']}/status",
            json={"status": "12", "reason": "O'z xohishi bilan"},
            headers=term.headers,
        )
        assert expelled.status_code == 201, expelled.text
        moved = await client.patch(
            f"{T}/groups/{term.group['id']}", json={"course": "12"}, headers=term.headers
        )
        assert moved.status_code == 200, moved.text
        run = (await correct(client, accountant, month)).json()
        assert await lines_of(client, accountant, run, term.group["id"]) == {}

    async def test_an_unapproved_month_has_no_correction(
        self, client: httpx.AsyncClient, accountant: dict[str, str]
    ) -> None:
        never = await correct(client, accountant, next_month(), l="ru-RU")
        assert never.status_code == 409 and never.json()["code"] == "stipends.month_not_approved"
        assert never.json()["field"] == "month" and "утверждённой" in never.json()["detail"]
        month = next_month()
        await prepare(client, accountant, month)
        draft_only = await correct(client, accountant, month)
        assert draft_only.status_code == 409 and draft_only.json()["field"] == "month"
        bad = await correct(client, accountant, "2026-13")
        assert bad.status_code == 422 and bad.json()["field"] == "month"

    async def test_only_accounting_prepares_corrections(
        self,
        client: httpx.AsyncClient,
        accountant: dict[str, str],
        second: dict[str, str],
        token_for: TokenFactory,
    ) -> None:
        month, _ = await approved_month(client, accountant, second)
        for role in (Role.REGISTRAR, Role.DEAN, Role.STUDENT):
            response = await correct(client, await token_for("alpha", role), month)
            assert response.status_code == 403, role

    async def test_an_approved_correction_is_frozen_and_audited(
        self,
        client: httpx.AsyncClient,
        term: Term,
        accountant: dict[str, str],
        second: dict[str, str],
        app_db: AsyncEngine,
        settings: Settings,
    ) -> None:
        student = await term.student(payment_form="11")
        await term.marks(student, "A", "30", "20", "50")
        month, _ = await approved_month(client, accountant, second)
        await term.marks(student, "B", "25", "15", "35")
        run = await approve(client, second, (await correct(client, accountant, month)).json())
        for sql in (
            f"UPDATE stipend_line SET amount_tiyin = 0 WHERE run_id = {run['id']}",
            f"DELETE FROM stipend_run WHERE id = {run['id']}",
            (
                "INSERT INTO stipend_line (run_id, student_id, group_id, amount_tiyin, reasons, previous_tiyin) "
                f"VALUES ({run['id']}, {student['id']}, {term.group['id']}, 1, '{{}}', 0)"
            ),
        ):
            with pytest.raises(DBAPIError, match="approved stipend run"):
                await run_as_tenant(app_db, settings.tenancy.role_prefix, "alpha", sql)
        rows = await run_as_tenant(
            app_db,
            settings.tenancy.role_prefix,
            "alpha",
            "SELECT action, data->>'kind' FROM audit_event "
            f"WHERE entity = 'stipend_run' AND entity_id = '{run['id']}' ORDER BY id",
        )
        assert [tuple(r) for r in rows] == [
            ("stipend_run.prepared", "correction"),
            ("stipend_run.approved", "correction"),
        ]


class TestIsolation:
    async def test_another_university_cannot_see_approve_or_correct_it(
        self,
        client: httpx.AsyncClient,
        term: Term,
        accountant: dict[str, str],
        second: dict[str, str],
        token_for: TokenFactory,
    ) -> None:
        student = await term.student(payment_form="11")
        await term.marks(student, "A", "30", "20", "50")
        month, _ = await approved_month(client, accountant, second)
        await term.marks(student, "B", "25", "15", "35")
        run = (await correct(client, accountant, month)).json()
        beta = await token_for("beta", Role.ACCOUNTANT, Role.ADMIN)
        theirs = f"/t/beta/api/v1/stipends/runs/{run['id']}"
        for method, path in (("GET", ""), ("GET", "/lines"), ("POST", "/approve"), ("GET", "/export")):
            response = await client.request(method, theirs + path, headers=beta)
            assert response.status_code == 404, (method, path, response.text)
        there = await client.post("/t/beta/api/v1/stipends/corrections", json={"month": month}, headers=beta)
        assert there.status_code == 409 and there.json()["code"] == "stipends.month_not_approved"
        listed = await client.get("/t/beta/api/v1/stipends/runs", params={"limit": 200}, headers=beta)
        assert run["month"] not in {r["month"] for r in listed.json()["items"]}
        mine = (await client.get(f"{S}/runs/{run['id']}", headers=accountant)).json()
        assert (mine["status"], mine["students"], mine["total_tiyin"]) == ("draft", 1, BASE)
