"""Signing in with a local account, server-side sessions, and sign-in limits.

- Passwords: argon2id; an unknown user name costs the same time as a wrong password.
- Second factor: TOTP, required for tenant admins (they cannot sign in without it).
- Sessions: a random secret in an HttpOnly cookie, only its SHA-256 stored; a new session at
  every sign-in (the old one ends: rotation), an idle timeout and an absolute one; sign-out,
  disabling the account or an admin's "end sessions" end them on the server.
- Limits: attempts per user name and per client address in a window, one atomic upsert per
  attempt in its own transaction, so they count even when the sign-in fails (and hold across
  worker processes).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.auth import Principal, Role
from hemis.core.errors import HemisError
from hemis.identity import totp
from hemis.identity.models import LoginThrottle, UserAccount, UserSession
from hemis.identity.passwords import hash_password, needs_rehash, verify_password

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session
THROTTLE_WINDOW = timedelta(minutes=15)
SECOND_FACTOR_ROLES = frozenset({Role.ADMIN})


class BadCredentials(HemisError):
    status_code = 401
    message_key = "identity.bad_credentials"


class SamePassword(HemisError):
    status_code = 422
    message_key = "identity.same_password"


class SecondFactorEnabled(HemisError):
    status_code = 409
    message_key = "identity.totp_enabled"


class WrongCode(HemisError):
    status_code = 422
    message_key = "identity.totp_wrong"


class TooManyAttempts(HemisError):
    status_code = 429
    message_key = "identity.too_many_attempts"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def principal_of(user: UserAccount, tenant_code: str) -> Principal:
    # A password an admin set must be changed before the account may do anything else.
    known = (r for r in user.roles if r in Role.__members__.values())
    roles = frozenset() if user.must_change_password else frozenset(Role(r) for r in known)
    return Principal(
        tenant_code=tenant_code,
        subject=f"user:{user.id}",
        roles=roles,
        user_id=user.id,
        employee_id=user.employee_id,
        student_id=user.student_id,
        faculty_id=user.faculty_id,
    )


async def count_attempt(
    session: AsyncSession, keys: Sequence[str], now: datetime, table: Any = LoginThrottle
) -> dict[str, int]:
    """Count one attempt under each key; a window older than THROTTLE_WINDOW starts again.
    `table`: the tenant's login_throttle, or the platform staff's (same columns)."""
    counts = {}
    for key in keys:
        expired = table.window_start < now - THROTTLE_WINDOW  # the stored row's window
        stmt = (
            insert(table)
            .values(key=key, window_start=now, attempts=1)
            .on_conflict_do_update(
                index_elements=[table.key],
                set_={
                    "attempts": case((expired, 1), else_=table.attempts + 1),
                    "window_start": case((expired, now), else_=table.window_start),
                },
            )
            .returning(table.attempts)
        )
        counts[key] = int(await session.scalar(stmt) or 0)
    return counts


class AuthService:
    def __init__(self, session: AsyncSession, *, actor: str = "anonymous") -> None:
        self.session = session
        self.actor = actor

    async def check_password(self, username: str, password: str, code: str | None) -> UserAccount:
        """The active account these credentials open, or BadCredentials / SecondFactorRequired."""
        # Locked: two sign-ins at once cannot both spend the same TOTP code.
        user = await self.session.scalar(
            select(UserAccount).where(UserAccount.username == username.lower()).with_for_update()
        )
        valid = verify_password(user.password_hash if user else None, password)
        if user is None or not valid or not user.active:
            raise BadCredentials
        if user.totp_secret is not None or set(user.roles) & SECOND_FACTOR_ROLES:
            step = totp.verify(user.totp_secret, code) if user.totp_secret and code else None
            if step is None or step <= user.totp_last_step:  # wrong, missing, or replayed
                # The same answer as a wrong password: which factor failed is not told, so a
                # right password cannot be confirmed without the code.
                raise BadCredentials
            user.totp_last_step = step
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user

    async def start_session(
        self, user: UserAccount, *, replaces: str | None, ip: str, user_agent: str, now: datetime
    ) -> str:
        """A new session for `user` (the cookie's old session, if any, ends: rotation)."""
        if replaces:
            await self._end(UserSession.token_hash == secret_hash(replaces), "rotated", now)
        secret = secrets.token_urlsafe(32)
        self.session.add(
            UserSession(
                token_hash=secret_hash(secret),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_TIMEOUT,
                ip=ip[:64],
                user_agent=user_agent[:255],
            )
        )
        await self.session.flush()
        await audit.record(
            self.session, "auth.login", entity="user_account", entity_id=user.id, actor=f"user:{user.id}",
            data={"ip": ip},
        )  # fmt: skip
        return secret

    async def principal_for(
        self, secret: str, tenant_code: str, now: datetime | None = None
    ) -> Principal | None:
        """The signed-in user of a session cookie, or None when the session is unknown, ended,
        idle too long, past its absolute end, or its account is disabled."""
        now = now or datetime.now(UTC)
        row = (
            await self.session.execute(
                select(UserSession, UserAccount)
                .join(UserAccount, UserAccount.id == UserSession.user_id)
                .where(UserSession.token_hash == secret_hash(secret), UserSession.ended_at.is_(None))
            )
        ).first()
        if row is None:
            return None
        session, user = row
        if not user.active or now >= session.expires_at or now - session.last_seen_at >= IDLE_TIMEOUT:
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            session.last_seen_at = now  # the caller commits
        return replace(principal_of(user, tenant_code), session_ends_at=session.expires_at)

    async def change_password(
        self, user_id: int, current: str, new: str, *, keep: str | None, now: datetime
    ) -> None:
        """The user's own change: the current password proves it is them; every other session ends."""
        user = await self.session.get(UserAccount, user_id, with_for_update=True)
        if user is None or not verify_password(user.password_hash, current):
            raise BadCredentials(field="current_password")
        if new == current:
            raise SamePassword(field="new_password")
        user.password_hash = hash_password(new)
        user.must_change_password = False
        others = UserSession.user_id == user_id
        if keep:
            others = others & (UserSession.token_hash != secret_hash(keep))
        await self._end(others, "password_changed", now)
        await audit.record(
            self.session,
            "auth.password_changed",
            entity="user_account",
            entity_id=user_id,
            actor=f"user:{user_id}",
        )

    async def enrol_second_factor(self, user_id: int) -> tuple[UserAccount, str]:
        """A new TOTP secret to put in an authenticator app; nothing changes until it is confirmed."""
        user = await self._own(user_id)
        if user.totp_secret is not None:
            raise SecondFactorEnabled
        user.totp_pending = totp.new_secret()
        return user, user.totp_pending

    async def confirm_second_factor(self, user_id: int, code: str) -> None:
        """A code from the enrolled secret turns the second factor on; every sign-in then needs one."""
        user = await self._own(user_id)
        if user.totp_secret is not None:
            raise SecondFactorEnabled
        step = totp.verify(user.totp_pending, code) if user.totp_pending else None
        if step is None:
            raise WrongCode(field="code")
        user.totp_secret, user.totp_pending, user.totp_last_step = user.totp_pending, None, step
        await audit.record(
            self.session,
            "auth.totp_enabled",
            entity="user_account",
            entity_id=user_id,
            actor=f"user:{user_id}",
        )

    async def _own(self, user_id: int) -> UserAccount:
        user = await self.session.get(UserAccount, user_id, with_for_update=True)
        if user is None:
            raise BadCredentials
        return user

    async def touch(self, token_hash: str, now: datetime) -> None:
        """A session's idle clock moved without reading it (a page answered from memory,
        hemis.portal.page_cache): as principal_for does, unless it has ended meanwhile."""
        await self.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash, UserSession.ended_at.is_(None))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )

    async def logout(self, secret: str, now: datetime) -> None:
        await self._end(UserSession.token_hash == secret_hash(secret), "logout", now)

    async def end_sessions(self, user_id: int, reason: str, now: datetime) -> int:
        return await self._end(UserSession.user_id == user_id, reason, now)

    async def _end(self, which: Any, reason: str, now: datetime) -> int:
        result = await self.session.execute(
            update(UserSession)
            .where(which, UserSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
