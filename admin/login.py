"""The console's login form (piccolo-admin posts to ./public/login/), answered by hemis's own
sign-in: the same limits, second factor, sessions and audit as /api/v1/auth/login.

Every console user is an admin, and admins always need a TOTP code, so a post without one is
answered "MFA code required" (the text piccolo's page waits for to show the code field)
before anything is checked: the answer tells nothing about the password.
"""

from __future__ import annotations

from datetime import UTC, datetime
from json import JSONDecodeError
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from admin.labels import console_language
from hemis.config import IdentitySettings
from hemis.core.auth import Role
from hemis.core.i18n import translate
from hemis.identity.service import AuthService, BadCredentials, TooManyAttempts
from hemis.identity.signin import sign_in
from hemis.support.service import PlatformAuthService
from hemis.support.signin import staff_sign_in
from tenants.context import current_tenant
from tenants.session import shared_session, tenant_session

MFA_REQUIRED = "MFA code required"  # piccolo-admin's page compares this text exactly
SESSION_COOKIE = "hemis_session"
STAFF_COOKIE = "hemis_staff_console"  # platform staff in the ministry console (national host)


class _LoginForm:
    """What piccolo-admin's login form posts, checked alike for every door: a POST with a user
    name and password, then the TOTP code ("MFA code required" first, before anything is
    checked); refusals in the console's language. Subclasses sign the person in."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], limits: IdentitySettings) -> None:
        self.maker = maker
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = (
            await self._answer(request) if request.method == "POST" else _detail(405, "Method not allowed")
        )
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> JSONResponse:
        language = console_language(request.scope)
        body = await _body(request)
        username, password, code = (str(body.get(k) or "") for k in ("username", "password", "mfa_code"))
        if not username or not password:
            return _detail(422, translate("error.validation", language))
        if not code:
            return _detail(401, MFA_REQUIRED)
        try:
            return await self._sign_in(request, username, password, code, language)
        except (BadCredentials, TooManyAttempts) as refused:
            return _detail(refused.status_code, translate(refused.message_key, language))

    async def _sign_in(
        self, request: Request, username: str, password: str, code: str, language: str
    ) -> JSONResponse:
        raise NotImplementedError


class HemisLogin(_LoginForm):
    """The login form of the current university's console (tenants.context)."""

    async def _sign_in(
        self, request: Request, username: str, password: str, code: str, language: str
    ) -> JSONResponse:
        tenant = current_tenant()
        user, secret = await sign_in(
            lambda: tenant_session(self.maker, tenant),
            self.limits,
            username=username,
            password=password,
            code=code,
            ip=request.client.host if request.client else "",
            user_agent=request.headers.get("user-agent", ""),
            replaces=None,  # the browser's session ends only once the new one is an admin's
            now=datetime.now(UTC),
        )
        admin = Role.ADMIN in user.roles and not user.must_change_password
        ended = secret if not admin else request.cookies.get(SESSION_COOKIE)
        if ended:
            async with tenant_session(self.maker, tenant) as session:
                await AuthService(session).logout(ended, datetime.now(UTC))
                await session.commit()
        if not admin:  # the console is for admins: the session just made is ended again
            return _detail(403, translate("error.forbidden", language))
        response = JSONResponse({"message": "ok"})
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response


class HemisLogout:
    """The console's "Log Out": ends the hemis session on the server and clears the cookie."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        secret = request.cookies.get(SESSION_COOKIE)
        if request.method == "POST" and secret:
            async with tenant_session(self.maker, current_tenant()) as session:
                await AuthService(session).logout(secret, datetime.now(UTC))
                await session.commit()
        response = JSONResponse({"message": "ok"})
        response.delete_cookie(SESSION_COOKIE, path="/")
        await response(scope, receive, send)


class StaffLogin(_LoginForm):
    """The ministry console's login form (national host): platform staff, always with TOTP."""

    async def _sign_in(
        self, request: Request, username: str, password: str, code: str, language: str
    ) -> JSONResponse:
        secret = await staff_sign_in(
            self.maker, self.limits, username=username, password=password, code=code,
            ip=request.client.host if request.client else "", now=datetime.now(UTC),
        )  # fmt: skip
        response = JSONResponse({"message": "ok"})
        set_staff_cookie(response, request, secret)
        return response


class StaffLogout:
    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method == "POST":
            await end_staff_session(self.maker, request)
        response = JSONResponse({"message": "ok"})
        response.delete_cookie(STAFF_COOKIE, path=console_root(request))
        await response(scope, receive, send)


def console_root(request: Request) -> str:
    """The ministry console's own path (…/admin): the staff cookie goes nowhere else."""
    root = request.scope.get("hemis_console_root")
    return root if isinstance(root, str) else "/admin"


def set_staff_cookie(response: Response, request: Request, secret: str) -> None:
    response.set_cookie(
        STAFF_COOKIE, secret, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path=console_root(request),
    )  # fmt: skip


async def end_staff_session(maker: async_sessionmaker[AsyncSession], request: Request) -> None:
    if secret := request.cookies.get(STAFF_COOKIE):
        async with shared_session(maker) as shared:
            await PlatformAuthService(shared).sign_out(secret, datetime.now(UTC))
            await shared.commit()


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except JSONDecodeError:
        body = dict(await request.form())
    return body if isinstance(body, dict) else {}


def _detail(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
