"""One university's payment accounts, events, checkouts and Payme transactions never touch another's."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.core.errors import NotFound
from hemis.finance.payments import PaymentInbox
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.finance.conftest import FEE, Setup
from tests.finance.fake_stripe import FakeStripe
from tests.finance.payment_fixtures import (
    PAYME_KEYS,
    events_named,
    ledger_of,
    payme_auth,
    send_webhook,
    start_checkout,
)

pytestmark = pytest.mark.usefixtures("providers")
B = "/t/beta/api/v1/finance"


class TestOverHttp:
    async def test_events_checkouts_and_payme_stay_home(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        token_for: TokenFactory,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        beta = await token_for("beta", Role.ACCOUNTANT)
        contract, checkout = await start_checkout(fin)
        event = fake_stripe.paid(checkout["url"].rsplit("/", 1)[1])
        await send_webhook(fin.client, event)
        [row] = await events_named(maker, tenants["alpha"], "stripe", event["id"])
        before = [(e.kind, e.amount) for e in await ledger_of(maker, tenants["alpha"], contract["id"])]
        assert before == [("charge", FEE), ("payment", -FEE)]
        # Beta sees none of alpha's events, by list, search or id.
        listed = await fin.client.get(f"{B}/payment-events", params={"search": event["id"]}, headers=beta)
        assert listed.status_code == 200 and listed.json()["items"] == []
        got = await fin.client.get(f"{B}/payment-events/{row.id}", headers=beta)
        assert got.status_code == 404 or got.json()["event_id"] != event["id"]
        # Alpha's credentials open nothing at beta; beta's accountant acts on beta's rows only.
        assert (await fin.client.get(f"{B}/payment-events", headers=fin.accountant)).status_code == 401
        await fin.client.post(
            f"{B}/contracts/{contract['id']}/checkout", json={"instalment": 1}, headers=beta
        )
        # Payme at beta, with beta's key, naming alpha's contract number: never alpha's money.
        tid = uuid.uuid4().hex[:24]
        params = {
            "id": tid,
            "time": int(time.time() * 1000),
            "amount": 100_000,
            "account": {"contract": contract["number"]},
        }
        for method, body in (("CreateTransaction", params), ("PerformTransaction", {"id": tid})):
            await fin.client.post(
                f"{B}/payme",
                json={"id": 1, "method": method, "params": body},
                headers=payme_auth(PAYME_KEYS["beta"]),
            )
        # … and alpha's Payme key is refused at beta.
        refused = await fin.client.post(
            f"{B}/payme", json={"id": 1, "method": "CheckTransaction", "params": {"id": tid}},
            headers=payme_auth(PAYME_KEYS["alpha"]),
        )  # fmt: skip
        assert refused.json()["error"]["code"] == -32504
        after = [(e.kind, e.amount) for e in await ledger_of(maker, tenants["alpha"], contract["id"])]
        assert after == before


class TestAtServiceLevel:
    async def test_beta_session_cannot_read_alpha_events(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        event = fake_stripe.event("customer.created", {"id": "cus_iso", "object": "customer"})
        await send_webhook(fin.client, event)
        [row] = await events_named(maker, tenants["alpha"], "stripe", event["id"])
        async with tenant_session(maker, tenants["beta"]) as session:
            try:
                found = await PaymentInbox(session).get(row.id)
            except NotFound:
                return
            assert found.event_id != event["id"]
