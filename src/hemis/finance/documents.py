"""The printable contract (PDF with a QR code) and the public page its QR code opens.

fpdf2 writes the PDF and segno the QR code (both pure Python). The QR code is drawn as vector
squares straight from segno's matrix, so no image library is involved and it prints sharply at
any size. Text is set in DejaVu Sans when the system has it (Uzbek and Russian letters); without
it, in the PDF core font with letters outside Latin-1 folded to their nearest ASCII.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF

from hemis.core.i18n import translate
from hemis.finance.rules import format_som

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)


@dataclass(frozen=True, slots=True)
class ContractDocument:
    university: str
    number: str
    academic_year: int
    signed_on: date
    contract_type: str
    student_name: str
    student_id_number: str
    group_name: str
    amount: int
    base_amount: int | None
    discounts: Sequence[tuple[str, int]]  # (reason, tiyin taken off)
    schedule: Sequence[tuple[int, date, int]]  # (number, due on, tiyin)
    verify_url: str


def _font() -> Path | None:
    return next((p for p in FONT_CANDIDATES if p.exists()), None)


def _as_is(text: str) -> str:
    return text


def _latin1(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ʻ", "'").replace("ʼ", "'").replace("‘", "'"))
    return folded.encode("latin-1", "ignore").decode("latin-1")


def contract_pdf(doc: ContractDocument, language: str) -> bytes:
    """The contract as a one-page A4 PDF in `language`, its QR code pointing at `doc.verify_url`."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"{doc.number}")
    pdf.set_creator("hemis")
    font = _font()
    if font is not None:
        pdf.add_font("body", fname=str(font))
        family, clean = "body", _as_is
    else:
        family, clean = "helvetica", _latin1
    pdf.add_page()

    def t(key: str, **params: object) -> str:
        return clean(translate(f"finance.pdf.{key}", language, **params))

    def line(text: str, size: int = 11, height: float = 7) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, height, clean(text), new_x="LMARGIN", new_y="NEXT")

    line(doc.university, 12)
    pdf.ln(2)
    line(t("title", number=doc.number), 16, 9)
    line(t("year", year=f"{doc.academic_year}/{doc.academic_year + 1}"))
    line(t("signed_on", day=doc.signed_on.isoformat()))
    line(t("type", type=translate(f"finance.contract_type.{doc.contract_type}", language)))
    pdf.ln(3)
    line(t("student", name=doc.student_name, number=doc.student_id_number))
    line(t("group", group=doc.group_name))
    pdf.ln(3)
    line(t("amount", amount=format_som(doc.amount)), 12)
    if doc.base_amount is not None:
        line(t("base_amount", amount=format_som(doc.base_amount)), 9, 5)
    for reason, off in doc.discounts:
        line(t("discount", reason=reason, amount=format_som(off)))
    pdf.ln(3)
    line(t("schedule"), 12)
    pdf.set_font(family, size=10)
    for number, due_on, amount in doc.schedule:
        pdf.cell(15, 6, str(number))
        pdf.cell(40, 6, due_on.isoformat())
        pdf.cell(60, 6, clean(format_som(amount)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    top = pdf.get_y()
    _draw_qr(pdf, doc.verify_url, x=pdf.l_margin, y=top, size=40)
    pdf.set_xy(pdf.l_margin + 45, top)
    pdf.set_font(family, size=9)
    pdf.multi_cell(0, 5, t("verify", url=doc.verify_url))
    return bytes(pdf.output())


def _draw_qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """The QR code of `data` as filled squares (quiet zone included in `size`)."""
    qr = segno.make(data, error="m")
    rows = list(qr.matrix_iter(border=4))
    cell = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + r * cell, cell, cell, style="F")


def verification_page(
    *, language: str, found: bool, number: str = "", academic_year: str = "", student: str = "",
    amount: int = 0, status: str = "", university: str = "",
) -> str:  # fmt: skip
    """The public page: escaped HTML, in the caller's language."""

    def t(key: str, **params: object) -> str:
        return html.escape(translate(f"finance.verify.{key}", language, **params))

    if not found:
        body = f"<h1>{t('not_found')}</h1>"
    else:
        status_text = t(f"status_{status}")
        body = (
            f"<h1>{t('title')}</h1><p>{html.escape(university)}</p><dl>"
            f"<dt>{t('number')}</dt><dd>{html.escape(number)}</dd>"
            f"<dt>{t('year')}</dt><dd>{html.escape(academic_year)}</dd>"
            f"<dt>{t('student')}</dt><dd>{html.escape(student)}</dd>"
            f"<dt>{t('amount')}</dt><dd>{html.escape(format_som(amount))}</dd>"
            f"<dt>{t('status')}</dt><dd>{status_text}</dd></dl>"
        )
    return (
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{t('title')}</title></head><body>{body}</body></html>"
    )
