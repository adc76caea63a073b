"""/api/v1/national/… (the ministry, on the national host), /api/v1/dashboard (a university's own, on
its host), /api/v1/public/statistics/… (anonymous, the national host) and HEMIS's
/rest/v1/public/stat-* (anonymous, each university's host). Every one reads schema national in
the request's own transaction, so row-level security decides what a host can see."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.auth import MINISTRY_ROLES, Role, provide_principal, requires_role
from hemis.core.errors import HemisError
from hemis.core.listing import ListParams, provide_list_params
from hemis.reporting import anomalies, export, rules
from hemis.reporting.hemis_stats import stat_employee, stat_structure, stat_student
from hemis.reporting.report import dashboard_pdf, national_pdf
from hemis.reporting.schemas import (
    BreakdownPage,
    DashboardRead,
    DuplicatePage,
    KpiPage,
    PublicEmployeesRead,
    PublicStudentsRead,
    TransferPage,
    TrendRead,
    UniversityPage,
)
from hemis.reporting.service import PUBLIC_EMPLOYEE_DIMENSIONS, PUBLIC_STUDENT_DIMENSIONS, ReportingService
from tenants import current_tenant

# The ministry's analysts, the national tenant's admins and its machine clients.
MINISTRY = requires_role(*MINISTRY_ROLES)
# A university's offices that answer for its figures.
UNIVERSITY_STAFF = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.ACCOUNTANT)
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
Month = Annotated[
    str | None, QueryParameter(pattern=MONTH, description="YYYY-MM; the latest month by default")
]
Level = Annotated[Literal["university", "region", "country"], QueryParameter()]
Region = Annotated[str | None, QueryParameter(pattern=r"^\d{4}$", description="h_soato region code")]
University = Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z0-9_]{1,29}$")]
Code = Annotated[str | None, QueryParameter(pattern=r"^([a-z][a-z0-9_]{1,29}|\d{4})$")]
By = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[a-z_]{2,40}(,[a-z_]{2,40})?$", description="one or two dimensions, comma-separated"
    ),
]
ClassCode = Annotated[str | None, QueryParameter(pattern=r"^\d{2}$")]
Status = Annotated[
    str, QueryParameter(pattern=r"^(\d{2}|all)$", description="h_student_status; 'all' for every status")
]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2100)]
Months = Annotated[int, QueryParameter(ge=1, le=60)]
Format = Annotated[Literal["csv", "xlsx"], QueryParameter()]
FamilyPath = Annotated[
    str, PathParameter(pattern=r"^(contingent|performance|attendance|finance|stipends|staff)$")
]
Since = Annotated[date | None, QueryParameter()]


class BadWindow(HemisError):
    status_code = 422
    message_key = "reporting.window"


async def provide_reporting(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], language: NamedDependency[str]
) -> ReportingService:
    settings = request.app.state.settings.reporting
    cache = request.app.state.figures_cache
    return ReportingService(db_session, current_tenant(), language, settings, cache)


def file(sheet: export.Sheet, fmt: str) -> Response[bytes]:
    return Response(
        export.render(sheet, fmt),
        media_type=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{sheet.name}.{fmt}"'},
    )


def pdf_file(body: bytes, name: str) -> Response[bytes]:
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


async def month_of(reporting: ReportingService, month: str | None) -> date:
    return rules.parse_month(month) if month else await reporting.latest_month()


async def window(reporting: ReportingService, first: str | None, last: str | None) -> tuple[date, date]:
    """`from`..`to` (12 months up to the latest by default); at most 60 months, in order."""
    end = rules.parse_month(last) if last else await reporting.latest_month()
    start = rules.parse_month(first) if first else rules.months_back(end, 12)
    if start > end:
        raise BadWindow(field="from", months=60)
    if len(rules.months_between(start, end)) > 60:
        raise BadWindow(field="to", months=60)
    return start, end


def dimensions(by: str | None) -> list[str]:
    return by.split(",") if by else []


class NationalController(Controller):
    """The ministry's figures: every university, region and the country."""

    path = "/api/v1/national"
    tags = ["National"]
    opt = {"tenant_kinds": {"national"}}
    guards = [MINISTRY]
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "reporting": Provide(provide_reporting),
    }

    @get("/kpi", operation_id="GetNationalKpi")
    async def kpi(
        self,
        reporting: NamedDependency[ReportingService],
        params: NamedDependency[ListParams],
        level: Level = "university",
        month: Month = None,
        region: Region = None,
    ) -> KpiPage:
        """Table 1 (average score, e-course share, attendance, report automation, e-payment share,
        transparency index) for a month by university, region or the country; `sort` by any
        indicator (`-attendance`), `region` and `search` filter universities."""
        return await reporting.kpi_table(await month_of(reporting, month), level, params, region=region)

    @get("/kpi/export", operation_id="ExportNationalKpi")
    async def kpi_export(
        self,
        reporting: NamedDependency[ReportingService],
        params: NamedDependency[ListParams],
        language: NamedDependency[str],
        level: Level = "university",
        month: Month = None,
        region: Region = None,
        format: Format = "csv",
    ) -> Response[bytes]:
        """The KPI table as CSV or XLSX (every line, in the order `sort` asks)."""
        whole = ListParams(limit=10_000, offset=0, sort=params.sort, search=params.search)
        page = await reporting.kpi_table(await month_of(reporting, month), level, whole, region=region)
        return file(export.kpi_sheet(page, language), format)

    @get("/kpi/trend", operation_id="GetNationalKpiTrend")
    async def trend(
        self,
        reporting: NamedDependency[ReportingService],
        level: Annotated[Literal["university", "region", "country"], QueryParameter()] = "country",
        code: Code = None,
        first: Annotated[str | None, QueryParameter(name="from", pattern=MONTH)] = None,
        last: Annotated[str | None, QueryParameter(name="to", pattern=MONTH)] = None,
    ) -> TrendRead:
        """The KPI table's line month by month (`from`..`to`, 12 months by default) for the
        country, a region (`code` = h_soato) or a university (`code` = its code)."""
        start, end = await window(reporting, first, last)
        return await reporting.kpi_trend(level, code, start, end)

    @get("/kpi/trend/export", operation_id="ExportNationalKpiTrend")
    async def trend_export(
        self,
        reporting: NamedDependency[ReportingService],
        language: NamedDependency[str],
        level: Annotated[Literal["university", "region", "country"], QueryParameter()] = "country",
        code: Code = None,
        first: Annotated[str | None, QueryParameter(name="from", pattern=MONTH)] = None,
        last: Annotated[str | None, QueryParameter(name="to", pattern=MONTH)] = None,
        format: Format = "csv",
    ) -> Response[bytes]:
        """The trend as CSV or XLSX."""
        start, end = await window(reporting, first, last)
        return file(export.trend_sheet(await reporting.kpi_trend(level, code, start, end), language), format)

    @get("/universities", operation_id="ListNationalUniversities")
    async def universities(
        self,
        reporting: NamedDependency[ReportingService],
        params: NamedDependency[ListParams],
        region: Region = None,
    ) -> UniversityPage:
        """Every university with its studying students (`sort`: name, code, students, region_name)."""
        return await reporting.universities(params, region=region)

    @get("/universities/export", operation_id="ExportNationalUniversities")
    async def universities_export(
        self,
        reporting: NamedDependency[ReportingService],
        params: NamedDependency[ListParams],
        language: NamedDependency[str],
        region: Region = None,
        format: Format = "csv",
    ) -> Response[bytes]:
        """The list of universities as CSV or XLSX."""
        whole = ListParams(limit=10_000, offset=0, sort=params.sort, search=params.search)
        return file(
            export.universities_sheet(await reporting.universities(whole, region=region), language), format
        )

    @get("/breakdowns/{family:str}", operation_id="GetNationalBreakdown")
    async def breakdown(
        self,
        reporting: NamedDependency[ReportingService],
        params: NamedDependency[ListParams],
        family: FamilyPath,
        by: By = None,
        university: University = None,
        region: Region = None,
        status: Status = "11",
        education_type: ClassCode = None,
        education_form: ClassCode = None,
        payment_form: ClassCode = None,
        course: ClassCode = None,
        gender: ClassCode = None,
        academic_year: Year = None,
    ) -> BreakdownPage:
        """contingent, performance, attendance, finance, stipends or staff summed by one or two
        dimensions (`by=education_type,gender`; `university` and `university_region` too), with
        the ratios of the sums; contingent counts studying students unless `status` says otherwise.
        Money in tiyin."""
        where = _where(
            family, by, status, education_type, education_form, payment_form, course, gender, academic_year
        )
        return await reporting.breakdown(
            family, dimensions(by), params, university=university, region=region, where=where
        )

    @get("/breakdowns/{family:str}/export", operation_id="ExportNationalBreakdown")
    async def breakdown_export(
        self,
        reporting: NamedDependency[ReportingService],
        params: NamedDependency[ListParams],
        language: NamedDependency[str],
        family: FamilyPath,
        by: By = None,
        university: University = None,
        region: Region = None,
        status: Status = "11",
        education_type: ClassCode = None,
        education_form: ClassCode = None,
        payment_form: ClassCode = None,
        course: ClassCode = None,
        gender: ClassCode = None,
        academic_year: Year = None,
        format: Format = "csv",
    ) -> Response[bytes]:
        """A breakdown as CSV or XLSX (every row, with a total line)."""
        where = _where(
            family, by, status, education_type, education_form, payment_form, course, gender, academic_year
        )
        whole = ListParams(limit=100_000, offset=0, sort=params.sort, search=None)
        page = await reporting.breakdown(
            family, dimensions(by), whole, university=university, region=region, where=where
        )
        return file(export.breakdown_sheet(page, language), format)

    @get("/registry/duplicates", operation_id="ListRegistryDuplicates")
    async def duplicates(
        self, reporting: NamedDependency[ReportingService], params: NamedDependency[ListParams]
    ) -> DuplicatePage:
        """PINFLs studying at two or more universities at once, with each studying record."""
        return await anomalies.duplicates(reporting, params)

    @get("/registry/duplicates/export", operation_id="ExportRegistryDuplicates")
    async def duplicates_export(
        self,
        reporting: NamedDependency[ReportingService],
        language: NamedDependency[str],
        format: Format = "csv",
    ) -> Response[bytes]:
        """The duplicates as CSV or XLSX (one line per record)."""
        return file(export.duplicates_sheet(await anomalies.duplicates(reporting, None), language), format)

    @get("/registry/transfers", operation_id="ListRegistryTransfers")
    async def transfers(
        self,
        reporting: NamedDependency[ReportingService],
        params: NamedDependency[ListParams],
        since: Since = None,
    ) -> TransferPage:
        """Transfers: a record expelled at one university beside a studying one at another (same
        PINFL), the latest departures first; `since` a date of departure."""
        return await anomalies.transfers(reporting, params, since=since)

    @get("/registry/transfers/export", operation_id="ExportRegistryTransfers")
    async def transfers_export(
        self,
        reporting: NamedDependency[ReportingService],
        language: NamedDependency[str],
        since: Since = None,
        format: Format = "csv",
    ) -> Response[bytes]:
        """The transfers as CSV or XLSX."""
        return file(
            export.transfers_sheet(await anomalies.transfers(reporting, None, since=since), language), format
        )

    @get("/report", operation_id="GetNationalMonthlyReport", media_type="application/pdf")
    async def report(
        self,
        reporting: NamedDependency[ReportingService],
        language: NamedDependency[str],
        month: Month = None,
    ) -> Response[bytes]:
        """The monthly statistical report (PDF): the KPI table by region and the country, the
        universities, and the main breakdowns of the contingent, staff, finance and stipends."""
        when = await month_of(reporting, month)
        return pdf_file(
            await national_pdf(reporting, when, language), f"hemis-report-{rules.month_text(when)}"
        )


