"""Which universities' data changed, as PostgreSQL tells every worker process.

Statement triggers on every table a page may show send `NOTIFY hemis_changes` (tenant
migration 9d4e2b7c1a36) naming the university's schema and, where they can, what changed in
it: some groups ('<schema> g 12,15': rows of their students or of the groups), some sessions
('<schema> s <hash>'), or anything ('<schema>'). PostgreSQL delivers a notification when, and
only if, the writing transaction commits, to every connection listening, so one listening
connection per process learns of every committed change within milliseconds, with no polling
and no round trip on a request.

What it is for: answers kept in a process (hemis.portal.page_cache) are kept under a mark
(`mark()`) taken before they read anything, and are good only while `current()` says nothing
they show has changed since: nothing of their university as a whole, of their group, or of
their session. Every change heard gets the next sequence number; a mark is the last one heard.
While the listening connection is down nothing is known, so `mark()` returns None and nothing
is kept; when it is back every earlier mark is void (what changed in between is unknown). So a
missed notification costs a cache miss, never a stale answer.

What it does not cover: the moment between a commit and its notification's arrival here (a
millisecond or so; a request this process served that may have written voids that session's
pages itself, so a person never misses their own write), and shared tables (classifiers, the
platform's), which the caches' own time limits bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

CHANNEL = "hemis_changes"
RETRY_SECONDS = 1.0  # between attempts to listen again after the connection was lost

log = logging.getLogger("hemis.changes")

Mark = tuple[int, int]  # (the listening connection's epoch, the last change heard when taken)
UNIVERSITY, GROUPS, SESSIONS = "", "g", "s"  # what a change names (besides the schema)
# Scopes remembered before all are forgotten at once (every mark void): a bound on memory.
REMEMBERED = 200_000


class ChangeFeed:
    """The committed changes of every university's schema, in the order heard."""

    def __init__(self, url: str) -> None:
        # libpq form for asyncpg (the app's engine URL names the SQLAlchemy driver).
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._heard = 0  # the sequence number of the last change heard
        self._last: dict[tuple[str, str, str], int] = {}  # (schema, scope, id) → its last change
        self._epoch = 0
        self._listening = False
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.listening_changed = asyncio.Condition()  # tests wait on it

    @property
    def listening(self) -> bool:
        return self._listening

    def mark(self) -> Mark | None:
        """Where the changes heard stand now; None while nothing can be known (not listening)."""
        return (self._epoch, self._heard) if self._listening else None

    def current(self, mark: Mark, schema: str, group: str | None = None, session: str | None = None) -> bool:
        """Whether nothing of `schema` as a whole, of its `group` or of its `session` has changed
        since `mark` was taken."""
        epoch, heard = mark
        if not self._listening or epoch != self._epoch:
            return False
        last = self._last
        if last.get((schema, UNIVERSITY, ""), 0) > heard:
            return False
        if group is not None and last.get((schema, GROUPS, group), 0) > heard:
            return False
        return session is None or last.get((schema, SESSIONS, session), 0) <= heard

    def changed(self, schema: str, scope: str = UNIVERSITY, ids: Sequence[str] = ("",)) -> None:
        """Something of `schema` changed (all of it, or the groups or sessions `ids`): every mark
        taken before is void for it. Called for each notification, and by this process itself
        for a request that may have written (before the notification is back)."""
        if len(self._last) >= REMEMBERED:
            self._last.clear()
            self._epoch += 1
        self._heard += 1
        for one in ids:
            self._last[(schema, scope, one)] = self._heard

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        schema, _, rest = payload.partition(" ")
        scope, _, ids = rest.partition(" ")
        if scope in (GROUPS, SESSIONS) and ids:
            self.changed(schema, scope, ids.split(","))
        else:
            self.changed(schema)

    def _terminated(self, _connection: Any) -> None:
        self._listening = False  # current() is False from here; the next connection voids the marks
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
