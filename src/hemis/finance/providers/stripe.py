"""Stripe, for international students and foreign branches: Checkout Sessions for a contract's
instalment, the signed webhook, and the reconciliation that asks Stripe for recent events.

Currency: Stripe takes at most eight digits of minor units, 999,999.99 so'm in UZS, less than
most instalments. So a university charges in USD (or EUR) at the rate it stores with its Stripe
account (so'm per unit); each checkout keeps the tiyin it pays, the amount Stripe charges and the
rate, and the ledger is credited the checkout's tiyin, never a converted float (rules.stripe_amount).
UZS is two-decimal at Stripe (its minor unit is the tiyin) and may be chosen for small sums.

Events with an effect: `checkout.session.completed` / `checkout.session.async_payment_succeeded`
with payment_status "paid" → a payment of the checkout's tiyin (external id: the session id);
`charge.refunded` → a refund of what Stripe has refunded in total less what was recorded (the
charge's cumulative `amount_refunded` in proportion). Order is not trusted: a refund that arrives
before its payment's event records the payment first (the charge says it was paid), the late
payment event then finds it. Every other type is stored and ignored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.config import PaymentSettings
from hemis.core.errors import HemisError
from hemis.finance.ledger import LedgerService
from hemis.finance.models import Contract, ContractInstalment, StripeCheckout
from hemis.finance.payments import Outcome, PaymentInbox, provider_account
from hemis.finance.rules import instalment_outstanding, refunded_tiyin, stripe_amount

PROVIDER = "stripe"
ACTOR = "provider:stripe"
PAID_TYPES = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
REUSE_OPEN_CHECKOUT = timedelta(hours=1)  # a second click within this gets the same session


class NotConfigured(HemisError):
    status_code = 409
    message_key = "finance.provider_not_configured"


class NotChargeable(HemisError):
    status_code = 422
    message_key = "finance.not_chargeable"


class NothingDue(HemisError):
    status_code = 409
    message_key = "finance.instalment_paid"


class ProviderUnavailable(HemisError):
    status_code = 502
    message_key = "finance.provider_unavailable"


def client(api_key: str, settings: PaymentSettings) -> stripe.StripeClient:
    """The official client, async over httpx, at the platform's API address (tests: a fake)."""
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": settings.stripe_api_base},
        http_client=stripe.HTTPXClient(),
        max_network_retries=2,
    )


