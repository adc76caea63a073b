"""platform_account, platform_session, support_grant (schema "shared"); support_access (each tenant).

Platform accounts are the platform's own staff, outside every university: support staff and
the ministry's super-admins. They sign in on the platform host only, always with a second
factor. A support grant is what lets one of them read one university for a while; the
university keeps its own copy (support_access) so its admin sees every grant and every read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import SharedBase, SharedModel, TenantBase
from tenants.naming import SHARED_SCHEMA


class PlatformAccount(SharedModel):
    __tablename__ = "platform_account"
    __table_args__ = ({"schema": SHARED_SCHEMA},)

    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lowercase
    display_name: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))  # support, ministry_admin
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str] = mapped_column(String(64))  # required: no platform sign-in without it
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PlatformSession(SharedBase):
    __tablename__ = "platform_session"
    __table_args__ = ({"schema": SHARED_SCHEMA},)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey(f"{SHARED_SCHEMA}.platform_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class PlatformLoginThrottle(SharedBase):
    """Platform staff sign-in attempts per key in the current window (as each tenant's
    login_throttle: one atomic upsert per attempt, so the limit holds across workers)."""

    __tablename__ = "platform_login_throttle"
    __table_args__ = ({"schema": SHARED_SCHEMA},)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)


class SupportGrant(SharedBase):
    """Read-only access of one platform account to one tenant, with a reason, until expires_at.
    The bearer secret that carries it is stored only as its SHA-256."""

    __tablename__ = "support_grant"
    __table_args__ = (
        CheckConstraint("expires_at > starts_at", name="time_boxed"),
        CheckConstraint("length(reason) >= 10", name="reason_given"),
        {"schema": SHARED_SCHEMA},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # the tenant's copy names it by this
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey(f"{SHARED_SCHEMA}.platform_account.id", ondelete="CASCADE"), index=True
    )
    tenant_code: Mapped[str] = mapped_column(String(30), index=True)
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class SupportAccess(TenantBase):
    """The university's own record of a support grant, written before the grant can be used."""

    __tablename__ = "support_access"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    grant_key: Mapped[str] = mapped_column(String(32), unique=True)
    staff_username: Mapped[str] = mapped_column(String(64))
    staff_name: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class PlatformAuditEvent(SharedBase):
    """What platform staff did in a university's console from the national host, one row per
    request, written before the request runs (so a request that then fails is still on record).
    The app may INSERT and SELECT only: no request can rewrite what staff did."""

    __tablename__ = "platform_audit_event"
    __table_args__ = ({"schema": SHARED_SCHEMA},)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey(f"{SHARED_SCHEMA}.platform_account.id", ondelete="RESTRICT"), index=True
    )
    tenant_code: Mapped[str] = mapped_column(String(30), index=True)
    action: Mapped[str] = mapped_column(String(100))  # console.opened, console.read, console.write
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(String(64), default="")
