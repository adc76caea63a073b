"""What platform staff may do in a university's admin console on the national host.

- A ministry super-admin works in any university, reads and writes, as that university's
  admins do (the same service checks; the university's audit names them `platform:<id>`).
- Support staff read only, and only a university they hold an open grant for (the grant of
  the identity issue: time-boxed, its reads written to the university's audit trail); the
  tables with personal data or the admins' own records stay out of their console.
- Every request of either, reads included, is written to `shared.platform_audit_event` before
  it runs: the ministry can always answer who looked at or changed what, where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.observability import request_id_var
from hemis.support.models import PlatformAuditEvent, SupportGrant
from hemis.support.service import MINISTRY_ADMIN, SUPPORT, PlatformAuthService, StaffMember, grant_in_force
from tenants.models import Tenant

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class ConsoleAccess:
    staff: StaffMember
    read_only: bool
    grant_key: str | None  # support staff: the grant their reads are recorded under

    @property
    def actor(self) -> str:
        return f"platform:{self.staff.account_id}"


@dataclass(frozen=True)
class ConsoleTenant:
    code: str
    name: str
    kind: str


async def console_access(
    shared: AsyncSession, secret: str, tenant_code: str, now: datetime
) -> ConsoleAccess | None:
    """The signed-in staff member's access to one university's console, or None."""
    staff = await PlatformAuthService(shared).staff_for(secret, now)
    if staff is None:
        return None
    if MINISTRY_ADMIN in staff.roles:
        return ConsoleAccess(staff, read_only=False, grant_key=None)
    if SUPPORT not in staff.roles:
        return None
    key = await shared.scalar(_open_grants(staff, now).where(SupportGrant.tenant_code == tenant_code))
    return ConsoleAccess(staff, read_only=True, grant_key=key) if key else None


async def record_console_request(
    shared: AsyncSession, access: ConsoleAccess, tenant_code: str, method: str, path: str, now: datetime
) -> None:
    action = "console.read" if method in SAFE_METHODS else "console.write"
    shared.add(
        PlatformAuditEvent(
            at=now,
            account_id=access.staff.account_id,
            tenant_code=tenant_code,
            action=action,
            method=method[:10],
            path=path[:2000],
            request_id=request_id_var.get() or "",
        )
    )
    await shared.flush()


def _name_in(language: str) -> Any:
    """The tenant's name in the language, Uzbek when it has none there."""
    name = {"ru": Tenant.name_ru, "en": Tenant.name_en, "oz": Tenant.name_oz}.get(language, Tenant.name_uz)
    return func.coalesce(func.nullif(name, ""), Tenant.name_uz)


async def tenant_name(shared: AsyncSession, code: str, language: str) -> str:
    return await shared.scalar(select(_name_in(language)).where(Tenant.code == code)) or code


async def console_tenants(
    shared: AsyncSession, staff: StaffMember, now: datetime, *, search: str, language: str
) -> list[ConsoleTenant]:
    """The universities a staff member may open, by code; a search matches code or any name."""
    name = _name_in(language)
    query = select(Tenant.code, name, Tenant.kind).where(Tenant.status == "active").order_by(Tenant.code)
    if search.strip():
        like = f"%{search.strip().replace('%', '').replace('_', '')}%"
        query = query.where(or_(Tenant.code.ilike(like), Tenant.name_uz.ilike(like), name.ilike(like)))
    if MINISTRY_ADMIN not in staff.roles:
        query = query.where(
            Tenant.code.in_(_open_grants(staff, now).with_only_columns(SupportGrant.tenant_code))
        )
    return [ConsoleTenant(*row) for row in (await shared.execute(query)).all()]


def _open_grants(staff: StaffMember, now: datetime) -> Select[str]:
    return select(SupportGrant.key).where(SupportGrant.account_id == staff.account_id, grant_in_force(now))
