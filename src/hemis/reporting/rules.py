"""The KPI table's arithmetic (pure, table-tested): indicators from summed numerators and
denominators, months, and a university's figure for a month it had no row in.

Every figure in schema national is a sum, so any grouping is exact: an indicator of a region or
of the country is Σ numerator / Σ denominator over its universities, never a mean of their
percentages. A university's KPI row is written only in months something changed there; its
figure for a later month is the row it last closed with ("carried forward").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

from hemis.rollups.models import KPI_SUMS

# Table 1 of the ministry's study (seeds/002), in its order: indicator → (numerator, denominator).
RATIOS: dict[str, tuple[str, str]] = {
    "average_score": ("score_sum", "scored"),  # points on the 100-point scale, not a percent
    "e_course_share": ("teachers_with_e_course", "teachers"),
    "attendance": ("attended_hours", "planned_hours"),
    "report_automation": ("report_fields_filled", "report_fields"),
    "e_payment_share": ("paid_online", "paid"),
}
TRANSPARENCY = (("marks_on_time", "marks"), ("students_with_access", "students"))
INDICATORS = (*RATIOS, "transparency_index")
SUMS = KPI_SUMS  # the KPI row's summed columns
TENTH = Decimal("0.1")


def tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def share(numerator: Any, denominator: Any, *, scale: int = 100) -> Decimal | None:
    """numerator / denominator × scale to one decimal; None when there is nothing to divide by."""
    if not denominator:
        return None
    return tenth(Decimal(numerator) * scale / Decimal(denominator))


def indicators(sums: Mapping[str, Any]) -> dict[str, Decimal | None]:
    """The six indicators of table 1 from one row of sums (a university, a region, the country)."""
    out: dict[str, Decimal | None] = {
        name: share(sums[num], sums[den], scale=1 if name == "average_score" else 100)
        for name, (num, den) in RATIOS.items()
    }
    parts = [Decimal(sums[num]) / Decimal(sums[den]) for num, den in TRANSPARENCY if sums[den]]
    # The index is 100 × the mean of its parts; a part with nothing to count (no marks yet) is left out.
    out["transparency_index"] = tenth(100 * sum(parts, Decimal(0)) / len(parts)) if parts else None
    return out


_SUMMED = itemgetter(*SUMS)


def total(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Σ of every summed column over `rows` (transposed and summed in C: a country's trend adds
    up 225 universities × its months on every computation)."""
    columns = list(zip(*map(_SUMMED, rows), strict=True))
    return dict(zip(SUMS, (sum(c) for c in columns), strict=True)) if columns else zero()


def zero() -> dict[str, Any]:
    return dict.fromkeys(SUMS, 0)


def parse_month(text: str) -> date:
    """'2026-03' → 2026-03-01 (the pattern is checked by the API before this runs)."""
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every first-of-month from `first` to `last`, both included."""
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day)
        day = next_month(day)
    return out


def months_back(last: date, count: int) -> date:
    """The first of the month `count - 1` months before `last` (a window of `count` months)."""
    index = last.year * 12 + last.month - 1 - (count - 1)
    return date(index // 12, index % 12 + 1, 1)


def carried_forward(
    rows: Iterable[Mapping[str, Any]], months: Sequence[date], key: str = "tenant_code"
) -> dict[date, dict[str, Mapping[str, Any]]]:
    """For each month, every university's (or `key`'s) row of the latest month up to it.

    `rows` need `month` and `key`; rows after the last month are ignored."""
    by_key: dict[str, list[Mapping[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r["month"]):
        by_key.setdefault(row[key], []).append(row)
    out: dict[date, dict[str, Mapping[str, Any]]] = {m: {} for m in months}
    for code, series in by_key.items():
        index, latest = 0, None
        for month in months:
            while index < len(series) and series[index]["month"] <= month:
                latest, index = series[index], index + 1
            if latest is not None:
                out[month][code] = latest
    return out
