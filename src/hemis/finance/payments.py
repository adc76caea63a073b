"""The provider-agnostic payment inbox: every provider request stored raw, deduplicated by
(provider, event id), applied once in the same transaction as its ledger entry.

How one delivery goes (providers/stripe.py, providers/payme.py call these):
1. Not authentic (bad signature, too old, wrong credentials, unreadable): `reject()` stores
   the raw request as `rejected` with the reason. The caller commits that in a transaction of
   its own and answers 4xx, so a refusal still leaves its record for review. A rejected row
   never holds the event id's slot: a forged request cannot shadow the genuine event.
2. Authentic: `claim()` inserts the raw event as `pending` with INSERT … ON CONFLICT DO
   NOTHING on the partial unique index (provider, event_id). Of any number of concurrent
   deliveries exactly one inserts; the others wait for its transaction and, once it commits,
   find the slot taken and are stored as `duplicate` rows (no effect); both inserts are one
   statement, so a duplicate costs one round trip (run on the driver: core/prepared.py). If
   the first one rolls back, a waiting one takes the slot instead, so an event is never lost
   to a failed attempt.
3. The provider applies the event's effect (ledger entry, checkout or transaction state) in a
   savepoint (or, for a paid Stripe checkout, in one statement decided before it writes) and
   settles the row as `applied` or `ignored` (with the reason, e.g. an event type without
   effect, an unknown checkout, a cancelled contract) in the same transaction.

Why the effect is applied in the request rather than by a job after a 202 (STYLE.md 14): the
issue asks for the event to be applied in the same transaction as its effect, and applying it
in the request keeps that one transaction (a crash leaves neither); the work is a few indexed
writes, well inside Stripe's timeout, and a failure answers 5xx so the provider retries.

Out-of-order events are each provider's concern; both treat their own rows (checkout,
transaction) as the state, locked FOR UPDATE, and every ledger write is idempotent per
(provider, external id) besides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ClauseElement, bindparam, exists, literal, select, update
from sqlalchemy import text as sql_text  # noqa: TID251 - the partial index's literal predicate, no input
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.db import table_of
from hemis.core.errors import NotFound, OutOfRange, TooPrecise
from hemis.core.listing import ListParams, fetch_page
from hemis.core.observability import request_id_var
from hemis.core.prepared import DriverStatement
from hemis.finance.models import EVENT_SLOT_SQL, PaymentEvent, PaymentProvider
from hemis.finance.rules import STRIPE_CURRENCIES

MAX_BODY = 256 * 1024  # a provider's event is a few kB; more is not a provider's event


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery: the stored row's id and status, and its reason."""

    event_row: int
    status: str
    reason: str = ""
    ledger_entry_id: int | None = None


def _claim_statement() -> ClauseElement:
    """One statement, one round trip: the claiming insert, and the duplicate's row only if it
    took no slot (data-modifying CTEs run once each; `first` waits for a concurrent first
    delivery's transaction, as two statements did). Built once: its values are parameters."""
    table = table_of(PaymentEvent)
    columns = ["provider", "event_id", "event_type", "received_at", "body", "headers", "request_id", "reason"]
    params = {c: bindparam(f"e_{c}", type_=table.c[c].type) for c in columns}
    first = (
        insert(table)
        .values(status="pending", **params)
        .on_conflict_do_nothing(
            index_elements=[table.c.provider, table.c.event_id],
            index_where=sql_text(EVENT_SLOT_SQL),
        )
        .returning(table.c.id, table.c.status)
        .cte("first")
    )
    copy = select(
        *(params[c].label(c) for c in columns), literal("duplicate", table.c.status.type).label("status")
    ).where(~exists(select(first.c.id)))
    duplicate = (
        insert(table)
        .from_select([*columns, "status"], copy)
        .returning(table.c.id, table.c.status)
        .cte("duplicate")
    )
    return select(first.c.id, first.c.status).union_all(select(duplicate.c.id, duplicate.c.status))


CLAIM = DriverStatement(_claim_statement())


class PaymentInbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def reject(
        self,
        provider: str,
        body: bytes,
        headers: dict[str, str],
        reason: str,
        *,
        event_id: str | None = None,
        event_type: str = "",
    ) -> Outcome:
        """Keep a refused request for review (the caller commits it on its own)."""
        row = PaymentEvent(
            provider=provider,
            event_id=(event_id or None) and event_id[:255],
            event_type=event_type[:100],
            status="rejected",
            reason=reason[:100],
            received_at=datetime.now(UTC),
            body=body[:MAX_BODY],
            headers=headers,
            request_id=request_id_var.get() or "",
        )
        self.session.add(row)
        await self.session.flush()
        return Outcome(row.id, "rejected", reason)

    async def claim(
        self, provider: str, event_id: str, event_type: str, body: bytes, headers: dict[str, str]
    ) -> Outcome:
        """Store an authentic event: `pending` if this delivery is the first (the caller applies
        it, then settles), else a `duplicate` row without effect."""
        values: dict[str, Any] = {
            "provider": provider,
            "event_id": event_id[:255],
            "event_type": event_type[:100],
            "received_at": datetime.now(UTC),
            "body": body[:MAX_BODY],
            "headers": headers,
            "request_id": request_id_var.get() or "",
            "reason": "",
        }
        (row,) = await CLAIM.fetch(self.session, {f"e_{k}": v for k, v in values.items()})
        return Outcome(row["id"], row["status"])

    async def settle(
        self,
        claimed: Outcome,
        status: str,
        reason: str = "",
        *,
        contract_id: int | None = None,
        ledger_entry_id: int | None = None,
    ) -> Outcome:
        """Record what the event did (same transaction as the effect)."""
        await self.session.execute(
            update(PaymentEvent)
            .where(PaymentEvent.id == claimed.event_row)
            .values(
                status=status,
                reason=reason[:100],
                applied_at=datetime.now(UTC) if status == "applied" else None,
                contract_id=contract_id,
                ledger_entry_id=ledger_entry_id,
            )
        )
        return Outcome(claimed.event_row, status, reason, ledger_entry_id)

    # Review

    async def page(
        self, params: ListParams, *, status: str | None, provider: str | None
    ) -> tuple[list[PaymentEvent], int]:
        query = select(PaymentEvent)
        if status is not None:
            query = query.where(PaymentEvent.status == status)
        if provider is not None:
            query = query.where(PaymentEvent.provider == provider)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"received_at": PaymentEvent.received_at, "id": PaymentEvent.id},
            default_sort="-id",
            searchable=[PaymentEvent.event_id],
        )

    async def get(self, row_id: int) -> PaymentEvent:
        row = await self.session.get(PaymentEvent, row_id)
        if row is None:
            raise NotFound(field="event_id")
        return row


class ProviderSettingsService:
    """A university's provider accounts, kept by its accountants and admins (audited; the
    audit row names which secrets changed, never their values)."""

    def __init__(self, session: AsyncSession, *, actor: str) -> None:
        self.session = session
        self.actor = actor

    async def all(self) -> list[PaymentProvider]:
        return list(await self.session.scalars(select(PaymentProvider).order_by(PaymentProvider.provider)))

    async def put(self, provider: str, values: dict[str, Any]) -> PaymentProvider:
        """Create or change the account of `provider`; secrets left out keep their value."""
        OutOfRange.check(values, "exchange_rate", 0, 10**9, low_open=True)
        TooPrecise.check(values, "exchange_rate", 4)
        row = await self.session.scalar(
            select(PaymentProvider).where(PaymentProvider.provider == provider).with_for_update()
        )
        if row is None:
            row = PaymentProvider(provider=provider)
            self.session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        if row.currency not in STRIPE_CURRENCIES:
            row.currency = "usd"
        await self.session.flush()
        forget_secrets()  # this process (others: after SECRET_TTL)
        await audit.record(
            self.session,
            "payment_provider.saved",
            entity="payment_provider",
            entity_id=row.id,
            actor=self.actor,
            data={
                k: ("***" if k in SECRETS else str(v) if v is not None else None) for k, v in values.items()
            },
        )
        return row


SECRETS = frozenset({"api_key", "webhook_secret"})


async def provider_account(session: AsyncSession, provider: str) -> PaymentProvider | None:
    """The tenant's active account at `provider` (the session's tenant: the webhook's own)."""
    return await session.scalar(
        select(PaymentProvider).where(PaymentProvider.provider == provider, PaymentProvider.active.is_(True))
    )


# Webhook secrets per process, for a few seconds: every delivery needs one, and reading it
# cost a round trip each. A secret changed in this process is seen at once (`put` forgets
# them); another worker keeps accepting the old secret (or a deactivated account's) for up
# to SECRET_TTL seconds, while a request signed with the new one makes it read the row again
# (StripeGateway.receive), so a rotation never refuses the new secret.
SECRET_TTL = 5.0
_secrets: dict[tuple[str, str], tuple[float, str]] = {}


async def webhook_secret(
    session: AsyncSession, provider: str, tenant_code: str, *, fresh: bool = False
) -> str:
    """The tenant's webhook secret at `provider` ("" if none), cached for SECRET_TTL seconds."""
    key = (tenant_code, provider)
    now = time.monotonic()
    hit = _secrets.get(key)
    if hit is not None and hit[0] > now and not fresh:
        return hit[1]
    account = await provider_account(session, provider)
    secret = account.webhook_secret if account is not None else ""
    if secret:
        _secrets[key] = (now + SECRET_TTL, secret)
    else:
        _secrets.pop(key, None)
    return secret


def forget_secrets() -> None:
    _secrets.clear()