def _where(
    family: str,
    by: str | None,
    status: str,
    education_type: str | None,
    education_form: str | None,
    payment_form: str | None,
    course: str | None,
    gender: str | None,
    academic_year: int | None,
) -> dict[str, str]:
    """The dimension filters asked for; contingent counts studying students by default."""
    where = {
        "education_type": education_type,
        "education_form": education_form,
        "payment_form": payment_form,
        "course": course,
        "gender": gender,
        "academic_year": str(academic_year) if academic_year is not None else None,
    }
    chosen = {k: v for k, v in where.items() if v is not None}
    if family == "contingent" and status != "all" and "status" not in dimensions(by):
        chosen["status"] = status
    return chosen


class DashboardController(Controller):
    """A university's own figures beside its region's and the country's (its host only)."""

    path = "/api/v1/dashboard"
    tags = ["Dashboard"]
    opt = {"tenant_kinds": {"university"}}
    guards = [UNIVERSITY_STAFF]
    dependencies = {"principal": Provide(provide_principal), "reporting": Provide(provide_reporting)}

    @get(operation_id="GetDashboard")
    async def dashboard(
        self, reporting: NamedDependency[ReportingService], month: Month = None, months: Months = 12
    ) -> DashboardRead:
        """This university's KPI table for a month beside its region's and the country's totals,
        the trend of the last `months` months, and how fresh the figures are."""
        return await reporting.dashboard(await month_of(reporting, month), months)

    @get("/export", operation_id="ExportDashboard")
    async def dashboard_export(
        self,
        reporting: NamedDependency[ReportingService],
        language: NamedDependency[str],
        month: Month = None,
        months: Months = 12,
        format: Format = "csv",
    ) -> Response[bytes]:
        """The dashboard's table (each month: the university, its region, the country) as CSV or XLSX."""
        board = await reporting.dashboard(await month_of(reporting, month), months)
        return file(export.dashboard_sheet(board, language), format)

    @get("/report", operation_id="GetDashboardReport", media_type="application/pdf")
    async def report(
        self,
        reporting: NamedDependency[ReportingService],
        language: NamedDependency[str],
        month: Month = None,
    ) -> Response[bytes]:
        """This university's monthly statistical report (PDF)."""
        when = await month_of(reporting, month)
        return pdf_file(
            await dashboard_pdf(reporting, when, language), f"hemis-report-{rules.month_text(when)}"
        )


