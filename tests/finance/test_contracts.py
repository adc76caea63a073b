"""Contracts over HTTP: made from the fee that fits the student, with discount, schedule and the
carried-over debt; money only through the ledger (balances are its sums, entries insert-only);
payments idempotent per provider id; a student sees only their own; the debtors report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.audit import AuditEvent
from hemis.finance.models import LedgerEntry
from hemis.rollups import figures
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.finance.conftest import FEE, YEAR, F, Setup
from tests.finance.test_fees import QUARTERS
from tests.identity.test_sessions import cookie, login, new_user


async def plan(fin: Setup, parts: list[dict[str, Any]] = QUARTERS) -> dict[str, Any]:
    response = await fin.client.post(
        f"{F}/instalment-plans",
        json={"code": f"P{uuid.uuid4().hex[:8]}", "name": "Choraklar", "parts": parts},
        headers=fin.accountant,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def discount(fin: Setup, **body: Any) -> dict[str, Any]:
    full = {"code": f"D{uuid.uuid4().hex[:8]}", "reason": "Chin yetim"} | body
    response = await fin.client.post(f"{F}/discounts", json=full, headers=fin.accountant)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def ledger(fin: Setup, contract_id: int) -> list[dict[str, Any]]:
    response = await fin.client.get(f"{F}/contracts/{contract_id}/ledger", headers=fin.accountant)
    assert response.status_code == 200, response.text
    return list(response.json())


async def pay(fin: Setup, contract_id: int, amount: int, **body: Any) -> httpx.Response:
    return await fin.client.post(
        f"{F}/contracts/{contract_id}/payments", json={"amount": amount} | body, headers=fin.accountant
    )


class TestGenerate:
    async def test_fixed_fee_with_plan_and_discount(self, fin: Setup) -> None:
        await fin.fee(instalment_plan_id=(await plan(fin))["id"])
        half = await discount(fin, kind="percent", percent="50")
        student = await fin.student()
        contract = await fin.contract(student["id"], discount_id=half["id"])
        assert contract["number"].startswith(f"{YEAR}-") and contract["amount"] == FEE
        assert contract["balance"] == FEE // 2
        assert [(i["due_on"], i["amount"]) for i in contract["instalments"]] == [
            ("2025-10-01", 150_000_000),
            ("2025-12-01", 150_000_000),
            ("2026-03-01", 150_000_000),
            ("2026-05-01", 150_000_000),
        ]
        entries = await ledger(fin, contract["id"])
        assert [(e["kind"], e["amount"]) for e in entries] == [("charge", FEE), ("discount", -FEE // 2)]
        assert entries[1]["note"] == "Chin yetim" and entries[1]["discount_id"] == half["id"]

    async def test_bhm_in_force_on_the_signing_day(self, fin: Setup) -> None:
        await fin.fee(amount=None, bhm_coefficient="30.5")
        before, after = await fin.student(), await fin.student()
        old = await fin.contract(before["id"], signed_on="2025-07-31", academic_year=YEAR)
        new = await fin.contract(after["id"], signed_on="2025-08-01", academic_year=YEAR)
        assert (old["base_amount"], old["amount"]) == (37_500_000, 1_143_750_000)
        assert (new["base_amount"], new["amount"]) == (41_200_000, 1_256_600_000)

    async def test_no_bhm_before_the_first_value(self, fin: Setup) -> None:
        await fin.fee(amount=None, bhm_coefficient="30")
        student = await fin.student()
        response = await fin.client.post(
            f"{F}/contracts",
            json={"student_id": student["id"], "academic_year": YEAR, "signed_on": "2020-01-10"},
            headers=fin.accountant,
        )
        assert response.status_code == 422 and response.json()["field"] == "signed_on"

    @pytest.mark.parametrize(
        ("language", "words"),
        [
            ("uz-UZ", "to'lov miqdori belgilanmagan"),
            ("ru-RU", "Не установлена стоимость"),
            ("en-US", "No fee is set"),
        ],
    )
    async def test_no_fee_structure_named_in_language(self, fin: Setup, language: str, words: str) -> None:
        student = await fin.student()
        response = await fin.client.post(
            f"{F}/contracts",
            params={"l": language},
            json={"student_id": student["id"], "academic_year": YEAR, "contract_type": "foreign"},
            headers=fin.accountant,
        )
        body = response.json()
        assert response.status_code == 422 and body["field"] == "contract_type", response.text
        assert words in body["detail"] and "foreign" in body["detail"]

    async def test_one_active_contract_a_year(self, fin: Setup) -> None:
        await fin.fee()
        student = await fin.student()
        await fin.contract(student["id"])
        again = await fin.client.post(
            f"{F}/contracts",
            json={"student_id": student["id"], "academic_year": YEAR},
            headers=fin.accountant,
        )
        assert again.status_code == 409 and again.json()["field"] == "student_id"

    async def test_only_studying_students(self, fin: Setup) -> None:
        await fin.fee()
        student = await fin.student()
        left = await fin.client.post(
            f"/t/alpha/api/v1/students/{student['id']}/status",
            json={"status": "12", "reason": "O'z xohishi bilan"},
            headers=fin.registrar,
        )
        assert left.status_code == 201, left.text
        response = await fin.client.post(
            f"{F}/contracts",
            json={"student_id": student["id"], "academic_year": YEAR},
            headers=fin.accountant,
        )
        assert response.status_code == 409 and response.json()["field"] == "student_id"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"student_id": 0}, "student_id"),
            ({"student_id": 10**12}, "student_id"),
            ({"academic_year": 1990}, "academic_year"),
            ({"contract_type": "vip"}, "contract_type"),
            ({"signed_on": "2025-02-30"}, "signed_on"),
            ({"signed_on": "9999-12-31"}, "signed_on"),  # far from its academic year (review finding)
            ({"signed_on": "2025-05-31"}, "signed_on"),  # before the summer that opens 2025/26
            ({"discount_id": 10**12}, "discount_id"),
            ({"amount": 5}, "amount"),  # the amount comes from the fee structure, never from the caller
        ],
    )
    async def test_bad_requests_name_the_field(self, fin: Setup, body: dict[str, Any], field: str) -> None:
        await fin.fee()
        student = await fin.student()
        full = {"student_id": student["id"], "academic_year": YEAR} | body
        response = await fin.client.post(f"{F}/contracts", json=full, headers=fin.accountant)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field

    async def test_contract_and_entries_are_audited(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        async with tenant_session(maker, tenants["alpha"]) as session:
            actions = list(
                await session.scalars(
                    select(AuditEvent.action).where(
                        AuditEvent.entity == "contract", AuditEvent.entity_id == str(contract["id"])
                    )
                )
            )
        assert sorted(actions) == ["contract.created", "ledger_entry.charge"]


class TestBulk:
    async def test_group_gets_contracts_for_fee_payers_only(self, fin: Setup) -> None:
        await fin.fee()
        payers = [await fin.student() for _ in range(3)]
        await fin.student(payment_form="11")  # a state-grant student gets no fee contract
        done = await fin.contract(payers[0]["id"])  # already has one
        response = await fin.client.post(
            f"{F}/contracts/bulk",
            json={"group_id": fin.group["id"], "academic_year": YEAR},
            headers=fin.accountant,
        )
        assert response.status_code == 201, response.text
        made = response.json()["created"]
        assert sorted(c["student_id"] for c in made) == sorted(p["id"] for p in payers[1:])
        assert response.json()["remaining"] == 0
        seqs = sorted(int(c["number"].split("-")[1]) for c in [done, *made])
        assert seqs == list(range(seqs[0], seqs[0] + 3))  # consecutive

    async def test_a_bulk_past_its_limit_says_how_many_remain(
        self, fin: Setup, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("hemis.finance.service.MAX_BULK", 2)
        await fin.fee()
        for _ in range(3):
            await fin.student()
        body = {"group_id": fin.group["id"], "academic_year": YEAR}
        first = (await fin.client.post(f"{F}/contracts/bulk", json=body, headers=fin.accountant)).json()
        assert (len(first["created"]), first["remaining"]) == (2, 1)
        rest = (await fin.client.post(f"{F}/contracts/bulk", json=body, headers=fin.accountant)).json()
        assert (len(rest["created"]), rest["remaining"]) == (1, 0)

    async def test_students_without_a_fee_are_listed_not_failed(self, fin: Setup) -> None:
        await fin.fee()  # first year only
        second = await fin.group_of(course="12")
        student = await fin.student(second)
        ok = await fin.student()
        response = await fin.client.post(
            f"{F}/contracts/bulk",
            json={"specialty_id": fin.specialty["id"], "academic_year": YEAR},
            headers=fin.accountant,
        )
        body = response.json()
        assert [c["student_id"] for c in body["created"]] == [ok["id"]]
        assert body["skipped"] == [
            {"student_id": student["id"], "code": "finance.no_fee_structure", "field": "contract_type"}
        ]

    async def test_exactly_one_target(self, fin: Setup) -> None:
        response = await fin.client.post(f"{F}/contracts/bulk", json={}, headers=fin.accountant)
        assert response.status_code == 422 and response.json()["field"] == "group_id"


class TestLedger:
    async def test_payments_refunds_and_balance(self, fin: Setup) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        first = await pay(
            fin, contract["id"], 500_000_000, provider="bank", external_id="PP-1", booked_on="2025-09-20"
        )
        assert first.status_code == 201, first.text
        again = await pay(fin, contract["id"], 500_000_000, provider="bank", external_id="PP-1")
        assert again.json()["id"] == first.json()["id"]  # a repeated notice is one payment
        other = await pay(fin, contract["id"], 1, provider="bank", external_id="PP-1")
        assert other.status_code == 409 and other.json()["field"] == "external_id"
        assert (await pay(fin, contract["id"], 800_000_000)).status_code == 201  # manual, overpays
        got = (await fin.client.get(f"{F}/contracts/{contract['id']}", headers=fin.accountant)).json()
        assert got["balance"] == FEE - 1_300_000_000 == -100_000_000
        too_much = await fin.client.post(
            f"{F}/contracts/{contract['id']}/refunds",
            json={"amount": 100_000_001, "note": "Ortiqcha to'lov"},
            headers=fin.accountant,
        )
        assert too_much.status_code == 409 and too_much.json()["field"] == "amount"
        refund = await fin.client.post(
            f"{F}/contracts/{contract['id']}/refunds",
            json={"amount": 100_000_000, "note": "Ortiqcha to'lov"},
            headers=fin.accountant,
        )
        assert refund.status_code == 201, refund.text
        entries = await ledger(fin, contract["id"])
        assert sum(e["amount"] for e in entries) == 0
        assert [e["kind"] for e in entries] == ["charge", "payment", "payment", "refund"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"amount": 0}, "amount"),
            ({"amount": -100}, "amount"),
            ({"amount": 10.5}, "amount"),
            ({"amount": 100, "provider": "payme"}, "external_id"),  # a provider's payment needs its id
            ({"amount": 100, "provider": "Pay Me", "external_id": "1"}, "provider"),
            ({"amount": 100, "provider": "bank", "external_id": "a b"}, "external_id"),
        ],
    )
    async def test_bad_payments(self, fin: Setup, body: dict[str, Any], field: str) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        response = await fin.client.post(
            f"{F}/contracts/{contract['id']}/payments", json=body, headers=fin.accountant
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field

    async def test_only_electronic_payments_count_as_paid_online_nationally(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        """The ministry's e-payment share: Payme and Stripe (and hand-recorded payments of the
        national payment systems) are electronic; a bank order or the cash desk is not, though
        an accountant records each with its number."""

        async def figures_of_year() -> dict[str, int]:
            async with tenant_session(maker, tenants["alpha"]) as session:
                columns = await figures.fetch(session, "finance", date.today())
            rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
            row = next((r for r in rows if r["academic_year"] == YEAR), {})
            return {k: int(row.get(k, 0)) for k in ("paid", "paid_online", "payments", "payments_online")}

        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        before = await figures_of_year()
        tag = uuid.uuid4().hex[:8]
        for amount, provider in ((100, "bank"), (200, "payme"), (300, "cash"), (400, "click")):
            paid = await pay(fin, contract["id"], amount, provider=provider, external_id=f"{provider}-{tag}")
            assert paid.status_code == 201, paid.text
        assert (await pay(fin, contract["id"], 500)).status_code == 201  # manual, no id
        after = await figures_of_year()
        assert {k: after[k] - before[k] for k in after} == {
            "paid": 1500,
            "paid_online": 600,
            "payments": 5,
            "payments_online": 2,
        }

    async def test_discount_later_once(self, fin: Setup) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        sponsor = await discount(fin, kind="sum", amount=200_000_000, reason="Homiy tashkilot")
        url = f"{F}/contracts/{contract['id']}/discounts"
        first = await fin.client.post(url, json={"discount_id": sponsor["id"]}, headers=fin.accountant)
        assert first.status_code == 201 and first.json()["amount"] == -200_000_000
        second = await fin.client.post(url, json={"discount_id": sponsor["id"]}, headers=fin.accountant)
        assert second.status_code == 409 and second.json()["field"] == "discount_id"

    async def test_stacked_discounts_stop_at_the_charge(self, fin: Setup) -> None:
        """Each discount alone fits the charge; together they must not pass it, or a credit
        nobody paid in could be refunded as cash (review finding)."""
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        url = f"{F}/contracts/{contract['id']}/discounts"
        for reason in ("Yetim talaba", "Nogironligi bor"):
            sixty = await discount(fin, kind="percent", percent="60", reason=reason)
            given = await fin.client.post(url, json={"discount_id": sixty["id"]}, headers=fin.accountant)
            assert given.status_code == 201, given.text
        sponsor = await discount(fin, kind="sum", amount=FEE, reason="Homiy tashkilot")
        refused = await fin.client.post(url, json={"discount_id": sponsor["id"]}, headers=fin.accountant)
        assert refused.status_code == 409 and refused.json()["field"] == "discount_id"
        got = (await fin.client.get(f"{F}/contracts/{contract['id']}", headers=fin.accountant)).json()
        assert got["balance"] == 0  # 60 % and then the 40 % that was left, never below zero
        nothing = await fin.client.post(
            f"{F}/contracts/{contract['id']}/refunds",
            json={"amount": 1, "note": "Ortiqcha"},
            headers=fin.accountant,
        )
        assert nothing.status_code == 409

    async def test_a_later_discount_comes_off_the_last_instalments(self, fin: Setup) -> None:
        """The schedule keeps adding up to charge less discounts (review finding: it did not, and
        the debtors report then counted a paid-nothing student as not overdue)."""
        quarterly = await plan(fin)
        await fin.fee(instalment_plan_id=quarterly["id"])
        contract = await fin.contract((await fin.student())["id"])
        half = await discount(fin, kind="percent", percent="50", reason="Homiy tashkilot")
        url = f"{F}/contracts/{contract['id']}/discounts"
        assert (
            await fin.client.post(url, json={"discount_id": half["id"]}, headers=fin.accountant)
        ).status_code == 201
        got = (await fin.client.get(f"{F}/contracts/{contract['id']}", headers=fin.accountant)).json()
        amounts = [i["amount"] for i in got["instalments"]]
        assert sum(amounts) == got["balance"] == FEE // 2
        assert amounts == [FEE // 4, FEE // 4, 0, 0]  # the first ones keep their amount and dates

    async def test_a_refund_replayed_is_the_same_refund(self, fin: Setup) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        await pay(fin, contract["id"], FEE + 50_000_000)
        body = {"amount": 50_000_000, "note": "Ortiqcha", "provider": "bank", "external_id": "RF-1"}
        url = f"{F}/contracts/{contract['id']}/refunds"
        first = await fin.client.post(url, json=body, headers=fin.accountant)
        again = await fin.client.post(url, json=body, headers=fin.accountant)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json()["id"] == first.json()["id"]

    async def test_entries_cannot_be_changed_or_removed(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        async with tenant_session(maker, tenants["alpha"]) as session:
            with pytest.raises(DBAPIError, match="permission denied"):
                await session.execute(
                    update(LedgerEntry).where(LedgerEntry.contract_id == contract["id"]).values(amount=1)
                )

    async def test_debt_carries_into_next_year(self, fin: Setup) -> None:
        await fin.fee()
        await fin.fee(academic_year=YEAR + 1, course="12", amount=1_300_000_000)
        student = await fin.student()
        first = await fin.contract(student["id"])
        await pay(fin, first["id"], 1_000_000_000)
        moved = await fin.client.patch(
            f"/t/alpha/api/v1/groups/{fin.group['id']}", json={"course": "12"}, headers=fin.registrar
        )
        assert moved.status_code == 200, moved.text
        second = await fin.contract(student["id"], academic_year=YEAR + 1, signed_on="2026-09-01")
        assert second["balance"] == 1_300_000_000 + 200_000_000
        old = (await fin.client.get(f"{F}/contracts/{first['id']}", headers=fin.accountant)).json()
        assert old["balance"] == 0
        carried = [e for e in await ledger(fin, second["id"]) if e["kind"] == "carry_over"]
        assert [(e["amount"], e["related_contract_id"]) for e in carried] == [(200_000_000, first["id"])]
        balance = await fin.client.get(f"{F}/students/{student['id']}/balance", headers=fin.accountant)
        assert balance.json()["debt"] == 1_500_000_000  # counted once
        assert [c["number"] for c in balance.json()["contracts"]] == [first["number"], second["number"]]
        # The old contract's QR page says its debt moved on, not that it was paid.
        old_token = first["verify_url"].rsplit("/", 1)[1]
        page = await fin.client.get(f"{F}/verify/{old_token}")
        assert page.json()["status"] == "carried_over"


class TestStudentReadsOwn:
    async def test_own_contract_balance_and_pdf_only(self, fin: Setup, token_for: Any) -> None:
        from hemis.core.auth import Role

        await fin.fee()
        mine, theirs = await fin.student(), await fin.student()
        my_contract = await fin.contract(mine["id"])
        their_contract = await fin.contract(theirs["id"])
        admin = await token_for("alpha", Role.ADMIN)
        account = await new_user(fin.client, admin, roles=["student"], student_id=mine["id"])
        session = cookie(await login(fin.client, account["username"]))
        assert (
            await fin.client.get(f"{F}/contracts/{my_contract['id']}", headers=session)
        ).status_code == 200
        assert (await fin.client.get(f"{F}/students/{mine['id']}/balance", headers=session)).json()[
            "debt"
        ] == FEE
        pdf = await fin.client.get(f"{F}/contracts/{my_contract['id']}/pdf", headers=session)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        for url in (
            f"{F}/contracts/{their_contract['id']}",
            f"{F}/contracts/{their_contract['id']}/ledger",
            f"{F}/contracts/{their_contract['id']}/pdf",
            f"{F}/students/{theirs['id']}/balance",
            f"{F}/contracts",
            f"{F}/debtors",
        ):
            assert (await fin.client.get(url, headers=session)).status_code == 403, url
        assert (
            await pay(fin, my_contract["id"], 100, provider="bank", external_id="BANK-7")
        ).status_code == 201
        # Their own ledger, without who booked it or the bank's reference (the office's business).
        own = (await fin.client.get(f"{F}/contracts/{my_contract['id']}/ledger", headers=session)).json()
        assert [e["kind"] for e in own] == ["charge", "payment"]
        assert {(e["actor"], e["external_id"]) for e in own} == {(None, None)}
        office = await ledger(fin, my_contract["id"])
        assert office[-1]["external_id"] == "BANK-7" and office[-1]["actor"]
        refused = await fin.client.post(
            f"{F}/contracts/{my_contract['id']}/payments", json={"amount": 100}, headers=session
        )
        assert refused.status_code == 403


class TestDebtors:
    async def test_filtered_sorted_and_paged(self, fin: Setup) -> None:
        await fin.fee(instalment_plan_id=(await plan(fin))["id"])
        students = [await fin.student() for _ in range(3)]
        contracts = [await fin.contract(s["id"]) for s in students]
        await pay(fin, contracts[0]["id"], FEE)  # paid up: not a debtor
        await pay(fin, contracts[1]["id"], 1_000_000_000)
        params = {"group_id": fin.group["id"], "sort": "-debt"}
        rows = (await fin.client.get(f"{F}/debtors", params=params, headers=fin.accountant)).json()
        assert rows["total"] == 2
        assert [(r["student_id"], r["debt"]) for r in rows["items"]] == [
            (students[2]["id"], FEE),
            (students[1]["id"], 200_000_000),
        ]
        assert rows["items"][0]["full_name"].startswith("Karimov Jasur")
        ascending = await fin.client.get(
            f"{F}/debtors", params={**params, "sort": "debt", "limit": 1}, headers=fin.accountant
        )
        assert [r["student_id"] for r in ascending.json()["items"]] == [students[1]["id"]]
        by_course = await fin.client.get(
            f"{F}/debtors", params={"faculty_id": fin.faculty["id"], "course": "12"}, headers=fin.accountant
        )
        assert by_course.json()["total"] == 0
        bad = await fin.client.get(f"{F}/debtors", params={"sort": "pinfl"}, headers=fin.accountant)
        assert bad.status_code == 422 and bad.json()["field"] == "sort"
