"""notification (what a student is told, as a catalog key and its parameters) and push_subscription
(a browser's web push subscription of a student)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    func,
    text,  # noqa: TID251 - partial index predicates, no user input
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantBase

KINDS = ("mark", "schedule")


class Notification(TenantBase):
    """The text is not stored: `message_key` names a catalog table with `title` and `body`, rendered
    with `params` in the reader's language when read (or pushed). Marks write these rows by trigger
    (hemis.notifications.triggers); the app may change only `read_at` and `pushed_at`."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("kind IN ('mark', 'schedule')", name="kind"),
        # A student's list and the polling of newer ones walk (student_id, id).
        Index("ix_notification_student_id_id", "student_id", "id"),
        # What a page polls: the unread count, from a small index.
        Index("ix_notification_unread", "student_id", postgresql_where=text("read_at IS NULL")),
        # What the push sender takes: the rows not pushed yet, oldest first.
        Index("ix_notification_unpushed", "id", postgresql_where=text("pushed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    message_key: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class PushSubscription(TenantBase):
    """A browser's PushSubscription (RFC 8030 endpoint, RFC 8291 keys) for a student. `p256dh` and
    `auth` let anyone who holds them write to that browser: kept out of the admin console."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))  # base64url of the browser's P-256 public key
    auth: Mapped[str] = mapped_column(String(64))  # base64url of its 16-byte authentication secret
    language: Mapped[str] = mapped_column(String(2), default="uz")  # the pushed texts' language
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
