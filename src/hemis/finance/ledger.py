"""The ledger: insert-only money entries of contracts, and every balance as their sum.

Nothing else holds money. A contract's balance is the sum of its entries; a student's debt is
the sum over all their contracts (carried-over debts move between contracts, so they are
counted once). Payment providers (a later step) call `record_payment` with their own name and
the payment's id there: a repeated webhook finds the entry it made the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.clock import local_today
from hemis.core.errors import Conflict, HemisError
from hemis.core.observability import request_id_var
from hemis.finance.models import Contract, LedgerEntry
from hemis.finance.rules import EntryKind, sign_ok

MANUAL = "manual"  # entered by the accountant from a paper document: no external id needed


class ExternalIdRequired(HemisError):
    status_code = 422
    message_key = "finance.external_id_required"


class RefundTooLarge(HemisError):
    status_code = 409
    message_key = "finance.refund_too_large"


class ContractCancelled(HemisError):
    status_code = 409
    message_key = "finance.contract_cancelled"


class LedgerService:
    def __init__(self, session: AsyncSession, *, actor: str) -> None:
        self.session = session
        self.actor = actor

    async def add(
        self,
        contract: Contract,
        kind: EntryKind,
        amount: int,
        *,
        booked_on: date | None = None,
        note: str = "",
        discount_id: int | None = None,
        related_contract_id: int | None = None,
        provider: str | None = None,
        external_id: str | None = None,
    ) -> LedgerEntry:
        """Write one entry and its audit row (flush only: the caller's transaction commits)."""
        if not sign_ok(kind, amount):
            raise ValueError(f"{kind} of {amount}: wrong sign")  # a bug, never the caller's input
        entry = LedgerEntry(
            contract_id=contract.id,
            student_id=contract.student_id,
            kind=kind.value,
            amount=amount,
            booked_on=booked_on or local_today(),
            at=datetime.now(UTC),
            actor=self.actor,
            request_id=request_id_var.get() or "",
            note=note,
            discount_id=discount_id,
            related_contract_id=related_contract_id,
            provider=provider,
            external_id=external_id,
        )
        self.session.add(entry)
        await self.session.flush()
        await audit.record(
            self.session,
            f"ledger_entry.{kind.value}",
            entity="contract",
            entity_id=contract.id,
            actor=self.actor,
            data={"entry_id": entry.id, "amount": amount, "provider": provider, "external_id": external_id},
        )
        return entry

    async def record_payment(
        self,
        contract: Contract,
        amount: int,
        *,
        provider: str,
        external_id: str | None,
        booked_on: date | None = None,
        note: str = "",
    ) -> LedgerEntry:
        """A payment of `amount` tiyin (> 0) towards the contract. Idempotent per (provider,
        external_id): the same payment again returns the first entry; the same id with another
        contract or amount is a 409. The caller holds the contract's row lock."""
        return await self._money_move(
            contract, EntryKind.PAYMENT, -amount, provider, external_id, booked_on, note
        )

    async def record_refund(
        self,
        contract: Contract,
        amount: int,
        *,
        provider: str,
        external_id: str | None,
        booked_on: date | None = None,
        note: str = "",
        reversal: bool = False,
    ) -> LedgerEntry:
        """Money paid back to the student: at most what the contract holds in their favour
        (allowed on a cancelled contract too: that is where refunds usually come from).
        A `reversal` is a provider giving back one of its own payments (a Stripe refund, a
        Payme cancel after perform): the money has left already, so it is recorded whatever
        the balance; the caller holds it to the payment's own amount."""
        # A replay of a refund already made answers with it, whatever the balance is now.
        if (
            not reversal
            and await self._same_move(provider, external_id) is None
            and amount > -await self.balance(contract.id)
        ):
            raise RefundTooLarge(field="amount")
        return await self._money_move(
            contract, EntryKind.REFUND, amount, provider, external_id, booked_on, note
        )

    async def _same_move(self, provider: str, external_id: str | None) -> LedgerEntry | None:
        if external_id is None:
            return None
        return await self.session.scalar(
            select(LedgerEntry).where(
                LedgerEntry.provider == provider, LedgerEntry.external_id == external_id
            )
        )

    async def _money_move(
        self,
        contract: Contract,
        kind: EntryKind,
        amount: int,
        provider: str,
        external_id: str | None,
        booked_on: date | None,
        note: str,
    ) -> LedgerEntry:
        if external_id is None and provider != MANUAL:
            raise ExternalIdRequired(field="external_id")
        if external_id is not None:
            found = await self._same_move(provider, external_id)
            if found is not None:
                if (found.contract_id, found.kind, found.amount) != (contract.id, kind.value, amount):
                    raise Conflict(field="external_id")
                return found
        if kind is EntryKind.PAYMENT and contract.status != "active":
            raise ContractCancelled(field="contract_id")
        return await self.add(
            contract,
            kind,
            amount,
            booked_on=booked_on,
            note=note,
            provider=provider if external_id is not None else None,
            external_id=external_id,
        )

    async def entries(self, contract_id: int) -> list[LedgerEntry]:
        query = select(LedgerEntry).where(LedgerEntry.contract_id == contract_id)
        return list(await self.session.scalars(query.order_by(LedgerEntry.id)))

    async def balance(self, contract_id: int, kind: EntryKind | None = None) -> int:
        """The contract's balance; with `kind`, the sum of that kind of entry alone."""
        query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.contract_id == contract_id
        )
        if kind is not None:
            query = query.where(LedgerEntry.kind == kind)
        return int(await self.session.scalar(query) or 0)

    async def balances(self, contract_ids: Sequence[int]) -> dict[int, int]:
        """Balances of many contracts in one query (0 for a contract without entries)."""
        if not contract_ids:
            return {}
        rows = await self.session.execute(
            select(LedgerEntry.contract_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.contract_id.in_(contract_ids))
            .group_by(LedgerEntry.contract_id)
        )
        found = {cid: int(total) for cid, total in rows}
        return {cid: found.get(cid, 0) for cid in contract_ids}

    async def student_debt(self, student_id: int) -> int:
        query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.student_id == student_id
        )
        return int(await self.session.scalar(query) or 0)
