"""Notifications and push subscriptions as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from hemis.core.schemas import Input, Struct

Language = msgspec.Meta(pattern=r"^(uz|oz|ru|en)$")


class NotificationRead(Struct):
    id: int
    kind: str
    title: str  # in the reader's language (?l= or Accept-Language)
    body: str
    message_key: str  # and its params, for a client that renders texts itself
    params: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(Struct):
    unread: int


class ReadAll(Struct):
    marked: int


class PushKey(Struct):
    public_key: str  # applicationServerKey for PushManager.subscribe()


class SubscriptionKeys(msgspec.Struct, kw_only=True):  # browsers may add keys of their own
    p256dh: Annotated[str, msgspec.Meta(min_length=80, max_length=128)]
    auth: Annotated[str, msgspec.Meta(min_length=16, max_length=64)]


class PushSubscriptionCreate(msgspec.Struct, kw_only=True, rename={"expiration_time": "expirationTime"}):
    """A browser's PushSubscription.toJSON(), and the language its pushes should speak (default:
    the request's). Not an `Input`: browsers' JSON may grow fields we do not use."""

    endpoint: Annotated[str, msgspec.Meta(min_length=10, max_length=1000)]
    keys: SubscriptionKeys
    expiration_time: float | None = None
    language: Annotated[str, Language] | None = None


class PushSubscriptionRead(Struct):
    id: int
    endpoint: str
    language: str
    created_at: datetime


class PushUnsubscribe(Input):
    endpoint: Annotated[str, msgspec.Meta(min_length=10, max_length=1000)]
