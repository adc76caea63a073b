"""user_account, user_session, login_throttle, identity_provider, sso_link, sso_attempt: who may
sign in to this university, and how."""

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
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantBase, TenantModel


class UserAccount(TenantModel):
    """A person who signs in: staff (linked to an employee) or a student (linked to a student).

    Scope comes from the links: a teacher's groups from the employee's teaching assignments,
    a dean's faculty from `faculty_id`, a student's own records from `student_id`.
    """

    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lowercase
    display_name: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)  # None: SSO only
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)  # refuses a code's replay
    # A secret the user is enrolling: it only becomes totp_secret once a code from it is confirmed.
    totp_pending: Mapped[str | None] = mapped_column(String(64), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employee.id", ondelete="RESTRICT"), index=True, default=None
    )
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("student.id", ondelete="RESTRICT"), index=True, default=None
    )
    faculty_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True, default=None
    )


class UserSession(TenantBase):
    """A server-side session: the cookie holds a random secret, the table only its SHA-256."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the absolute timeout
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    ended_reason: Mapped[str] = mapped_column(String(32), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class LoginThrottle(TenantBase):
    """Sign-in attempts per key (user name, client address) in the current window. One atomic
    upsert per attempt, so the limit holds across worker processes (RELIABILITY.md T12)."""

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)


class IdentityProvider(TenantModel):
    """A university's (or the ministry's) own OpenID provider for single sign-on.

    `match_by` says which local record the provider's `claim` names on a first sign-in: a
    student's or employee's PINFL, a student's id number, or an account's user name (the
    ministry's staff). After that the provider's stable `sub` is linked and decides alone.
    """

    __tablename__ = "identity_provider"
    __table_args__ = (
        CheckConstraint("match_by IN ('pinfl', 'student_id_number', 'username')", name="match_by_known"),
    )

    name: Mapped[str] = mapped_column(String(255))
    discovery_url: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # Readable by this tenant's role only (its schema); never returned by the API.
    client_secret: Mapped[str] = mapped_column(String(500))
    claim: Mapped[str] = mapped_column(String(64))
    match_by: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[str] = mapped_column(String(255), default="openid")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SsoLink(TenantBase):
    """The provider's `sub` for an account: how every sign-in after the first finds the user."""

    __tablename__ = "sso_link"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("identity_provider.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SsoAttempt(TenantBase):
    """One started sign-in, kept server-side until its callback consumes it (once).

    Only hashes of `state` and of the browser binding are stored; the nonce and the PKCE
    verifier must be kept in clear to be checked and sent, and live at most ATTEMPT_TTL.
    """

    __tablename__ = "sso_attempt"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_provider.id", ondelete="CASCADE"), index=True
    )
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    return_to: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
