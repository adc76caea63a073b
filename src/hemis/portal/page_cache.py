"""A signed-in person's portal pages kept in the worker process, answered again from memory.

Why: a student opens the home page many times a day and it reads ~17 statements; answered
again from memory it costs no round trip at all (bench/README "Student portal home page").

When a kept page is good (all must hold, else the page is made afresh):
- nothing of the university has changed since it was made: it is kept under a mark of
  hemis.core.changes taken before the page read anything, and PostgreSQL tells every process
  of every committed change (a new mark, a schedule change, a payment, a session ended by
  signing out or by an admin, an account disabled);
- the same session cookie asks, for the same host root, path, query, language and day (the
  page shows "today"), with no other credential (no Authorization header);
- the session's absolute end has not come, and at most `seconds` have passed: the session's
  idle clock moves on the request that makes a page, and the limit also bounds what no
  notification covers (shared classifiers, time of day).

Kept per process, at most `size` pages (least recently used go first). Nothing is kept while
the process is not listening for changes (the mark is None), so a lost connection costs speed,
never a stale page."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import MediaType, Request, Response
from litestar.response import Template

from hemis.core.auth import Principal
from hemis.core.changes import ChangeFeed, Mark
from hemis.core.clock import local_today
from hemis.identity.controller import COOKIE, SAFE_METHODS


@dataclass(frozen=True, slots=True)
class Kept:
    schema: str
    mark: Mark
    until: float  # time.monotonic() after which it is made afresh
    body: bytes


Key = tuple[str, ...]


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
    def __init__(self, feed: ChangeFeed | None, *, size: int, seconds: float) -> None:
        self.feed = feed
        self.size = size
        self.seconds = seconds
        self._pages: OrderedDict[Key, Kept] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.feed is not None and self.size > 0 and self.seconds > 0

    def key(self, request: Request[Any, Any, Any], language: str) -> tuple[str, Key] | None:
        """The university's schema and the page's key, or None for a request never answered
        from memory (not a GET, no session cookie, or another credential beside it)."""
        if not self.enabled or request.method != "GET" or "authorization" in request.headers:
            return None
        secret = request.cookies.get(COOKIE)
        tenant = request.scope.get("state", {}).get("tenant")
        if not secret or tenant is None:
            return None
        session = hashlib.sha256(secret.encode()).hexdigest()  # the secret itself is not kept
        query = request.scope.get("query_string", b"").decode("latin-1")
        root = str(request.scope.get("root_path", ""))
        day = local_today().isoformat()
        return tenant.schema, (tenant.schema, session, root, request.scope["path"], query, language, day)

    def get(self, schema: str, key: Key) -> bytes | None:
        kept = self._pages.get(key)
        if kept is None or self.feed is None:
            self.misses += 1
            return None
        if time.monotonic() >= kept.until or not self.feed.current(schema, kept.mark):
            del self._pages[key]
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return kept.body

    def mark(self, schema: str) -> Mark | None:
        """Taken before the page reads anything: what it reads is at least this fresh."""
        return self.feed.mark(schema) if self.feed is not None else None

    def keeper(self, schema: str, key: Key, mark: Mark, principal: Principal) -> Callable[[bytes], None]:
        """What keeps the page once rendered, unless the university changed meanwhile."""
        until = time.monotonic() + self.seconds
        if principal.session_ends_at is not None:
            left = (principal.session_ends_at - datetime.now(UTC)).total_seconds()
            until = min(until, time.monotonic() + left)

        def keep(body: bytes) -> None:
            if self.feed is None or not self.feed.current(schema, mark) or time.monotonic() >= until:
                return
            self._pages[key] = Kept(schema, mark, until, body)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

        return keep

    def before_send(self, message: Any, scope: Any) -> None:
        """A request that may have written (any but GET, HEAD, OPTIONS) voids its university's
        pages in this process as its answer starts, so the person's next page shows their own
        write even before PostgreSQL's notification is back (which voids them everywhere)."""
        if message["type"] != "http.response.start" or self.feed is None:
            return
        if scope.get("method") in SAFE_METHODS:
            return
        tenant = scope.get("state", {}).get("tenant")
        if tenant is not None:
            self.feed.changed(tenant.schema)

    def answer(self, body: bytes, headers: dict[str, str], cookies: list[Any]) -> Response[bytes]:
        return Response(body, media_type=MediaType.HTML, headers=headers, cookies=cookies)
