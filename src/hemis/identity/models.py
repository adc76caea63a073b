"""user_account, user_session, login_throttle: who may sign in to this university, and how."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Identity, Integer, String
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
