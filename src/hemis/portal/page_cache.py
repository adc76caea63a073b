"""A signed-in person's portal pages kept in the worker process, answered again from memory.

Why: a student opens the home page many times a day and it reads ~17 statements; answered
again from memory it costs no round trip at all (bench/README "Student portal home page").

When a kept page is good (all must hold, else the page is made afresh):
- nothing it may show has changed since it was made: it is kept under a mark of
  hemis.core.changes taken before the page read anything, and PostgreSQL tells every process
  of every committed change: of the student's group (a mark, an absence, a payment or a
  notification of any of its students: the page shows the group's rank), of the session
  (signed out, ended by an admin), or of the university as a whole (a schedule or curriculum
  change, an account's roles);
- the same session cookie asks, for the same host root, path, query, language and day (the
  page shows "today"), with no other credential (no Authorization header);
- the session's absolute end has not come, and at most `seconds` have passed (ten minutes by
  default): this bounds what no notification covers (shared classifiers). Kept shorter than
  the sessions' idle timeout, so a page is never answered for a session idle too long; the
  idle clock is moved for a page answered from memory as for one made afresh (at most once a
  minute, after the answer: `touch`).

Kept per process, at most `size` pages (least recently used go first). Nothing is kept while
the process is not listening for changes (the mark is None), so a lost connection costs speed,
never a stale page."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import MediaType, Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Principal
from hemis.core.changes import SESSIONS, ChangeFeed, Mark
from hemis.core.clock import local_today
from hemis.identity.controller import COOKIE, SAFE_METHODS
from hemis.identity.service import IDLE_TIMEOUT, TOUCH_EVERY, AuthService, secret_hash
from tenants.context import TenantRef
from tenants.session import tenant_session


@dataclass(slots=True)
class Kept:
    mark: Mark
    group: str  # the student's group: its changes void the page
    until: float  # time.monotonic() after which it is made afresh
    body: bytes
    touched: float  # time.monotonic() the session's idle clock last moved for it


Key = tuple[str, ...]  # the session's hash first (SESSION), then what else the page depends on
SESSION = 0


class KeptPage(Template):
    """A page that, once rendered with status 200, is handed to `keep` (if any) for the next
    request."""

    def __init__(self, keep: Callable[[bytes], None] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keep = keep

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> Any:
        response = super().to_asgi_response(app, request, **kwargs)
        if self.keep is not None and response.status_code == 200:
            self.keep(response.body)
        return response


class PageCache:
    def __init__(self, url: str, *, size: int, seconds: float) -> None:
        """`url`: the database the change notifications come from; no feed (and no listening
        connection) when `size` or `seconds` turns the cache off."""
        self.feed = ChangeFeed(url) if size > 0 and seconds > 0 else None
        self.size = size
        self.seconds = seconds
        self._pages: OrderedDict[Key, Kept] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def key(self, request: Request[Any, Any, Any], language: str) -> tuple[str, Key] | None:
        """The university's schema and the page's key, or None for a request never answered
        from memory (not a GET, no session cookie, or another credential beside it)."""
        if self.feed is None or request.method != "GET" or "authorization" in request.headers:
            return None
        secret = request.cookies.get(COOKIE)
        tenant = request.scope.get("state", {}).get("tenant")
        if not secret or tenant is None:
            return None
        session = secret_hash(secret)  # the secret itself is not kept
        query = request.scope.get("query_string", b"").decode("latin-1")
        root = str(request.scope.get("root_path", ""))
        day = local_today().isoformat()
        return tenant.schema, (session, tenant.schema, root, request.scope["path"], query, language, day)

    def get(self, schema: str, key: Key) -> tuple[bytes, bool] | None:
        """The kept page, and whether the session's idle clock is due to move (a minute since it
        last did); None when there is none or it is no longer good."""
        kept = self._pages.get(key)
        if kept is None or self.feed is None:
            self.misses += 1
            return None
        now = time.monotonic()
        if now >= kept.until or not self.feed.current(kept.mark, schema, kept.group, key[SESSION]):
            del self._pages[key]
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        due = now - kept.touched >= TOUCH_EVERY.total_seconds()
        if due:
            kept.touched = now
        return kept.body, due

    def mark(self) -> Mark | None:
        """Taken before the page reads anything: what it reads is at least this fresh."""
        return self.feed.mark() if self.feed is not None else None

    def keeper(
        self, schema: str, key: Key, mark: Mark, principal: Principal, group: int
    ) -> Callable[[bytes], None]:
        """What keeps the page once rendered, unless what it shows changed meanwhile."""
        made = time.monotonic()  # the session's idle clock moved (or was under a minute old)
        until = made + min(self.seconds, (IDLE_TIMEOUT - TOUCH_EVERY).total_seconds())
        if principal.session_ends_at is not None:
            left = (principal.session_ends_at - datetime.now(UTC)).total_seconds()
            until = min(until, made + left)
        of_group = str(group)

        def keep(body: bytes) -> None:
            if self.feed is None or time.monotonic() >= until:
                return
            if not self.feed.current(mark, schema, of_group, key[SESSION]):
                return
            self._pages[key] = Kept(mark, of_group, until, body, made)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

        return keep

    def before_send(self, message: Any, scope: Any) -> None:
        """A request that may have written (any but GET, HEAD, OPTIONS) voids its session's pages
        in this process as its answer starts, so the person's next page shows their own write
        even before PostgreSQL's notification is back (which voids what it changed everywhere)."""
        if message["type"] != "http.response.start" or self.feed is None:
            return
        if scope.get("method") in SAFE_METHODS:
            return
        tenant = scope.get("state", {}).get("tenant")
        secret = Request(scope).cookies.get(COOKIE)
        if tenant is not None and secret:
            self.feed.changed(tenant.schema, SESSIONS, [secret_hash(secret)])

    def answer(
        self,
        request: Request[Any, Any, Any],
        kept: tuple[bytes, bool],
        headers: dict[str, str],
        cookies: list[Any],
    ) -> Response[bytes]:
        """The kept page; the session's idle clock moved after it is sent, when due."""
        body, due = kept
        background = None
        if due:
            secret = request.cookies.get(COOKIE, "")
            tenant = request.scope["state"]["tenant"]
            background = BackgroundTask(touch, request.app.state.session_maker, tenant, secret_hash(secret))
        return Response(
            body, media_type=MediaType.HTML, headers=headers, cookies=cookies, background=background
        )


async def touch(maker: async_sessionmaker[AsyncSession], tenant: TenantRef, token_hash: str) -> None:
    async with tenant_session(maker, tenant) as session:
        await AuthService(session).touch(token_hash, datetime.now(UTC))
        await session.commit()
