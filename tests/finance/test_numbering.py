"""Contract numbers under concurrency: many accountants at once get unique, consecutive numbers of
the year, and a contract that rolls back gives its number back (no gaps)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.finance.service import ContractService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.finance.conftest import YEAR, Setup

YEAR_UNDER_TEST = YEAR + 40  # a year no other test numbers in, so the sequence is this test's own


async def _make(
    maker: async_sessionmaker[AsyncSession], tenant: TenantRef, student_id: int, *, keep: bool = True
) -> int:
    async with tenant_session(maker, tenant) as session:
        contract = await ContractService(session, actor="test").generate(
            student_id, academic_year=YEAR_UNDER_TEST
        )
        seq = contract.seq
        await asyncio.sleep(0.01)  # hold the counter's lock a moment, as a slow request would
        if keep:
            await session.commit()
        else:
            await session.rollback()
        return seq


async def test_concurrent_contracts_get_consecutive_numbers(
    fin: Setup, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
) -> None:
    await fin.fee(academic_year=YEAR_UNDER_TEST)
    students = [await fin.student() for _ in range(12)]
    alpha = tenants["alpha"]
    # One of them rolls back half-way: its number must be handed out again, not lost.
    dropped = await _make(maker, alpha, students[0]["id"], keep=False)
    seqs = await asyncio.gather(*(_make(maker, alpha, s["id"]) for s in students[1:]))
    assert len(set(seqs)) == len(seqs) == 11
    assert sorted(seqs) == list(range(dropped, dropped + 11))  # gap-free from the dropped one on
    assert await _make(maker, alpha, students[0]["id"]) == dropped + 11
