"""What the dashboards' API answers: KPI lines, trends, breakdowns, lists, anomalies, freshness."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hemis.core.schemas import Struct

Number = int | Decimal | None


class FreshnessRead(Struct):
    """How current the figures of a response are."""

    # The oldest university snapshot among the figures (a university without changes keeps the
    # snapshot of its last change), and when the latest of them was computed.
    as_of: datetime | None
    computed_at: datetime | None
    # The roll-up worker's last complete round began then: every change committed before it is in.
    checked_at: datetime | None
    # Changes not in these figures yet: on a university's host its own waiting changes (exact); on
    # the ministry's, the worker has not finished a round lately, so some may be waiting.
    pending: bool
    pending_since: datetime | None = None


class KpiSums(Struct):
    """The indicators' numerators and denominators (sums: add them up to regroup exactly)."""

    score_sum: Decimal
    scored: int
    teachers_with_e_course: int
    teachers: int
    attended_hours: int
    planned_hours: int
    report_fields_filled: int
    report_fields: int
    paid_online: int  # tiyin
    paid: int  # tiyin
    marks_on_time: int
    marks: int
    students_with_access: int
    students: int


class KpiLine(Struct):
    """One line of the KPI table (table 1): a university, a region or the country."""

    level: str  # university | region | country
    code: str  # the university's code, the region's h_soato code, or "*" for the country
    name: str
    region_code: str | None
    region_name: str | None
    universities: int
    average_score: Decimal | None  # 100-point scale
    e_course_share: Decimal | None  # percent
    attendance: Decimal | None  # percent
    report_automation: Decimal | None  # percent
    e_payment_share: Decimal | None  # percent of money paid
    transparency_index: Decimal | None  # 0-100
    sums: KpiSums


class KpiPage(Struct):
    month: str
    level: str
    items: list[KpiLine]
    total: int
    limit: int
    offset: int
    freshness: FreshnessRead


class TrendPoint(Struct):
    month: str
    line: KpiLine | None  # None: nothing was rolled up by that month


class TrendRead(Struct):
    level: str
    code: str
    name: str
    points: list[TrendPoint]
    freshness: FreshnessRead


class BreakdownRow(Struct):
    keys: dict[str, str]  # dimension → code
    labels: dict[str, str]  # dimension → name in the reader's language
    values: dict[str, Number]  # measure → value


class BreakdownPage(Struct):
    family: str
    by: list[str]
    measures: list[str]
    items: list[BreakdownRow]
    totals: dict[str, Number]  # over every row, not only this page
    total: int
    limit: int
    offset: int
    freshness: FreshnessRead


class UniversityRead(Struct):
    code: str
    name: str
    short_name: str
    region_code: str
    region_name: str
    students: int  # studying now
    computed_at: datetime | None


class UniversityPage(Struct):
    items: list[UniversityRead]
    total: int
    limit: int
    offset: int
    freshness: FreshnessRead


class RegistryRecord(Struct):
    university: str
    university_name: str
    student_id: int  # the university's own id
    status: str
    education_type: str
    course: str
    changed_at: datetime


class DuplicateRead(Struct):
    """A PINFL with studying records at two or more universities at once."""

    pinfl: str
    records: list[RegistryRecord]


class DuplicatePage(Struct):
    items: list[DuplicateRead]
    total: int
    limit: int
    offset: int
    freshness: FreshnessRead


class TransferRead(Struct):
    """A record that left one university (expelled) beside a studying record at another."""

    pinfl: str
    left: RegistryRecord
    studying: RegistryRecord


class TransferPage(Struct):
    items: list[TransferRead]
    total: int
    limit: int
    offset: int
    freshness: FreshnessRead


class DashboardRead(Struct):
    """A university's own dashboard: its KPIs beside its region's and the country's."""

    month: str
    university: KpiLine | None
    region: KpiLine | None
    country: KpiLine | None
    trend: list[DashboardPoint]
    freshness: FreshnessRead


class DashboardPoint(Struct):
    month: str
    university: KpiLine | None
    region: KpiLine | None
    country: KpiLine | None


class CountRead(Struct):
    code: str
    name: str
    count: int


class PublicStudentsRead(Struct):
    """Studying students of the country by each dimension (aggregate counts only)."""

    total: int
    by: dict[str, list[CountRead]]
    freshness: FreshnessRead


class PublicEmployeesRead(Struct):
    total: int
    by: dict[str, list[CountRead]]
    freshness: FreshnessRead
