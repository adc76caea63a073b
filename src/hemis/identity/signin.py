"""Signing in with a local account, the whole command: limits, credentials, session, audit.

One function for every door (the API's /auth/login and the admin console's login form), so
the limits, the second factor and the audit cannot differ between them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.config import IdentitySettings
from hemis.core import audit
from hemis.identity.models import LoginThrottle, UserAccount
from hemis.identity.service import AuthService, BadCredentials, TooManyAttempts, count_attempt

SessionFactory = Callable[[], AsyncSession]  # a new session of the request's tenant


def name_digest(username: str) -> str:
    """What the audit keeps of a typed user name: a password typed there must not be kept."""
    return hashlib.sha256(username.encode()).hexdigest()[:16]


async def sign_in(
    open_session: SessionFactory,
    limits: IdentitySettings,
    *,
    username: str,
    password: str,
    code: str | None,
    ip: str,
    user_agent: str,
    replaces: str | None,
    now: datetime,
) -> tuple[UserAccount, str]:
    """The account and the new session's secret, or TooManyAttempts / BadCredentials (audited)."""
    username = username.lower()
    keys = {f"user:{username}": limits.login_limit_per_user, f"ip:{ip}": limits.login_limit_per_ip}
    async with open_session() as side:  # counted in its own transaction: a failed sign-in counts too
        counts = await count_attempt(side, list(keys), now)
        await side.commit()  # lint-skip: the count must stay even when the sign-in fails
    who = {"username_sha256": name_digest(username), "ip": ip}
    if any(counts[key] > limit for key, limit in keys.items()):
        await _failure(open_session, "auth.throttled", who)
        raise TooManyAttempts
    async with open_session() as session:
        auth = AuthService(session)
        try:
            user = await auth.check_password(username, password, code)
        except BadCredentials:
            await _failure(open_session, "auth.login_failed", who)
            raise
        secret = await auth.start_session(user, replaces=replaces, ip=ip, user_agent=user_agent, now=now)
        # A success clears the user name's count and takes itself off the address's count.
        await session.execute(delete(LoginThrottle).where(LoginThrottle.key == f"user:{username}"))
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == f"ip:{ip}")
            .values(attempts=func.greatest(LoginThrottle.attempts - 1, 0))
        )
        await session.commit()  # lint-skip: one sign-in, one transaction of its own
    return user, secret


async def _failure(open_session: SessionFactory, action: str, data: dict[str, Any]) -> None:
    """An audit row in its own transaction: it stays although the sign-in fails."""
    async with open_session() as side:
        await audit.record(side, action, entity="user_account", entity_id=None, actor="anonymous", data=data)
        await side.commit()  # lint-skip: the failure is kept although the command fails
