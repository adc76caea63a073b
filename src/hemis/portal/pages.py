"""/portal/: the student's pages (server-rendered, mobile first, usable without script).

Signing in is hemis's own: a local account through identity.signin (the same limits, second
factor, session cookie and audit as /api/v1/auth/login) or the university's OpenID providers
through /api/v1/auth/sso/{id}/start. The pages read the same services as the API, in the
request's own transaction; a student's pages take no student id from the URL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.errors import HemisError, NotFound
from hemis.core.i18n import LANGUAGES, translate
from hemis.core.schemas import Struct
from hemis.identity.controller import COOKIE, session_cookie
from hemis.identity.service import AuthService
from hemis.identity.signin import sign_in
from hemis.identity.sso import IdentityProviderService
from hemis.portal import assets
from hemis.portal.web import (
    HEADERS,
    PageView,
    headers,
    language_cookie,
    page,
    page_language,
    root,
    signed_in,
    to_login,
    university_name,
    view,
)

TEMPLATES = Path(__file__).parent / "templates"
STUDENT_NAV = ("home", "marks", "attendance", "finance", "stipends")
# Where a sign-in may send the person back to: a page of this portal, nothing else.
_NEXT = re.compile(r"^/[A-Za-z0-9\-._~/]*portal/[A-Za-z0-9\-._~/%=&?]*$")


class LoginForm(Struct):
    username: str = ""
    password: str = ""
    totp: str = ""
    l: str = ""  # noqa: E741 - the form's language, as everywhere (?l=)
    next: str = ""


def _same_site(request: Request[Any, Any, Any]) -> bool:
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def back_to(request: Request[Any, Any, Any], wanted: str | None) -> str:
    """The portal page to return to after signing in (never another site or another host's path)."""
    home = f"{root(request)}/portal/"
    if (
        wanted
        and wanted.startswith(f"{root(request)}/portal/")
        and _NEXT.match(wanted)
        and "//" not in wanted
    ):
        return wanted
    return home


class PortalAssets(Controller):
    """What needs no sign-in: the static files, the manifest, the service worker, the offline page."""

    path = "/portal"
    include_in_schema = False
    opt = {"tenant_kinds": {"university"}}

    @get("/static/{name:str}")
    async def static(self, name: Annotated[str, PathParameter(max_length=40)]) -> Response[bytes]:
        asset = assets.get(name)
        if asset is None:
            raise NotFound
        return Response(
            asset.body,
            media_type=asset.media_type,
            headers={"Cache-Control": assets.LONG_CACHE, "X-Content-Type-Options": "nosniff"},
        )

    @get("/manifest.webmanifest")
    async def manifest(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        """The web app manifest: installable, named in the reader's language."""
        language = page_language(request)
        name = await university_name(db_session, language) or translate("portal.app_name", language)
        base = root(request)
        body = {
            "name": name,
            "short_name": translate("portal.app_name", language),
            "lang": language,
            "start_url": f"{base}/portal/",
            "scope": f"{base}/portal/",
            "display": "standalone",
            "background_color": "#f4f6f9",
            "theme_color": "#12355f",
            "icons": [
                {"src": assets.url(base, "icon.svg"), "sizes": "any", "type": "image/svg+xml"},
                {"src": assets.url(base, "icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": assets.url(base, "icon-512.png"), "sizes": "512x512", "type": "image/png"},
            ],
        }
        return Response(
            json.dumps(body, ensure_ascii=False).encode(),
            media_type="application/manifest+json",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @get("/sw.js")
    async def service_worker(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Always revalidated, so a new release's worker takes over at the next visit."""
        return Response(
            assets.service_worker(root(request)),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    @get("/offline", media_type=MediaType.HTML)
    async def offline(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Any:
        """What the service worker shows when the network is gone; names nobody, so it may be cached."""
        language = page_language(request)
        v = view(request, language, await university_name(db_session, language), "offline.title")
        template = page(request, "offline.html", v)
        template.headers = {**headers(), "Cache-Control": "public, max-age=86400"}
        return template


class PortalPages(Controller):
    """Signing in and out, and the student's pages."""

    path = "/portal"
    include_in_schema = False
    opt = {"tenant_kinds": {"university"}}

    async def _login_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        language: str,
        next_page: str,
        status_code: int = 200,
        error: str | None = None,
    ) -> Any:
        v = view(request, language, await university_name(db_session, language), "login.title")
        providers = await IdentityProviderService(db_session, actor="anonymous").active()
        return page(request, "login.html", v, status_code, providers=providers, next=next_page, error=error)

    @get("/login", media_type=MediaType.HTML)
    async def login_form(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Any:
        """The sign-in page: a local account, or one button per OpenID provider of the university."""
        language = page_language(request)
        next_page = back_to(request, request.query_params.get("next"))
        if await signed_in(request) is not None:
            return Redirect(next_page, status_code=303, headers=HEADERS)
        return await self._login_page(request, db_session, language, next_page)

    @post("/login", media_type=MediaType.HTML, status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        """Sign in from the form: the session cookie, then back to the page asked for."""
        language = data.l if data.l in LANGUAGES else page_language(request)
        next_page = back_to(request, data.next)
        if not _same_site(request):
            error = translate("error.forbidden", language)
            return await self._login_page(request, db_session, language, next_page, 403, error)
        if not data.username or not data.password:
            error = translate("portal.login.missing", language)
            return await self._login_page(request, db_session, language, next_page, 422, error)
        maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
        try:
            _, secret = await sign_in(
                maker,
                request.app.state.settings.identity,
                username=data.username,
                password=data.password,
                code=data.totp or None,
                ip=request.client.host if request.client else "",
                user_agent=request.headers.get("user-agent", ""),
                replaces=request.cookies.get(COOKIE),
                now=datetime.now(UTC),
            )
        except HemisError as refused:
            error = translate(refused.message_key, language, field="totp")
            return await self._login_page(
                request, db_session, language, next_page, refused.status_code, error
            )
        return Redirect(
            next_page,
            status_code=303,
            headers=HEADERS,
            cookies=[session_cookie(request, secret), language_cookie(request, language)],
        )

    @post("/logout", status_code=303)
    async def logout(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[Any]:
        """Sign out: the session ends on the server and its cookie is cleared."""
        secret = request.cookies.get(COOKIE)
        if secret and _same_site(request):
            await AuthService(db_session).logout(secret, datetime.now(UTC))
        response = Redirect(f"{root(request)}/portal/login", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/")
        return response

    @get("/", media_type=MediaType.HTML)
    async def home(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Any:
        """The student's day: schedule, marks, attendance, money and news in short."""
        language = page_language(request)
        who = await signed_in(request)
        if who is None:
            return to_login(request, language)
        v = await self._student_view(request, db_session, language, "home", "home.title")
        if who.student_id is None:
            return page(request, "message.html", v, 403, message=v.t("not_student"))
        return page(request, "home.html", v)

    async def _student_view(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        language: str,
        section: str,
        title: str,
    ) -> PageView:
        v = view(request, language, await university_name(db_session, language), title)
        v.signed_in, v.section, v.nav_keys = True, section, STUDENT_NAV
        return v
