"""/api/v1/notifications: the signed-in student's notifications, the unread count a page polls,
and their browsers' web push subscriptions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from hemis.core.auth import Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.errors import HemisError
from hemis.core.listing import PathId, QueryId
from hemis.core.schemas import MAX_ID, MAX_PAGE_SIZE, Page
from hemis.notifications import rules
from hemis.notifications.models import Notification
from hemis.notifications.schemas import (
    NotificationRead,
    PushKey,
    PushSubscriptionCreate,
    PushSubscriptionRead,
    PushUnsubscribe,
    ReadAll,
    UnreadCount,
)
from hemis.notifications.service import NotificationService

STUDENTS = requires_role(Role.STUDENT)


class PushOff(HemisError):
    status_code = 404
    message_key = "notification.push_off"


def notification_view(row: Notification, language: str) -> NotificationRead:
    title, body = rules.texts(row.message_key, row.params, language)
    return NotificationRead(
        id=row.id,
        kind=row.kind,
        title=title,
        body=body,
        message_key=row.message_key,
        params=row.params,
        created_at=row.created_at,
        read_at=row.read_at,
    )


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["Notifications"]
    guards = [STUDENTS]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "notifications": provide_service(NotificationService),
    }

    @get(operation_id="ListNotifications")
    async def list_notifications(
        self,
        notifications: NamedDependency[NotificationService],
        language: NamedDependency[str],
        unread: Annotated[bool, QueryParameter()] = False,
        after_id: QueryId = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
    ) -> Page[NotificationRead]:
        """My notifications, newest first, in my language; `unread=true`, `after_id` for polling."""
        rows, total = await notifications.page(unread=unread, after_id=after_id, limit=limit, offset=offset)
        items = [notification_view(r, language) for r in rows]
        return Page(items=items, total=total, limit=limit, offset=offset)

    @get("/unread-count", operation_id="CountUnreadNotifications")
    async def unread_count(self, notifications: NamedDependency[NotificationService]) -> UnreadCount:
        """How many of my notifications are unread: what a page polls when push is off."""
        return UnreadCount(unread=await notifications.unread_count())

    @post("/{notification_id:int}/read", operation_id="ReadNotification", status_code=200)
    async def read(
        self,
        notifications: NamedDependency[NotificationService],
        language: NamedDependency[str],
        notification_id: PathId,
    ) -> NotificationRead:
        """Mark one of my notifications read."""
        return notification_view(await notifications.mark_read(notification_id), language)

    @post("/read-all", operation_id="ReadAllNotifications", status_code=200)
    async def read_all(self, notifications: NamedDependency[NotificationService]) -> ReadAll:
        """Mark all my notifications read."""
        return ReadAll(marked=await notifications.read_all())

    @get("/push-key", operation_id="GetPushKey")
    async def push_key(self, request: Request[Any, Any, Any]) -> PushKey:
        """The VAPID public key to subscribe with (404: web push is off, poll the unread count)."""
        private = request.app.state.settings.push.vapid_private_key
        if not private:
            raise PushOff
        return PushKey(public_key=rules.public_key(rules.vapid_key(private)))

    @post("/push-subscriptions", operation_id="SubscribePush")
    async def subscribe(
        self,
        request: Request[Any, Any, Any],
        notifications: NamedDependency[NotificationService],
        language: NamedDependency[str],
        data: JSONBody[PushSubscriptionCreate],
    ) -> PushSubscriptionRead:
        """Keep this browser's PushSubscription; pushes come in its `language` (default: the request's)."""
        row = await notifications.subscribe(
            data.endpoint,
            data.keys.p256dh,
            data.keys.auth,
            data.language or language,
            request.app.state.settings.push.allowed_hosts,
        )
        return PushSubscriptionRead(
            id=row.id, endpoint=row.endpoint, language=row.language, created_at=row.created_at
        )

    @delete("/push-subscriptions", operation_id="UnsubscribePush")
    async def unsubscribe(
        self, notifications: NamedDependency[NotificationService], data: JSONBody[PushUnsubscribe]
    ) -> None:
        """Forget this browser's subscription (by its endpoint)."""
        await notifications.unsubscribe(data.endpoint)
