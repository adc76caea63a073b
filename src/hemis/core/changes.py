"""Which universities' data changed, as PostgreSQL tells every worker process.

Every table of a university's schema that a page may show has a statement trigger that sends
`NOTIFY hemis_changes, '<schema>'` (tenant migration 9d4e2b7c1a36). PostgreSQL delivers it
when, and only if, the writing transaction commits, to every connection listening, so one
listening connection per process learns of every committed change of every university within
milliseconds, with no polling and no round trip on a request.

What it is for: answers kept in a process (hemis.portal.page_cache) are kept under a mark
(`mark()`), taken before they read anything, and are good only while `current()` still
returns that mark. The mark moves with any committed change of the university, and with the
listening connection itself: while it is down nothing is known, so `mark()` returns None and
nothing is kept; when it is back every earlier mark is void (what changed in between is
unknown). So a missed notification can cost a cache miss, never a stale answer.

What it does not cover: the moment between a commit and its notification's arrival here (a
millisecond or so; a request this process served that wrote moves the mark itself, so a
person never misses their own write), and shared tables (classifiers, the platform's), which
the caches' own time limits bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

CHANNEL = "hemis_changes"
RETRY_SECONDS = 1.0  # between attempts to listen again after the connection was lost

log = logging.getLogger("hemis.changes")

Mark = tuple[int, int]  # (the listening connection's epoch, the schema's generation)


class ChangeFeed:
    """The committed changes of every university's schema, as generations per schema."""

    def __init__(self, url: str) -> None:
        # libpq form for asyncpg (the app's engine URL names the SQLAlchemy driver).
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._generations: dict[str, int] = {}
        self._epoch = 0
        self._listening = False
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.listening_changed = asyncio.Condition()  # tests wait on it

    @property
    def listening(self) -> bool:
        return self._listening

    def mark(self, schema: str) -> Mark | None:
        """Where `schema`'s changes stand now; None while nothing can be known (not listening)."""
        if not self._listening:
            return None
        return self._epoch, self._generations.get(schema, 0)

    def current(self, schema: str, mark: Mark) -> bool:
        """Whether nothing of `schema` has changed since `mark` was taken."""
        return self._listening and mark == (self._epoch, self._generations.get(schema, 0))

    def changed(self, schema: str) -> None:
        """`schema` changed: every mark of it taken before is void. Called for each notification,
        and by this process itself around a request that may write (its own writes are void at
        once, before the notification is back)."""
        self._generations[schema] = self._generations.get(schema, 0) + 1

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.changed(payload)

    def _terminated(self, _connection: Any) -> None:
        self._listening = False
        self._epoch += 1
        self._lost.set()

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            connection.add_termination_listener(self._terminated)
            await connection.add_listener(CHANNEL, self._notified)
            self._connection = connection
            # Anything before this moment is unknown: every earlier mark is void.
            self._epoch += 1
            self._lost.clear()
            self._listening = True
            async with self.listening_changed:
                self.listening_changed.notify_all()
            await self._lost.wait()
        finally:
            self._listening = False
            self._epoch += 1
            self._connection = None
            async with self.listening_changed:
                self.listening_changed.notify_all()
            if not connection.is_closed():
                with contextlib.suppress(Exception):
                    await connection.close(timeout=1)

    async def run(self) -> None:
        """Listen until cancelled, connecting again whenever the connection is lost."""
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: nothing is kept meanwhile (mark() is None)
                log.warning("change notifications: not listening, retrying", exc_info=True)
            await asyncio.sleep(RETRY_SECONDS)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_listening(self, timeout: float = 10.0) -> None:
        async with self.listening_changed:
            await asyncio.wait_for(self.listening_changed.wait_for(lambda: self._listening), timeout)

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's server process (tests end it to check the fail-safe)."""
        return self._connection.get_server_pid() if self._connection is not None else None
