"""The ministry console on the national host (/admin/ there, /t/national/admin/ in development).

Platform staff (shared.platform_account: ministry super-admins and support staff) sign in here
with password and TOTP, pick a university from the list and work in that university's console
at /admin/u/<code>/, under a banner naming it. The console they get is built for them
(admin.audience): ministry super-admins read and write through the same services as the
university's admins; support staff read only, with their grant, without personal data.

Each request into a university's console is first checked here (console_access, one shared
query) and written to shared.platform_audit_event; a support person's reads also go to the
university's own audit trail under their grant, as their API reads do. The console's API then
takes the person from the request scope (StaffConsoleBackend): nothing but this dispatcher
puts them there, and only the national host reaches it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Message, Receive, Scope, Send

from admin.audience import MINISTRY, SUPPORT_DESK, AdminPerson
from admin.login import STAFF_COOKIE, end_staff_session, set_staff_cookie
from hemis.core.i18n import pick_language, translate
from hemis.identity.service import BadCredentials, TooManyAttempts
from hemis.support.console import (
    ConsoleAccess,
    console_access,
    console_tenants,
    record_console_request,
    tenant_name,
)
from hemis.support.service import (
    MINISTRY_ADMIN,
    PlatformAuthService,
    StaffMember,
    record_read,
    support_reader,
)
from hemis.support.signin import staff_sign_in
from tenants.context import TenantRef, tenant_scope
from tenants.resolver import TenantResolver
from tenants.session import shared_session, tenant_session

if TYPE_CHECKING:
    from admin.app import AdminSites

ACCESS_KEY = "hemis_console_access"  # scope key: the staff member the dispatcher let in
ROOT_KEY = "hemis_console_root"  # scope key: the ministry console's path, for the staff cookie
_UNIVERSITY = re.compile(r"/u/([a-z0-9_]{1,30})(/.*)?")
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    enable_async=False,
)


class StaffConsoleBackend(AuthenticationBackend):
    """A staff console's API: the person MinistryConsole checked for this very request, or nobody."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        access = conn.scope.get(ACCESS_KEY)
        if not isinstance(access, ConsoleAccess):
            raise AuthenticationError("not signed in, or no access to this university")
        staff = access.staff
        person = AdminPerson(staff.account_id, staff.username, actor=access.actor, read_only=access.read_only)
        return AuthCredentials(["authenticated"]), person


