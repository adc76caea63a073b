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
from typing import Any, NamedTuple

import msgspec
import stripe
from sqlalchemy import ClauseElement, Update, bindparam, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.config import PaymentSettings
from hemis.core.audit import AuditEvent
from hemis.core.clock import local_today
from hemis.core.db import table_of
from hemis.core.errors import Conflict, HemisError
from hemis.core.observability import request_id_var
from hemis.core.prepared import DriverStatement
from hemis.finance.ledger import ContractCancelled, LedgerService
from hemis.finance.models import Contract, ContractInstalment, LedgerEntry, PaymentEvent, StripeCheckout
from hemis.finance.payments import Outcome, PaymentInbox, provider_account, webhook_secret
from hemis.finance.rules import EntryKind, instalment_outstanding, refunded_tiyin, stripe_amount

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
        once. A refused one comes back `rejected` (the caller commits it alone and answers 400).
        The body is parsed once, after its signature is verified (a refusal's record is given
        the id and type the body claims)."""
        headers = {"stripe-signature": (signature or "")[:500]}
        secret = await webhook_secret(self.session, PROVIDER, self.tenant_code)
        if not secret:
            return await self._refuse(body, headers, "not_configured")
        tolerance = self.settings.stripe_tolerance_seconds
        try:
            try:
                stripe.WebhookSignature.verify_header(body, signature, secret, tolerance)
            except stripe.SignatureVerificationError:
                # The cached secret may have been rotated: read the account again, once.
                fresh = await webhook_secret(self.session, PROVIDER, self.tenant_code, fresh=True)
                if not fresh or fresh == secret:
                    raise
                stripe.WebhookSignature.verify_header(body, signature, fresh, tolerance)
            event = msgspec.json.decode(body)
        except stripe.SignatureVerificationError as exc:
            return await self._refuse(
                body, headers, "too_old" if "tolerance" in str(exc) else "bad_signature"
            )
        except ValueError:  # not UTF-8 or not JSON (msgspec.DecodeError), though signed
            return await self._refuse(body, headers, "malformed", with_type=False)
        if not isinstance(event, dict):
            return await self._refuse(body, headers, "malformed", with_type=False)
        return await self.ingest(event, body, headers)

    async def _refuse(
        self, body: bytes, headers: dict[str, str], reason: str, *, with_type: bool = True
    ) -> Outcome:
        claimed_id, claimed_type = _peek(body)
        return await self.inbox.reject(
            PROVIDER,
            body,
            headers,
            reason,
            event_id=claimed_id,
            event_type=claimed_type if with_type else "",
        )

    async def ingest(self, event: dict[str, Any], body: bytes, headers: dict[str, str]) -> Outcome:
        """An authentic event (signed, or fetched from Stripe by the reconciliation job)."""
        event_id, event_type = str(event.get("id", "")), str(event.get("type", ""))
        if not event_id:
            return await self.inbox.reject(PROVIDER, body, headers, "malformed", event_type=event_type)
        claimed = await self.inbox.claim(PROVIDER, event_id, event_type, body, headers)
        if claimed.status == "duplicate":
            return claimed
        obj = (event.get("data") or {}).get("object") or {}
        if event_type in PAID_TYPES:
            # No savepoint: every refusal is decided before its one writing statement.
            return await self._paid(claimed, obj)
        try:
            async with self.session.begin_nested():  # a refused effect leaves the event's row
                if event_type == "charge.refunded":
                    return await self._refunded(claimed, obj)
        except HemisError as error:
            return await self.inbox.settle(claimed, "ignored", error.message_key)
        return await self.inbox.settle(claimed, "ignored", "unhandled_type")

    def _checkout_id(self, obj: dict[str, Any]) -> int | None:
        """Our checkout the object names (its metadata, made by us)."""
        metadata = obj.get("metadata") or {}
        if metadata.get("hemis_tenant") != self.tenant_code:
            return None  # another university's (or not ours at all): never applied here
        try:
            return int(metadata.get("hemis_checkout", ""))
        except ValueError:
            return None

    async def _checkout(self, obj: dict[str, Any]) -> StripeCheckout | None:
        """Our checkout the object names, locked: events of one payment are applied one at a time."""
        checkout_id = self._checkout_id(obj)
        if checkout_id is None:
            return None
        return await self.session.get(
            StripeCheckout, checkout_id, with_for_update=True, populate_existing=True
        )

    async def _paid(self, claimed: Outcome, session_obj: dict[str, Any]) -> Outcome:
        """A paid checkout in two statements: the locking read (checkout FOR UPDATE, its
        contract FOR SHARE, the payment's ledger entry if already made) and one write (ledger
        entry, its audit row, the checkout, the event's row), the same checks as
        LedgerService.record_payment made before it."""
        checkout_id = self._checkout_id(session_obj)
        found = None if checkout_id is None else await paid_checkout(self.session, checkout_id)
        if found is None or found.session_id != session_obj.get("id"):
            return await self.inbox.settle(claimed, "ignored", "unknown_checkout")
        if session_obj.get("payment_status") != "paid":
            return await self.inbox.settle(claimed, "ignored", "not_paid", contract_id=found.contract_id)
        if (session_obj.get("currency"), session_obj.get("amount_total")) != (
            found.currency,
            found.amount_minor,
        ):
            return await self.inbox.settle(
                claimed, "ignored", "amount_mismatch", contract_id=found.contract_id
            )
        intent = session_obj.get("payment_intent")
        if found.entry_id is not None:  # the refund came first, or another paid event of it
            if (found.entry_contract_id, found.entry_kind, found.entry_amount) != (
                found.contract_id,
                EntryKind.PAYMENT.value,
                -found.amount,
            ):
                return await self.inbox.settle(
                    claimed, "ignored", Conflict.message_key, contract_id=found.contract_id
                )
        elif found.contract_status != "active":
            return await self.inbox.settle(
                claimed, "ignored", ContractCancelled.message_key, contract_id=found.contract_id
            )
        entry_id = await apply_paid(
            self.session,
            claimed.event_row,
            found,
            actor=ACTOR,
            payment_intent=intent if isinstance(intent, str) else None,
            note=f"Stripe {found.amount_minor / 100:.2f} {found.currency.upper()}",
        )
        return Outcome(claimed.event_row, "applied", "", entry_id)

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
        the same amount is handed out again rather than a second session made). A cancelled
        contract takes no payment: its checkout's money would have nowhere to go."""
        if contract.status != "active":
            raise ContractCancelled(field="contract_id")
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


def _paid_checkout_query() -> ClauseElement:
    """The checkout, locked FOR UPDATE (events of one payment are applied one at a time), its
    contract FOR SHARE (payments of one contract by different checkouts need not queue behind
    each other; cancelling the contract waits for them, and they for it) and the payment's
    ledger entry if one was made already, in one round trip."""
    return (
        select(
            StripeCheckout.id,
            StripeCheckout.session_id,
            StripeCheckout.contract_id,
            StripeCheckout.amount,
            StripeCheckout.currency,
            StripeCheckout.amount_minor,
            Contract.status.label("contract_status"),
            Contract.student_id,
            LedgerEntry.id.label("entry_id"),
            LedgerEntry.contract_id.label("entry_contract_id"),
            LedgerEntry.kind.label("entry_kind"),
            LedgerEntry.amount.label("entry_amount"),
        )
        .join(Contract, Contract.id == StripeCheckout.contract_id)
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.provider == PROVIDER) & (LedgerEntry.external_id == StripeCheckout.session_id),
        )
        .where(StripeCheckout.id == bindparam("checkout_id"))
        .with_for_update(of=StripeCheckout)
        # Two lock strengths in one statement (SQLAlchemy renders one locking clause).
        .suffix_with(f"FOR SHARE OF {Contract.__tablename__}")  # lint-skip: a constant table name
    )