class PublicStatisticsController(Controller):
    """The country's figures for anyone, without signing in: aggregate counts only (kept per
    process under the figures' version, so a crowd of visitors costs a query each)."""

    path = "/api/v1/public/statistics"
    tags = ["Public statistics"]
    opt = {"tenant_kinds": {"national"}}
    dependencies = {"reporting": Provide(provide_reporting)}

    @get("/students", operation_id="GetPublicStudentStatistics")
    async def students(self, reporting: NamedDependency[ReportingService]) -> PublicStudentsRead:
        """Studying students of the country by education type, form, payment form, gender, home
        region, citizenship and course."""
        return await public_students(reporting)

    @get("/students/export", operation_id="ExportPublicStudentStatistics")
    async def students_export(
        self, reporting: NamedDependency[ReportingService], format: Format = "csv"
    ) -> Response[bytes]:
        """The student statistics as CSV or XLSX."""
        found = await public_students(reporting)
        return file(export.counts_sheet("students", found.by, reporting.language), format)

    @get("/employees", operation_id="GetPublicEmployeeStatistics")
    async def employees(self, reporting: NamedDependency[ReportingService]) -> PublicEmployeesRead:
        """Employees of the country's universities by academic degree and rank."""
        return await public_employees(reporting)

    @get("/employees/export", operation_id="ExportPublicEmployeeStatistics")
    async def employees_export(
        self, reporting: NamedDependency[ReportingService], format: Format = "csv"
    ) -> Response[bytes]:
        """The employee statistics as CSV or XLSX."""
        found = await public_employees(reporting)
        return file(export.counts_sheet("employees", found.by, reporting.language), format)

    @get("/universities", operation_id="ListPublicUniversities")
    async def universities(
        self, reporting: NamedDependency[ReportingService], region: Region = None
    ) -> UniversityPage:
        """Every university with its number of studying students."""
        return await reporting.universities(WHOLE, region=region)

    @get("/universities/export", operation_id="ExportPublicUniversities")
    async def universities_export(
        self, reporting: NamedDependency[ReportingService], region: Region = None, format: Format = "csv"
    ) -> Response[bytes]:
        """The list of universities as CSV or XLSX."""
        found = await reporting.universities(WHOLE, region=region)
        return file(export.universities_sheet(found, reporting.language), format)

    @get("/kpi", operation_id="GetPublicKpi")
    async def kpi(self, reporting: NamedDependency[ReportingService], month: Month = None) -> KpiPage:
        """The KPI table by region and the country for a month (the latest by default)."""
        return await public_kpi(reporting, month)

    @get("/kpi/export", operation_id="ExportPublicKpi")
    async def kpi_export(
        self, reporting: NamedDependency[ReportingService], month: Month = None, format: Format = "csv"
    ) -> Response[bytes]:
        """The KPI table by region as CSV or XLSX."""
        found = await public_kpi(reporting, month)
        return file(export.kpi_sheet(found, reporting.language), format)


