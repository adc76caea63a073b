"""Every table as CSV and XLSX, read back (csv module; XLSX through zipfile): the same rows as the
JSON, headers in the reader's language, a BOM for Excel; the monthly report is a PDF."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hemis.reporting import labels
from tests.reporting.conftest import N, enrol, xlsx_rows

P = "/t/national/api/v1/public/statistics"


def read_csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return xlsx_rows(response.content)


def same(cell: str, value: Any) -> bool:
    if value is None:
        return cell == ""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.replace(".", "").isdigit()):
        return Decimal(cell) == Decimal(str(value))
    return cell == str(value)


EXPORTS = [
    ("/kpi", {"level": "university"}),
    ("/kpi", {"level": "region"}),
    ("/kpi/trend", {}),
    ("/universities", {}),
    ("/breakdowns/contingent", {"by": "education_type,gender"}),
    ("/breakdowns/performance", {}),
    ("/breakdowns/attendance", {}),
    ("/breakdowns/finance", {}),
    ("/breakdowns/stipends", {}),
    ("/breakdowns/staff", {"by": "academic_degree"}),
    ("/registry/duplicates", {}),
    ("/registry/transfers", {}),
]


class TestNationalExports:
    @pytest.mark.parametrize(("path", "params"), EXPORTS)
    async def test_csv_and_xlsx_hold_the_same_table(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        path: str,
        params: dict[str, str],
    ) -> None:
        await recompute()
        as_csv = read_csv(await client.get(f"{N}{path}/export", params=params, headers=ministry))
        as_xlsx = read_xlsx(
            await client.get(f"{N}{path}/export", params={**params, "format": "xlsx"}, headers=ministry)
        )
        assert len(as_csv) == len(as_xlsx) and as_csv[0] == as_xlsx[0]
        for row_csv, row_xlsx in zip(as_csv[1:], as_xlsx[1:], strict=True):
            for a, b in zip(row_csv, row_xlsx, strict=False):
                assert a == b or (a and b and Decimal(a) == Decimal(b)), (a, b)

    async def test_the_kpi_file_is_the_kpi_table(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
    ) -> None:
        await enrol(client, "alpha", group, admin)
        await recompute()
        table = (await client.get(f"{N}/kpi", params={"limit": 200}, headers=ministry)).json()
        rows = read_csv(await client.get(f"{N}/kpi/export", params={"l": "ru"}, headers=ministry))
        header, body = rows[0], rows[1:]
        assert header[:4] == ["Код", "Наименование", "Регион", "Число вузов"]
        assert header[header.index("Посещаемость, %")]  # an indicator, named in Russian
        assert [r[0] for r in body] == [line["code"] for line in table["items"]]
        for row, line in zip(body, table["items"], strict=True):
            assert same(row[header.index("Студенты")], line["sums"]["students"])
            assert same(row[header.index("Автоматизация отчётности, %")], line["report_automation"])

    async def test_a_breakdown_file_ends_with_its_total(
        self, client: httpx.AsyncClient, recompute: Any, ministry: dict[str, str]
    ) -> None:
        await recompute()
        page = (
            await client.get(f"{N}/breakdowns/contingent", params={"by": "gender"}, headers=ministry)
        ).json()
        rows = read_csv(
            await client.get(
                f"{N}/breakdowns/contingent/export", params={"by": "gender", "l": "en"}, headers=ministry
            )
        )
        assert rows[0] == ["Gender (code)", "Gender", "Students"]
        assert rows[-1][0] == "Total" and int(rows[-1][-1]) == page["totals"]["students"]
        assert sum(int(r[-1]) for r in rows[1:-1]) == page["totals"]["students"]
        assert {r[1] for r in rows[1:-1]} <= {"Male", "Female", "Unknown"}

    async def test_uzbek_is_the_default_and_cyrillic_survives(
        self, client: httpx.AsyncClient, recompute: Any, ministry: dict[str, str]
    ) -> None:
        await recompute()
        uz = read_csv(await client.get(f"{N}/universities/export", headers=ministry))
        assert uz[0][0] == labels.column("code", "uz") == "Kod"
        oz = read_xlsx(
            await client.get(
                f"{N}/universities/export", params={"l": "oz", "format": "xlsx"}, headers=ministry
            )
        )
        assert oz[0][1] == "Номи"

    async def test_the_monthly_report_is_a_pdf(
        self, client: httpx.AsyncClient, recompute: Any, ministry: dict[str, str]
    ) -> None:
        await recompute()
        for language in ("uz", "ru", "en"):
            response = await client.get(f"{N}/report", params={"l": language}, headers=ministry)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/pdf"
            assert response.content.startswith(b"%PDF") and len(response.content) > 2_000
        refused = await client.get(f"{N}/report", params={"month": "2026-00", "l": "en"}, headers=ministry)
        assert refused.status_code == 422 and refused.json()["field"] == "month"


class TestOtherExports:
    async def test_the_dashboard_file_and_report(
        self, client: httpx.AsyncClient, recompute: Any, admin: dict[str, str], token_for: Any
    ) -> None:
        from hemis.core.auth import Role

        await recompute()
        staff = await token_for("alpha", Role.ACCOUNTANT)
        board = (await client.get("/t/alpha/api/v1/dashboard", params={"months": 2}, headers=staff)).json()
        rows = read_csv(
            await client.get("/t/alpha/api/v1/dashboard/export", params={"months": 2}, headers=staff)
        )
        lines = [
            p[k] for p in board["trend"] for k in ("university", "region", "country") if p[k] is not None
        ]
        assert len(rows) - 1 == len(lines)
        assert [r[2] for r in rows[1:]] == [line["code"] for line in lines]
        pdf = await client.get("/t/alpha/api/v1/dashboard/report", headers=staff)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    @pytest.mark.parametrize("table", ["students", "employees", "universities", "kpi"])
    async def test_public_tables_without_signing_in(
        self, client: httpx.AsyncClient, recompute: Any, table: str
    ) -> None:
        await recompute()
        as_csv = read_csv(await client.get(f"{P}/{table}/export"))
        as_xlsx = read_xlsx(await client.get(f"{P}/{table}/export", params={"format": "xlsx"}))
        assert len(as_csv) == len(as_xlsx) >= 1
        assert as_csv[0] == as_xlsx[0]

    async def test_a_bad_format_is_a_named_4xx(
        self, client: httpx.AsyncClient, ministry: dict[str, str]
    ) -> None:
        response = await client.get(f"{N}/kpi/export", params={"format": "docx", "l": "ru"}, headers=ministry)
        assert response.status_code == 422 and response.json()["field"] == "format"
