"""Stipends through the API: rates, rules, assignments, a month's payroll prepared by one person and
approved by another, frozen once approved, exported, read by a student; errors named and translated;
one university's payrolls invisible to another."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.core.auth import Role
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory
from tests.identity.test_sessions import cookie, login, new_user
from tests.results.conftest import Term

T = "/t/alpha/api/v1"
S = f"{T}/stipends"
# Runs are one per month and an approved month is closed, so each test takes months of its own;
# February to August pay by the autumn semester ("11" for the first-year group of `term`).
_months = (f"{year}-{month:02d}" for year in range(2025, 2100) for month in range(2, 9))


def next_month() -> str:
    return next(_months)


async def prepare(client: httpx.AsyncClient, headers: dict[str, str], month: str) -> dict[str, Any]:
    response = await client.post(f"{S}/runs", json={"month": month}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def lines_of(
    client: httpx.AsyncClient, headers: dict[str, str], run: dict[str, Any], group_id: int
) -> dict[int, Any]:
    response = await client.get(
        f"{S}/runs/{run['id']}/lines", params={"group_id": group_id, "limit": 200}, headers=headers
    )
    assert response.status_code == 200, response.text
    return {line["student_id"]: line for line in response.json()["items"]}


async def cohort(
    term: Term, client: httpx.AsyncClient, accountant: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """First-year students of `term` after the autumn session, one of each kind."""
    grant = {"payment_form": "11"}
    who = {
        "excellent": await term.student(**grant),
        "good": await term.student(**grant),
        "debtor": await term.student(**grant),
        "pending": await term.student(**grant),
        "contract": await term.student(),
        "privileged": await term.student(**grant),
    }
    for key in ("excellent", "contract"):
        await term.marks(who[key], "A", "30", "20", "50")
        await term.marks(who[key], "B", "30", "20", "45")
    for key in ("good", "privileged"):
        await term.marks(who[key], "A", "25", "15", "35")  # 75: grade 4
        await term.marks(who[key], "B", "30", "20", "50")
    await term.marks(who["debtor"], "A", "10", "5", "20")  # 35: a debt
    await term.marks(who["debtor"], "B", "30", "20", "50")
    await term.marks(who["pending"], "A", "30", "20", "50")  # B's final not marked yet
    assigned = await client.post(
        f"{S}/assignments",
        json={
            "student_id": who["privileged"]["id"],
            "rate_code": "13",
            "valid_from": "2025-01-01",
            "reason": "I guruh nogironi (ma'lumotnoma)",
            "order_number": "45-s",
        },
        headers=accountant,
    )
    assert assigned.status_code == 201, assigned.text
    return who


class TestRates:
    async def test_in_force_on_a_day_with_monthly_amounts(
        self, client: httpx.AsyncClient, accountant: dict[str, str]
    ) -> None:
        response = await client.get(f"{S}/rates", params={"on": "2024-01-15"}, headers=accountant)
        assert response.status_code == 200, response.text
        by_code = {r["code"]: r for r in response.json()}
        assert by_code["11"]["monthly_tiyin"] == 38_900_000
        assert by_code["12"]["monthly_tiyin"] == 46_680_000  # +20 % of the base in force then
        assert by_code["13"]["monthly_tiyin"] == 58_350_000
        assert "14" not in by_code  # the presidential amount is in force from September 2024
        later = await client.get(f"{S}/rates", params={"on": "2025-03-01"}, headers=accountant)
        assert {r["code"]: r["monthly_tiyin"] for r in later.json()} == {
            "11": 42_800_000,
            "12": 51_360_000,
            "13": 64_200_000,
            "14": 181_119_100,
            "15": 120_746_100,
        }


class TestPrepare:
    async def test_lines_amounts_and_reasons(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str]
    ) -> None:
        who = await cohort(term, client, accountant)
        run = await prepare(client, accountant, next_month())
        assert run["status"] == "draft" and run["approved_by"] is None
        lines = await lines_of(client, accountant, run, term.group["id"])
        got = {
            key: (lines[s["id"]]["rate_code"], lines[s["id"]]["amount_tiyin"], lines[s["id"]]["reasons"])
            for key, s in who.items()
        }
        assert got == {
            "excellent": ("12", 51_360_000, []),
            "good": ("11", 42_800_000, []),
            "debtor": (None, 0, ["debts", "grade_below_minimum"]),
            "pending": (None, 0, ["results_pending"]),
            "contract": (None, 0, ["not_state_grant"]),
            "privileged": ("13", 64_200_000, []),
        }
        assert lines[who["good"]["id"]]["semester"] == "11" and lines[who["good"]["id"]]["lowest_grade"] == 4
        # The run's totals are its lines' (of the whole university).
        everything = await client.get(
            f"{S}/runs/{run['id']}/lines", params={"paid": True, "limit": 200}, headers=accountant
        )
        assert everything.json()["total"] == run["paid"]

    async def test_preparing_again_recomputes_the_draft(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11")
        await term.marks(student, "A", "30", "20", "50")
        month = next_month()
        first = await prepare(client, accountant, month)
        assert (await lines_of(client, accountant, first, term.group["id"]))[student["id"]]["reasons"] == [
            "results_pending"
        ]
        await term.marks(student, "B", "25", "15", "35")
        again = await prepare(client, second, month)
        assert again["id"] == first["id"] and again["prepared_by"] != first["prepared_by"]
        assert (await lines_of(client, second, again, term.group["id"]))[student["id"]]["rate_code"] == "11"

    async def test_first_years_before_their_first_session_get_the_base(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11")
        run = await prepare(client, accountant, "2030-10")
        line = (await lines_of(client, accountant, run, term.group["id"]))[student["id"]]
        assert (line["semester"], line["rate_code"], line["amount_tiyin"]) == (None, "11", 42_800_000)

    async def test_bad_month_is_422_naming_the_field_in_russian(
        self, client: httpx.AsyncClient, accountant: dict[str, str]
    ) -> None:
        response = await client.post(
            f"{S}/runs", params={"l": "ru-RU"}, json={"month": "2026-13"}, headers=accountant
        )
        assert response.status_code == 422
        assert response.json()["field"] == "month"
        assert "month" in response.json()["detail"] and "Поле" in response.json()["detail"]

    async def test_no_base_rate_in_force(self, client: httpx.AsyncClient, accountant: dict[str, str]) -> None:
        response = await client.post(f"{S}/runs", json={"month": "2020-03"}, headers=accountant)
        assert response.status_code == 409
        assert response.json()["field"] == "month" and "2020-03" in response.json()["detail"]

    async def test_registrar_and_dean_cannot_prepare(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        for role in (Role.REGISTRAR, Role.DEAN, Role.STUDENT):
            response = await client.post(
                f"{S}/runs", json={"month": next_month()}, headers=await token_for("alpha", role)
            )
            assert response.status_code == 403, role


class TestApprove:
    async def test_the_preparer_cannot_approve(
        self, client: httpx.AsyncClient, accountant: dict[str, str]
    ) -> None:
        run = await prepare(client, accountant, next_month())
        response = await client.post(f"{S}/runs/{run['id']}/approve", headers=accountant)
        assert response.status_code == 403
        assert response.json()["code"] == "stipends.same_person"
        assert "boshqa kishi" in response.json()["detail"]  # Uzbek by default

    async def test_a_second_person_approves_and_the_month_closes(
        self, client: httpx.AsyncClient, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        month = next_month()
        run = await prepare(client, accountant, month)
        approved = await client.post(f"{S}/runs/{run['id']}/approve", headers=second)
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["status"] == "approved" and body["approved_by"] not in (None, body["prepared_by"])
        assert (await client.post(f"{S}/runs/{run['id']}/approve", headers=accountant)).status_code == 409
        again = await client.post(f"{S}/runs", params={"l": "en-US"}, json={"month": month}, headers=second)
        assert again.status_code == 409
        assert again.json()["code"] == "stipends.month_approved" and again.json()["field"] == "month"
        history = await client.get(f"{S}/runs", params={"status": "approved", "limit": 200}, headers=second)
        assert run["id"] in {r["id"] for r in history.json()["items"]}

    async def test_commands_are_audited(
        self,
        client: httpx.AsyncClient,
        accountant: dict[str, str],
        second: dict[str, str],
        app_db: AsyncEngine,
        settings: Settings,
    ) -> None:
        run = await prepare(client, accountant, next_month())
        await client.post(f"{S}/runs/{run['id']}/approve", headers=second)
        rows = await run_as_tenant(
            app_db,
            settings.tenancy.role_prefix,
            "alpha",
            f"SELECT action, actor FROM audit_event WHERE entity = 'stipend_run' AND entity_id = '{run['id']}' ORDER BY id",
        )
        assert [r[0] for r in rows] == ["stipend_run.prepared", "stipend_run.approved"]
        assert rows[0][1] != rows[1][1]

    async def test_an_approved_run_is_frozen_in_the_database(
        self,
        client: httpx.AsyncClient,
        accountant: dict[str, str],
        second: dict[str, str],
        app_db: AsyncEngine,
        settings: Settings,
    ) -> None:
        run = await prepare(client, accountant, next_month())
        await client.post(f"{S}/runs/{run['id']}/approve", headers=second)
        for sql in (
            f"UPDATE stipend_line SET amount_tiyin = amount_tiyin + 1 WHERE run_id = {run['id']}",
            f"DELETE FROM stipend_line WHERE run_id = {run['id']}",
            f"UPDATE stipend_run SET total_tiyin = 0 WHERE id = {run['id']}",
            f"DELETE FROM stipend_run WHERE id = {run['id']}",
        ):
            with pytest.raises(DBAPIError, match="approved stipend run"):
                await run_as_tenant(app_db, settings.tenancy.role_prefix, "alpha", sql)


class TestExport:
    async def test_csv_and_xlsx_of_an_approved_run(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str], second: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11", last_name="Eksportova")
        await term.marks(student, "A", "30", "20", "50")
        await term.marks(student, "B", "30", "20", "50")
        run = await prepare(client, accountant, next_month())
        draft = await client.get(f"{S}/runs/{run['id']}/export", headers=accountant)
        assert draft.status_code == 409 and draft.json()["code"] == "stipends.not_approved"
        await client.post(f"{S}/runs/{run['id']}/approve", headers=second)

        csv_file = await client.get(
            f"{S}/runs/{run['id']}/export", params={"format": "csv"}, headers=accountant
        )
        assert csv_file.status_code == 200, csv_file.text
        assert csv_file.headers["content-type"].startswith("text/csv")
        text = csv_file.content.decode("utf-8-sig")
        row = next(line for line in text.splitlines() if student["student_id_number"] in line)
        assert "Eksportova" in row and row.endswith(",12,513600.00,51360000")
        total = text.splitlines()[-1].split(",")
        assert total[-3:] == [
            "Jami",
            f"{run['total_tiyin'] // 100}.{run['total_tiyin'] % 100:02d}",
            str(run["total_tiyin"]),
        ]

        xlsx = await client.get(f"{S}/runs/{run['id']}/export", params={"format": "xlsx"}, headers=accountant)
        assert xlsx.status_code == 200
        assert 'filename="stipendiya-' in xlsx.headers["content-disposition"]
        sheet = zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
        assert "<v>513600.00</v>" in sheet and "<v>51360000</v>" in sheet  # exact digits, no float

    async def test_unknown_format_is_422_naming_it(
        self, client: httpx.AsyncClient, accountant: dict[str, str]
    ) -> None:
        response = await client.get(f"{S}/runs/1/export", params={"format": "pdf"}, headers=accountant)
        assert response.status_code == 422 and response.json()["field"] == "format"


class TestAssignmentsAndRules:
    async def test_automatic_types_are_not_assigned(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11")
        body = {
            "student_id": student["id"],
            "rate_code": "12",
            "valid_from": "2025-09-01",
            "reason": "a'lochi",
        }
        response = await client.post(f"{S}/assignments", json=body, headers=accountant)
        assert response.status_code == 422 and response.json()["field"] == "rate_code"
        backwards = body | {"rate_code": "14", "valid_to": "2025-08-31"}
        response = await client.post(f"{S}/assignments", json=backwards, headers=accountant)
        assert response.status_code == 422 and response.json()["field"] == "valid_to"
        response = await client.post(
            f"{S}/assignments", json=body | {"rate_code": "14", "student_id": 10**12}, headers=accountant
        )
        assert response.status_code == 404 and response.json()["field"] == "student_id"
        response = await client.post(f"{S}/assignments", json=body | {"rate_code": "16"}, headers=accountant)
        assert response.status_code == 422 and response.json()["field"] == "rate_code"

    async def test_an_ended_assignment_is_not_paid(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str]
    ) -> None:
        student = await term.student(payment_form="11")
        body = {
            "student_id": student["id"],
            "rate_code": "14",
            # Before the first month next_month() gives (2025-02): it ends the December before.
            "valid_from": "2024-01-01",
            "reason": "PF-1 farmoni",
        }
        created = (await client.post(f"{S}/assignments", json=body, headers=accountant)).json()
        month = next_month()
        ended = await client.patch(
            f"{S}/assignments/{created['id']}",
            json={"valid_to": f"{int(month[:4]) - 1}-12-31", "reason": "bekor qilindi"},
            headers=accountant,
        )
        assert ended.status_code == 200, ended.text
        run = await prepare(client, accountant, month)
        assert (await lines_of(client, accountant, run, term.group["id"]))[student["id"]]["rate_code"] is None

    async def test_a_university_rule_changes_the_next_payroll(
        self, client: httpx.AsyncClient, term: Term, accountant: dict[str, str]
    ) -> None:
        rules = {r["rate_code"]: r for r in (await client.get(f"{S}/rules", headers=accountant)).json()}
        assert rules["12"] == {
            "rate_code": "12", "enabled": True, "by_assignment": False, "state_grant_only": True,
            "min_grade": 5, "first_semester": False, "default": True,
        }  # fmt: skip
        student = await term.student(payment_form="11")
        await term.marks(student, "A", "30", "20", "50")
        await term.marks(student, "B", "30", "20", "50")
        off = {k: v for k, v in rules["12"].items() if k not in ("rate_code", "default")} | {"enabled": False}
        try:
            changed = await client.put(f"{S}/rules/12", json=off, headers=accountant)
            assert changed.status_code == 200 and changed.json()["default"] is False
            run = await prepare(client, accountant, next_month())
            assert (await lines_of(client, accountant, run, term.group["id"]))[student["id"]][
                "rate_code"
            ] == "11"
        finally:  # the rule is the university's: put it back for the other tests
            await client.put(f"{S}/rules/12", json=off | {"enabled": True}, headers=accountant)
        bad = await client.put(f"{S}/rules/12", json=off | {"min_grade": 6}, headers=accountant)
        assert bad.status_code == 422 and bad.json()["field"] == "min_grade"


class TestStudentHistory:
    async def test_a_student_reads_only_their_own(
        self,
        client: httpx.AsyncClient,
        term: Term,
        accountant: dict[str, str],
        second: dict[str, str],
        token_for: TokenFactory,
    ) -> None:
        pupil, other = await term.student(payment_form="11"), await term.student(payment_form="11")
        for student in (pupil, other):
            await term.marks(student, "A", "25", "15", "35")
            await term.marks(student, "B", "30", "20", "50")
        draft = await prepare(client, accountant, next_month())
        run = await prepare(client, accountant, next_month())
        await client.post(f"{S}/runs/{run['id']}/approve", headers=second)
        admin = await token_for("alpha", Role.ADMIN)
        account = await new_user(client, admin, roles=["student"], student_id=pupil["id"])
        session = cookie(await login(client, account["username"]))
        own = await client.get(f"{S}/students/{pupil['id']}", headers=session)
        assert own.status_code == 200, own.text
        assert [(r["run_id"], r["rate_code"], r["amount_tiyin"]) for r in own.json()] == [
            (run["id"], "11", 42_800_000)
        ]
        assert draft["id"] not in {r["run_id"] for r in own.json()}  # drafts are not history
        assert (await client.get(f"{S}/students/{other['id']}", headers=session)).status_code == 403
        assert (await client.get(f"{S}/runs", headers=session)).status_code == 403


class TestIsolation:
    async def test_another_university_cannot_see_or_approve_a_run(
        self, client: httpx.AsyncClient, accountant: dict[str, str], token_for: TokenFactory
    ) -> None:
        run = await prepare(client, accountant, next_month())
        beta = await token_for("beta", Role.ACCOUNTANT, Role.ADMIN)
        theirs = f"/t/beta/api/v1/stipends/runs/{run['id']}"
        for method, path in (("GET", ""), ("GET", "/lines"), ("POST", "/approve"), ("GET", "/export")):
            response = await client.request(method, theirs + path, headers=beta)
            assert response.status_code == 404, (method, path, response.text)
        listed = await client.get("/t/beta/api/v1/stipends/runs", params={"limit": 200}, headers=beta)
        assert run["month"] not in {r["month"] for r in listed.json()["items"]}
        # alpha's token is worth nothing at beta, and the run is still a draft at alpha.
        assert (await client.get(theirs, headers=accountant)).status_code == 401
        assert (await client.get(f"{S}/runs/{run['id']}", headers=accountant)).json()["status"] == "draft"
