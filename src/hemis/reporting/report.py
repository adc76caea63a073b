"""The monthly statistical report as a PDF (fpdf2): the KPI table and the main breakdowns of one
month, in the reader's language, built from the same Sheets as the CSV and XLSX exports.

Fonts as in hemis.finance.documents: DejaVu Sans when the system has it (Uzbek and Russian
letters), else the PDF core font with letters outside Latin-1 folded to ASCII."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec
from fpdf import FPDF
from fpdf.fonts import FontFace

from hemis.core.i18n import translate
from hemis.finance.documents import FONT_CANDIDATES
from hemis.reporting import export, labels, rules
from hemis.reporting.export import Sheet
from hemis.reporting.schemas import FreshnessRead
from hemis.reporting.service import STUDYING, ReportingService


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    sheet: Sheet
    columns: Sequence[int] | None = None  # which of the sheet's columns to print (all when None)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ʻ", "'").replace("ʼ", "'").replace("‘", "'"))
    return folded.encode("latin-1", "ignore").decode("latin-1")


def _as_is(text: str) -> str:
    return text


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", " ")
    if isinstance(value, Decimal):
        return f"{value:,}".replace(",", " ")
    return str(value)


def monthly_report(
    *, title: str, month: str, freshness: FreshnessRead, sections: Sequence[Section], language: str
) -> bytes:
    """A4 landscape: a heading, when the figures were computed, then each section as a table."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(f"{title} {month}")
    pdf.set_creator("hemis")
    font = next((p for p in FONT_CANDIDATES if p.exists()), None)
    if font is not None:
        pdf.add_font("body", fname=str(font))
        bold = font.with_name(font.name.replace(".ttf", "-Bold.ttf"))
        pdf.add_font("body", style="B", fname=str(bold if bold.exists() else font))
        family, clean = "body", _as_is
    else:
        family, clean = "helvetica", _fold
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font(family, style="B", size=16)
    pdf.multi_cell(0, 9, clean(f"{title}: {month}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    stamp = translate(
        "reporting.report.freshness",
        language,
        as_of=_cell(freshness.as_of),
        checked_at=_cell(freshness.checked_at),
    )
    pdf.multi_cell(0, 5, clean(stamp), new_x="LMARGIN", new_y="NEXT")
    for section in sections:
        pdf.ln(4)
        pdf.set_font(family, style="B", size=12)
        pdf.multi_cell(0, 7, clean(section.title), new_x="LMARGIN", new_y="NEXT")
        columns = (
            list(section.columns) if section.columns is not None else list(range(len(section.sheet.headers)))
        )
        if not section.sheet.rows:
            pdf.set_font(family, size=9)
            pdf.multi_cell(
                0, 5, clean(translate("reporting.report.empty", language)), new_x="LMARGIN", new_y="NEXT"
            )
            continue
        pdf.set_font(family, size=7 if len(columns) > 8 else 8)
        with pdf.table(
            headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 242)),
            line_height=4.5,
            text_align="LEFT",
            first_row_as_headings=True,
        ) as table:
            heading = table.row()
            for index in columns:
                heading.cell(clean(section.sheet.headers[index]))
            for values in section.sheet.rows:
                row = table.row()
                for index in columns:
                    row.cell(clean(_cell(values[index])))
    return bytes(pdf.output())


async def _breakdowns(
    reporting: ReportingService, month: date, language: str, university: str | None
) -> list[Section]:
    """The main breakdowns of the report: contingent, staff, finance and the month's stipends."""
    wanted: list[tuple[str, str, dict[str, str]]] = [
        ("contingent", "education_type", {"status": STUDYING}),
        ("contingent", "education_form", {"status": STUDYING}),
        ("contingent", "payment_form", {"status": STUDYING}),
        ("contingent", "gender", {"status": STUDYING}),
        ("contingent", "course", {"status": STUDYING}),
        ("staff", "academic_degree", {}),
        ("staff", "academic_rank", {}),
        ("finance", "academic_year", {}),
        ("stipends", "month", {"month": rules.month_text(month)}),
    ]
    sections = []
    for family, dimension, where in wanted:
        page = await reporting.breakdown(family, [dimension], None, university=university, where=where)
        sheet = export.breakdown_sheet(page, language)
        title = translate(
            "reporting.report.section",
            language,
            family=labels.column(family, language),
            dimension=labels.column(dimension, language),
        )
        sections.append(Section(title, sheet, [1, *range(2, len(sheet.headers))]))
    return sections


# Name, universities and the six indicators of a KPI sheet (export.KPI_COLUMNS order).
KPI_PRINTED = [1, 3, 4, 5, 6, 7, 8, 9]


async def national_pdf(reporting: ReportingService, month: date, language: str) -> bytes:
    regions = await reporting.kpi_table(month, "region", None)
    country = await reporting.kpi_table(month, "country", None)
    regions = msgspec.structs.replace(
        regions, items=[*regions.items, *country.items]
    )  # the cached one unchanged
    universities = await reporting.kpi_table(month, "university", None)
    sections = [
        Section(
            translate("reporting.report.kpi_regions", language),
            export.kpi_sheet(regions, language),
            KPI_PRINTED,
        ),
        Section(
            translate("reporting.report.kpi_universities", language),
            export.kpi_sheet(universities, language),
            [1, 2, 4, 5, 6, 7, 8, 9],
        ),
        *await _breakdowns(reporting, month, language, None),
    ]
    return monthly_report(
        title=translate("reporting.report.title", language),
        month=rules.month_text(month),
        freshness=regions.freshness,
        sections=sections,
        language=language,
    )


async def dashboard_pdf(reporting: ReportingService, month: date, language: str) -> bytes:
    board = await reporting.dashboard(month, 1)
    lines = [line for line in (board.university, board.region, board.country) if line is not None]
    sheet = export.Sheet(
        "kpi",
        [labels.column(k, language) for k in (*export.KPI_COLUMNS, *rules.SUMS)],
        [export.kpi_cells(line) for line in lines],
    )
    names = await reporting.names()
    own = names[reporting.tenant.code].name if reporting.tenant.code in names else reporting.tenant.code
    sections = [
        Section(translate("reporting.report.kpi_own", language), sheet, KPI_PRINTED),
        *await _breakdowns(reporting, month, language, reporting.tenant.code),
    ]
    return monthly_report(
        title=f"{own}. {translate('reporting.report.title', language)}",
        month=rules.month_text(month),
        freshness=board.freshness,
        sections=sections,
        language=language,
    )
