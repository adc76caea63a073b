"""/dashboard/: the pages people look at (Jinja, server-rendered, inline SVG charts, no script).

The ministry's page on the national host, a university's own on its host, and for everyone
else the public statistics of that host. Signing in is hemis's own (identity.signin: the same
limits, second factor, session cookie and audit as /api/v1/auth/login); the page reads the
figures through the same service as the API, in the request's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.auth import MINISTRY_ROLES, Principal, Role, Unauthenticated, current_principal
from hemis.core.errors import HemisError
from hemis.core.i18n import translate
from hemis.core.listing import ListParams
from hemis.core.schemas import Struct
from hemis.identity.controller import COOKIE, cross_site_write, session_cookie, sign_in_from
from hemis.identity.service import AuthService
from hemis.reporting import charts, labels, rules
from hemis.reporting.controller import (
    MONTH,
    WHOLE,
    month_of,
    provide_reporting,
    public_employees,
    public_kpi,
    public_students,
)
from hemis.reporting.schemas import FreshnessRead, KpiLine
from hemis.reporting.service import PUBLIC_STUDENT_DIMENSIONS, STUDYING, ReportingService
from tenants import TenantKind

TEMPLATES = Path(__file__).parent / "templates"
UNIVERSITY_ROLES = frozenset({Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.ACCOUNTANT})
PAGE_SIZE = 25
SWITCH = (("uz", "O'zbekcha"), ("oz", "Ўзбекча"), ("ru", "Русский"), ("en", "English"))
# No script, no outside resource: the page needs nothing beyond itself.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-store",
}
Month = Annotated[str | None, QueryParameter(pattern=MONTH)]
Indicator = Annotated[
    Literal[
        "average_score",
        "e_course_share",
        "attendance",
        "report_automation",
        "e_payment_share",
        "transparency_index",
    ],
    QueryParameter(),
]
PageNumber = Annotated[int, QueryParameter(ge=1, le=10_000)]
Region = Annotated[str | None, QueryParameter(pattern=r"^\d{4}$")]


class LoginForm(Struct):
    username: str = ""
    password: str = ""
    totp: str = ""
    l: str = ""  # noqa: E741 - the language of the form, as everywhere (?l=)


@dataclass
class Chart:
    ident: str
    title: str
    svg: Markup
    headers: list[str]
    rows: list[list[str]]


@dataclass
class View:
    """What every page gets: who it is for, its language and its links."""

    language: str
    base: str  # this host's root ("/t/<code>" in dev, "" on a real host)
    path: str
    query: dict[str, str]
    title: str
    signed_in: bool = False
    freshness: FreshnessRead | None = None
    charts: list[Chart] = field(default_factory=list)

    def t(self, key: str, **params: Any) -> str:
        return translate(f"reporting.page.{key}", self.language, **params)

    def col(self, key: str) -> str:
        return labels.column(key, self.language)

    def url(self, **changes: Any) -> str:
        """This page with some query parameters changed (None drops one)."""
        query = {**self.query, **{k: str(v) for k, v in changes.items() if v is not None}}
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
        return f"{self.path}?{urlencode(query)}" if query else self.path

    def languages(self) -> list[tuple[str, str, str, bool]]:
        return [(code, name, self.url(l=code), code == self.language) for code, name in SWITCH]

    def num(self, value: Any, places: int = 1) -> str:
        return charts.number(value, places)

    def when(self, moment: datetime | None) -> str:
        return "—" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def astuple(fresh: FreshnessRead) -> tuple[Any, ...]:
    return (fresh.as_of, fresh.computed_at, fresh.checked_at, fresh.pending, fresh.pending_since)


def _root(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


async def _principal(request: Request[Any, Any, Any]) -> Principal | None:
    try:
        return await current_principal(request)
    except Unauthenticated:
        return None


def _view(request: Request[Any, Any, Any], language: str, title: str) -> View:
    base = _root(request)
    query = {k: v for k, v in request.query_params.items() if k != "l"}
    query["l"] = language
    return View(language, base, f"{base}/dashboard/", query, title)


def _page(template: str, view: View, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=f"reporting/{template}",
        context={"v": view, **context},
        headers=HEADERS,
        status_code=status_code,
        media_type=MediaType.HTML,
    )


def _indicator_chart(view: View, ident: str, title: str, lines: Sequence[KpiLine], indicator: str) -> Chart:
    ranked = sorted(lines, key=lambda x: (getattr(x, indicator) is None, -(getattr(x, indicator) or 0)))
    rows = [(x.name, getattr(x, indicator)) for x in ranked]
    return Chart(
        ident,
        title,
        charts.bar_chart(ident, title, rows, percent=indicator != "average_score"),
        [view.col("name"), view.col(indicator)],
        [[name, view.num(value)] for name, value in rows],
    )


def _count_chart(view: View, ident: str, title: str, counts: Sequence[Any]) -> Chart:
    rows = [(c.name, c.count) for c in counts]
    return Chart(
        ident,
        title,
        charts.bar_chart(ident, title, rows),
        [view.col("name"), view.col("count")],
        [[name, view.num(count)] for name, count in rows],
    )


class DashboardPages(Controller):
    """The dashboards as pages (not part of the API's OpenAPI document)."""

    path = "/dashboard"
    include_in_schema = False
    opt = {"tenant_kinds": {"university", "national"}}
    dependencies = {"reporting": Provide(provide_reporting)}

    @get("/", media_type=MediaType.HTML)
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        reporting: NamedDependency[ReportingService],
        language: NamedDependency[str],
        month: Month = None,
        indicator: Indicator = "attendance",
        page: PageNumber = 1,
        region: Region = None,
    ) -> Response[str]:
        """The ministry's or the university's dashboard for its staff; the public statistics else.

        The page is the same for every reader of a kind (it names no person), so its HTML is kept
        under the figures' version and how fresh they are, like the API's answers."""
        principal = await _principal(request)
        national = reporting.tenant.kind == TenantKind.NATIONAL
        own = None if national else [reporting.tenant.code]
        if national and principal is not None and principal.has_any(MINISTRY_ROLES):
            kind, families = "ministry", ["kpi"]
        elif national:
            kind, families = "public", ["contingent"]
        elif principal is not None and principal.has_any(UNIVERSITY_ROLES):
            kind, families = "university", ["kpi"]
        else:
            kind, families = "university_public", ["contingent", "staff"]
        fresh = await reporting.freshness(families, own)
        query = tuple(sorted((k, v) for k, v in request.query_params.items() if k != "l"))
        key = ("page", kind, principal is not None, query, _root(request), astuple(fresh))

        async def render() -> str:
            if kind == "ministry":
                template = await ministry_page(request, reporting, language, month, indicator, page, region)
            elif kind == "public":
                template = await public_page(request, reporting, language, page, principal is not None)
            elif kind == "university":
                template = await university_page(request, reporting, language, month, indicator)
            else:
                template = await university_public_page(request, reporting, language, principal is not None)
            engine = request.app.template_engine
            assert engine is not None
            assert template.template_name is not None
            return str(engine.get_template(template.template_name).render(**template.context))

        html = await reporting.cached(key, render)
        return Response(html, media_type=MediaType.HTML, headers=HEADERS)

    @get("/login", media_type=MediaType.HTML)
    async def login_form(self, request: Request[Any, Any, Any], language: NamedDependency[str]) -> Template:
        """The sign-in form."""
        return _page("login.html", _view(request, language, translate("reporting.page.sign_in", language)))

    @post("/login", media_type=MediaType.HTML, status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        language: NamedDependency[str],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Sign in from the form: the session cookie, then back to the dashboard."""
        language = data.l if data.l in dict(SWITCH) else language
        view = _view(request, language, translate("reporting.page.sign_in", language))
        if cross_site_write(request):
            return _page("login.html", view, 403, error=translate("error.forbidden", language))
        if not data.username or not data.password:
            return _page("login.html", view, 422, error=translate("error.validation", language))
        try:
            _, secret = await sign_in_from(request, data.username, data.password, data.totp)
        except HemisError as refused:
            message = translate(refused.message_key, language, field="totp")
            return _page("login.html", view, refused.status_code, error=message)
        return Redirect(
            f"{view.path}?l={language}", status_code=303, cookies=[session_cookie(request, secret)]
        )

    @post("/logout", status_code=303)
    async def logout(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        language: NamedDependency[str],
    ) -> Response[Any]:
        """Sign out: the session ends on the server and its cookie is cleared."""
        secret = request.cookies.get(COOKIE)
        origin = request.headers.get("origin")
        same_site = (
            origin is None or urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()
        )
        if secret and same_site:
            await AuthService(db_session).logout(secret, datetime.now(UTC))
        response = Redirect(f"{_root(request)}/dashboard/?l={language}", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response


async def ministry_page(
    request: Request[Any, Any, Any],
    reporting: ReportingService,
    language: str,
    month: str | None,
    indicator: str,
    page: int,
    region: str | None,
) -> Template:
    when = await month_of(reporting, month)
    view = _view(request, language, translate("reporting.page.title_ministry", language))
    view.signed_in = True
    name = view.col(indicator)
    country = await reporting.kpi_table(when, "country", None)
    regions = await reporting.kpi_table(when, "region", None)
    params = ListParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, sort=f"-{indicator}", search=None)
    universities = await reporting.kpi_table(when, "university", params, region=region)
    trend = await reporting.kpi_trend("country", None, rules.months_back(when, 12), when)
    months = [p.month for p in trend.points]
    values = [getattr(p.line, indicator) if p.line else None for p in trend.points]
    view.freshness = country.freshness
    view.charts = [
        Chart(
            "trend",
            view.t("trend", indicator=name),
            charts.line_chart(
                "trend",
                view.t("trend", indicator=name),
                months,
                [charts.Series(reporting.country_name(), values)],
                percent=indicator != "average_score",
            ),
            [view.col("month"), name],
            [[m, view.num(v)] for m, v in zip(months, values, strict=True)],
        ),
        _indicator_chart(view, "regions", view.t("by_region", indicator=name), regions.items, indicator),
    ]
    contingent = await reporting.counts("contingent", "education_type", status=STUDYING)
    view.charts.append(
        _count_chart(view, "types", view.t("students_by", dimension=view.col("education_type")), contingent)
    )
    pages = max(1, -(-universities.total // PAGE_SIZE))
    return _page(
        "ministry.html",
        view,
        month=rules.month_text(when),
        indicator=indicator,
        indicators=rules.INDICATORS,
        country=country.items[0] if country.items else None,
        regions=regions.items,
        universities=universities.items,
        page=page,
        pages=pages,
        region=region,
        region_choices=[(code, labels.region_name(code, language)) for code in labels.regions()],
    )


async def university_page(
    request: Request[Any, Any, Any],
    reporting: ReportingService,
    language: str,
    month: str | None,
    indicator: str,
) -> Template:
    when = await month_of(reporting, month)
    board = await reporting.dashboard(when, 12)
    names = await reporting.names()
    own = names[reporting.tenant.code].name if reporting.tenant.code in names else reporting.tenant.code
    view = _view(request, language, translate("reporting.page.title_university", language, name=own))
    view.signed_in = True
    view.freshness = board.freshness
    name = view.col(indicator)
    columns = [view.t("own"), view.t("region_total"), view.t("country_total")]
    months = [p.month for p in board.trend]
    series = [
        charts.Series(
            label, [getattr(getattr(p, key), indicator) if getattr(p, key) else None for p in board.trend]
        )
        for label, key in zip(columns, ("university", "region", "country"), strict=True)
    ]
    lines = (board.university, board.region, board.country)
    compare_rows = [
        (view.col(ind), getattr(line, ind) if line else None) for ind in rules.INDICATORS for line in lines
    ]
    view.charts = [
        Chart(
            "compare",
            view.t("compare"),
            charts.bar_chart("compare", view.t("compare"), compare_rows, percent=True, series=columns),
            [view.col("name"), *columns],
            [
                [view.col(ind), *(view.num(getattr(line, ind) if line else None) for line in lines)]
                for ind in rules.INDICATORS
            ],
        ),
        Chart(
            "trend",
            view.t("trend", indicator=name),
            charts.line_chart(
                "trend", view.t("trend", indicator=name), months, series, percent=indicator != "average_score"
            ),
            [view.col("month"), *columns],
            [[m, *(view.num(s.values[i]) for s in series)] for i, m in enumerate(months)],
        ),
    ]
    return _page(
        "university.html",
        view,
        month=rules.month_text(when),
        indicator=indicator,
        indicators=rules.INDICATORS,
        lines=lines,
        university=own,
    )


async def public_page(
    request: Request[Any, Any, Any],
    reporting: ReportingService,
    language: str,
    page: int,
    signed_in: bool,
) -> Template:
    """The country's statistics for anyone: the same figures as /api/v1/public/statistics."""
    view = _view(request, language, translate("reporting.page.title_public", language))
    view.signed_in = signed_in
    students = await public_students(reporting)
    employees = await public_employees(reporting)
    kpi = await public_kpi(reporting, None)
    universities = await reporting.universities(WHOLE)
    view.freshness = students.freshness
    for dimension in PUBLIC_STUDENT_DIMENSIONS:
        title = view.t("students_by", dimension=view.col(dimension))
        view.charts.append(_count_chart(view, f"s-{dimension}", title, students.by[dimension]))
    for dimension, counts in employees.by.items():
        title = view.t("employees_by", dimension=view.col(dimension))
        view.charts.append(_count_chart(view, f"e-{dimension}", title, counts))
    regions = [line for line in kpi.items if line.level == "region"]
    view.charts.append(
        _indicator_chart(
            view, "kpi", view.t("by_region", indicator=view.col("attendance")), regions, "attendance"
        )
    )
    size = 50
    pages = max(1, -(-len(universities.items) // size))
    return _page(
        "public.html",
        view,
        students=students,
        employees=employees,
        kpi=kpi.items,
        month=kpi.month,
        indicators=rules.INDICATORS,
        universities=universities.items[(page - 1) * size : page * size],
        university_total=len(universities.items),
        page=page,
        pages=pages,
    )


async def university_public_page(
    request: Request[Any, Any, Any],
    reporting: ReportingService,
    language: str,
    signed_in: bool,
) -> Template:
    """A university's own counts for anyone (the figures of its HEMIS stat-* endpoints)."""
    names = await reporting.names()
    own = names[reporting.tenant.code].name if reporting.tenant.code in names else reporting.tenant.code
    view = _view(request, language, translate("reporting.page.title_public_university", language, name=own))
    view.signed_in = signed_in

    dimensions = ("education_type", "education_form", "payment_form", "gender", "course")
    students = await reporting.counts_by("contingent", dimensions, status=STUDYING)
    staff = await reporting.counts_by("staff", ("position", "academic_degree"))
    view.freshness = await reporting.freshness(["contingent", "staff"], [reporting.tenant.code])
    for dimension, counts in students.items():
        title = view.t("students_by", dimension=view.col(dimension))
        view.charts.append(_count_chart(view, f"s-{dimension}", title, counts))
    for dimension, counts in staff.items():
        title = view.t("employees_by", dimension=view.col(dimension))
        view.charts.append(_count_chart(view, f"e-{dimension}", title, counts))
    total = sum(c.count for c in students["education_type"])
    return _page("university_public.html", view, university=own, total=total)
