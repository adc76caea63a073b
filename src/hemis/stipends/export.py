"""A payroll's payment file: CSV (exact decimal text) or XLSX (XlsxWriter, written row by row).

Amounts go out as so'm with two decimals built from whole tiyin, and as tiyin beside them for
reconciliation; the XLSX cell gets a Decimal, which XlsxWriter writes as its exact digits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter

from hemis.stipends.rules import soum

HEADER = (
    "№",
    "Talaba ID",
    "JShShIR",
    "Familiya",
    "Ism",
    "Otasining ismi",
    "Guruh",
    "Stipendiya turi",
    "Summa (so'm)",
    "Summa (tiyin)",
)
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cells(number: int, row: Any) -> list[Any]:
    return [
        number,
        row.student_id_number,
        row.pinfl or "",
        row.last_name,
        row.first_name,
        row.patronymic,
        row.group_name,
        row.rate_code,
        soum(row.amount_tiyin),
        row.amount_tiyin,
    ]


def to_csv(rows: Sequence[Any]) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs read the Uzbek letters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(_cells(number, row) for number, row in enumerate(rows, start=1))
    total = sum(row.amount_tiyin for row in rows)
    writer.writerow(["", "", "", "", "", "", "", "Jami", soum(total), total])
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(rows: Sequence[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet(title)
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    text = book.add_format({"num_format": "@"})  # ids and PINFLs stay text (no 3.1E+13)
    sheet.write_row(0, 0, HEADER, bold)
    sheet.set_column(1, 2, 16, text)
    sheet.set_column(3, 6, 18)
    sheet.set_column(8, 9, 16)
    for number, row in enumerate(rows, start=1):
        cells = _cells(number, row)
        sheet.write_number(number, 0, number)
        for col in range(1, 8):
            sheet.write_string(number, col, str(cells[col] or ""))
        sheet.write_number(number, 8, Decimal(cells[8]), money)  # exact digits, no float
        sheet.write_number(number, 9, row.amount_tiyin)
    last = len(rows) + 1
    total = sum(row.amount_tiyin for row in rows)
    sheet.write_string(last, 7, "Jami", bold)
    sheet.write_number(last, 8, Decimal(soum(total)), money)
    sheet.write_number(last, 9, total)
    book.close()
    return buffer.getvalue()