def _apply_paid_statement(new_entry: bool) -> Update:
    """One statement: the payment's ledger entry (if `new_entry`) and its audit row, the
    checkout paid, the event's row applied, returning the ledger entry's id. Built once.

    The entry is inserted ON CONFLICT DO NOTHING and the event row takes whichever entry holds
    (provider, session id): a payment recorded by a concurrent event of the same checkout after
    the locking read is found again (this statement's snapshot is newer), never recorded twice."""
    ledger, audit = table_of(LedgerEntry), table_of(AuditEvent)
    event, checkout = table_of(PaymentEvent), table_of(StripeCheckout)
    p = {
        name: bindparam(f"p_{name}", type_=type_)
        for name, type_ in [
            ("event_row", event.c.id.type),
            ("checkout_id", checkout.c.id.type),
            ("intent", checkout.c.payment_intent.type),
            ("contract_id", ledger.c.contract_id.type),
            ("student_id", ledger.c.student_id.type),
            ("amount", ledger.c.amount.type),
            ("booked_on", ledger.c.booked_on.type),
            ("now", ledger.c.at.type),
            ("actor", ledger.c.actor.type),
            ("request_id", ledger.c.request_id.type),
            ("note", ledger.c.note.type),
            ("session_id", ledger.c.external_id.type),
            ("entry_id", ledger.c.id.type),
        ]
    }
    paid = (
        update(checkout)
        .where(checkout.c.id == p["checkout_id"])
        .values(
            status="paid",
            payment_intent=func.coalesce(p["intent"], checkout.c.payment_intent),
            updated_at=p["now"],  # a CTE runs no Python-side onupdate
        )
        .cte("paid")
    )
    statement = update(event).where(event.c.id == p["event_row"]).add_cte(paid)
    entry_id: Any = p["entry_id"]
    if new_entry:
        entry = (
            insert(ledger)
            .values(
                contract_id=p["contract_id"],
                student_id=p["student_id"],
                kind=EntryKind.PAYMENT.value,
                amount=p["amount"],
                booked_on=p["booked_on"],
                at=p["now"],
                actor=p["actor"],
                request_id=p["request_id"],
                note=p["note"],
                provider=PROVIDER,
                external_id=p["session_id"],
            )
            .on_conflict_do_nothing(index_elements=[ledger.c.provider, ledger.c.external_id])
            .returning(ledger.c.id)
            .cte("entry")
        )
        data = func.jsonb_build_object(
            literal("entry_id"),
            entry.c.id,
            literal("amount"),
            p["amount"],
            literal("provider"),
            literal(PROVIDER),
            literal("external_id"),
            p["session_id"],
        )
        audited = insert(audit).from_select(
            ["at", "action", "actor", "entity", "entity_id", "request_id", "data"],
            select(
                p["now"],
                literal(f"ledger_entry.{EntryKind.PAYMENT.value}", audit.c.action.type),
                p["actor"],
                literal("contract", audit.c.entity.type),
                func.cast(p["contract_id"], audit.c.entity_id.type),
                p["request_id"],
                data,
            ).select_from(entry),
        )
        existing = (
            select(ledger.c.id)
            .where(ledger.c.provider == PROVIDER, ledger.c.external_id == p["session_id"])
            .scalar_subquery()
        )
        entry_id = func.coalesce(select(entry.c.id).scalar_subquery(), existing)
        statement = statement.add_cte(entry, audited.cte("audited"))
    return statement.values(
        status="applied",
        reason="",
        applied_at=p["now"],
        contract_id=p["contract_id"],
        ledger_entry_id=entry_id,
    ).returning(event.c.ledger_entry_id)


