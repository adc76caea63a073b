"""The roll-up families as tables to cut: which dimensions each has, what it sums and which ratios
are derived from the sums. One query shape serves every family, so a breakdown by one or two
dimensions of any of them is the same code (and the same exactness: ratios of sums)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select

from hemis.reporting.rules import share
from hemis.rollups.models import Attendance, Contingent, Finance, Performance, Staff, Stipend, University

Ratio = Callable[[Mapping[str, Any]], Decimal | None]


def _ratio(numerator: str, denominator: str, scale: int = 100) -> Ratio:
    def ratio(sums: Mapping[str, Any]) -> Decimal | None:
        return share(sums[numerator], sums[denominator], scale=scale)

    return ratio


def _gpa(sums: Mapping[str, Any]) -> Decimal | None:
    if not sums["gpa_students"]:
        return None
    return (Decimal(sums["gpa_sum"]) / Decimal(sums["gpa_students"])).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class Family:
    name: str  # the API's name and the freshness family
    table: Any
    dimensions: dict[str, Any]  # dimension → column (university_region joins the university list)
    sums: tuple[str, ...]
    ratios: dict[str, Ratio] = field(default_factory=dict)
    default_by: str = ""

    @property
    def measures(self) -> list[str]:
        return [*self.sums, *self.ratios]

    def values(self, sums: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {k: _plain(sums[k]) for k in self.sums}
        out.update({name: ratio(sums) for name, ratio in self.ratios.items()})
        return out


def _plain(value: Any) -> Any:
    """Counts as int, money and hours as int, Decimal sums (points, GPA, rates) as Decimal."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
    return value if value is not None else 0


def _common(table: Any) -> dict[str, Any]:
    return {"university": table.tenant_code, "university_region": University.region_code}


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "contingent",
            Contingent,
            {
                "status": Contingent.status,
                "education_type": Contingent.education_type,
                "education_form": Contingent.education_form,
                "payment_form": Contingent.payment_form,
                "course": Contingent.course,
                "gender": Contingent.gender,
                "region": Contingent.region_code,  # the students' home region
                "citizenship": Contingent.citizenship,
                **_common(Contingent),
            },
            ("students",),
            default_by="education_type",
        ),
        Family(
            "performance",
            Performance,
            {
                "education_type": Performance.education_type,
                "education_form": Performance.education_form,
                "course": Performance.course,
                **_common(Performance),
            },
            (
                "students",
                "graded",
                "points_100",
                "points_sum",
                "grade_5",
                "grade_4",
                "grade_3",
                "grade_2",
                "debts",
                "debtors",
                "gpa_sum",
                "gpa_students",
            ),
            {"average_score": _ratio("points_sum", "points_100", 1), "average_gpa": _gpa},
            default_by="education_type",
        ),
        Family(
            "attendance",
            Attendance,
            {"education_form": Attendance.education_form, "course": Attendance.course, **_common(Attendance)},
            ("planned_hours", "missed_hours", "excused_hours"),
            {
                "attendance": lambda s: share(s["planned_hours"] - s["missed_hours"], s["planned_hours"]),
                "excused_share": _ratio("excused_hours", "missed_hours"),
            },
            default_by="education_form",
        ),
        Family(
            "finance",
            Finance,
            {"academic_year": Finance.academic_year, **_common(Finance)},
            (
                "contracts",
                "billed",
                "discounts",
                "paid",
                "paid_online",
                "payments",
                "payments_online",
                "debt",
                "debtors",
            ),
            {
                "e_payment_share": _ratio("paid_online", "paid"),
                "collected_share": lambda s: share(s["paid"], s["billed"] - s["discounts"]),
            },
            default_by="academic_year",
        ),
        Family(
            "stipends",
            Stipend,
            {"month": func.to_char(Stipend.month, "YYYY-MM"), **_common(Stipend)},
            ("students", "total"),
            default_by="month",
        ),
        Family(
            "staff",
            Staff,
            {
                "position": Staff.position,
                "academic_degree": Staff.academic_degree,
                "academic_rank": Staff.academic_rank,
                "gender": Staff.gender,
                "employment_form": Staff.employment_form,
                **_common(Staff),
            },
            ("employees", "rate_sum", "teachers", "with_e_course"),
            {"e_course_share": _ratio("with_e_course", "teachers")},
            default_by="position",
        ),
    )
}
# Families with one running academic year (the worker replaces them whole): no year to choose.
YEARLY = frozenset({"finance"})


def query(
    family: Family,
    by: list[str],
    *,
    university: str | None = None,
    region: str | None = None,
    where: Mapping[str, str] | None = None,
) -> Select[Any]:
    """SELECT <dimensions>, Σ<sums> … GROUP BY <dimensions>, with the filters applied."""
    table = family.table
    columns = [family.dimensions[d].label(d) for d in by]
    sums = [func.coalesce(func.sum(getattr(table, s)), 0).label(s) for s in family.sums]
    statement = select(*columns, *sums).select_from(table)
    if "university_region" in by or region is not None:
        statement = statement.join(University, University.tenant_code == table.tenant_code)
    if university is not None:
        statement = statement.where(table.tenant_code == university)
    if region is not None:
        statement = statement.where(University.region_code == region)
    for dimension, value in (where or {}).items():
        statement = statement.where(family.dimensions[dimension] == value)
    return statement.group_by(*(family.dimensions[d] for d in by)) if by else statement
