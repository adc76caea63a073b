"""Payme merchant API: the six methods with Payme's states, error codes, 12-hour timeout and
idempotent repeats; per-university Basic auth; exactly one ledger entry per perform and cancel."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.finance.models import PaymentEvent, PaymeTransaction
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.finance.conftest import FEE, F, Setup
from tests.finance.payment_fixtures import (
    PAYME_KEYS,
    events_named,
    ledger_of,
    payme_auth,
)

pytestmark = pytest.mark.usefixtures("providers")
HOURS_13 = 13 * 3600 * 1000


async def rpc(
    client: httpx.AsyncClient,
    method: str,
    params: dict[str, Any],
    *,
    tenant: str = "alpha",
    key: str | None = None,
) -> dict[str, Any]:
    response = await client.post(
        f"/t/{tenant}/api/v1/finance/payme",
        json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params},
        headers=payme_auth(key or PAYME_KEYS[tenant]),
    )
    assert response.status_code == 200  # Payme expects 200 with the error inside
    return dict(response.json())


def now_ms() -> int:
    return int(time.time() * 1000)


def payme_id() -> str:
    return uuid.uuid4().hex[:24]


async def contract_of(fin: Setup) -> dict[str, Any]:
    await fin.fee()
    return await fin.contract((await fin.student())["id"])


def kinds(entries: list[Any]) -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in entries]


class TestFlow:
    async def test_check_create_perform_check_statement_cancel(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        contract = await contract_of(fin)
        account, amount, tid = {"contract": contract["number"]}, 500_000_000, payme_id()
        check = await rpc(fin.client, "CheckPerformTransaction", {"amount": amount, "account": account})
        assert check["result"] == {"allow": True} and check["id"] == 7
        created = await rpc(
            fin.client,
            "CreateTransaction",
            {"id": tid, "time": now_ms(), "amount": amount, "account": account},
        )
        assert created["result"]["state"] == 1
        again = await rpc(
            fin.client,
            "CreateTransaction",
            {"id": tid, "time": now_ms(), "amount": amount, "account": account},
        )
        assert again["result"] == created["result"]  # a repeat changes nothing
        performed = await rpc(fin.client, "PerformTransaction", {"id": tid})
        assert (
            performed["result"]["state"] == 2
            and performed["result"]["transaction"] == created["result"]["transaction"]
        )
        assert (await rpc(fin.client, "PerformTransaction", {"id": tid}))["result"] == performed["result"]
        state = (await rpc(fin.client, "CheckTransaction", {"id": tid}))["result"]
        assert (state["state"], state["perform_time"], state["cancel_time"], state["reason"]) == (
            2, performed["result"]["perform_time"], 0, None,
        )  # fmt: skip
        statement = await rpc(
            fin.client, "GetStatement", {"from": now_ms() - 60_000, "to": now_ms() + 60_000}
        )
        [mine] = [t for t in statement["result"]["transactions"] if t["id"] == tid]
        assert (mine["amount"], mine["account"], mine["state"]) == (amount, account, 2)
        entries = await ledger_of(maker, tenants["alpha"], contract["id"])
        assert kinds(entries) == [("charge", FEE), ("payment", -amount)]
        assert (entries[-1].provider, entries[-1].external_id) == ("payme", tid)
        cancelled = await rpc(fin.client, "CancelTransaction", {"id": tid, "reason": 5})
        assert cancelled["result"]["state"] == -2
        assert (await rpc(fin.client, "CancelTransaction", {"id": tid, "reason": 5}))["result"] == cancelled[
            "result"
        ]
        entries = await ledger_of(maker, tenants["alpha"], contract["id"])
        assert kinds(entries) == [("charge", FEE), ("payment", -amount), ("refund", amount)]
        assert (await rpc(fin.client, "PerformTransaction", {"id": tid}))["error"]["code"] == -31008
        rows = await events_named(maker, tenants["alpha"], "payme", f"PerformTransaction:{tid}")
        assert Counter(r.status for r in rows) == {"applied": 1, "duplicate": 2}

    async def test_cancel_before_perform_moves_no_money(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        contract = await contract_of(fin)
        tid = payme_id()
        params = {"id": tid, "time": now_ms(), "amount": 100_000, "account": {"contract": contract["number"]}}
        await rpc(fin.client, "CreateTransaction", params)
        cancelled = await rpc(fin.client, "CancelTransaction", {"id": tid, "reason": 3})
        assert cancelled["result"]["state"] == -1 and cancelled["result"]["cancel_time"] > 0
        assert (await rpc(fin.client, "PerformTransaction", {"id": tid}))["error"]["code"] == -31008
        assert (await rpc(fin.client, "CreateTransaction", params))["error"]["code"] == -31008
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [("charge", FEE)]

    async def test_concurrent_performs_pay_once(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        contract = await contract_of(fin)
        tid = payme_id()
        params = {"id": tid, "time": now_ms(), "amount": 100_000, "account": {"contract": contract["number"]}}
        await rpc(fin.client, "CreateTransaction", params)
        answers = await asyncio.gather(
            *(rpc(fin.client, "PerformTransaction", {"id": tid}) for _ in range(3))
        )
        assert len({str(a["result"]) for a in answers}) == 1
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [
            ("charge", FEE),
            ("payment", -100_000),
        ]


class TestTimeout:
    async def test_perform_after_12_hours_cancels_with_reason_4(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        contract = await contract_of(fin)
        tid = payme_id()
        params = {"id": tid, "time": now_ms(), "amount": 100_000, "account": {"contract": contract["number"]}}
        await rpc(fin.client, "CreateTransaction", params)
        async with tenant_session(maker, tenants["alpha"]) as session:  # 13 hours pass
            await session.execute(
                update(PaymeTransaction)
                .where(PaymeTransaction.payme_id == tid)
                .values(create_time=PaymeTransaction.create_time - HOURS_13)
            )
            await session.commit()
        late = await rpc(fin.client, "PerformTransaction", {"id": tid})
        assert late["error"]["code"] == -31008 and set(late["error"]["message"]) == {"ru", "uz", "en"}
        state = (await rpc(fin.client, "CheckTransaction", {"id": tid}))["result"]
        assert (state["state"], state["reason"]) == (-1, 4)
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [("charge", FEE)]

    async def test_create_with_a_stale_time_is_refused(self, fin: Setup) -> None:
        contract = await contract_of(fin)
        params = {
            "id": payme_id(),
            "time": now_ms() - HOURS_13,
            "amount": 100_000,
            "account": {"contract": contract["number"]},
        }
        assert (await rpc(fin.client, "CreateTransaction", params))["error"]["code"] == -31008


class TestErrors:
    async def test_wrong_key_other_universitys_key_and_none_are_32504_and_kept(
        self, fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        contract = await contract_of(fin)
        params = {"amount": 100_000, "account": {"contract": contract["number"]}}
        for key in ("wrong-key-000000", PAYME_KEYS["beta"]):
            answer = await rpc(fin.client, "CheckPerformTransaction", params, key=key)
            assert answer["error"]["code"] == -32504
            assert answer["error"]["message"]["ru"] == "Недостаточно привилегий для выполнения метода."
        bare = await fin.client.post(f"{F}/payme", json={"id": 1, "method": "CheckTransaction", "params": {}})
        assert bare.json()["error"]["code"] == -32504
        async with tenant_session(maker, tenants["alpha"]) as session:
            from sqlalchemy import select

            rows = list(await session.scalars(
                select(PaymentEvent).where(PaymentEvent.provider == "payme", PaymentEvent.status == "rejected")
            ))  # fmt: skip
        assert rows and all(r.reason == "auth" and "authorization" not in r.headers for r in rows)

    @pytest.mark.parametrize("amount", [0, -5, "100000", 1.5, FEE + 1])
    async def test_wrong_amount_is_31001(self, fin: Setup, amount: Any) -> None:
        contract = await contract_of(fin)
        answer = await rpc(
            fin.client,
            "CheckPerformTransaction",
            {"amount": amount, "account": {"contract": contract["number"]}},
        )
        assert answer["error"]["code"] == -31001

    async def test_unknown_account_is_in_the_account_range(self, fin: Setup) -> None:
        for account in ({"contract": "1999-99999"}, {}, {"contract": 5}):
            answer = await rpc(fin.client, "CheckPerformTransaction", {"amount": 100, "account": account})
            assert -31099 <= answer["error"]["code"] <= -31050 and answer["error"]["data"] == "contract"

    async def test_unknown_transaction_is_31003(self, fin: Setup) -> None:
        for method in ("PerformTransaction", "CheckTransaction"):
            assert (await rpc(fin.client, method, {"id": payme_id()}))["error"]["code"] == -31003
        assert (await rpc(fin.client, "CancelTransaction", {"id": payme_id(), "reason": 1}))["error"][
            "code"
        ] == -31003

    async def test_protocol_errors(self, fin: Setup) -> None:
        auth = payme_auth(PAYME_KEYS["alpha"])
        parse = await fin.client.post(f"{F}/payme", content=b"{not json", headers=auth)
        assert parse.json()["error"]["code"] == -32700
        no_params = await fin.client.post(
            f"{F}/payme", json={"id": 1, "method": "CheckTransaction"}, headers=auth
        )
        assert no_params.json()["error"]["code"] == -32600
        assert (await rpc(fin.client, "PayEverything", {}))["error"]["code"] == -32601
        assert (await fin.client.get(f"{F}/payme", headers=auth)).json()["error"]["code"] == -32300
