"""Payment fixtures: a local fake Stripe the app talks to, provider accounts of alpha and beta,
and helpers that send really signed webhooks."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.app import HemisApp
from hemis.core.auth import Role
from hemis.finance.models import LedgerEntry, PaymentEvent
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.finance.conftest import F, Setup
from tests.finance.fake_stripe import FakeStripe, signature_header

SECRETS = {"alpha": "whsec_alpha_0123456789abcdef", "beta": "whsec_beta_fedcba9876543210"}
KEYS = {"alpha": "sk_test_alpha_0123456789", "beta": "sk_test_beta_9876543210"}
PAYME_KEYS = {"alpha": "payme-alpha-key-0123456789", "beta": "payme-beta-key-9876543210"}
RATE = "12650"  # so'm per US dollar


@pytest.fixture(scope="session")
def fake_stripe(app: HemisApp) -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    app.litestar.state.settings.payments.stripe_api_base = fake.base
    yield fake
    fake.stop()


@pytest.fixture
async def providers(client: httpx.AsyncClient, token_for: TokenFactory, fake_stripe: FakeStripe) -> None:
    """Both universities' Stripe and Payme accounts (the same every time: PUT is idempotent)."""
    for code in ("alpha", "beta"):
        headers = await token_for(code, Role.ACCOUNTANT)
        stripe = await client.put(
            f"/t/{code}/api/v1/finance/payment-providers/stripe",
            json={
                "api_key": KEYS[code],
                "webhook_secret": SECRETS[code],
                "currency": "usd",
                "exchange_rate": RATE,
                "active": True,
            },
            headers=headers,
        )
        assert stripe.status_code == 200, stripe.text
        payme = await client.put(
            f"/t/{code}/api/v1/finance/payment-providers/payme",
            json={"api_key": PAYME_KEYS[code], "merchant_id": f"{code}-cashbox", "active": True},
            headers=headers,
        )
        assert payme.status_code == 200, payme.text


async def start_checkout(
    fin: Setup, instalment: int = 1, **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh student's contract (one instalment: the whole fee) and a checkout for it."""
    await fin.fee(**overrides)
    contract = await fin.contract((await fin.student())["id"])
    made = await fin.client.post(
        f"{F}/contracts/{contract['id']}/checkout", json={"instalment": instalment}, headers=fin.accountant
    )
    assert made.status_code == 201, made.text
    return contract, made.json()


async def send_webhook(
    client: httpx.AsyncClient,
    event: dict[str, Any] | bytes,
    *,
    tenant: str = "alpha",
    secret: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
) -> httpx.Response:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    header = signature or signature_header(body, secret or SECRETS[tenant], timestamp)
    return await client.post(
        f"/t/{tenant}/api/v1/finance/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def payme_auth(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"Paycom:{key}".encode()).decode()}


async def ledger_of(
    maker: async_sessionmaker[AsyncSession], tenant: TenantRef, contract_id: int
) -> list[LedgerEntry]:
    async with tenant_session(maker, tenant) as session:
        query = select(LedgerEntry).where(LedgerEntry.contract_id == contract_id).order_by(LedgerEntry.id)
        return list(await session.scalars(query))


async def events_named(
    maker: async_sessionmaker[AsyncSession], tenant: TenantRef, provider: str, event_id: str
) -> list[PaymentEvent]:
    async with tenant_session(maker, tenant) as session:
        query = select(PaymentEvent).where(
            PaymentEvent.provider == provider, PaymentEvent.event_id == event_id
        )
        return list(await session.scalars(query.order_by(PaymentEvent.id)))
