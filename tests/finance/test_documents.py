"""The printed contract (PDF with its QR code) and the public page the QR code opens."""

from __future__ import annotations

import httpx
import segno

from hemis.finance.documents import ContractDocument, contract_pdf
from tests.finance.conftest import FEE, F, Setup


class TestPdf:
    async def test_pdf_of_a_contract(self, fin: Setup) -> None:
        await fin.fee()
        contract = await fin.contract((await fin.student())["id"])
        response = await fin.client.get(
            f"{F}/contracts/{contract['id']}/pdf", params={"l": "ru"}, headers=fin.accountant
        )
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")
        assert contract["number"] in response.headers["content-disposition"]

    def test_qr_code_carries_the_verification_url(self) -> None:
        from datetime import date

        url = "https://alpha.hemis.uz/verify/contracts/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        doc = ContractDocument(
            university="Alfa universiteti", number="2025-00001", academic_year=2025, signed_on=date(2025, 9, 1),
            contract_type="base", student_name="Karimov Jasur Anvar o‘g‘li", student_id_number="300000000001",
            group_name="KI-1", amount=FEE, base_amount=None, discounts=[("Chin yetim", 600_000_000)],
            schedule=[(1, date(2025, 10, 1), 600_000_000)], verify_url=url,
        )  # fmt: skip
        pdf = contract_pdf(doc, "uz")
        assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
        # The same data segno encodes is what the page draws: its matrix must not be empty.
        assert any(any(row) for row in segno.make(url, error="m").matrix)


class TestPublicVerification:
    async def test_page_shows_initials_amount_and_status(self, fin: Setup, client: httpx.AsyncClient) -> None:
        await fin.fee()
        student = await fin.student(last_name="Rahimova", first_name="Madina")
        contract = await fin.contract(student["id"])
        path = contract["verify_url"].split("testserver", 1)[1]
        assert path.startswith("/t/alpha/verify/contracts/")
        page = await client.get(path)  # no sign-in
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "R*** M***" in page.text and "Rahimova" not in page.text and contract["number"] in page.text
        assert "12 000 000,00" in page.text and "Amalda" in page.text
        token = path.rsplit("/", 1)[1]
        data = (await client.get(f"{F}/verify/{token}", params={"l": "en"})).json()
        assert data == {
            "university": "Alpha University",
            "number": contract["number"],
            "academic_year": "2025/2026",
            "student": "R*** M***",
            "amount": FEE,
            "amount_text": "12 000 000,00",
            "status": "active",
        }
        await client.post(
            f"{F}/contracts/{contract['id']}/payments", json={"amount": FEE}, headers=fin.accountant
        )
        assert (await client.get(f"{F}/verify/{token}")).json()["status"] == "paid"

    async def test_unknown_or_malformed_tokens(self, client: httpx.AsyncClient) -> None:
        missing = await client.get("/t/alpha/verify/contracts/" + "A" * 43, params={"l": "ru"})
        assert missing.status_code == 404 and "не найден" in missing.text
        assert (await client.get(f"{F}/verify/" + "A" * 43)).status_code == 404
        assert (await client.get(f"{F}/verify/short")).status_code in (400, 404, 422)
        assert (await client.get(f"{F}/verify/{'A' * 40}%3Cscript%3E")).status_code in (400, 404, 422)
