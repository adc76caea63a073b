"""Stripe (RELIABILITY.md T6): webhooks verified by the stripe library on the raw body, stored raw,
applied exactly once under concurrent shuffled replays; Checkout for an instalment; reconciliation."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.app import HemisApp
from hemis.core.auth import Role
from hemis.finance.providers.stripe import StripeGateway
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.finance.conftest import FEE, F, Setup
from tests.finance.fake_stripe import FakeStripe
from tests.finance.payment_fixtures import (
    KEYS,
    RATE,
    SECRETS,
    events_named,
    ledger_of,
    send_webhook,
    start_checkout,
)
from tests.identity.test_sessions import cookie, login, new_user

pytestmark = pytest.mark.usefixtures("providers")


def kinds(entries: list[Any]) -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in entries]


class TestWebhookApplies:
    async def test_paid_session_pays_the_instalment_once(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        contract, checkout = await start_checkout(fin)
        event = fake_stripe.paid(checkout["url"].rsplit("/", 1)[1])
        response = await send_webhook(fin.client, event)
        assert response.status_code == 200 and response.json()["status"] == "applied"
        entries = await ledger_of(maker, tenants["alpha"], contract["id"])
        assert kinds(entries) == [("charge", FEE), ("payment", -FEE)]
        assert (
            entries[-1].provider == "stripe" and entries[-1].external_id == checkout["url"].rsplit("/", 1)[1]
        )
        again = await fin.client.get(f"{F}/contracts/{contract['id']}", headers=fin.accountant)
        assert again.json()["balance"] == 0

    async def test_replayed_three_times_concurrently_and_out_of_order(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        """T6: a payment and a partial refund, each delivered 3×, all six at once, shuffled."""
        contract, checkout = await start_checkout(fin)
        session_id = checkout["url"].rsplit("/", 1)[1]
        paid = fake_stripe.paid(session_id)
        refund = fake_stripe.refunded(session_id, amount_refunded=checkout["amount_minor"] // 2)
        deliveries = [paid, refund] * 3
        random.shuffle(deliveries)
        answers = await asyncio.gather(*(send_webhook(fin.client, e) for e in deliveries))
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        entries = await ledger_of(maker, tenants["alpha"], contract["id"])
        half = int(
            (Decimal(FEE) * (checkout["amount_minor"] // 2) / checkout["amount_minor"]).quantize(
                Decimal(1), ROUND_HALF_UP
            )
        )
        assert sorted(kinds(entries)) == sorted([("charge", FEE), ("payment", -FEE), ("refund", half)])
        for event in (paid, refund):
            rows = await events_named(maker, tenants["alpha"], "stripe", event["id"])
            assert Counter(r.status for r in rows) == {"applied": 1, "duplicate": 2}

    async def test_refund_before_its_payment(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        contract, checkout = await start_checkout(fin)
        session_id = checkout["url"].rsplit("/", 1)[1]
        paid, refund = fake_stripe.paid(session_id), fake_stripe.refunded(session_id)
        assert (await send_webhook(fin.client, refund)).json()["status"] == "applied"
        assert (await send_webhook(fin.client, paid)).json()["status"] == "applied"
        entries = await ledger_of(maker, tenants["alpha"], contract["id"])
        assert kinds(entries) == [("charge", FEE), ("payment", -FEE), ("refund", FEE)]

    async def test_unknown_type_is_kept_and_ignored(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        event = fake_stripe.event("customer.created", {"id": "cus_1", "object": "customer"})
        response = await send_webhook(fin.client, event)
        assert response.status_code == 200 and response.json() == {
            "status": "ignored",
            "reason": "unhandled_type",
        }
        [row] = await events_named(maker, tenants["alpha"], "stripe", event["id"])
        assert json.loads(row.body) == event

    async def test_amount_other_than_the_checkout_is_not_applied(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        contract, checkout = await start_checkout(fin)
        event = fake_stripe.paid(checkout["url"].rsplit("/", 1)[1])
        event["data"]["object"]["amount_total"] = 1
        response = await send_webhook(fin.client, event)
        assert response.json() == {"status": "ignored", "reason": "amount_mismatch"}
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [("charge", FEE)]


class TestWebhookRefuses:
    async def test_old_timestamp_is_400_and_kept_and_does_not_block_the_real_one(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        contract, checkout = await start_checkout(fin)
        event = fake_stripe.paid(checkout["url"].rsplit("/", 1)[1])
        old = await send_webhook(fin.client, event, timestamp=int(time.time()) - 301)
        assert old.status_code == 400 and old.json()["code"] == "finance.webhook_rejected"
        [row] = await events_named(maker, tenants["alpha"], "stripe", event["id"])
        assert (row.status, row.reason) == ("rejected", "too_old")
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [("charge", FEE)]
        fresh = await send_webhook(fin.client, event)
        assert fresh.json()["status"] == "applied"

    async def test_bad_signature_is_400_and_kept(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        contract, checkout = await start_checkout(fin)
        event = fake_stripe.paid(checkout["url"].rsplit("/", 1)[1])
        forged = await send_webhook(fin.client, event, signature=f"t={int(time.time())},v1={'0' * 64}")
        assert forged.status_code == 400
        tampered = json.dumps(event).replace('"paid"', '"paid" ').encode()
        signed_other = await send_webhook(fin.client, tampered, signature=(await _header(event, "alpha")))
        missing = await fin.client.post(f"{F}/webhooks/stripe", content=b"{}")
        assert signed_other.status_code == 400 and missing.status_code == 400
        rows = await events_named(maker, tenants["alpha"], "stripe", event["id"])
        assert [(r.status, r.reason) for r in rows] == [("rejected", "bad_signature")] * 2
        assert rows[0].headers["stripe-signature"].startswith("t=")
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [("charge", FEE)]

    async def test_signed_with_the_other_universitys_secret_is_refused(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        contract, checkout = await start_checkout(fin)
        event = fake_stripe.paid(checkout["url"].rsplit("/", 1)[1])
        response = await send_webhook(fin.client, event, secret=SECRETS["beta"])
        assert response.status_code == 400
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [("charge", FEE)]

    async def test_alphas_event_at_betas_endpoint_never_touches_alpha(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        """Even validly signed for beta, an event naming alpha's checkout is not applied at beta."""
        contract, checkout = await start_checkout(fin)
        event = fake_stripe.paid(checkout["url"].rsplit("/", 1)[1])
        response = await send_webhook(fin.client, event, tenant="beta")
        assert response.json() == {"status": "ignored", "reason": "unknown_checkout"}
        assert kinds(await ledger_of(maker, tenants["alpha"], contract["id"])) == [("charge", FEE)]
        assert await events_named(maker, tenants["alpha"], "stripe", event["id"]) == []


