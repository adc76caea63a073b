"""Reading schema national in the request's own transaction: the database decides what is visible
(the ministry's role reads every university's rows; a university's role its own rows and the
region and country totals), so nothing here filters for isolation — it only shapes figures."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hemis.config import ReportingSettings
from hemis.core.clock import local_today
from hemis.core.errors import HemisError, NotFound
from hemis.core.i18n import translate
from hemis.core.listing import ListParams, UnknownSortField
from hemis.reporting import labels, rules
from hemis.reporting.breakdowns import FAMILIES, Family, query
from hemis.reporting.schemas import (
    BreakdownPage,
    BreakdownRow,
    CountRead,
    DashboardPoint,
    DashboardRead,
    DuplicatePage,
    DuplicateRead,
    FreshnessRead,
    KpiLine,
    KpiPage,
    KpiSums,
    RegistryRecord,
    TransferPage,
    TransferRead,
    TrendPoint,
    TrendRead,
    UniversityPage,
    UniversityRead,
)
from hemis.rollups.models import Contingent, Freshness, Kpi, RollupOutbox, Staff, StudentRegistry, University
from hemis.rollups.worker import ROUND
from tenants.context import TenantKind, TenantRef

LEVELS = ("university", "region", "country")
STUDYING, EXPELLED = "11", "12"
COUNTRY = "*"
# Rows with tenant_role '' are totals the worker keeps for universities' dashboards.
UNIVERSITY_ROWS = Kpi.tenant_role != ""
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
        self, session: AsyncSession, tenant: TenantRef, language: str, settings: ReportingSettings
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.language = language
        self.settings = settings
        self._names: dict[str, Named] | None = None

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
            rows = await self.session.execute(
                select(University.tenant_code, column, University.short_name, University.region_code)
            )
            self._names = {r[0]: Named(r[1], r[2], r[3]) for r in rows}
        return self._names

    def region_name(self, code: str) -> str:
        return labels.region_name(code, self.language)

    def country_name(self) -> str:
        return translate("reporting.country_name", self.language)

    # --- freshness -------------------------------------------------------------------------

    async def freshness(
        self, families: Sequence[str], universities: Collection[str] | None = None
    ) -> FreshnessRead:
        query_ = select(func.min(Freshness.as_of), func.max(Freshness.computed_at)).where(
            Freshness.family.in_(families), Freshness.tenant_role != ""
        )
        if universities is not None:
            query_ = query_.where(Freshness.tenant_code.in_(list(universities)))
        as_of, computed_at = (await self.session.execute(query_)).one()
        checked_at = await self.session.scalar(
            select(Freshness.as_of).where(Freshness.tenant_code == ROUND[0], Freshness.family == ROUND[1])
        )
        if not self.national:
            # The university's own outbox: exactly the changes the worker has not taken yet.
            waiting = await self.session.scalar(select(func.min(RollupOutbox.at)))
            return FreshnessRead(as_of, computed_at, checked_at, waiting is not None, waiting)
        stale = timedelta(seconds=self.settings.worker_stale_seconds)
        pending = checked_at is None or datetime.now(UTC) - checked_at > stale
        return FreshnessRead(as_of, computed_at, checked_at, pending)

    # --- the KPI table ---------------------------------------------------------------------

    async def latest_month(self) -> date:
        """The latest month anything was rolled up in (this month when nothing was yet)."""
        found = await self.session.scalar(select(func.max(Kpi.month)))
        return found or local_today().replace(day=1)

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
            select(Kpi)
            .where(UNIVERSITY_ROWS, Kpi.month < first if first is not None else Kpi.month <= last)
            .ext(distinct_on(Kpi.tenant_code))
            .order_by(Kpi.tenant_code, Kpi.month.desc())
        )
        rows = list((await self.session.scalars(latest)).all())
        if first is not None:
            window = scoped(select(Kpi).where(UNIVERSITY_ROWS, Kpi.month >= first, Kpi.month <= last))
            rows += (await self.session.scalars(window)).all()
        return [_kpi_dict(k) for k in rows]

    def _line(
        self, level: str, code: str, rows: Sequence[Mapping[str, Any]], names: dict[str, Named]
    ) -> KpiLine:
        sums = rules.zero()
        for row in rows:
            rules.add(sums, row)
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
        rows = await self._university_rows(month, region=region)
        names = await self.names()
        lines = self._lines(level, rows, names)
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
            freshness=await self.freshness(["kpi"], {r["tenant_code"] for r in rows}),
        )

    async def kpi_trend(self, level: str, code: str | None, first: date, last: date) -> TrendRead:
        """One line per month from `first` to `last`: the country's, a region's or a university's."""
        if level == "country":
            code = COUNTRY
        if code is None:
            raise CodeRequired(field="code")
        if level == "region" and code not in labels.regions():
            raise BadDimension(field="code", allowed=", ".join(labels.regions()))
        rows = await self._university_rows(
            last,
            first=first,
            region=code if level == "region" else None,
            code=code if level == "university" else None,
        )
        names = await self.names()
        if level == "university" and code not in names:
            raise NoSuchUniversity(field="code", code=code)
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
        return TrendRead(
            level=level,
            code=code,
            name=name,
            points=points,
            freshness=await self.freshness(["kpi"], {r["tenant_code"] for r in rows}),
        )

    async def dashboard(self, month: date, months: int) -> DashboardRead:
        """A university's KPIs beside its region's and the country's totals, with their trend.
        Its session reads only its own rows and the totals (row-level security)."""
        first = rules.months_back(month, months)
        own = self.tenant.code
        names = await self.names()
        region = names[own].region_code if own in names else ""
        codes = [own, COUNTRY, f"r:{region}"]
        statement = select(Kpi).where(Kpi.tenant_code.in_(codes), Kpi.month <= month)
        rows = [_kpi_dict(k) for k in (await self.session.scalars(statement)).all()]
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
                country=self._total_line("country", COUNTRY, found[COUNTRY]) if COUNTRY in found else None,
            )

        trend = [lines(m) for m in rules.months_between(first, month)]
        now = trend[-1]
        return DashboardRead(
            month=rules.month_text(month),
            university=now.university,
            region=now.region,
            country=now.country,
            trend=trend,
            freshness=await self.freshness(["kpi"], [own]),
        )

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
        statement = query(family, by, university=university, region=region, where=where)
        found = [dict(r._mapping) for r in await self.session.execute(statement)]
        names = await self.names() if "university" in by else {}
        items = [self._breakdown_row(family, by, row, names) for row in found]
        totals = rules_totals(family, found)
        items = _sorted_rows(items, (params.sort if params else None), by, family.measures)
        page = items[params.offset : params.offset + params.limit] if params else items
        scope = [university] if university else None
        return BreakdownPage(
            family=family.name,
            by=by,
            measures=family.measures,
            items=page,
            totals=totals,
            total=len(items),
            limit=params.limit if params else len(items),
            offset=params.offset if params else 0,
            freshness=await self.freshness([family.name], scope),
        )

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
        sort = (params.sort if params else None) or "name"
        allowed = ("name", "code", "students", "region_name")
        if sort.lstrip("-") not in allowed:
            raise UnknownSortField(field="sort", value=sort, allowed=", ".join(allowed))
        items.sort(key=lambda u: (getattr(u, sort.lstrip("-")), u.code), reverse=sort.startswith("-"))
        page = items[params.offset : params.offset + params.limit] if params else items
        return UniversityPage(
            items=page,
            total=len(items),
            limit=params.limit if params else len(items),
            offset=params.offset if params else 0,
            freshness=await self.freshness(["contingent"], [u.code for u in items]),
        )

    # --- the national student registry -----------------------------------------------------

    async def duplicates(self, params: ListParams | None) -> DuplicatePage:
        """PINFLs studying at two or more universities at once."""
        twice = (
            select(StudentRegistry.pinfl)
            .where(StudentRegistry.status == STUDYING)
            .group_by(StudentRegistry.pinfl)
            .having(func.count(func.distinct(StudentRegistry.tenant_code)) > 1)
        )
        total = int(await self.session.scalar(select(func.count()).select_from(twice.subquery())) or 0)
        paged = twice.order_by(StudentRegistry.pinfl)
        if params is not None:
            paged = paged.limit(params.limit).offset(params.offset)
        pinfls = list((await self.session.scalars(paged)).all())
        records = (
            await self.session.scalars(
                select(StudentRegistry)
                .where(StudentRegistry.pinfl.in_(pinfls), StudentRegistry.status == STUDYING)
                .order_by(StudentRegistry.pinfl, StudentRegistry.tenant_code, StudentRegistry.student_id)
            )
        ).all()
        names = await self.names()
        grouped: dict[str, list[RegistryRecord]] = {p: [] for p in pinfls}
        for record in records:
            grouped[record.pinfl].append(self._record(record, names))
        return DuplicatePage(
            items=[DuplicateRead(pinfl=p, records=r) for p, r in grouped.items()],
            total=total,
            limit=params.limit if params else total,
            offset=params.offset if params else 0,
            freshness=await self.freshness(["registry"]),
        )

    async def transfers(self, params: ListParams | None, *, since: date | None = None) -> TransferPage:
        """A record expelled at one university beside a studying one at another, by PINFL: the
        latest departures first."""
        left, now = aliased(StudentRegistry), aliased(StudentRegistry)
        pairs = (
            select(left, now)
            .join(now, and_(now.pinfl == left.pinfl, now.tenant_code != left.tenant_code))
            .where(left.status == EXPELLED, now.status == STUDYING)
        )
        if since is not None:
            pairs = pairs.where(left.changed_at >= datetime(since.year, since.month, since.day, tzinfo=UTC))
        total = int(await self.session.scalar(select(func.count()).select_from(pairs.subquery())) or 0)
        ordered = pairs.order_by(left.changed_at.desc(), left.pinfl, left.id, now.id)
        if params is not None:
            ordered = ordered.limit(params.limit).offset(params.offset)
        names = await self.names()
        items = [
            TransferRead(pinfl=a.pinfl, left=self._record(a, names), studying=self._record(b, names))
            for a, b in (await self.session.execute(ordered)).all()
        ]
        return TransferPage(
            items=items,
            total=total,
            limit=params.limit if params else total,
            offset=params.offset if params else 0,
            freshness=await self.freshness(["registry"]),
        )

    def _record(self, record: StudentRegistry, names: Mapping[str, Named]) -> RegistryRecord:
        named = names.get(record.tenant_code)
        return RegistryRecord(
            university=record.tenant_code,
            university_name=named.name if named else record.tenant_code,
            student_id=record.student_id,
            status=record.status,
            education_type=record.education_type,
            course=record.course,
            changed_at=record.changed_at,
        )

    # --- public statistics -----------------------------------------------------------------

    async def counts(self, family: str, dimension: str, **filters: str) -> list[CountRead]:
        """One dimension's counts (the family's first sum), biggest first: aggregate numbers only."""
        spec = FAMILIES[family]
        where = {k: v for k, v in filters.items() if k in spec.dimensions}
        university = self.tenant.code if not self.national else None
        rows = (
            await self.session.execute(query(spec, [dimension], university=university, where=where))
        ).all()
        measure = spec.sums[0]
        counts = [
            CountRead(
                code=str(r._mapping[dimension] or ""),
                name=labels.value_name(dimension, str(r._mapping[dimension] or ""), self.language),
                count=int(r._mapping[measure]),
            )
            for r in rows
        ]
        return sorted(counts, key=lambda c: (-c.count, c.code))

    async def staff_total(self) -> int:
        statement = select(func.coalesce(func.sum(Staff.employees), 0))
        if not self.national:
            statement = statement.where(Staff.tenant_code == self.tenant.code)
        return int(await self.session.scalar(statement) or 0)


def rules_totals(family: Family, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    sums: dict[str, Any] = dict.fromkeys(family.sums, 0)
    for row in rows:
        for column in family.sums:
            sums[column] += row[column] or 0
    return family.values(sums)


def _kpi_dict(row: Kpi) -> dict[str, Any]:
    out = {column: getattr(row, column) for column in rules.SUMS}
    out.update(tenant_code=row.tenant_code, month=row.month, region_code=row.region_code)
    return out


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
