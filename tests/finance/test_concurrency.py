"""A payment on a student's earlier contract while a bulk generation makes the student's next
contract, on two real connections: neither deadlocks, and the payment is neither lost nor
counted twice. Generation locks the students FOR NO KEY UPDATE, then their earlier contracts,
then sums the balances to carry over; a payment locks its contract, then inserts a ledger row
whose foreign key takes KEY SHARE on the student, which NO KEY UPDATE lets through (FOR UPDATE
would not: the two would wait for each other).

Each order is forced once by pausing one side inside the real code path until the other waits
on its lock; then both race freely for several rounds."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.finance.ledger import LedgerService
from hemis.finance.models import Contract, LedgerEntry
from hemis.finance.rules import ContractType, EntryKind
from hemis.finance.service import BulkOutcome, ContractService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.finance.conftest import FEE, YEAR, Setup

NEXT_FEE = 1_300_000_000
PAID = 400_000_000
STUDENTS = 3
ROUNDS = 6
TIMEOUT = 30  # seconds: far beyond PostgreSQL's deadlock_timeout (1 s), a hang fails too
_ids = itertools.count(1)


@dataclass
class Pause:
    """Stops the wrapped method, called on a contract of `student`, until `go` (`reached` says it
    stopped there); called on another student's contract, or not armed, it goes straight on."""

    student: int | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    go: asyncio.Event = field(default_factory=asyncio.Event)

    def wrap(self, original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def paused(service: Any, contract: Contract, *args: Any, **kwargs: Any) -> Any:
            if self.student is not None and contract.student_id == self.student:
                self.reached.set()
                await self.go.wait()
            return await original(service, contract, *args, **kwargs)

        return paused


@dataclass
class Round:
    group: dict[str, Any]
    students: list[dict[str, Any]]
    old: dict[str, Any]  # the paid student's contract of YEAR
    external_id: str


async def a_round(fin: Setup) -> Round:
    """A first-year group with contracts of YEAR, then moved up to the second course."""
    group = await fin.group_of()
    students = [await fin.student(group) for _ in range(STUDENTS)]
    contracts = [await fin.contract(s["id"]) for s in students]
    moved = await fin.client.patch(
        f"/t/alpha/api/v1/groups/{group['id']}", json={"course": "12"}, headers=fin.registrar
    )
    assert moved.status_code == 200, moved.text
    # The last student is the last the bulk reaches: the longest window for the payment.
    return Round(group, students, contracts[-1], f"BANK-RACE-{next(_ids)}")


async def bulk(maker: async_sessionmaker[AsyncSession], tenant: TenantRef, group_id: int) -> BulkOutcome:
    async with tenant_session(maker, tenant) as session:
        outcome = await ContractService(session, actor="test:bulk").generate_bulk(
            group_id=group_id,
            specialty_id=None,
            academic_year=YEAR + 1,
            contract_type=ContractType.BASE,
            signed_on=date(YEAR + 1, 9, 1),
        )
        await session.commit()
        return outcome


async def payment(
    maker: async_sessionmaker[AsyncSession], tenant: TenantRef, contract_id: int, external_id: str
) -> None:
    async with tenant_session(maker, tenant) as session:
        await ContractService(session, actor="test:bank").pay(
            contract_id, PAID, provider="bank", external_id=external_id, booked_on=None, note=""
        )
        await session.commit()


@asynccontextmanager
async def settled(pause: Pause, task: asyncio.Task[Any]) -> AsyncIterator[None]:
    """Whatever happens in the block, the paused side is let go and its task ends with the test."""
    try:
        yield
    finally:
        pause.go.set()
        await asyncio.wait([task], timeout=TIMEOUT)
        task.cancel()


async def someone_waits_on_a_lock(owner: AsyncEngine) -> None:
    """Until a session of this (the worker's own) database waits for a lock."""
    for _ in range(TIMEOUT * 50):
        async with owner.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("nobody waited for a lock: the two did not meet")


async def check(
    maker: async_sessionmaker[AsyncSession], tenant: TenantRef, done: Round, outcome: BulkOutcome
) -> bool:
    """Nothing lost or doubled; returns whether the payment landed before the carry-over."""
    assert outcome.skipped == [] and len(outcome.made) == STUDENTS
    paid_student = done.old["student_id"]
    async with tenant_session(maker, tenant) as session:
        payments = list(
            await session.scalars(select(LedgerEntry).where(LedgerEntry.external_id == done.external_id))
        )
        assert [(p.contract_id, p.kind, p.amount) for p in payments] == [
            (done.old["id"], EntryKind.PAYMENT.value, -PAID)
        ]
        ledger = LedgerService(session, actor="test")
        assert await ledger.student_debt(paid_student) == FEE + NEXT_FEE - PAID
        new = await session.scalar(
            select(Contract).where(Contract.student_id == paid_student, Contract.academic_year == YEAR + 1)
        )
        assert new is not None
        carried = await session.scalar(
            select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.contract_id == new.id, LedgerEntry.kind == EntryKind.CARRY_OVER
            )
        )
        old_balance = await ledger.balance(done.old["id"])
    # Either the payment was in the sum that was carried (the old contract is closed at 0), or it
    # waited for the new contract and stays on the old one (a credit there); never both or neither.
    assert (carried, old_balance) in {(FEE - PAID, 0), (FEE, -PAID)}, (carried, old_balance)
    return old_balance == 0


