"""Every dashboard table as a file: CSV (UTF-8 with a BOM, so Excel reads Uzbek and Russian letters)
or XLSX (XlsxWriter), with headers in the reader's language. A table is flattened to a Sheet
first, so the two formats (and the PDF report) cannot disagree about what a column holds."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from hemis.core.i18n import translate
from hemis.reporting import labels, rules
from hemis.reporting.schemas import (
    BreakdownPage,
    CountRead,
    DashboardRead,
    DuplicatePage,
    KpiLine,
    KpiPage,
    TransferPage,
    TrendRead,
    UniversityPage,
)

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str  # the file's name (ASCII) and the worksheet's title
    headers: list[str]
    rows: list[list[Any]]


def render(sheet: Sheet, fmt: str) -> bytes:
    return to_xlsx(sheet) if fmt == "xlsx" else to_csv(sheet)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def to_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(sheet.headers)
    writer.writerows([_text(v) for v in row] for row in sheet.rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(sheet: Sheet) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    page = book.add_worksheet(sheet.name[:31])
    bold = book.add_format({"bold": True})
    page.write_row(0, 0, sheet.headers, bold)
    page.set_column(0, max(0, len(sheet.headers) - 1), 16)
    for r, row in enumerate(sheet.rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, bool) or value is None:
                page.write_string(r, c, _text(value))
            elif isinstance(value, (int, Decimal)):
                page.write_number(r, c, value)  # Decimal: XlsxWriter writes its exact digits
            else:
                page.write_string(r, c, _text(value))  # codes stay text: "0112" keeps its zero
    book.close()
    return buffer.getvalue()


def _h(keys: Sequence[str], language: str) -> list[str]:
    return [labels.column(k, language) for k in keys]


KPI_COLUMNS = ("code", "name", "region_name", "universities", *rules.INDICATORS)


def kpi_cells(line: KpiLine | None) -> list[Any]:
    if line is None:
        return [None] * (len(KPI_COLUMNS) + len(rules.SUMS))
    sums = [getattr(line.sums, k) for k in rules.SUMS]
    return [getattr(line, k) for k in KPI_COLUMNS] + sums


def kpi_sheet(page: KpiPage, language: str) -> Sheet:
    return Sheet(
        f"kpi-{page.level}-{page.month}",
        _h([*KPI_COLUMNS, *rules.SUMS], language),
        [kpi_cells(line) for line in page.items],
    )


def trend_sheet(trend: TrendRead, language: str) -> Sheet:
    return Sheet(
        f"kpi-trend-{trend.level}",
        _h(["month", *KPI_COLUMNS, *rules.SUMS], language),
        [[p.month, *kpi_cells(p.line)] for p in trend.points],
    )


LEVEL_KEYS = {"university": "own", "region": "region_total", "country": "country_total"}


def dashboard_sheet(board: DashboardRead, language: str) -> Sheet:
    rows = []
    for point in board.trend:
        for line in (point.university, point.region, point.country):
            if line is not None:
                level = translate(f"reporting.page.{LEVEL_KEYS[line.level]}", language)
                rows.append([point.month, level, *kpi_cells(line)])
    return Sheet(
        f"dashboard-{board.month}", _h(["month", "level", *KPI_COLUMNS, *rules.SUMS], language), rows
    )


def breakdown_sheet(page: BreakdownPage, language: str) -> Sheet:
    headers: list[str] = []
    for dimension in page.by:
        name = labels.column(dimension, language)
        headers += [translate("reporting.code_of", language, dimension=name), name]
    headers += _h(page.measures, language)
    rows = [
        [cell for d in page.by for cell in (row.keys[d], row.labels[d])]
        + [row.values[m] for m in page.measures]
        for row in page.items
    ]
    total = [labels.column("grand_total", language)] + [""] * (2 * len(page.by) - 1)
    rows.append(total + [page.totals[m] for m in page.measures])
    return Sheet(f"{page.family}-{'-'.join(page.by)}", headers, rows)


def universities_sheet(page: UniversityPage, language: str) -> Sheet:
    keys = ["code", "name", "short_name", "region_code", "region_name", "students", "computed_at"]
    return Sheet("universities", _h(keys, language), [[getattr(u, k) for k in keys] for u in page.items])


RECORD = ("university", "university_name", "student_id", "status", "education_type", "course", "changed_at")


def duplicates_sheet(page: DuplicatePage, language: str) -> Sheet:
    rows = [[d.pinfl, *(getattr(r, k) for k in RECORD)] for d in page.items for r in d.records]
    return Sheet("registry-duplicates", _h(["pinfl", *RECORD], language), rows)


def transfers_sheet(page: TransferPage, language: str) -> Sheet:
    headers = _h(["pinfl"], language)
    headers += [f"{labels.column('left', language)}: {h}" for h in _h(RECORD, language)]
    headers += [f"{labels.column('studying', language)}: {h}" for h in _h(RECORD, language)]
    rows = [
        [t.pinfl, *(getattr(t.left, k) for k in RECORD), *(getattr(t.studying, k) for k in RECORD)]
        for t in page.items
    ]
    return Sheet("registry-transfers", headers, rows)


def counts_sheet(name: str, by: dict[str, list[CountRead]], language: str) -> Sheet:
    rows = [[labels.column(d, language), c.code, c.name, c.count] for d, counts in by.items() for c in counts]
    return Sheet(name, _h(["dimension", "code", "name", "count"], language), rows)