WHOLE = ListParams(limit=10_000, offset=0, sort="name", search=None)


async def public_students(reporting: ReportingService) -> PublicStudentsRead:
    by = await reporting.counts_by("contingent", PUBLIC_STUDENT_DIMENSIONS, status="11")
    total = sum(c.count for c in by["education_type"])
    return PublicStudentsRead(total=total, by=by, freshness=await reporting.freshness(["contingent"]))


async def public_employees(reporting: ReportingService) -> PublicEmployeesRead:
    by = await reporting.counts_by("staff", PUBLIC_EMPLOYEE_DIMENSIONS)
    return PublicEmployeesRead(
        total=await reporting.staff_total(), by=by, freshness=await reporting.freshness(["staff"])
    )


async def public_kpi(reporting: ReportingService, month: str | None) -> KpiPage:
    """The regions' lines and the country's (never a university's), in one table."""
    when = await month_of(reporting, month)
    regions = await reporting.kpi_table(when, "region", None)
    country = await reporting.kpi_table(when, "country", None)
    items = [*regions.items, *country.items]  # new list: the cached answers stay as they were
    return msgspec.structs.replace(regions, items=items, total=len(items), limit=len(items))


class HemisStatisticsController(Controller):
    """HEMIS's public statistics of one university (HEMIS_API.md §2.6): the envelope and the
    name-keyed shapes existing websites read, from the university's own national rows."""

    path = "/rest/v1/public"
    tags = ["HEMIS public API"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {"reporting": Provide(provide_reporting)}

    @get("/stat-student", operation_id="HemisStatStudent")
    async def stat_student(self, reporting: NamedDependency[ReportingService]) -> dict[str, Any]:
        """Studying students by education type and gender, payment form, region, citizenship,
        education form and course (`data.education_type.Jami` is the total by gender)."""
        return await stat_student(reporting)

    @get("/stat-employee", operation_id="HemisStatEmployee")
    async def stat_employee(self, reporting: NamedDependency[ReportingService]) -> dict[str, Any]:
        """Employees by position, gender, academic degree and rank (by gender) and employment form."""
        return await stat_employee(reporting)

    @get("/stat-structure", operation_id="HemisStatStructure")
    async def stat_structure(self, reporting: NamedDependency[ReportingService]) -> dict[str, Any]:
        """Groups and specialities by education type, departments by structure type and
        auditoriums by type, each a list of `{name, count}`."""
        return await stat_structure(reporting)
