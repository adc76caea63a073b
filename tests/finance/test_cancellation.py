"""Cancelling a contract: its charge less discounts is written off by one ledger entry, the money
paid stays the student's credit (refundable, or carried into the next contract), a debt carried
into it stays owed; it leaves the debtors report; once only, by accounting only, audited; and
another university can neither see nor cancel it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.audit import AuditEvent
from hemis.core.auth import Role
from hemis.core.errors import NotFound
from hemis.finance.service import ContractService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.finance.conftest import FEE, YEAR, F, Setup
from tests.finance.test_contracts import discount, ledger, pay, plan
from tests.identity.test_sessions import cookie, login, new_user

REASON = "Talabalar safidan chetlashtirildi (buyruq 112-ch, 2025-11-03)"


async def cancel(fin: Setup, contract_id: int, reason: str = REASON, **params: Any) -> Any:
    return await fin.client.post(
        f"{F}/contracts/{contract_id}/cancel", params=params, json={"reason": reason}, headers=fin.accountant
    )


async def contract_of(fin: Setup, contract_id: int) -> dict[str, Any]:
    response = await fin.client.get(f"{F}/contracts/{contract_id}", headers=fin.accountant)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def debtor_ids(fin: Setup, student: dict[str, Any]) -> dict[int, Any]:
    params = {"search": student["student_id_number"], "limit": 200}
    response = await fin.client.get(f"{F}/debtors", params=params, headers=fin.accountant)
    assert response.status_code == 200, response.text
    return {row["student_id"]: row for row in response.json()["items"]}


class TestCancel:
    async def test_an_unpaid_contract_is_written_off_and_leaves_the_debtors(self, fin: Setup) -> None:
        await fin.fee(instalment_plan_id=(await plan(fin))["id"])
        student = await fin.student()
        contract = await fin.contract(student["id"])
        assert student["id"] in await debtor_ids(fin, student)
        response = await cancel(fin, contract["id"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["balance"], body["cancel_reason"]) == ("cancelled", 0, REASON)
        assert body["cancelled_at"] is not None
        assert [(e["kind"], e["amount"], e["note"]) for e in await ledger(fin, contract["id"])] == [
            ("charge", FEE, contract["number"]),
            ("cancellation", -FEE, REASON),
        ]
        assert student["id"] not in await debtor_ids(fin, student)
        listed = await fin.client.get(
            f"{F}/contracts",
            params={"student_id": student["id"], "status": "cancelled"},
            headers=fin.accountant,
        )
        assert [c["id"] for c in listed.json()["items"]] == [contract["id"]]
        page = await fin.client.get(f"{F}/verify/{contract['verify_url'].rsplit('/', 1)[1]}")
        assert page.json()["status"] == "cancelled"

    async def test_money_paid_stays_the_students_credit_and_is_refundable(self, fin: Setup) -> None:
        await fin.fee()
        student = await fin.student()
        contract = await fin.contract(student["id"])
        assert (await pay(fin, contract["id"], 500_000_000)).status_code == 201
        assert (await cancel(fin, contract["id"])).json()["balance"] == -500_000_000
        balance = await fin.client.get(f"{F}/students/{student['id']}/balance", headers=fin.accountant)
        assert balance.json()["debt"] == -500_000_000
        assert student["id"] not in await debtor_ids(fin, student)
        late = await pay(fin, contract["id"], 100_000_000)
        assert late.status_code == 409 and late.json()["code"] == "finance.contract_cancelled"
        card = await fin.client.post(
            f"{F}/contracts/{contract['id']}/checkout", json={"instalment": 1}, headers=fin.accountant
        )
        assert card.status_code == 409 and card.json()["code"] == "finance.contract_cancelled"
        refund = await fin.client.post(
            f"{F}/contracts/{contract['id']}/refunds",
            json={"amount": 500_000_000, "note": "Shartnoma bekor qilingani uchun qaytarildi"},
            headers=fin.accountant,
        )
        assert refund.status_code == 201, refund.text
        assert (await contract_of(fin, contract["id"]))["balance"] == 0
        assert [e["kind"] for e in await ledger(fin, contract["id"])] == [
            "charge", "payment", "cancellation", "refund",
        ]  # fmt: skip

    async def test_discounts_are_written_off_with_the_charge(self, fin: Setup) -> None:
        await fin.fee()
        half = await discount(fin, kind="percent", percent="50")
        contract = await fin.contract((await fin.student())["id"], discount_id=half["id"])
        assert (await pay(fin, contract["id"], 100_000_000)).status_code == 201
        assert (await cancel(fin, contract["id"])).json()["balance"] == -100_000_000
        entries = await ledger(fin, contract["id"])
        assert entries[-1]["kind"] == "cancellation" and entries[-1]["amount"] == -FEE // 2
        later = await fin.client.post(
            f"{F}/contracts/{contract['id']}/discounts",
            json={"discount_id": (await discount(fin, kind="sum", amount=1_000_00))["id"]},
            headers=fin.accountant,
        )
        assert later.status_code == 409 and later.json()["field"] == "contract_id"

    async def test_the_credit_moves_into_the_replacing_contract(self, fin: Setup) -> None:
        await fin.fee()
        await fin.fee(contract_type="differentiated", amount=FEE + 300_000_000)
        student = await fin.student()
        first = await fin.contract(student["id"])
        await pay(fin, first["id"], 300_000_000)
        await cancel(fin, first["id"], "Shartnoma turi o'zgardi (tabaqalashtirilgan)")
        second = await fin.contract(student["id"], contract_type="differentiated")
        assert second["balance"] == FEE + 300_000_000 - 300_000_000
        assert (await contract_of(fin, first["id"]))["balance"] == 0
        carried = [e for e in await ledger(fin, second["id"]) if e["kind"] == "carry_over"]
        assert [(e["amount"], e["related_contract_id"]) for e in carried] == [(-300_000_000, first["id"])]
        balance = await fin.client.get(f"{F}/students/{student['id']}/balance", headers=fin.accountant)
        assert balance.json()["debt"] == FEE

    async def test_a_debt_carried_in_from_last_year_stays_owed(self, fin: Setup) -> None:
        await fin.fee()
        await fin.fee(academic_year=YEAR + 1, course="12", amount=1_300_000_000)
        student = await fin.student()
        old = await fin.contract(student["id"])
        await pay(fin, old["id"], 1_000_000_000)
        moved = await fin.client.patch(
            f"/t/alpha/api/v1/groups/{fin.group['id']}", json={"course": "12"}, headers=fin.registrar
        )
        assert moved.status_code == 200, moved.text
        new = await fin.contract(student["id"], academic_year=YEAR + 1, signed_on="2026-09-01")
        refused = await cancel(fin, old["id"], l="en-US")
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "finance.cancel_carried_over"
        assert refused.json()["field"] == "contract_id" and new["number"] in refused.json()["detail"]
        assert (await contract_of(fin, old["id"]))["status"] == "active"
        assert (await cancel(fin, new["id"])).json()["balance"] == 200_000_000
        row = (await debtor_ids(fin, student))[student["id"]]
        assert (row["debt"], row["overdue"]) == (200_000_000, 200_000_000)

    async def test_a_contract_is_cancelled_once(self, fin: Setup) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        assert (await cancel(fin, contract["id"])).status_code == 200
        again = await cancel(fin, contract["id"], l="ru-RU")
        assert again.status_code == 409 and again.json()["code"] == "finance.already_cancelled"
        assert again.json()["field"] == "contract_id" and "уже расторгнут" in again.json()["detail"]
        assert [e["kind"] for e in await ledger(fin, contract["id"])] == ["charge", "cancellation"]

    @pytest.mark.parametrize(
        ("body", "field"), [({}, "reason"), ({"reason": "x"}, "reason"), ({"reason": "y" * 501}, "reason")]
    )
    async def test_a_reason_is_required(self, fin: Setup, body: dict[str, Any], field: str) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        response = await fin.client.post(
            f"{F}/contracts/{contract['id']}/cancel", json=body, headers=fin.accountant
        )
        assert response.status_code == 422 and response.json()["field"] == field
        assert (await contract_of(fin, contract["id"]))["status"] == "active"
        assert len(await ledger(fin, contract["id"])) == 1

    async def test_unknown_contract_is_404(self, fin: Setup) -> None:
        response = await cancel(fin, 10**12)
        assert response.status_code == 404 and response.json()["field"] == "contract_id"

    async def test_only_accounting_cancels(self, fin: Setup, token_for: TokenFactory) -> None:
        await fin.fee()
        student = await fin.student()
        contract = await fin.contract(student["id"])
        admin = await token_for("alpha", Role.ADMIN)
        account = await new_user(fin.client, admin, roles=["student"], student_id=student["id"])
        own = cookie(await login(fin.client, account["username"]))
        url = f"{F}/contracts/{contract['id']}/cancel"
        for headers in (own, fin.registrar, await token_for("alpha", Role.DEAN)):
            response = await fin.client.post(url, json={"reason": REASON}, headers=headers)
            assert response.status_code == 403, response.text
        assert (await contract_of(fin, contract["id"]))["status"] == "active"
        assert (await fin.client.post(url, json={"reason": REASON}, headers=admin)).status_code == 200

    async def test_cancellation_is_audited(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        await pay(fin, contract["id"], 200_000_000)
        await cancel(fin, contract["id"])
        async with tenant_session(maker, tenants["alpha"]) as session:
            rows = list(
                await session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.entity == "contract", AuditEvent.entity_id == str(contract["id"])
                    )
                )
            )
        cancelled = next(r for r in rows if r.action == "contract.cancelled")
        assert "ledger_entry.cancellation" in {r.action for r in rows}
        assert cancelled.data["reason"] == REASON
        assert (cancelled.data["written_off"], cancelled.data["balance"]) == (FEE, -200_000_000)


class TestIsolation:
    async def test_another_university_cannot_cancel(
        self,
        fin: Setup,
        token_for: TokenFactory,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        beta = await token_for("beta", Role.ACCOUNTANT)
        url = f"/t/beta/api/v1/finance/contracts/{contract['id']}/cancel"
        response = await fin.client.post(url, json={"reason": REASON}, headers=beta)
        # Beta's own ids may coincide with alpha's: whatever beta touched is never this contract.
        assert response.status_code == 404 or response.json()["number"] != contract["number"]
        assert (
            await fin.client.post(url, json={"reason": REASON}, headers=fin.accountant)
        ).status_code == 401
        async with tenant_session(maker, tenants["beta"]) as session:
            try:
                found = await ContractService(session, actor="test").cancel(contract["id"], REASON)
            except NotFound:
                found = None
            assert found is None or found.verify_token != contract["verify_url"].rsplit("/", 1)[1]
            await session.rollback()
        after = await contract_of(fin, contract["id"])
        assert (after["status"], after["balance"], after["cancel_reason"]) == ("active", FEE, "")
        assert [e["kind"] for e in await ledger(fin, contract["id"])] == ["charge"]