async def _header(event: dict[str, Any], tenant: str) -> str:
    from tests.finance.fake_stripe import signature_header

    return signature_header(json.dumps(event), SECRETS[tenant])


class TestCheckout:
    async def test_instalment_in_usd_at_the_stored_rate(self, fin: Setup, fake_stripe: FakeStripe) -> None:
        contract, checkout = await start_checkout(fin)
        cents = int((Decimal(FEE) / Decimal(RATE)).quantize(Decimal(1), ROUND_HALF_UP))
        assert (checkout["amount"], checkout["currency"], checkout["amount_minor"]) == (FEE, "usd", cents)
        assert isinstance(checkout["amount"], int) and isinstance(checkout["amount_minor"], int)
        session = fake_stripe.sessions[checkout["url"].rsplit("/", 1)[1]]
        assert session["metadata"] == {
            "hemis_tenant": "alpha",
            "hemis_checkout": str(checkout["id"]),
            "contract_number": contract["number"],
            "instalment": "1",
        }
        assert session["success_url"] == contract["verify_url"]
        _, _, headers, form = next(
            r for r in fake_stripe.requests if r[3].get("client_reference_id") == f"alpha:{checkout['id']}"
        )
        assert headers["authorization"] == f"Bearer {KEYS['alpha']}"
        assert headers["idempotency-key"] == f"hemis-alpha-checkout-{checkout['id']}"
        assert form["payment_intent_data"]["metadata"]["hemis_checkout"] == str(checkout["id"])

    async def test_a_second_click_gets_the_same_session(self, fin: Setup) -> None:
        contract, checkout = await start_checkout(fin)
        again = await fin.client.post(
            f"{F}/contracts/{contract['id']}/checkout", json={"instalment": 1}, headers=fin.accountant
        )
        assert again.json()["url"] == checkout["url"]

    async def test_paid_instalment_is_409_and_unknown_one_422(
        self, fin: Setup, fake_stripe: FakeStripe
    ) -> None:
        contract, checkout = await start_checkout(fin)
        await send_webhook(fin.client, fake_stripe.paid(checkout["url"].rsplit("/", 1)[1]))
        url = f"{F}/contracts/{contract['id']}/checkout"
        paid = await fin.client.post(url, json={"instalment": 1}, headers=fin.accountant)
        assert paid.status_code == 409 and paid.json()["code"] == "finance.instalment_paid"
        missing = await fin.client.post(url, json={"instalment": 2}, headers=fin.accountant)
        assert missing.status_code == 422 and missing.json()["field"] == "instalment"

    async def test_student_pays_own_contract_only(self, fin: Setup, token_for: TokenFactory) -> None:
        await fin.fee()
        mine, theirs = await fin.student(), await fin.student()
        my_contract, their_contract = await fin.contract(mine["id"]), await fin.contract(theirs["id"])
        admin = await token_for("alpha", Role.ADMIN)
        account = await new_user(fin.client, admin, roles=["student"], student_id=mine["id"])
        session = cookie(await login(fin.client, account["username"]))
        own = await fin.client.post(
            f"{F}/contracts/{my_contract['id']}/checkout", json={"instalment": 1}, headers=session
        )
        assert own.status_code == 201, own.text
        other = await fin.client.post(
            f"{F}/contracts/{their_contract['id']}/checkout", json={"instalment": 1}, headers=session
        )
        assert other.status_code == 403
        registrar = await fin.client.post(
            f"{F}/contracts/{my_contract['id']}/checkout", json={"instalment": 1}, headers=fin.registrar
        )
        assert registrar.status_code == 403


