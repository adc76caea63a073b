"""Reading schema national in the request's own transaction: the database decides what is visible
(the ministry's role reads every university's rows; a university's role its own rows and the
region and country totals), so nothing here filters for isolation — it only shapes figures.

Answers are kept in a per-process cache (FiguresCache) under the data's version: the latest
computed_at the request can see in national.freshness (its round stamp aside). The worker stamps
it in the same transaction as every figure it writes, the region and country totals included
(a row every university reads), so a cached answer is never older than what the database holds; only `freshness` is read anew for every answer. The key carries
the tenant, so one host's answer is never another's, and within a tenant every reader sees the
same rows (the database's row-level security depends on the tenant's role, not the person)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.config import ReportingSettings
from hemis.core.clock import local_today
from hemis.core.errors import HemisError, NotFound
from hemis.core.i18n import translate
from hemis.core.listing import ListParams, UnknownSortField
from hemis.reporting import labels, rules
from hemis.reporting.breakdowns import FAMILIES, Family, query
from hemis.reporting.cache import FiguresCache
from hemis.reporting.schemas import (
    BreakdownPage,
    BreakdownRow,
    CountRead,
    DashboardPoint,
    DashboardRead,
    FreshnessRead,
    KpiLine,
    KpiPage,
    KpiSums,
    TrendPoint,
    TrendRead,
    UniversityPage,
    UniversityRead,
)
from hemis.rollups.models import Contingent, Freshness, Kpi, RollupOutbox, Staff, University
from hemis.rollups.worker import ROUND
from tenants import TenantKind, TenantRef

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)
LEVELS = ("university", "region", "country")
STUDYING, EXPELLED = "11", "12"
COUNTRY = "*"
# Rows with tenant_role '' are totals the worker keeps for universities' dashboards.
UNIVERSITY_ROWS = Kpi.tenant_role != ""
# Plain rows, not ORM objects: a trend reads thousands of them (225 universities × its months).
KPI_COLUMNS = (Kpi.tenant_code, Kpi.month, Kpi.region_code, *(getattr(Kpi, c) for c in rules.SUMS))
KPI_SORTS = ("name", "code", "universities", "students", *rules.INDICATORS)
PUBLIC_STUDENT_DIMENSIONS = (
    "education_type",
    "education_form",
    "payment_form",
    "gender",
    "region",
    "citizenship",
    "course",
)
PUBLIC_EMPLOYEE_DIMENSIONS = ("academic_degree", "academic_rank")


class BadDimension(HemisError):
    status_code = 422
    message_key = "reporting.dimension"


class CodeRequired(HemisError):
    status_code = 422
    message_key = "error.field_required"


class NoSuchUniversity(NotFound):
    message_key = "reporting.no_university"


@dataclass(frozen=True, slots=True)
class Named:
    name: str
    short_name: str
    region_code: str


@dataclass(frozen=True, slots=True)
class Rows:
    """A whole table (for an export) and the page of it an API answer shows."""

    columns: list[str]
    all: list[dict[str, Any]]


class ReportingService:
    def __init__(
        self,
        session: AsyncSession,
        tenant: TenantRef,
        language: str,
        settings: ReportingSettings,
        cache: FiguresCache | None = None,
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.language = language
        self.settings = settings
        self.cache = cache or FiguresCache(0)
        self._names: dict[str, Named] | None = None
        self._fresh: dict[tuple[Any, ...], tuple[FreshnessRead, Any]] = {}
        self._waiting: tuple[datetime | None] | None = None

    @property
    def national(self) -> bool:
        return self.tenant.kind == TenantKind.NATIONAL

    # --- names -----------------------------------------------------------------------------

    async def names(self) -> dict[str, Named]:
        """Every university's name in the reader's language (the list is public to every role)."""
        if self._names is None:
            column = {"ru": University.name_ru, "en": University.name_en}.get(
                self.language, University.name_uz
            )

            async def read() -> dict[str, Named]:
                rows = await self.session.execute(
                    select(University.tenant_code, column, University.short_name, University.region_code)
                )
                return {r[0]: Named(r[1], r[2], r[3]) for r in rows}

            self._names = await self._cached(("names",), read)
        return self._names

    def region_name(self, code: str) -> str:
        return labels.region_name(code, self.language)

    def country_name(self) -> str:
        return translate("reporting.country_name", self.language)

    # --- freshness -------------------------------------------------------------------------

    async def freshness(
        self, families: Sequence[str], universities: Collection[str] | None = None
    ) -> FreshnessRead:
        return (await self._stamp(families, universities))[0]

    async def _stamp(
        self, families: Sequence[str], universities: Collection[str] | None = None
    ) -> tuple[FreshnessRead, Any]:
        """How fresh `families` are (of `universities`, all visible by default), and the version of
        everything this request can see; one query (two on a university's host), once a request."""
        key = (tuple(families), tuple(sorted(universities)) if universities is not None else None)
        if key in self._fresh:
            return self._fresh[key]
        mine = Freshness.family.in_(list(families)) & (Freshness.tenant_role != "")
        if universities is not None:
            mine &= Freshness.tenant_code.in_(list(universities))
        round_row = (Freshness.tenant_code == ROUND[0]) & (Freshness.family == ROUND[1])
        # The version leaves out the worker's round stamp: a round that changed nothing keeps the
        # answers (totals rewritten by another university's change are stamped too, by the worker).
        as_of, computed_at, checked_at, version, count = (
            await self.session.execute(
                select(
                    func.min(Freshness.as_of).filter(mine),
                    func.max(Freshness.computed_at).filter(mine),
                    func.max(Freshness.as_of).filter(round_row),
                    func.max(Freshness.computed_at).filter(~round_row),
                    func.count(),
                )
            )
        ).one()
        if not self.national:
            # The university's own outbox: exactly the changes the worker has not taken yet.
            if self._waiting is None:
                self._waiting = (await self.session.scalar(select(func.min(RollupOutbox.at))),)
            waiting = self._waiting[0]
            fresh = FreshnessRead(as_of, computed_at, checked_at, waiting is not None, waiting)
        else:
            stale = timedelta(seconds=self.settings.worker_stale_seconds)
            pending = checked_at is None or datetime.now(UTC) - checked_at > stale
            fresh = FreshnessRead(as_of, computed_at, checked_at, pending)
        self._fresh[key] = (fresh, (version, count))
        return self._fresh[key]

    async def _cached(self, key: tuple[Any, ...], compute: Callable[[], Awaitable[T]]) -> T:
        """compute() once per version of the figures, tenant and language (see the module's note)."""
        # The version is the same whatever families were asked about: any earlier stamp has it.
        stamped = next(iter(self._fresh.values()), None) or await self._stamp(("kpi",))
        return await self.cache.get((self.tenant.code, self.language, stamped[1], *key), compute)

    async def cached(self, key: tuple[Any, ...], compute: Callable[[], Awaitable[T]]) -> T:
        """Anything computed from these figures (a page's HTML), kept like the answers are."""
        return await self._cached(key, compute)

    async def _answer(
        self,
        key: tuple[Any, ...],
        families: Sequence[str],
        universities: Collection[str] | None,
        compute: Callable[[FreshnessRead], Awaitable[S]],
    ) -> S:
        """A cached answer with its freshness read now."""
        fresh = await self.freshness(families, universities)
        found = await self._cached(key, lambda: compute(fresh))
        return msgspec.structs.replace(found, freshness=fresh)

    # --- the KPI table ---------------------------------------------------------------------

    async def latest_month(self) -> date:
        """The latest month anything was rolled up in (this month when nothing was yet)."""

        async def read() -> date | None:
            return await self.session.scalar(select(func.max(Kpi.month)))

        return await self._cached(("latest_month",), read) or local_today().replace(day=1)

    async def _rows(self, statement: Select[Any]) -> list[dict[str, Any]]:
        """A Core statement's rows as dicts, on the session's connection (no ORM result layer:
        a country's trend reads thousands)."""
        result = await (await self.session.connection()).execute(statement)
        names = list(result.keys())
        return [dict(zip(names, row, strict=True)) for row in result]

    async def _university_rows(
        self, last: date, *, first: date | None = None, region: str | None = None, code: str | None = None
    ) -> list[dict[str, Any]]:
        """Universities' KPI rows: each one's latest up to `last`, or (with `first`) all of them
        from `first` to `last` plus the one each university last closed with before `first` (its
        figure until it changes)."""

        def scoped(statement: Select[Any]) -> Select[Any]:
            if region is not None:
                statement = statement.where(Kpi.region_code == region)
            if code is not None:
                statement = statement.where(Kpi.tenant_code == code)
            return statement

        latest = scoped(
            select(*KPI_COLUMNS)
            .where(UNIVERSITY_ROWS, Kpi.month < first if first is not None else Kpi.month <= last)
            .ext(distinct_on(Kpi.tenant_code))
            .order_by(Kpi.tenant_code, Kpi.month.desc())
        )
        rows = await self._rows(latest)
        if first is not None:
            window = scoped(
                select(*KPI_COLUMNS).where(UNIVERSITY_ROWS, Kpi.month >= first, Kpi.month <= last)
            )
            rows += await self._rows(window)
        return rows

    def _line(
        self, level: str, code: str, rows: Sequence[Mapping[str, Any]], names: dict[str, Named]
    ) -> KpiLine:
        sums = rules.total(rows)
        if level == "university":
            named = names.get(code)
            name, region = (
                (named.name, named.region_code) if named else (code, rows[0]["region_code"] if rows else "")
            )
        elif level == "region":
            name, region = self.region_name(code), code
        else:
            name, region = self.country_name(), None
        values = rules.indicators(sums)
        return KpiLine(
            level=level,
            code=code,
            name=name,
            region_code=region,
            region_name=self.region_name(region) if region is not None else None,
            universities=len(rows),
            average_score=values["average_score"],
            e_course_share=values["e_course_share"],
            attendance=values["attendance"],
            report_automation=values["report_automation"],
            e_payment_share=values["e_payment_share"],
            transparency_index=values["transparency_index"],
            sums=KpiSums(**sums),
        )

    def _lines(self, level: str, rows: Sequence[Mapping[str, Any]], names: dict[str, Named]) -> list[KpiLine]:
        if level == "country":
            return [self._line("country", COUNTRY, rows, names)] if rows else []
        key = "tenant_code" if level == "university" else "region_code"
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row[key], []).append(row)
        return [self._line(level, code, group, names) for code, group in groups.items()]

    async def kpi_table(
        self,
        month: date,
        level: str,
        params: ListParams | None,
        *,
        region: str | None = None,
    ) -> KpiPage:
        """Table 1 for `month` by university, region or the country; sorted and paged in memory
        (225 universities at most), so any indicator sorts, nulls last either way."""

        async def compute(fresh: FreshnessRead) -> KpiPage:
            rows = await self._university_rows(month, region=region)
            lines = self._lines(level, rows, await self.names())
            if params is not None and params.search:
                needle = params.search.lower()
                lines = [x for x in lines if needle in x.name.lower() or needle in x.code.lower()]
            lines = _sorted(lines, (params.sort if params else None) or "name")
            page = lines[params.offset : params.offset + params.limit] if params else lines
            return KpiPage(
                month=rules.month_text(month),
                level=level,
                items=page,
                total=len(lines),
                limit=params.limit if params else len(lines),
                offset=params.offset if params else 0,
                freshness=fresh,
            )

        return await self._answer(("kpi", month, level, params, region), ["kpi"], None, compute)

    async def kpi_trend(self, level: str, code: str | None, first: date, last: date) -> TrendRead:
        """One line per month from `first` to `last`: the country's, a region's or a university's."""
        if level == "country":
            code = COUNTRY
        if code is None:
            raise CodeRequired(field="code")
        if level == "region" and code not in labels.regions():
            raise BadDimension(field="code", allowed=", ".join(labels.regions()))
        names = await self.names()
        if level == "university" and code not in names:
            raise NoSuchUniversity(field="code", code=code)
        scope = [code] if level == "university" else None

        async def compute(fresh: FreshnessRead) -> TrendRead:
            assert code is not None
            rows = await self._university_rows(
                last,
                first=first,
                region=code if level == "region" else None,
                code=code if level == "university" else None,
            )
            months = rules.months_between(first, last)
            carried = rules.carried_forward(rows, months)
            points = []
            for month in months:
                present = list(carried[month].values())
                line = self._line(level, code, present, names) if present else None
                points.append(TrendPoint(month=rules.month_text(month), line=line))
            name = (
                names[code].name
                if level == "university"
                else self.region_name(code)
                if level == "region"
                else self.country_name()
            )
            return TrendRead(level=level, code=code, name=name, points=points, freshness=fresh)

        return await self._answer(("trend", level, code, first, last), ["kpi"], scope, compute)

    async def dashboard(self, month: date, months: int) -> DashboardRead:
        """A university's KPIs beside its region's and the country's totals, with their trend.
        Its session reads only its own rows and the totals (row-level security)."""
        own = self.tenant.code

        async def compute(fresh: FreshnessRead) -> DashboardRead:
            first = rules.months_back(month, months)
            names = await self.names()
            region = names[own].region_code if own in names else ""
            codes = [own, COUNTRY, f"r:{region}"]
            statement = select(*KPI_COLUMNS).where(Kpi.tenant_code.in_(codes), Kpi.month <= month)
            rows = await self._rows(statement)
            carried = rules.carried_forward(rows, rules.months_between(first, month))

            def lines(at: date) -> DashboardPoint:
                found = carried[at]
                return DashboardPoint(
                    month=rules.month_text(at),
                    university=self._line("university", own, [found[own]], names) if own in found else None,
                    region=(
                        self._total_line("region", region, found[f"r:{region}"])
                        if f"r:{region}" in found
                        else None
                    ),
                    country=self._total_line("country", COUNTRY, found[COUNTRY])
                    if COUNTRY in found
                    else None,
                )

            trend = [lines(m) for m in rules.months_between(first, month)]
            now = trend[-1]
            return DashboardRead(
                month=rules.month_text(month),
                university=now.university,
                region=now.region,
                country=now.country,
                trend=trend,
                freshness=fresh,
            )

        return await self._answer(("dashboard", month, months), ["kpi"], [own], compute)

    def _total_line(self, level: str, code: str, row: Mapping[str, Any]) -> KpiLine:
        line = self._line(level, code, [row], {})
        return _replace(line, universities=0)  # a totals row does not say how many it sums

    # --- breakdowns ------------------------------------------------------------------------

    async def breakdown(
        self,
        family_name: str,
        by: list[str],
        params: ListParams | None,
        *,
        university: str | None = None,
        region: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> BreakdownPage:
        """`family` summed by one or two of its dimensions; ratios from the sums."""
        family = FAMILIES[family_name]
        by = by or [family.default_by]
        unknown = [d for d in [*by, *(where or {})] if d not in family.dimensions]
        if unknown or len(by) > 2 or len(set(by)) != len(by):
            raise BadDimension(field="by", allowed=", ".join(family.dimensions))
        filters = tuple(sorted((where or {}).items()))

        async def compute(fresh: FreshnessRead) -> BreakdownPage:
            statement = query(family, by, university=university, region=region, where=where)
            found = await self._rows(statement)
            names = await self.names() if "university" in by else {}
            items = [self._breakdown_row(family, by, row, names) for row in found]
            items = _sorted_rows(items, (params.sort if params else None), by, family.measures)
            page = items[params.offset : params.offset + params.limit] if params else items
            return BreakdownPage(
                family=family.name,
                by=by,
                measures=family.measures,
                items=page,
                totals=rules_totals(family, found),
                total=len(items),
                limit=params.limit if params else len(items),
                offset=params.offset if params else 0,
                freshness=fresh,
            )

        key = ("breakdown", family.name, tuple(by), params, university, region, filters)
        return await self._answer(key, [family.name], [university] if university else None, compute)

    def _breakdown_row(
        self, family: Family, by: list[str], row: Mapping[str, Any], names: Mapping[str, Named]
    ) -> BreakdownRow:
        keys = {d: str(row[d] if row[d] is not None else "") for d in by}
        return BreakdownRow(
            keys=keys,
            labels={d: self._label(d, keys[d], names) for d in by},
            values=family.values(row),
        )

    def _label(self, dimension: str, code: str, names: Mapping[str, Named]) -> str:
        if dimension == "university":
            return names[code].name if code in names else code
        if dimension == "academic_year" and code.isdigit():
            return f"{code}-{int(code) + 1}"
        return labels.value_name(dimension, code, self.language)

    # --- universities ----------------------------------------------------------------------

    async def universities(self, params: ListParams | None, *, region: str | None = None) -> UniversityPage:
        """Every university with its studying students, for comparison and the public list."""
        sort = (params.sort if params else None) or "name"
        allowed = ("name", "code", "students", "region_name")
        if sort.lstrip("-") not in allowed:
            raise UnknownSortField(field="sort", value=sort, allowed=", ".join(allowed))

        async def compute(fresh: FreshnessRead) -> UniversityPage:
            students = dict(
                (
                    await self.session.execute(
                        select(Contingent.tenant_code, func.sum(Contingent.students))
                        .where(Contingent.status == STUDYING)
                        .group_by(Contingent.tenant_code)
                    )
                ).all()
            )
            computed = dict(
                (
                    await self.session.execute(
                        select(Freshness.tenant_code, Freshness.computed_at).where(
                            Freshness.family == "contingent"
                        )
                    )
                ).all()
            )
            items = [
                UniversityRead(
                    code=code,
                    name=named.name,
                    short_name=named.short_name,
                    region_code=named.region_code,
                    region_name=self.region_name(named.region_code),
                    students=int(students.get(code) or 0),
                    computed_at=computed.get(code),
                )
                for code, named in (await self.names()).items()
                if region is None or named.region_code == region
            ]
            if params is not None and params.search:
                needle = params.search.lower()
                items = [u for u in items if needle in u.name.lower() or needle in u.code.lower()]
            items.sort(key=lambda u: (getattr(u, sort.lstrip("-")), u.code), reverse=sort.startswith("-"))
            page = items[params.offset : params.offset + params.limit] if params else items
            return UniversityPage(
                items=page,
                total=len(items),
                limit=params.limit if params else len(items),
                offset=params.offset if params else 0,
                freshness=fresh,
            )

        return await self._answer(("universities", params, region), ["contingent"], None, compute)

    # --- public statistics -----------------------------------------------------------------

    async def counts(self, family: str, dimension: str, **filters: str) -> list[CountRead]:
        """One dimension's counts (the family's first sum), biggest first: aggregate numbers only."""
        return (await self.counts_by(family, [dimension], **filters))[dimension]

    async def counts_by(
        self, family: str, dimensions: Sequence[str], **filters: str
    ) -> dict[str, list[CountRead]]:
        """Several dimensions' counts from one scan: the rows grouped by all of them at once (the
        roll-ups are already that cube), each dimension's counts summed here."""
        spec = FAMILIES[family]
        where = {k: v for k, v in filters.items() if k in spec.dimensions}
        university = self.tenant.code if not self.national else None
        wanted = list(dimensions)

        async def compute() -> dict[str, list[CountRead]]:
            statement = query(spec, wanted, university=university, where=where)
            measure = spec.sums[0]
            totals: dict[str, dict[str, int]] = {d: {} for d in wanted}
            for row in await self.session.execute(statement):
                values = row._mapping
                for d in wanted:
                    code = str(values[d] or "")
                    totals[d][code] = totals[d].get(code, 0) + int(values[measure])
            return {
                d: sorted(
                    (
                        CountRead(code=c, name=labels.value_name(d, c, self.language), count=n)
                        for c, n in found.items()
                    ),
                    key=lambda x: (-x.count, x.code),
                )
                for d, found in totals.items()
            }

        key = ("counts", family, tuple(wanted), tuple(sorted(where.items())))
        return await self._cached(key, compute)

    async def staff_total(self) -> int:
        statement = select(func.coalesce(func.sum(Staff.employees), 0))
        if not self.national:
            statement = statement.where(Staff.tenant_code == self.tenant.code)

        async def compute() -> int:
            return int(await self.session.scalar(statement) or 0)

        return await self._cached(("staff_total",), compute)


def rules_totals(family: Family, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    sums: dict[str, Any] = dict.fromkeys(family.sums, 0)
    for row in rows:
        for column in family.sums:
            sums[column] += row[column] or 0
    return family.values(sums)


def _replace(line: KpiLine, **changes: Any) -> KpiLine:
    return msgspec.structs.replace(line, **changes)


def _sort_value(value: Any) -> tuple[int, Any]:
    """Nulls after every value in either direction."""
    return (1, 0) if value is None else (0, value)


def _sorted(lines: list[KpiLine], sort: str) -> list[KpiLine]:
    field_ = sort.lstrip("-")
    if field_ not in KPI_SORTS:
        raise UnknownSortField(field="sort", value=sort, allowed=", ".join(KPI_SORTS))
    descending = sort.startswith("-")

    def key(line: KpiLine) -> Any:
        value = line.sums.students if field_ == "students" else getattr(line, field_)
        return value

    present = [x for x in lines if key(x) is not None]
    absent = [x for x in lines if key(x) is None]
    present.sort(key=lambda x: (key(x), x.code), reverse=descending)
    return present + sorted(absent, key=lambda x: x.code)


def _sorted_rows(
    items: list[BreakdownRow], sort: str | None, by: list[str], measures: list[str]
) -> list[BreakdownRow]:
    if sort is None:
        return sorted(items, key=lambda r: tuple(r.keys[d] for d in by))
    field_ = sort.lstrip("-")
    if field_ not in (*by, *measures):
        raise UnknownSortField(field="sort", value=sort, allowed=", ".join((*by, *measures)))
    descending = sort.startswith("-")
    if field_ in by:
        return sorted(items, key=lambda r: r.keys[field_], reverse=descending)
    present = [r for r in items if r.values.get(field_) is not None]
    absent = [r for r in items if r.values.get(field_) is None]
    present.sort(key=lambda r: (Decimal(r.values[field_] or 0), tuple(r.keys.values())), reverse=descending)
    return present + absent
