"""A student's notifications (list, unread count, read), their browsers' push subscriptions, and
notify_groups(), which other contexts (the timetable) call to tell whole groups at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import cast, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.auth import Principal
from hemis.core.errors import HemisError, NotFound
from hemis.notifications import rules
from hemis.notifications.models import Notification, PushSubscription
from hemis.students.models import Student


class NotAStudent(HemisError):
    status_code = 403
    message_key = "notification.not_a_student"


class BadEndpoint(HemisError):
    status_code = 422
    message_key = "notification.endpoint"


class BadKey(HemisError):
    status_code = 422
    message_key = "notification.key"


async def notify_groups(
    session: AsyncSession,
    group_ids: Sequence[int],
    key: str,
    params: dict[str, Any],
    *,
    actor: str = "system",
) -> int:
    """One `schedule` notification for every student of `group_ids`, in one INSERT … SELECT, in
    the caller's transaction (it rolls back with the change it tells about). `key` names a catalog
    table with `title` and `body` (e.g. "notification.schedule"), formatted with `params` when read.
    Returns how many students were told."""
    if not group_ids:
        return 0
    chosen = select(
        Student.id,
        literal("schedule"),
        literal(key),
        cast(literal(params, JSONB()), JSONB()),
    ).where(Student.group_id.in_(list(group_ids)))
    result = await session.execute(
        pg_insert(Notification)
        .from_select(["student_id", "kind", "message_key", "params"], chosen)
        .returning(Notification.id)
    )
    told = len(result.all())
    await audit.record(
        session,
        "notification.sent",
        entity="academic_group",
        entity_id=",".join(str(g) for g in group_ids)[:64],
        actor=actor,
        data={"groups": list(group_ids), "key": key, "students": told},
    )
    return told


class NotificationService:
    """What the signed-in student does with their own notifications and subscriptions; every row
    is looked up together with the student's id, so another student's is simply not found."""

    def __init__(self, session: AsyncSession, *, actor: str, principal: Principal | None = None) -> None:
        self.session = session
        self.actor = actor
        self.principal = principal

    @property
    def student_id(self) -> int:
        if self.principal is None or self.principal.student_id is None:
            raise NotAStudent  # a machine token with the student role has no student
        return self.principal.student_id

    async def page(
        self, *, unread: bool, after_id: int | None, limit: int, offset: int
    ) -> tuple[list[Notification], int]:
        """Newest first; `after_id`: only newer than the newest one the page has (polling)."""
        query = select(Notification).where(Notification.student_id == self.student_id)
        if unread:
            query = query.where(Notification.read_at.is_(None))
        if after_id is not None:
            query = query.where(Notification.id > after_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset))
        return list(rows), int(total or 0)

    async def unread_count(self) -> int:
        """What a page polls: one count over the partial index of unread rows."""
        query = select(func.count()).where(
            Notification.student_id == self.student_id, Notification.read_at.is_(None)
        )
        return int(await self.session.scalar(query) or 0)

    async def mark_read(self, notification_id: int) -> Notification:
        row = await self.session.scalar(
            select(Notification)
            .where(Notification.id == notification_id, Notification.student_id == self.student_id)
            .with_for_update()
        )
        if row is None:
            raise NotFound(field="id")
        if row.read_at is None:  # the first reading is the one kept
            row.read_at = await self._now()
            await self.session.flush()
            await self._audit("notification.read", row.id, {})
        return row

    async def read_all(self) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(Notification.student_id == self.student_id, Notification.read_at.is_(None))
            .values(read_at=func.now())
            .returning(Notification.id)
        )
        marked = len(result.all())
        if marked:
            await self._audit("notification.read_all", self.student_id, {"marked": marked})
        return marked

    async def subscribe(
        self, endpoint: str, p256dh: str, auth: str, language: str, allowed: list[str]
    ) -> PushSubscription:
        """Keep a browser's subscription for this student. An endpoint already known (the same
        browser, another student signed in on it since) now belongs to this student."""
        if not rules.endpoint_allowed(endpoint, allowed):
            raise BadEndpoint(field="endpoint")
        if not rules.valid_p256dh(p256dh):
            raise BadKey(field="keys.p256dh")
        if not rules.valid_auth(auth):
            raise BadKey(field="keys.auth")
        values = {"student_id": self.student_id, "p256dh": p256dh, "auth": auth, "language": language}
        statement = pg_insert(PushSubscription).values(endpoint=endpoint, **values)
        row = await self.session.scalar(
            statement.on_conflict_do_update(index_elements=[PushSubscription.endpoint], set_=values)
            .returning(PushSubscription)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        # The endpoint is a capability (whoever holds it with the keys can push): only its host
        # goes to the audit trail, the keys never do.
        await self._audit(
            "push_subscription.created", row.id, {"host": urlsplit(endpoint).hostname, "language": language}
        )
        return row

    async def unsubscribe(self, endpoint: str) -> None:
        gone = await self.session.scalar(
            delete(PushSubscription)
            .where(PushSubscription.endpoint == endpoint, PushSubscription.student_id == self.student_id)
            .returning(PushSubscription.id)
        )
        if gone is None:
            raise NotFound(field="endpoint")
        await self._audit("push_subscription.deleted", gone, {"host": urlsplit(endpoint).hostname})

    async def _now(self) -> datetime:
        now: datetime | None = await self.session.scalar(select(func.now()))
        assert now is not None
        return now

    async def _audit(self, action: str, entity_id: int, data: dict[str, Any]) -> None:
        entity = action.rpartition(".")[0]
        await audit.record(
            self.session, action, entity=entity, entity_id=entity_id, actor=self.actor, data=data
        )
