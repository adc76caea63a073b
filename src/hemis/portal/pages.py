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

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.attendance.rules import DEFAULT_BAR
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.core.errors import HemisError, NotFound
from hemis.core.i18n import LANGUAGES, translate
from hemis.core.schemas import Struct
from hemis.finance.providers.stripe import StripeGateway
from hemis.grading.rules import ControlType
from hemis.identity.controller import COOKIE, cross_site_write, session_cookie, sign_in_from
from hemis.identity.service import AuthService
from hemis.identity.sso import IdentityProviderService
from hemis.portal import assets
from hemis.portal.journal import is_teacher
from hemis.portal.page_cache import PageCache
from hemis.portal.student import StudentPortal
from hemis.portal.web import (
    HEADERS,
    PageView,
    Refusal,
    frame,
    headers,
    is_scheduler,
    language_cookie,
    page,
    page_cookies,
    page_language,
    refuse,
    root,
    signed_in,
    university_name,
    view,
)
from hemis.reporting.labels import classifier_name

TEMPLATES = Path(__file__).parent / "templates"
CONTROLS = (ControlType.CURRENT, ControlType.MIDTERM, ControlType.FINAL)
# Where Stripe's hosted checkout lives: the pay form's answer redirects there (CSP form-action).
CHECKOUT_ORIGIN = "https://checkout.stripe.com"
STUDENT_NAV = ("home", "marks", "attendance", "finance", "stipends", "notifications")
NOTICES_PAGE = 20  # notifications per page
# Where a sign-in may send the person back to: a page of this portal, nothing else.
_NEXT = re.compile(r"^/[A-Za-z0-9\-._~/]*(portal/|timetable/print)[A-Za-z0-9\-._~/%=&?]*$")
# Where signing in may bring a person back to: the portal's pages and the printable timetable.
RETURNABLE = ("/portal/", "/timetable/print")


class PayForm(Struct):
    contract: int = 0
    instalment: int = 0


class LoginForm(Struct):
    username: str = ""
    password: str = ""
    totp: str = ""
    l: str = ""  # noqa: E741 - the form's language, as everywhere (?l=)
    next: str = ""


def back_to(request: Request[Any, Any, Any], wanted: str | None) -> str:
    """The page to return to after signing in (never another site or another host's path)."""
    home = f"{root(request)}/portal/"
    if (
        wanted
        and any(wanted.startswith(f"{root(request)}{place}") for place in RETURNABLE)
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
        if cross_site_write(request):
            error = translate("error.forbidden", language)
            return await self._login_page(request, db_session, language, next_page, 403, error)
        if not data.username or not data.password:
            error = translate("portal.login.missing", language)
            return await self._login_page(request, db_session, language, next_page, 422, error)
        try:
            _, secret = await sign_in_from(request, data.username, data.password, data.totp)
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
        if secret and not cross_site_write(request):
            await AuthService(db_session).logout(secret, datetime.now(UTC))
        response = Redirect(f"{root(request)}/portal/login", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def _gate(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, section: str, title: str
    ) -> tuple[PageView, StudentPortal] | Refusal:
        """The signed-in student and the page's frame, or the answer for anybody else: the sign-in
        page for nobody (or another university's cookie), their own pages for teachers, parents
        and schedulers, a plain refusal for other staff."""
        framed = await frame(request, db_session, section=section, title=title, nav_keys=STUDENT_NAV)
        if isinstance(framed, Refusal):
            return framed
        v, who = framed
        if who.student_id is None:
            elsewhere = (
                "/teacher"
                if is_teacher(who)  # a teacher's portal is the journal
                else "/children"
                if Role.GUARDIAN in who.roles  # a parent's is their children's pages
                else "/timetable"
                if section == "home" and is_scheduler(who)  # a scheduler's is the timetable
                else None
            )
            if elsewhere is not None:
                return Refusal(Redirect(f"{v.portal}{elsewhere}", status_code=303, headers=HEADERS))
            return refuse(request, v, "not_student")
        me_ = StudentPortal(db_session, who)
        v.unread = await me_.notices().unread_count()  # the nav's badge; the script keeps it current
        return v, me_

    @get("/", media_type=MediaType.HTML)
    async def home(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Any:
        """The student's day in short: schedule, this semester's marks, standing, attendance, money.
        Opened many times a day, it is answered from memory while nothing of the university has
        changed (hemis.portal.page_cache)."""
        cache: PageCache = request.app.state.page_cache
        language = page_language(request)
        found = cache.key(request, language)
        mark = None
        if found is not None:
            kept = cache.get(*found)
            if kept is not None:
                return cache.answer(request, kept, headers(), page_cookies(request, language))
            mark = cache.mark()  # before anything is read
        gate = await self._gate(request, db_session, "home", "home.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        me = await me_.me()
        keep = (
            None if found is None or mark is None else cache.keeper(*found, mark, me_.principal, me.group.id)
        )
        semester = me.running_semester(v.today)
        scale, subjects = await me_.subjects()
        current = [s for s in subjects if s.semester == semester]
        contracts = await me_.contracts()
        owed = sum(max(0, c.balance) for c in contracts if c.contract.status == "active")
        return page(
            request,
            "home.html",
            v,
            keep=keep,
            me=me,
            semester=semester,
            current=current,
            standing=await me_.standing(me, scale, subjects, course=False),
            debts=me_.debts(subjects),
            over_bar=[s for s in current if s.unexcused_share >= DEFAULT_BAR],
            controls=CONTROLS,
            owed=owed,
            stipend=next(iter(await me_.stipends()), None),
            schedule=await me_.schedule(me, v.today, v.language),
            notifications=await me_.notifications(v.language),
        )

    @get("/marks", media_type=MediaType.HTML)
    async def marks(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        semester: Annotated[str | None, QueryParameter(pattern=r"^1[1-9]$|^2[0-9]$")] = None,
    ) -> Any:
        """A semester's subjects with JN/ON/YN, total, grade and status; GPA, rank and debts."""
        gate = await self._gate(request, db_session, "marks", "marks.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        me = await me_.me()
        scale, subjects = await me_.subjects()
        semesters = sorted({s.semester for s in subjects})
        chosen = me.semester_shown(v.today, semesters, semester)
        return page(
            request,
            "marks.html",
            v,
            me=me,
            semester=chosen,
            semesters=semesters,
            subjects=[s for s in subjects if s.semester == chosen],
            standing=await me_.standing(me, scale, subjects),
            debts=me_.debts(subjects),
            controls=CONTROLS,
        )

    @get("/attendance", media_type=MediaType.HTML)
    async def attendance(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Any:
        """This semester's missed hours per subject against the bar from the final."""
        gate = await self._gate(request, db_session, "attendance", "attendance.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        me = await me_.me()
        semester = me.running_semester(v.today)
        _, subjects = await me_.subjects([semester])
        return page(
            request,
            "attendance.html",
            v,
            semester=semester,
            lines=me_.attendance(subjects),
            bar=DEFAULT_BAR,
        )

    @get("/finance", media_type=MediaType.HTML)
    async def finance(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Any:
        """Contracts, what is owed of each instalment, and the pay button when Stripe is set up."""
        gate = await self._gate(request, db_session, "finance", "finance.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        return await self._finance_page(request, v, me_)

    async def _finance_page(
        self,
        request: Request[Any, Any, Any],
        v: PageView,
        me_: StudentPortal,
        status_code: int = 200,
        error: str | None = None,
    ) -> Any:
        return page(
            request,
            "finance.html",
            v,
            status_code,
            form_targets=CHECKOUT_ORIGIN,
            contracts=await me_.contracts(),
            online=await me_.can_pay_online(),
            error=error,
        )

    @post("/finance/pay", media_type=MediaType.HTML, status_code=303)
    async def pay(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        data: Annotated[PayForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        """Open a Stripe Checkout Session for an instalment of the student's own contract and send
        the browser there; Stripe brings them back to the finance page."""
        gate = await self._gate(request, db_session, "finance", "finance.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        back = f"{request.url.scheme}://{request.url.netloc}{v.portal}/finance"
        try:
            contract = await me_.contract_service().get(data.contract)  # another's contract: 403
            settings: Settings = request.app.state.settings
            checkout = await StripeGateway(
                db_session, settings.payments, me_.principal.tenant_code
            ).start_checkout(
                contract, data.instalment, actor=me_.principal.subject, success_url=back, cancel_url=back
            )
        except HemisError as refused:
            await db_session.rollback()  # nothing of a refused checkout is kept
            error = translate(refused.message_key, v.language, field=refused.field or "", **refused.params)
            return await self._finance_page(request, v, me_, refused.status_code, error)
        return Redirect(checkout.url, status_code=303, headers=headers(CHECKOUT_ORIGIN))

    @get("/stipends", media_type=MediaType.HTML)
    async def stipends(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Any:
        """The student's stipends month by month (approved payrolls)."""
        gate = await self._gate(request, db_session, "stipends", "stipends.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        return page(request, "stipends.html", v, lines=await me_.stipends(), rate=stipend_rate)

    @get("/notifications", media_type=MediaType.HTML)
    async def notifications(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Any:
        """Every notification of the student, newest first, unread ones marked; the button that
        turns on web push (shown by the script only where the browser and the server can push)."""
        gate = await self._gate(request, db_session, "notifications", "notices.page_title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        notices, total = await me_.notice_page(v.language, NOTICES_PAGE, (page_number - 1) * NOTICES_PAGE)
        pages = max(1, -(-total // NOTICES_PAGE))
        return page(
            request,
            "notifications.html",
            v,
            notices=notices,
            page_number=page_number,
            pages=pages,
            total=total,
        )

    @post("/notifications/read-all", status_code=303)
    async def read_all(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Any:
        """Mark every notification read, then back to the list."""
        gate = await self._gate(request, db_session, "notifications", "notices.page_title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, me_ = gate
        if not cross_site_write(request):
            await me_.notices().read_all()
        return Redirect(f"{v.portal}/notifications", status_code=303, headers=HEADERS)


def stipend_rate(code: str | None, language: str) -> str:
    return "—" if not code else classifier_name("h_stipend_rate", code, language)