PAID_CHECKOUT = DriverStatement(_paid_checkout_query())
APPLY_PAID = {
    True: DriverStatement(_apply_paid_statement(True)),
    False: DriverStatement(_apply_paid_statement(False)),
}


class PaidCheckout(NamedTuple):
    """PAID_CHECKOUT's row: the checkout, its contract's status and student, its payment if made."""

    id: int
    session_id: str | None
    contract_id: int
    amount: int
    currency: str
    amount_minor: int
    contract_status: str
    student_id: int
    entry_id: int | None
    entry_contract_id: int | None
    entry_kind: str | None
    entry_amount: int | None


async def paid_checkout(session: AsyncSession, checkout_id: int) -> PaidCheckout | None:
    rows = await PAID_CHECKOUT.fetch(session, {"checkout_id": checkout_id})
    return PaidCheckout(**dict(rows[0].items())) if rows else None


async def apply_paid(
    session: AsyncSession,
    event_row: int,
    found: PaidCheckout,
    *,
    actor: str,
    payment_intent: str | None,
    note: str,
) -> int:
    """APPLY_PAID for one event row and the checkout `found` (paid_checkout's row)."""
    rows = await APPLY_PAID[found.entry_id is None].fetch(
        session,
        {
            "p_event_row": event_row,
            "p_checkout_id": found.id,
            "p_intent": payment_intent,
            "p_contract_id": found.contract_id,
            "p_student_id": found.student_id,
            "p_amount": -found.amount,
            "p_booked_on": local_today(),
            "p_now": datetime.now(UTC),
            "p_actor": actor,
            "p_request_id": request_id_var.get() or "",
            "p_note": note,
            "p_session_id": found.session_id,
            "p_entry_id": found.entry_id,
        },
    )
    result = rows[0][0]
    assert result is not None  # the entry inserted, found, or made concurrently
    return int(result)
