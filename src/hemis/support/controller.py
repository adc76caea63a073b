"""/api/v1/platform (platform staff, on the platform host) and /api/v1/support-access (a
university admin's view of support grants and reads)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Principal, Role, Unauthenticated, provide_principal, requires_role
from hemis.core.errors import NotFound
from hemis.core.listing import PathId
from hemis.core.schemas import extended, to_read
from hemis.identity.controller import cross_site_write
from hemis.support.schemas import (
    GrantCreate,
    GrantCreated,
    GrantRead,
    StaffLogin,
    StaffRead,
    SupportAccessRead,
    SupportReadEvent,
)
from hemis.support.service import (
    GRANT_PREFIX,
    SUPPORT,
    PlatformAuthService,
    StaffMember,
    SupportAccessService,
    SupportGrantService,
    record_read,
    support_principal,
)
from hemis.support.signin import staff_sign_in
from tenants.session import shared_session, tenant_session

STAFF_COOKIE = "hemis_platform"


async def authenticate_support(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """A support grant's bearer secret → a read-only principal in the grant's university only.
    The read is written to that university's audit trail before the handler runs."""
    scheme, _, secret = connection.headers.get("authorization", "").partition(" ")
    tenant = connection.scope.get("state", {}).get("tenant")
    if scheme.lower() != "bearer" or not secret.startswith(GRANT_PREFIX) or tenant is None:
        return None
    maker: async_sessionmaker[AsyncSession] = connection.app.state.session_maker
    async with shared_session(maker) as shared:
        found = await support_principal(shared, secret.strip(), tenant, datetime.now(UTC))
    if found is None:
        return None
    principal, key = found
    async with tenant_session(maker, tenant) as session:  # kept even when the request then fails
        query = connection.url.query  # what was searched for is part of what was read
        path = f"{connection.url.path}?{query}" if query else connection.url.path
        await record_read(session, principal, key, str(connection.scope.get("method", "")), path)
        await session.commit()
    return principal


async def platform_host_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.scope.get("state", {}).get("tenant") is not None:
        raise NotFound  # staff sign in on the platform's own host, never under a university's


async def provide_staff(request: Request[Any, Any, Any]) -> StaffMember:
    secret = request.cookies.get(STAFF_COOKIE)
    if not secret or cross_site_write(request):
        raise Unauthenticated
    maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
    async with shared_session(maker) as shared:
        staff = await PlatformAuthService(shared).staff_for(secret, datetime.now(UTC))
        await shared.commit()
    if staff is None:
        raise Unauthenticated
    return staff


@asynccontextmanager
async def grant_service(
    request: Request[Any, Any, Any],
) -> AsyncIterator[tuple[SupportGrantService, AsyncSession]]:
    """The grant service on a shared-only session; the caller commits."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
    async with shared_session(maker) as shared:
        yield SupportGrantService(maker, shared, request.app.state.resolver), shared


class PlatformController(Controller):
    """Platform staff: sign in (password + TOTP, always) and open time-boxed support grants."""

    path = "/api/v1/platform"
    tags = ["Platform staff"]
    guards = [platform_host_only]

    @post("/auth/login", operation_id="StaffLogin", status_code=204)
    async def login(self, request: Request[Any, Any, Any], data: JSONBody[StaffLogin]) -> Response[None]:
        """Sign in with password and TOTP code; limited per user name and per address."""
        secret = await staff_sign_in(
            request.app.state.session_maker,
            request.app.state.settings.identity,
            username=data.username,
            password=data.password,
            code=data.totp,
            ip=request.client.host if request.client else "",
            now=datetime.now(UTC),
        )
        cookie = Cookie(
            key=STAFF_COOKIE,
            value=secret,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/api/v1/platform",
        )
        return Response(None, status_code=204, cookies=[cookie])

    @post("/auth/logout", operation_id="StaffLogout", status_code=204)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[None]:
        secret = request.cookies.get(STAFF_COOKIE)
        if secret:
            maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
            async with shared_session(maker) as shared:
                await PlatformAuthService(shared).sign_out(secret, datetime.now(UTC))
                await shared.commit()
        return Response(None, status_code=204, cookies=[Cookie(key=STAFF_COOKIE, value="", max_age=0)])

    @get("/me", operation_id="StaffMe", dependencies={"staff": Provide(provide_staff)})
    async def me(self, staff: NamedDependency[StaffMember]) -> StaffRead:
        return StaffRead(username=staff.username, display_name=staff.display_name, roles=sorted(staff.roles))

    @get("/support-grants", operation_id="ListSupportGrants", dependencies={"staff": Provide(provide_staff)})
    async def list_grants(
        self, request: Request[Any, Any, Any], staff: NamedDependency[StaffMember]
    ) -> list[GrantRead]:
        """Your grants (a ministry super-admin: everyone's), newest first."""
        async with grant_service(request) as (service, _):
            return [to_read(g, GrantRead) for g in await service.listing(staff)]

    @post("/support-grants", operation_id="OpenSupportGrant", dependencies={"staff": Provide(provide_staff)})
    async def open_grant(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[StaffMember],
        data: JSONBody[GrantCreate],
    ) -> GrantCreated:
        """Read-only access to one university for `minutes` (≤ 240) with a reason its admin sees.
        Use the returned token as `Authorization: Bearer …` on that university's API."""
        if SUPPORT not in staff.roles:
            raise Unauthenticated
        async with grant_service(request) as (service, shared):
            grant, token = await service.open(
                staff, data.tenant_code, data.reason, data.minutes, datetime.now(UTC)
            )
            await shared.commit()
        return extended(to_read(grant, GrantRead), GrantCreated, token=token)

    @post(
        "/support-grants/{grant_id:int}/revoke",
        operation_id="RevokeSupportGrant",
        status_code=200,
        dependencies={"staff": Provide(provide_staff)},
    )
    async def revoke_grant(
        self, request: Request[Any, Any, Any], staff: NamedDependency[StaffMember], grant_id: PathId
    ) -> GrantRead:
        async with grant_service(request) as (service, shared):
            now = datetime.now(UTC)
            grant = await service.revoke(staff, grant_id, now)
            await shared.commit()  # access stops here, before the university's copy says so
            await service.mirror_revocation(grant, now)
        return to_read(grant, GrantRead)


class SupportAccessController(Controller):
    """Every support grant to this university's data, and every read made with one."""

    path = "/api/v1/support-access"
    tags = ["Platform staff"]
    opt = {"tenant_kinds": {"university", "national"}}
    guards = [requires_role(Role.ADMIN)]
    dependencies = {"principal": Provide(provide_principal)}

    @get(operation_id="ListSupportAccess")
    async def grants(self, db_session: NamedDependency[AsyncSession]) -> list[SupportAccessRead]:
        found = await SupportAccessService(db_session).grants()
        return [
            SupportAccessRead(
                grant_key=g.grant_key,
                staff_username=g.staff_username,
                staff_name=g.staff_name,
                reason=g.reason,
                starts_at=g.starts_at,
                expires_at=g.expires_at,
                revoked_at=g.revoked_at,
            )
            for g in found
        ]

    @get("/{grant_key:str}/reads", operation_id="ListSupportReads")
    async def reads(
        self,
        db_session: NamedDependency[AsyncSession],
        grant_key: Annotated[str, PathParameter(min_length=32, max_length=32, pattern="^[0-9a-f]+$")],
    ) -> list[SupportReadEvent]:
        found = await SupportAccessService(db_session).reads(grant_key)
        return [
            SupportReadEvent(
                at=e.at, actor=e.actor, method=e.data.get("method", ""), path=e.data.get("path", "")
            )
            for e in found
        ]
