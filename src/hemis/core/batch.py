"""All or nothing for a batch of writes a person sends at once (a lesson's absences, a sheet's marks):
every item is tried so each refusal can be named, and one refusal rolls the whole batch back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.errors import HemisError

Write = Callable[[], Awaitable[Any]]


class BatchRefused(HemisError):
    """Some items were refused, each with its own error (keyed by the item, e.g. a student id);
    nothing of the batch was written. A 409 when every refusal is a conflict (a stale version),
    else a 422."""

    status_code = 422
    message_key = "batch.refused"

    def __init__(self, refusals: Sequence[tuple[int, HemisError]]) -> None:
        super().__init__(field="items", count=len(refusals))
        self.refusals = list(refusals)
        self.status_code = 409 if all(e.status_code == 409 for _, e in refusals) else 422

    def of(self, key: int) -> HemisError | None:
        return next((error for k, error in self.refusals if k == key), None)


async def all_or_nothing(session: AsyncSession, writes: Sequence[tuple[int, Write]]) -> None:
    """Run each write in a savepoint of its own inside one savepoint for the batch: a refused item
    (a HemisError, a constraint the database caught) leaves the session usable for the next, so
    every refusal is collected; if there is any, the batch's savepoint is rolled back and
    BatchRefused raised, so what the caller reads afterwards is what was there before."""
    refusals: list[tuple[int, HemisError]] = []
    batch = await session.begin_nested()
    for key, write in writes:
        try:
            async with session.begin_nested():
                await write()
        except HemisError as refused:
            refusals.append((key, refused))
    if refusals:
        await batch.rollback()
        # The rollback undoes the database, not objects a write changed behind the ORM's back
        # (a mark corrected by an UPDATE statement and then copied onto its object): they are
        # read again, so the page shows what is stored, not what was just undone.
        session.expire_all()
        raise BatchRefused(refusals)
    await batch.commit()