def _peek(body: bytes) -> tuple[str | None, str]:
    """The id and type an unverified body claims (for the review record only)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    return (str(data["id"]) if "id" in data else None), str(data.get("type", ""))


class StripeGateway:
    def __init__(self, session: AsyncSession, settings: PaymentSettings, tenant_code: str) -> None:
        self.session = session
        self.settings = settings
        self.tenant_code = tenant_code
        self.inbox = PaymentInbox(session)
        self.ledger = LedgerService(session, actor=ACTOR)

    # Webhook

    async def receive(self, body: bytes, signature: str | None) -> Outcome:
        """Verify a webhook on its raw body with this tenant's signing secret, then apply it
        once. A refused one comes back `rejected` (the caller commits it alone and answers 400)."""
        headers = {"stripe-signature": (signature or "")[:500]}
        claimed_id, claimed_type = _peek(body)
        account = await provider_account(self.session, PROVIDER)
        if account is None or not account.webhook_secret:
            return await self.inbox.reject(
                PROVIDER, body, headers, "not_configured", event_id=claimed_id, event_type=claimed_type
            )
        try:
            stripe.Webhook.construct_event(
                body, signature, account.webhook_secret, tolerance=self.settings.stripe_tolerance_seconds
            )
        except stripe.SignatureVerificationError as exc:
            reason = "too_old" if "tolerance" in str(exc) else "bad_signature"
            return await self.inbox.reject(
                PROVIDER, body, headers, reason, event_id=claimed_id, event_type=claimed_type
            )
        except ValueError:  # not UTF-8 or not JSON, though signed
            return await self.inbox.reject(PROVIDER, body, headers, "malformed", event_id=claimed_id)
        event = json.loads(body)
        return await self.ingest(event, body, headers)

    async def ingest(self, event: dict[str, Any], body: bytes, headers: dict[str, str]) -> Outcome:
        """An authentic event (signed, or fetched from Stripe by the reconciliation job)."""
        event_id, event_type = str(event.get("id", "")), str(event.get("type", ""))
        if not event_id:
            return await self.inbox.reject(PROVIDER, body, headers, "malformed", event_type=event_type)
        claimed = await self.inbox.claim(PROVIDER, event_id, event_type, body, headers)
        if claimed.status == "duplicate":
            return claimed
        obj = (event.get("data") or {}).get("object") or {}
        try:
            async with self.session.begin_nested():  # a refused effect leaves the event's row
                if event_type in PAID_TYPES:
                    return await self._paid(claimed, obj)
                if event_type == "charge.refunded":
                    return await self._refunded(claimed, obj)
        except HemisError as error:
            return await self.inbox.settle(claimed, "ignored", error.message_key)
        return await self.inbox.settle(claimed, "ignored", "unhandled_type")

    async def _checkout(self, obj: dict[str, Any]) -> StripeCheckout | None:
        """Our checkout the object names (its metadata, made by us), locked: events of one
        payment are applied one at a time."""
        metadata = obj.get("metadata") or {}
        if metadata.get("hemis_tenant") != self.tenant_code:
            return None  # another university's (or not ours at all): never applied here
        try:
            checkout_id = int(metadata.get("hemis_checkout", ""))
        except ValueError:
            return None
        return await self.session.get(StripeCheckout, checkout_id, with_for_update=True)

    async def _paid(self, claimed: Outcome, session_obj: dict[str, Any]) -> Outcome:
        checkout = await self._checkout(session_obj)
        if checkout is None or checkout.session_id != session_obj.get("id"):
            return await self.inbox.settle(claimed, "ignored", "unknown_checkout")
        if session_obj.get("payment_status") != "paid":
            return await self.inbox.settle(claimed, "ignored", "not_paid", contract_id=checkout.contract_id)
        if (session_obj.get("currency"), session_obj.get("amount_total")) != (
            checkout.currency,
            checkout.amount_minor,
        ):
            return await self.inbox.settle(
                claimed, "ignored", "amount_mismatch", contract_id=checkout.contract_id
            )
        entry_id = await self._record_payment(checkout, session_obj.get("payment_intent"))
        return await self.inbox.settle(
            claimed, "applied", contract_id=checkout.contract_id, ledger_entry_id=entry_id
        )

    async def _record_payment(self, checkout: StripeCheckout, payment_intent: Any) -> int:
        # FOR SHARE, not FOR UPDATE: the checkout's lock already serialises this payment's events,
        # so payments of one contract by different checkouts need not queue behind each other; a
        # change of the contract itself (cancelling it) still waits for them, and they for it.
        contract = await self.session.get(Contract, checkout.contract_id, with_for_update={"read": True})
        assert contract is not None  # RESTRICT foreign key
        assert checkout.session_id is not None  # only checkouts Stripe made are found
        entry = await self.ledger.record_payment(
            contract,
            checkout.amount,
            provider=PROVIDER,
            external_id=checkout.session_id,
            note=f"Stripe {checkout.amount_minor / 100:.2f} {checkout.currency.upper()}",
        )
        checkout.status = "paid"
        if isinstance(payment_intent, str):
            checkout.payment_intent = payment_intent
        return entry.id

    async def _refunded(self, claimed: Outcome, charge: dict[str, Any]) -> Outcome:
        checkout = await self._checkout(charge)
        if checkout is None:
            return await self.inbox.settle(claimed, "ignored", "unknown_checkout")
        if checkout.status != "paid":
            # The refund came first: the charge itself says the money was taken.
            if not charge.get("paid") or charge.get("amount") != checkout.amount_minor:
                return await self.inbox.settle(
                    claimed, "ignored", "not_paid", contract_id=checkout.contract_id
                )
            await self._record_payment(checkout, charge.get("payment_intent"))
        refunded_minor = int(charge.get("amount_refunded") or 0)
        total = refunded_tiyin(checkout.amount, checkout.amount_minor, refunded_minor)
        if total <= checkout.refunded:  # an older refund event after a newer one
            return await self.inbox.settle(
                claimed, "ignored", "already_refunded", contract_id=checkout.contract_id
            )
        contract = await self.session.get(Contract, checkout.contract_id, with_for_update={"read": True})
        assert contract is not None
        entry = await self.ledger.record_refund(
            contract,
            total - checkout.refunded,
            provider=PROVIDER,
            external_id=f"{charge.get('id')}:{refunded_minor}",
            note=f"Stripe refund {refunded_minor / 100:.2f} {checkout.currency.upper()}",
            reversal=True,
        )
        checkout.refunded = total
        return await self.inbox.settle(
            claimed, "applied", contract_id=checkout.contract_id, ledger_entry_id=entry.id
        )

    # Checkout

    async def start_checkout(
        self, contract: Contract, instalment: int, *, actor: str, success_url: str, cancel_url: str
    ) -> StripeCheckout:
        """A Checkout Session for what is still unpaid of one instalment (a recent open one for
        the same amount is handed out again rather than a second session made)."""
        account = await provider_account(self.session, PROVIDER)
        if account is None or not account.api_key:
            raise NotConfigured(field="provider")
        schedule = list(
            await self.session.scalars(
                select(ContractInstalment.amount)
                .where(ContractInstalment.contract_id == contract.id)
                .order_by(ContractInstalment.number)
            )
        )
        if not 1 <= instalment <= len(schedule):
            raise NotChargeable(field="instalment")
        due = instalment_outstanding(schedule, instalment, await self.ledger.balance(contract.id))
        if due <= 0:
            raise NothingDue(field="instalment")
        minor = stripe_amount(due, account.currency, account.exchange_rate)
        if minor is None:
            raise NotChargeable(field="instalment", currency=account.currency.upper())
        recent = await self.session.scalar(
            select(StripeCheckout).where(
                StripeCheckout.contract_id == contract.id,
                StripeCheckout.instalment == instalment,
                StripeCheckout.amount == due,
                StripeCheckout.currency == account.currency,
                StripeCheckout.status == "open",
                StripeCheckout.session_id.is_not(None),
                StripeCheckout.created_at > datetime.now(UTC) - REUSE_OPEN_CHECKOUT,
            )
        )
        if recent is not None:
            return recent
        checkout = StripeCheckout(
            contract_id=contract.id,
            instalment=instalment,
            amount=due,
            currency=account.currency,
            amount_minor=minor,
            exchange_rate=None if account.currency == "uzs" else account.exchange_rate,
            created_by=actor,
        )
        self.session.add(checkout)
        await self.session.flush()
        metadata = {
            "hemis_tenant": self.tenant_code,
            "hemis_checkout": str(checkout.id),
            "contract_number": contract.number,
            "instalment": str(instalment),
        }
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": account.currency,
                        "unit_amount": minor,
                        "product_data": {"name": f"Contract {contract.number}, instalment {instalment}"},
                    },
                }
            ],
            "client_reference_id": f"{self.tenant_code}:{checkout.id}",
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},  # so the charge (and its refunds) name us
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        # One key per checkout row: a retry of this request (the library retries network errors)
        # gets the same session back from Stripe, never a second one.
        key = f"hemis-{self.tenant_code}-checkout-{checkout.id}"
        try:
            made = await client(account.api_key, self.settings).v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]  # the TypedDict is stricter than Stripe
                {"idempotency_key": key},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(field="provider") from exc
        checkout.session_id = made.id
        checkout.url = made.url or ""
        await self.session.flush()
        return checkout

    # Reconciliation

    async def reconcile(self, since: datetime) -> dict[str, int]:
        """Ask Stripe for the events created since `since` (it keeps 30 days) and ingest each
        through the same path as webhooks: those already stored count as duplicates."""
        account = await provider_account(self.session, PROVIDER)
        if account is None or not account.api_key:
            raise NotConfigured(field="provider")
        api = client(account.api_key, self.settings)
        events: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"created": {"gte": int(since.timestamp())}, "limit": 100}
            if after:
                params["starting_after"] = after
            page = await api.v1.events.list_async(params)  # type: ignore[arg-type]
            events += [e.to_dict() for e in page.data]
            if not page.has_more or not page.data:
                break
            after = page.data[-1].id
        counts: dict[str, int] = {}
        for event in sorted(events, key=lambda e: (e.get("created", 0), e.get("id", ""))):  # oldest first
            body = json.dumps(event, separators=(",", ":")).encode()
            async with self.session.begin_nested():
                outcome = await self.ingest(event, body, {"source": "reconcile"})
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts
