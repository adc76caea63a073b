"""What every portal page needs: its language (?l=, then the remembered choice, then the browser's),
who is signed in, the security headers, the layout's links and the rendering.

The teacher journal builds its pages on the same pieces: `PageView`, `page()`, `signed_in()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.auth import Principal, Role, Unauthenticated, current_principal
from hemis.core.clock import local_today
from hemis.core.i18n import LANGUAGES, normalise, pick_language, translate
from hemis.institution.models import InstitutionProfile
from hemis.portal import assets
from hemis.portal.page_cache import KeptPage

LANGUAGE_COOKIE = "hemis_portal_lang"
# Who keeps the timetable (hemis.portal.timetable_pages): the service limits a dean to their faculty.
SCHEDULERS = frozenset({Role.ADMIN, Role.REGISTRAR, Role.DEAN})
SWITCH = (("uz", "O'zbekcha"), ("oz", "Ўзбекча"), ("ru", "Русский"), ("en", "English"))
HTML_LANG = {"uz": "uz", "oz": "uz-Cyrl", "ru": "ru", "en": "en"}
# Only this site's own scripts, styles, images, manifest and worker; nothing inline, no frames.
# form-action is widened per page where a form's answer redirects elsewhere (the Stripe checkout).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "manifest-src 'self'; worker-src 'self'; connect-src 'self'; form-action 'self'{forms}; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Personal pages: never kept by a browser, a proxy or the service worker.
    "Cache-Control": "private, no-store",
}


def headers(form_targets: str = "") -> dict[str, str]:
    return {
        **HEADERS,
        "Content-Security-Policy": CSP.format(forms=f" {form_targets}" if form_targets else ""),
    }


def root(request: Request[Any, Any, Any]) -> str:
    """This host's root: "/t/<code>" in dev and tests, "" on a university's own host."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def page_language(request: Request[Any, Any, Any]) -> str:
    """?l= first (and it is remembered), then the remembered choice, then the browser's."""
    chosen = normalise(request.query_params.get("l")) or normalise(request.cookies.get(LANGUAGE_COOKIE))
    return chosen or pick_language(None, request.headers.get("accept-language"))


def language_cookie(request: Request[Any, Any, Any], language: str) -> Cookie:
    return Cookie(
        key=LANGUAGE_COOKIE,
        value=language,
        path=f"{root(request)}/portal",
        max_age=365 * 24 * 3600,
        samesite="lax",
        httponly=True,
        secure=request.url.scheme == "https",
    )


async def university_name(session: AsyncSession, language: str) -> str:
    profile = await session.scalar(select(InstitutionProfile))
    if profile is None:
        return ""
    return str(getattr(profile, f"name_{language}", "") or profile.name_uz)


async def signed_in(request: Request[Any, Any, Any]) -> Principal | None:
    """The session cookie's person at this university, or None (a cookie of another university,
    an ended session or none at all)."""
    try:
        return await current_principal(request)
    except Unauthenticated:
        return None


def is_scheduler(principal: Principal) -> bool:
    return principal.has_any(SCHEDULERS)


@dataclass
class NavItem:
    key: str
    href: str
    current: bool


@dataclass
class PageView:
    """What the layout gets: language, links, the university's name and who is signed in."""

    language: str
    base: str  # this host's root
    path: str  # this page's path (without the query)
    query: dict[str, str]
    university: str
    title: str = ""
    signed_in: bool = False
    section: str = ""  # the nav item this page belongs to
    nav_keys: tuple[str, ...] = ()
    unread: int = 0  # a student's unread notifications (the nav's badge)
    today: date = field(default_factory=local_today)  # the university's day (Asia/Tashkent)

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.language]

    @property
    def portal(self) -> str:
        return f"{self.base}/portal"

    def t(self, key: str, **params: Any) -> str:
        return translate(f"portal.{key}", self.language, **params)

    def url(self, **changes: Any) -> str:
        """This page with some query parameters changed (None drops one)."""
        query = dict(self.query)
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = str(value)
        return f"{self.path}?{urlencode(query)}" if query else self.path

    def languages(self) -> list[tuple[str, str, str, str, bool]]:
        return [
            (code, HTML_LANG[code], name, self.url(l=code), code == self.language) for code, name in SWITCH
        ]

    def nav(self) -> list[NavItem]:
        paths = {"home": "/", "marks": "/marks", "attendance": "/attendance", "finance": "/finance"}
        paths |= {"stipends": "/stipends", "notifications": "/notifications"}
        paths |= {"guardian.children": "/children"}  # the guardian's (parents')
        paths |= {"journal.lessons": "/teacher", "journal.sheets": "/journal/sheets"}  # the teacher's
        paths |= {"journal.absences": "/journal/absences"}
        paths |= {"timetable.week": "/timetable"}  # the registrar's and deans' timetable
        return [NavItem(k, f"{self.portal}{paths.get(k, '/' + k)}", k == self.section) for k in self.nav_keys]

    def asset(self, name: str) -> str:
        return assets.url(self.base, name)

    def money(self, tiyin: int) -> str:
        """Tiyin as so'm with thin-space thousands ("1 234 567,50 so'm")."""
        sign = "-" if tiyin < 0 else ""
        whole, cents = divmod(abs(tiyin), 100)
        text = f"{whole:,}".replace(",", "\u202f")
        return f"{sign}{text}{f',{cents:02d}' if cents else ''} {self.t('som')}"

    def pct(self, share: Decimal | float | None, places: int = 1) -> str:
        """A 0..1 share as a percentage."""
        if share is None:
            return "—"
        return f"{Decimal(share) * 100:.{places}f}\u00a0%".replace(".", "," if self.language != "en" else ".")

    def num(self, value: Decimal | int | None) -> str:
        if value is None:
            return "—"
        text = f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)
        return text if self.language == "en" else text.replace(".", ",")

    def day(self, when: date) -> str:
        return when.strftime("%d.%m.%Y")


def view(
    request: Request[Any, Any, Any], language: str, university: str, title_key: str, **title: Any
) -> PageView:
    base = root(request)
    query = {k: v for k, v in request.query_params.items() if k != "l"}
    path = f"{base}{request.scope['path']}"
    return PageView(
        language, base, path, query, university, translate(f"portal.{title_key}", language, **title)
    )


def page(
    request: Request[Any, Any, Any],
    template: str,
    v: PageView,
    status_code: int = 200,
    form_targets: str = "",
    keep: Callable[[bytes], None] | None = None,
    **context: Any,
) -> Template:
    """A page in the layout; a language picked with ?l= is remembered in a cookie. With `keep`, the
    rendered page is handed to it (hemis.portal.page_cache)."""
    return KeptPage(
        keep,
        template_name=f"portal/{template}",
        context={"v": v, **context},
        headers=headers(form_targets),
        cookies=page_cookies(request, v.language),
        status_code=status_code,
        media_type=MediaType.HTML,
    )


def page_cookies(request: Request[Any, Any, Any], language: str) -> list[Cookie]:
    """The cookies a page sets: the language picked with ?l=, remembered."""
    return [language_cookie(request, language)] if request.query_params.get("l") in LANGUAGES else []


def login_instead(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    """An exception handler for pages a browser opens (not the API): unauthenticated → sign-in."""
    return to_login(request, page_language(request))


def to_login(request: Request[Any, Any, Any], language: str) -> Response[Any]:
    """Not signed in: to the sign-in page, which brings the person back here afterwards (with
    the query: a printable week names its group there)."""
    query_string = request.scope.get("query_string", b"").decode("latin-1")
    here = f"{root(request)}{request.scope['path']}" + (f"?{query_string}" if query_string else "")
    query = urlencode({"l": language, "next": here})
    return Redirect(f"{root(request)}/portal/login?{query}", status_code=303, headers=HEADERS)


@dataclass(frozen=True)
class Refusal:
    """What a page answers anybody it is not for: the sign-in page, a redirect or a plain 403."""

    answer: Any


async def frame(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    section: str,
    title: str,
    nav_keys: tuple[str, ...],
) -> tuple[PageView, Principal] | Refusal:
    """The signed-in person and the page's frame (language, university, nav), or the sign-in page
    for nobody (or for another university's cookie). Each kind of page then checks who it is for."""
    language = page_language(request)
    who = await signed_in(request)
    if who is None:
        return Refusal(to_login(request, language))
    v = view(request, language, await university_name(session, language), title)
    v.signed_in, v.section, v.nav_keys = True, section, nav_keys
    return v, who


def refuse(request: Request[Any, Any, Any], v: PageView, message_key: str, status_code: int = 403) -> Refusal:
    """A plain page saying why this person may not be here (without the nav of those who may)."""
    v.nav_keys = ()
    return Refusal(page(request, "message.html", v, status_code, message=v.t(message_key)))


def digits(text: str) -> bool:
    """A whole number as forms send it: ASCII digits only, at most 18 (str.isdigit() also takes
    '²' and other digits int() refuses, and int() refuses strings of thousands of digits)."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()
