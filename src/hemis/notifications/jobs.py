"""The web push sender: each university's notifications not pushed yet → its students' browsers.

University by university, batch by batch, in transactions of that university alone (its role, its
schema; never two schemas in one transaction): claim the oldest un-pushed rows `FOR UPDATE SKIP
LOCKED` (two senders never take the same row) by stamping them `pushed_at`, and commit; then, with
no transaction open, encrypt a payload per browser subscription of each student (RFC 8291
aes128gcm, by pywebpush) in the subscription's language and POST it with a VAPID signature
(RFC 8292); last, in a short transaction, drop subscriptions the push service says are gone
(404/410). No row stays locked while push services answer.

Push is best effort: a push service error or timeout is logged and the row stays stamped (the
page still shows it, and a retry could arrive hours late); a row older than `max_age_seconds` when
first seen is stamped without sending.

Transport is httpx, not pywebpush's own aiohttp call: it never follows a redirect, so the request
made is exactly the one to the endpoint checked against `allowed_hosts` (checked again here, as the
setting may have changed since the browser subscribed).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from pywebpush import WebPusher, WebPushException
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.config import PushSettings
from hemis.notifications import rules
from hemis.notifications.models import Notification, PushSubscription
from tenants import registry
from tenants.context import TenantKind, TenantRef
from tenants.session import make_sessionmaker, shared_session, tenant_session

log = logging.getLogger("hemis.notifications")

BATCH = 200  # notifications per transaction
PARALLEL_SENDS = 16
GONE = frozenset({404, 410})  # RFC 8030 §7.3: the subscription has expired or was removed
MAX_BODY = 1000  # characters of a body pushed (payloads are limited to ~4 KB after encryption)


@dataclass(slots=True)
class PushRound:
    """What a round (or one university's part of it) did."""

    notifications: int = 0  # stamped pushed
    sent: int = 0  # pushes a push service accepted
    failed: int = 0
    gone: int = 0  # subscriptions removed on 404/410
    stale: int = 0  # too old to push

    def add(self, other: PushRound) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class PushSender:
    def __init__(self, engine: AsyncEngine, role_prefix: str, settings: PushSettings) -> None:
        if not settings.vapid_private_key:
            raise ValueError("web push is off: HEMIS_PUSH__VAPID_PRIVATE_KEY is not set")
        self.settings = settings
        self.vapid = rules.vapid_key(settings.vapid_private_key)
        self.maker: async_sessionmaker[AsyncSession] = make_sessionmaker(engine, role_prefix)

    async def universities(self) -> list[TenantRef]:
        async with shared_session(self.maker) as session:
            conn = await session.connection()
            refs = [await registry.tenant_ref(conn, code) for code in await registry.tenant_codes(conn)]
        return [r for r in refs if r is not None and r.kind == TenantKind.UNIVERSITY]

    async def run_once(self, codes: frozenset[str] | None = None) -> PushRound:
        """One pass over every university (or those of `codes`) until nothing is left to push."""
        total = PushRound()
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds, follow_redirects=False) as http:
            for tenant in await self.universities():
                if codes is None or tenant.code in codes:
                    try:
                        total.add(await self.push_tenant(tenant, http))
                    except Exception:  # one university's failure must not stop the others' pushes
                        log.exception("pushing for %s failed", tenant.code)
        return total

    async def push_tenant(self, tenant: TenantRef, http: httpx.AsyncClient) -> PushRound:
        done = PushRound()
        while True:
            # Claimed (marked pushed) in a short transaction of its own and sent outside it: no row
            # stays locked while push services answer, so a student marking it read never waits.
            # Pushing is best effort: a send that fails is logged, the page still shows the row.
            async with tenant_session(self.maker, tenant) as session:
                batch, pairs = await self._claim(session)
                await session.commit()
            if pairs:
                gone = await self._deliver(http, pairs, batch)
                if gone:
                    async with tenant_session(self.maker, tenant) as session:
                        await session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
                        await session.commit()
                    batch.gone = len(gone)
            done.add(batch)
            if batch.notifications < BATCH:
                return done

    async def _claim(
        self, session: AsyncSession
    ) -> tuple[PushRound, list[tuple[Notification, PushSubscription]]]:
        """Take up to BATCH unpushed rows (SKIP LOCKED: two senders never take the same), mark them
        pushed, and pair the fresh ones with their students' browsers (detached from the session,
        so they outlive its commit)."""
        rows = list(
            await session.scalars(
                select(Notification)
                .where(Notification.pushed_at.is_(None))
                .order_by(Notification.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        done = PushRound(notifications=len(rows))
        if not rows:
            return done, []
        now = await session.scalar(select(func.now()))
        assert now is not None
        oldest = now - timedelta(seconds=self.settings.max_age_seconds)
        fresh = [n for n in rows if n.created_at >= oldest]
        done.stale = len(rows) - len(fresh)
        browsers: dict[int, list[PushSubscription]] = defaultdict(list)
        for sub in await session.scalars(
            select(PushSubscription).where(PushSubscription.student_id.in_({n.student_id for n in fresh}))
        ):
            browsers[sub.student_id].append(sub)
        await session.execute(
            update(Notification).where(Notification.id.in_([n.id for n in rows])).values(pushed_at=now)
        )
        pairs = [(n, s) for n in fresh for s in browsers.get(n.student_id, [])]
        session.expunge_all()
        return done, pairs

    async def _deliver(
        self, http: httpx.AsyncClient, pairs: list[tuple[Notification, PushSubscription]], done: PushRound
    ) -> set[int]:
        """Send every (notification, browser) pair, a few at a time; the subscriptions gone."""
        gate = asyncio.Semaphore(PARALLEL_SENDS)
        signatures: dict[str, dict[str, str]] = {}

        async def send(note: Notification, sub: PushSubscription) -> int | None:
            async with gate:
                return await self._send(http, note, sub, signatures)

        statuses = await asyncio.gather(*(send(n, s) for n, s in pairs))
        done.sent = sum(1 for status in statuses if status is not None and status < 300)
        done.failed = sum(
            1 for status in statuses if status is None or (status >= 300 and status not in GONE)
        )
        return {s.id for (_, s), status in zip(pairs, statuses, strict=True) if status in GONE}

    async def _send(
        self,
        http: httpx.AsyncClient,
        note: Notification,
        sub: PushSubscription,
        signatures: dict[str, dict[str, str]],
    ) -> int | None:
        """POST one encrypted push; the push service's status, or None when it could not be reached."""
        if not rules.endpoint_allowed(sub.endpoint, self.settings.allowed_hosts):
            log.warning("push endpoint no longer allowed: subscription %s", sub.id)
            return None
        title, body = rules.texts(note.message_key, note.params, sub.language)
        payload = json.dumps(
            {"id": note.id, "kind": note.kind, "title": title, "body": body[:MAX_BODY]}, ensure_ascii=False
        ).encode()
        pusher = WebPusher({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}})
        try:
            encrypted = pusher.encode(payload, "aes128gcm")["body"]
        except (
            ValueError,
            WebPushException,
        ) as error:  # a key the crypto refuses: this one fails, not the batch
            log.warning("push to subscription %s not encrypted: %s", sub.id, type(error).__name__)
            return None
        parts = urlsplit(sub.endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        if audience not in signatures:  # one signature per push service and batch
            claims = {"sub": self.settings.subject, "aud": audience, "exp": int(time.time()) + 12 * 3600}
            signatures[audience] = self.vapid.sign(claims)
        headers = {
            **signatures[audience],
            "TTL": str(self.settings.ttl_seconds),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Urgency": "normal",
        }
        try:
            response = await http.post(sub.endpoint, content=encrypted, headers=headers)
        except httpx.HTTPError as error:
            log.warning("push to subscription %s failed: %s", sub.id, type(error).__name__)
            return None
        if response.status_code >= 300 and response.status_code not in GONE:
            log.warning("push service answered %s for subscription %s", response.status_code, sub.id)
        return response.status_code

    async def run_forever(self, *, interval: float = 5.0) -> None:
        """Push every `interval` seconds; a failing round is logged and the next one tries again."""
        while True:
            started = time.perf_counter()
            try:
                done = await self.run_once()
                if done.notifications:
                    log.info(
                        "pushed %d notifications: %d sent, %d failed, %d gone, %d stale",
                        done.notifications,
                        done.sent,
                        done.failed,
                        done.gone,
                        done.stale,
                    )
            except Exception:  # a database or network hiccup must not end the loop
                log.exception("push round failed")
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
