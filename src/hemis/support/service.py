"""Platform staff sign-in, support grants, and the read-only principal a grant gives in a tenant.

- Sign-in: password and TOTP, always (support staff and ministry super-admins reach every
  university); a server-side session in a cookie of the platform host.
- A grant names one university, a reason (≥ 10 characters) and a duration (≤ MAX_GRANT). The
  university's own copy is written and committed first, so no grant is ever usable without
  its admin being able to see it; then the shared row, which carries the bearer secret.
- In the university, the grant's bearer secret gives a read-only principal: GET and HEAD
  only, no personal data, and every request is written to the university's audit trail
  (action "support.read") in a transaction of its own, before the handler runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core import audit
from hemis.core.auth import Principal
from hemis.core.errors import HemisError, NotFound
from hemis.identity import totp
from hemis.identity.passwords import hash_password, verify_password
from hemis.identity.service import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, BadCredentials, secret_hash
from hemis.support.models import PlatformAccount, PlatformSession, SupportAccess, SupportGrant
from tenants.context import TenantRef
from tenants.resolver import TenantResolver
from tenants.session import tenant_session

SUPPORT, MINISTRY_ADMIN = "support", "ministry_admin"
MAX_GRANT = timedelta(hours=4)
GRANT_PREFIX = "hemis_support_"  # bearer secrets of grants; API tokens start with "hemis_" too


class UnknownTenant(HemisError):
    status_code = 422
    message_key = "support.unknown_tenant"


@dataclass(frozen=True)
class StaffMember:
    account_id: int
    username: str
    display_name: str
    roles: frozenset[str]


class PlatformAuthService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # a shared-only session

    async def sign_in(self, username: str, password: str, code: str | None, now: datetime) -> str:
        account = await self.session.scalar(  # locked: a TOTP code is spent once, even at once
            select(PlatformAccount).where(PlatformAccount.username == username.lower()).with_for_update()
        )
        valid = verify_password(account.password_hash if account else None, password)
        if account is None or not valid or not account.active:
            raise BadCredentials
        step = totp.verify(account.totp_secret, code) if code else None
        if step is None or step <= account.totp_last_step:
            raise BadCredentials  # the same answer as a wrong password
        account.totp_last_step = step
        secret = secrets.token_urlsafe(32)
        self.session.add(
            PlatformSession(
                token_hash=secret_hash(secret),
                account_id=account.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_TIMEOUT,
            )
        )
        return secret

    async def staff_for(self, secret: str, now: datetime) -> StaffMember | None:
        row = (
            await self.session.execute(
                select(PlatformSession, PlatformAccount)
                .join(PlatformAccount, PlatformAccount.id == PlatformSession.account_id)
                .where(PlatformSession.token_hash == secret_hash(secret), PlatformSession.ended_at.is_(None))
            )
        ).first()
        if row is None:
            return None
        session, account = row
        if not account.active or now >= session.expires_at or now - session.last_seen_at >= IDLE_TIMEOUT:
            return None
        session.last_seen_at = now
        return StaffMember(account.id, account.username, account.display_name, frozenset(account.roles))

    async def sign_out(self, secret: str, now: datetime) -> None:
        await self.session.execute(
            update(PlatformSession)
            .where(PlatformSession.token_hash == secret_hash(secret), PlatformSession.ended_at.is_(None))
            .values(ended_at=now)
        )


class SupportGrantService:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], shared: AsyncSession, resolver: TenantResolver
    ) -> None:
        self.maker = maker
        self.shared = shared  # the request's shared-only session
        self.resolver = resolver

    async def open(
        self, staff: StaffMember, tenant_code: str, reason: str, minutes: int, now: datetime
    ) -> tuple[SupportGrant, str]:
        """A grant and its bearer secret (returned once)."""
        tenant = await self.resolver.by_code(tenant_code)
        if tenant is None:
            raise UnknownTenant(field="tenant_code")
        key, secret = secrets.token_hex(16), GRANT_PREFIX + secrets.token_urlsafe(32)
        expires = now + timedelta(minutes=minutes)
        async with tenant_session(self.maker, tenant) as record:  # the university's copy first
            record.add(
                SupportAccess(
                    grant_key=key,
                    staff_username=staff.username,
                    staff_name=staff.display_name,
                    reason=reason,
                    starts_at=now,
                    expires_at=expires,
                )
            )
            await record.flush()
            await audit.record(
                record, "support.granted", entity="support_access", entity_id=key,
                actor=f"support:{staff.account_id}", data={"until": expires.isoformat(), "reason": reason},
            )  # fmt: skip
            await record.commit()  # lint-skip: the university's copy exists before the grant can be used
        grant = SupportGrant(
            key=key,
            token_hash=secret_hash(secret),
            account_id=staff.account_id,
            tenant_code=tenant.code,
            reason=reason,
            starts_at=now,
            expires_at=expires,
        )
        self.shared.add(grant)
        await self.shared.flush()
        return grant, secret

    async def listing(self, staff: StaffMember) -> list[SupportGrant]:
        """A support person's own grants; a ministry super-admin sees everyone's."""
        query = select(SupportGrant).order_by(SupportGrant.id.desc()).limit(200)
        if MINISTRY_ADMIN not in staff.roles:
            query = query.where(SupportGrant.account_id == staff.account_id)
        return list((await self.shared.scalars(query)).all())

    async def revoke(self, staff: StaffMember, grant_id: int, now: datetime) -> SupportGrant:
        grant = await self.shared.get(SupportGrant, grant_id, with_for_update=True)
        if grant is None or (grant.account_id != staff.account_id and MINISTRY_ADMIN not in staff.roles):
            raise NotFound(field="grant_id")
        if grant.revoked_at is None:
            grant.revoked_at = now  # access stops when the caller commits
            await self.shared.flush()
        return grant

    async def mirror_revocation(self, grant: SupportGrant, now: datetime) -> None:
        """The university's copy says revoked too (after the shared row has committed)."""
        tenant = await self.resolver.by_code(grant.tenant_code)
        if tenant is None:
            return
        async with tenant_session(self.maker, tenant) as record:
            await record.execute(
                update(SupportAccess)
                .where(SupportAccess.grant_key == grant.key, SupportAccess.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            await record.commit()  # lint-skip: the university's copy, in the university's own transaction


async def support_principal(
    shared: AsyncSession, secret: str, tenant: TenantRef, now: datetime
) -> tuple[Principal, str] | None:
    """The read-only principal a grant's bearer secret gives in `tenant`, with the grant's key;
    None when the secret is unknown, of another tenant, revoked, expired or its account disabled."""
    row = (
        await shared.execute(
            select(SupportGrant.key, SupportGrant.account_id)
            .join(PlatformAccount, PlatformAccount.id == SupportGrant.account_id)
            .where(
                SupportGrant.token_hash == secret_hash(secret),
                SupportGrant.tenant_code == tenant.code,
                grant_in_force(now),
                PlatformAccount.active.is_(True),
            )
        )
    ).first()
    if row is None:
        return None
    key, account_id = row
    return support_reader(tenant.code, account_id), key


def grant_in_force(now: datetime) -> ColumnElement[bool]:
    """A grant that is neither revoked nor outside its time box at `now`."""
    return and_(
        SupportGrant.revoked_at.is_(None), SupportGrant.starts_at <= now, SupportGrant.expires_at > now
    )


def support_reader(tenant_code: str, account_id: int) -> Principal:
    """What a support person with a grant is in the university: read-only, no roles, and named
    the same on every trail (the grant, the API's reads, the console's reads)."""
    return Principal(
        tenant_code=tenant_code, subject=f"support:{account_id}", roles=frozenset(), read_only=True
    )


async def open_staff_account(
    session: AsyncSession, username: str, display_name: str, roles: list[str]
) -> tuple[PlatformAccount, str, str]:
    """A platform account with a random password and TOTP secret (both shown once). Run by the
    CLI as the schema owner: the app itself cannot create platform accounts."""
    password, secret = secrets.token_urlsafe(18), totp.new_secret()
    account = PlatformAccount(
        username=username.lower(),
        display_name=display_name,
        roles=roles,
        password_hash=hash_password(password),
        totp_secret=secret,
    )
    session.add(account)
    await session.flush()
    return account, password, secret


async def record_read(session: AsyncSession, principal: Principal, key: str, method: str, path: str) -> None:
    await audit.record(
        session, "support.read", entity="support_access", entity_id=key, actor=principal.subject,
        data={"method": method, "path": path},
    )  # fmt: skip


class SupportAccessService:
    """The university admin's view: every grant to its data, and every read made with one."""

    def __init__(self, session: AsyncSession, **_: Any) -> None:
        self.session = session

    async def grants(self) -> list[SupportAccess]:
        found = await self.session.scalars(select(SupportAccess).order_by(SupportAccess.id.desc()).limit(200))
        return list(found.all())

    async def reads(self, grant_key: str) -> list[audit.AuditEvent]:
        found = await self.session.scalars(
            select(audit.AuditEvent)
            .where(audit.AuditEvent.action == "support.read", audit.AuditEvent.entity_id == grant_key)
            .order_by(audit.AuditEvent.id.desc())
            .limit(500)
        )
        return list(found.all())