class TestProviderAccounts:
    async def test_secrets_are_never_returned(self, fin: Setup) -> None:
        listed = await fin.client.get(f"{F}/payment-providers", headers=fin.accountant)
        assert listed.status_code == 200
        for row in listed.json():
            assert row["has_api_key"] is True and "api_key" not in row and "webhook_secret" not in row
            assert KEYS["alpha"] not in json.dumps(row) and SECRETS["alpha"] not in json.dumps(row)
        stripe = next(r for r in listed.json() if r["provider"] == "stripe")
        assert stripe["endpoint"].endswith("/t/alpha/api/v1/finance/webhooks/stripe")
        assert Decimal(stripe["exchange_rate"]) == Decimal(RATE)

    async def test_only_accountants_and_admins(self, fin: Setup) -> None:
        assert (await fin.client.get(f"{F}/payment-providers", headers=fin.registrar)).status_code == 403
        assert (await fin.client.get(f"{F}/payment-events", headers=fin.registrar)).status_code == 403
        put = await fin.client.put(
            f"{F}/payment-providers/stripe", json={"active": True}, headers=fin.registrar
        )
        assert put.status_code == 403

    async def test_events_are_listed_by_status_with_the_raw_body(
        self, fin: Setup, fake_stripe: FakeStripe
    ) -> None:
        event = fake_stripe.event("customer.created", {"id": "cus_2", "object": "customer"})
        await send_webhook(fin.client, event, signature="t=1,v1=00")
        page = await fin.client.get(
            f"{F}/payment-events", params={"status": "rejected", "provider": "stripe", "search": event["id"]},
            headers=fin.accountant,
        )  # fmt: skip
        [row] = page.json()["items"]
        assert (row["status"], row["reason"], row["event_type"]) == (
            "rejected",
            "bad_signature",
            "customer.created",
        )
        detail = await fin.client.get(f"{F}/payment-events/{row['id']}", headers=fin.accountant)
        assert json.loads(detail.json()["body"]) == event


class TestReconcile:
    async def test_missed_events_are_ingested_once(
        self,
        fin: Setup,
        fake_stripe: FakeStripe,
        app: HemisApp,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        contract, checkout = await start_checkout(fin)
        session_id = checkout["url"].rsplit("/", 1)[1]
        delivered = fake_stripe.paid(session_id)  # this one reached us by webhook …
        await send_webhook(fin.client, delivered)
        missed = fake_stripe.refunded(session_id)  # … this one never did
        settings = app.litestar.state.settings.payments
        since = datetime.now(UTC) - timedelta(minutes=5)
        for _ in range(2):
            async with tenant_session(maker, tenants["alpha"]) as session:
                counts = await StripeGateway(session, settings, "alpha").reconcile(since)
                await session.commit()
            assert sum(counts.values()) >= 2
        entries = await ledger_of(maker, tenants["alpha"], contract["id"])
        assert kinds(entries) == [("charge", FEE), ("payment", -FEE), ("refund", FEE)]
        rows = await events_named(maker, tenants["alpha"], "stripe", missed["id"])
        assert Counter(r.status for r in rows) == {"applied": 1, "duplicate": 1}
        assert Counter(
            r.status for r in await events_named(maker, tenants["alpha"], "stripe", delivered["id"])
        ) == {
            "applied": 1,
            "duplicate": 2,
        }