@pytest.fixture
async def race(fin: Setup, monkeypatch: pytest.MonkeyPatch) -> tuple[Setup, Pause, Pause]:
    await fin.fee()
    await fin.fee(academic_year=YEAR + 1, course="12", amount=NEXT_FEE)
    before_carry, before_entry = Pause(), Pause()
    monkeypatch.setattr(ContractService, "_carry_over", before_carry.wrap(ContractService._carry_over))
    monkeypatch.setattr(LedgerService, "record_payment", before_entry.wrap(LedgerService.record_payment))
    return fin, before_carry, before_entry


class TestPaymentDuringBulkGeneration:
    async def test_payment_holding_the_contract_while_the_bulk_locks_the_student(
        self,
        race: tuple[Setup, Pause, Pause],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        owner: AsyncEngine,
    ) -> None:
        """The payment has its contract locked and is about to insert its entry; the bulk has the
        students locked and waits for that contract. The entry's KEY SHARE on the student must
        not wait for the bulk, or each waits for the other."""
        fin, _, before_entry = race
        done = await a_round(fin)
        alpha = tenants["alpha"]
        before_entry.student = done.old["student_id"]
        paying = asyncio.create_task(payment(maker, alpha, done.old["id"], done.external_id))
        async with settled(before_entry, paying):
            await asyncio.wait_for(before_entry.reached.wait(), TIMEOUT)
            making = asyncio.create_task(bulk(maker, alpha, done.group["id"]))
            async with settled(before_entry, making):
                await someone_waits_on_a_lock(owner)
                before_entry.go.set()
                _, outcome = await asyncio.wait_for(asyncio.gather(paying, making), TIMEOUT)
        assert await check(maker, alpha, done, outcome) is True  # the sum waited for the payment

    async def test_bulk_holding_the_contract_while_the_payment_arrives(
        self,
        race: tuple[Setup, Pause, Pause],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        owner: AsyncEngine,
    ) -> None:
        """The bulk has the students and the earlier contract locked and is about to sum; the
        payment waits for that contract and lands on it after the new contract is made."""
        fin, before_carry, _ = race
        done = await a_round(fin)
        alpha = tenants["alpha"]
        before_carry.student = done.old["student_id"]  # the others of the group go straight on
        making = asyncio.create_task(bulk(maker, alpha, done.group["id"]))
        async with settled(before_carry, making):
            await asyncio.wait_for(before_carry.reached.wait(), TIMEOUT)
            paying = asyncio.create_task(payment(maker, alpha, done.old["id"], done.external_id))
            async with settled(before_carry, paying):
                await someone_waits_on_a_lock(owner)
                before_carry.go.set()
                outcome, _ = await asyncio.wait_for(asyncio.gather(making, paying), TIMEOUT)
        assert await check(maker, alpha, done, outcome) is False  # the payment waited for the sum

    async def test_free_races(
        self,
        race: tuple[Setup, Pause, Pause],
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        fin, _, _ = race
        alpha = tenants["alpha"]
        rounds = [await a_round(fin) for _ in range(ROUNDS)]
        for number, done in enumerate(rounds):
            delay = random.uniform(0, 0.03)

            async def late(job: Awaitable[Any], wait: float) -> Any:
                await asyncio.sleep(wait)
                return await job

            first, second = (0.0, delay) if number % 2 else (delay, 0.0)
            outcome, _ = await asyncio.wait_for(
                asyncio.gather(
                    late(bulk(maker, alpha, done.group["id"]), first),
                    late(payment(maker, alpha, done.old["id"], done.external_id), second),
                ),
                TIMEOUT,
            )
            await check(maker, alpha, done, outcome)