class MinistryConsole:
    def __init__(self, sites: AdminSites, resolver: TenantResolver) -> None:
        self.sites = sites
        self.resolver = resolver

    async def __call__(self, root: str, scope: Scope, receive: Receive, send: Send) -> None:
        scope = {**scope, ROOT_KEY: root}
        request = Request(scope, receive)
        path, method = scope["path"], request.method
        if (found := _UNIVERSITY.fullmatch(path)) is not None:
            await self._university(root, found.group(1), found.group(2), scope, receive, send)
            return
        path = path.rstrip("/")  # Litestar hands a mount "/login/" for "/login"
        if path == "" and method in ("GET", "HEAD"):
            response = await self._picker(request, root)
        elif path == "/login" and method == "POST":
            response = await self._sign_in(request, root)
        elif path == "/logout" and method == "POST":
            await end_staff_session(_maker(request), request)
            response = RedirectResponse(f"{root}/", status_code=303)
            response.delete_cookie(STAFF_COOKIE, path=root)
        else:
            response = HTMLResponse(translate("error.not_found", _language(request)), status_code=404)
        await response(scope, receive, send)

    async def _picker(
        self,
        request: Request,
        root: str,
        *,
        error: str = "",
        status: int = 200,
        staff: StaffMember | None = None,
    ) -> Response:
        language = _language(request)
        search = request.query_params.get("q", "")[:100]
        tenants = []
        if staff is None and (secret := request.cookies.get(STAFF_COOKIE)):
            async with shared_session(_maker(request)) as shared:
                now = datetime.now(UTC)
                staff = await PlatformAuthService(shared).staff_for(secret, now)
                if staff is not None:
                    tenants = await console_tenants(shared, staff, now, search=search, language=language)
                await shared.commit()  # the session's idle clock
        page = _TEMPLATES.get_template("picker.html").render(
            t=lambda key, **params: translate(f"console.{key}", language, **params),
            language=language, root=root, staff=staff, tenants=tenants, search=search, error=error,
            support_only=staff is not None and MINISTRY_ADMIN not in staff.roles,
        )  # fmt: skip
        return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})

    async def _sign_in(self, request: Request, root: str) -> Response:
        if (origin := request.headers.get("origin")) and origin.split("://")[-1] != request.headers.get(
            "host"
        ):
            return HTMLResponse(translate("error.forbidden", _language(request)), status_code=403)
        form = await request.form()
        try:
            secret = await staff_sign_in(
                _maker(request), request.scope["litestar_app"].state.settings.identity,
                username=str(form.get("username") or ""), password=str(form.get("password") or ""),
                code=str(form.get("code") or "") or None,
                ip=request.client.host if request.client else "", now=datetime.now(UTC),
            )  # fmt: skip
        except (BadCredentials, TooManyAttempts) as refused:
            message = translate(refused.message_key, _language(request))
            return await self._picker(request, root, error=message, status=refused.status_code)
        response = RedirectResponse(f"{root}/", status_code=303)
        set_staff_cookie(response, request, secret)
        return response

    async def _university(
        self, root: str, code: str, rest: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        tenant = await self.resolver.by_code(code)
        if tenant is None:
            await HTMLResponse(translate("error.not_found", _language(request)), status_code=404)(
                scope, receive, send
            )
            return
        if rest is None:
            await RedirectResponse(f"{root}/u/{code}/", status_code=307)(scope, receive, send)
            return
        with tenant_scope(tenant):  # the request came in as the national tenant's; it works in this one
            await self._enter_university(root, tenant, rest, request, scope, receive, send)

    async def _enter_university(
        self,
        root: str,
        tenant: TenantRef,
        rest: str,
        request: Request,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        access = await self._enter(request, tenant, rest, f"{root}/u/{tenant.code}{rest}")
        # Nobody let in still gets the read-only console: its login form, and an API that refuses.
        audience = MINISTRY if access is not None and not access.read_only else SUPPORT_DESK
        here = f"{root}/u/{tenant.code}"
        full = here + rest
        inner = {**scope, "root_path": here, "path": full, "raw_path": full.encode(), ACCESS_KEY: access}
        async with self.sites.serving(tenant, audience) as console:
            if rest == "/" and request.method == "GET" and access is not None:
                send = await self._banner_for(request, root, tenant, access, send)
            await console(inner, receive, send)

    async def _banner_for(
        self, request: Request, root: str, tenant: TenantRef, access: ConsoleAccess, send: Send
    ) -> Send:
        language = _language(request)
        async with shared_session(_maker(request)) as shared:
            name = await tenant_name(shared, tenant.code, language)
        return _with_banner(send, _banner(language, root, name, tenant.code, access.read_only))

    async def _enter(self, request: Request, tenant: TenantRef, rest: str, full: str) -> ConsoleAccess | None:
        """Who is let into this university's console for this request; recorded before it runs."""
        secret = request.cookies.get(STAFF_COOKIE)
        if not secret:
            return None
        maker, now = _maker(request), datetime.now(UTC)
        query = request.url.query
        path = f"{full}?{query}" if query else full
        recorded = rest == "/" or rest.startswith("/api/")  # not the console's scripts and styles
        async with shared_session(maker) as shared:
            access = await console_access(shared, secret, tenant.code, now)
            if access is not None and recorded:
                await record_console_request(shared, access, tenant.code, request.method, path, now)
            await shared.commit()
        if access is not None and access.grant_key is not None and recorded:
            principal = support_reader(tenant.code, access.staff.account_id)
            async with tenant_session(maker, tenant) as session:  # the university sees the read
                await record_read(session, principal, access.grant_key, request.method, path)
                await session.commit()
        return access


def _banner(language: str, root: str, name: str, code: str, read_only: bool) -> str:
    """The banner that says whose data this is, in the person's language."""
    key = "console.banner_read_only" if read_only else "console.banner"
    return _TEMPLATES.get_template("banner.html").render(
        text=translate(key, language, tenant=name, code=code),
        back=translate("console.back", language),
        root=root,
    )


def _with_banner(send: Send, banner: str) -> Send:
    """The console's own page (through its middleware: its CSRF cookie too), the banner put first
    in its body."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def sending(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        page = b"".join(chunks).replace(b"<body>", b"<body>" + banner.encode(), 1)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers += [(b"content-length", str(len(page)).encode()), (b"cache-control", b"no-store")]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": page})

    return sending


def _maker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.scope["litestar_app"].state.session_maker
    return maker


def _language(request: Request) -> str:
    return pick_language(request.query_params.get("l"), request.headers.get("accept-language"))
