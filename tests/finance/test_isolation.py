"""Finance rows of one university are invisible and untouchable from another: fee structures,
discounts, plans, contracts, their ledger, PDF, payments, balances, debtors, and the QR page."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.core.errors import NotFound
from hemis.finance.service import ContractService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.finance.conftest import FEE, F, Setup
from tests.finance.test_fees import QUARTERS
from tests.isolation import assert_isolated

API = "/api/v1/finance"
B = f"/t/beta{API}"


@pytest.fixture
async def beta(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("beta", Role.ACCOUNTANT)


class TestConfigurationOverHttp:
    async def test_fee_structure(self, fin: Setup, beta: dict[str, str]) -> None:
        row = await fin.fee()
        await assert_isolated(
            fin.client, f"{API}/fee-structures", row,
            owner=("alpha", fin.accountant), other=("beta", beta), patch={"active": False}, search="x",
        )  # fmt: skip

    async def test_discount_and_plan(self, fin: Setup, beta: dict[str, str]) -> None:
        code = f"I{uuid.uuid4().hex[:8]}"
        discount = await fin.client.post(
            f"{F}/discounts", json={"code": code, "reason": "Yetim", "kind": "percent", "percent": "30"},
            headers=fin.accountant,
        )  # fmt: skip
        await assert_isolated(
            fin.client, f"{API}/discounts", discount.json(),
            owner=("alpha", fin.accountant), other=("beta", beta), patch={"reason": "Buzilgan"}, search=code,
        )  # fmt: skip
        plan = await fin.client.post(
            f"{F}/instalment-plans", json={"code": code, "name": "Choraklar", "parts": QUARTERS},
            headers=fin.accountant,
        )  # fmt: skip
        await assert_isolated(
            fin.client, f"{API}/instalment-plans", plan.json(),
            owner=("alpha", fin.accountant), other=("beta", beta), patch={"name": "Buzilgan"}, search=code,
        )  # fmt: skip


class TestContractsOverHttp:
    async def test_every_contract_endpoint(self, fin: Setup, beta: dict[str, str]) -> None:
        await fin.fee()
        student = await fin.student()
        contract = await fin.contract(student["id"])
        cid = contract["id"]
        # Beta's own ids may coincide with alpha's: whatever beta sees is never this contract.
        got = await fin.client.get(f"{B}/contracts/{cid}", headers=beta)
        assert got.status_code == 404 or got.json()["verify_url"] != contract["verify_url"]
        listed = await fin.client.get(f"{B}/contracts", params={"search": contract["number"]}, headers=beta)
        assert all(c.get("verify_url") != contract["verify_url"] for c in listed.json()["items"])
        for url in (f"{B}/contracts/{cid}/ledger", f"{B}/contracts/{cid}/pdf"):
            response = await fin.client.get(url, headers=beta)
            assert response.status_code == 404 or contract["number"].encode() not in response.content
        paid = await fin.client.post(f"{B}/contracts/{cid}/payments", json={"amount": FEE}, headers=beta)
        assert paid.status_code in (404, 201)
        balance = await fin.client.get(f"{B}/students/{student['id']}/balance", headers=beta)
        assert balance.status_code == 404 or all(
            c["number"] != contract["number"] or c["verify_url"] != contract["verify_url"]
            for c in balance.json()["contracts"]
        )
        debtors = await fin.client.get(
            f"{B}/debtors", params={"search": student["student_id_number"]}, headers=beta
        )
        assert debtors.json()["items"] == []
        await fin.client.post(f"{B}/contracts/bulk", json={"group_id": fin.group["id"]}, headers=beta)
        # Alpha's rows are untouched: no payment from beta landed, no contract was added for its student.
        after = await fin.client.get(f"{F}/students/{student['id']}/balance", headers=fin.accountant)
        assert after.json()["debt"] == FEE and [c["id"] for c in after.json()["contracts"]] == [cid]
        # Alpha's credentials are worth nothing at beta, and its QR token opens nothing there.
        assert (await fin.client.get(f"{B}/contracts/{cid}", headers=fin.accountant)).status_code == 401
        token = contract["verify_url"].rsplit("/", 1)[1]
        assert (await fin.client.get(f"{B}/verify/{token}")).status_code == 404
        assert (await fin.client.get(f"/t/beta/verify/contracts/{token}")).status_code == 404
        assert (await fin.client.get(f"{F}/verify/{token}")).status_code == 200


class TestAtServiceLevel:
    async def test_beta_session_cannot_find_alpha_contract(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        async with tenant_session(maker, tenants["beta"]) as session:
            service = ContractService(session, actor="test")
            token = contract["verify_url"].rsplit("/", 1)[1]
            assert await service.by_token(token) is None
            try:
                found = await service.get(contract["id"])
            except NotFound:
                return
            assert found.number != contract["number"] or found.verify_token != token
