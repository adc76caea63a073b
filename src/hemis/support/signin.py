"""Platform staff sign in, the whole command: limits per user name and per address, then
password and TOTP. One function for both doors (the API's /api/v1/platform/auth/login and the
ministry console's form on the national host), so their limits cannot differ."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.config import IdentitySettings
from hemis.identity.service import TooManyAttempts, count_attempt
from hemis.support.models import PlatformLoginThrottle
from hemis.support.service import PlatformAuthService
from tenants.session import shared_session


async def staff_sign_in(
    maker: async_sessionmaker[AsyncSession],
    limits: IdentitySettings,
    *,
    username: str,
    password: str,
    code: str | None,
    ip: str,
    now: datetime,
) -> str:
    """The new platform session's secret; BadCredentials or TooManyAttempts otherwise."""
    keys = {f"user:{username.lower()}": limits.login_limit_per_user, f"ip:{ip}": limits.login_limit_per_ip}
    async with shared_session(maker) as side:  # counted in its own transaction: failures count too
        counts = await count_attempt(side, list(keys), now, table=PlatformLoginThrottle)
        await side.commit()
    if any(counts[key] > limit for key, limit in keys.items()):
        raise TooManyAttempts
    async with shared_session(maker) as shared:
        secret = await PlatformAuthService(shared).sign_in(username, password, code, now)
        await shared.commit()
    return secret
