"""Fee configuration over HTTP: fee structures, discounts and instalment plans, validated with the
field named in the caller's language; the national BHM readable by date; who may write."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.finance.fees import base_amount_on
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.finance.conftest import YEAR, F, Setup, fee_body

QUARTERS = [
    {"share": "25", "month": 10, "day": 1},
    {"share": "25", "month": 12, "day": 1},
    {"share": "25", "month": 3, "day": 1},
    {"share": "25", "month": 5, "day": 1},
]


class TestBaseAmounts:
    async def test_value_in_force_on_a_day(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            assert (await base_amount_on(session, date(2024, 9, 30))).amount == 34_000_000  # type: ignore[union-attr]
            assert (await base_amount_on(session, date(2024, 10, 1))).amount == 37_500_000  # type: ignore[union-attr]
            assert await base_amount_on(session, date(2020, 1, 1)) is None

    async def test_listed_in_tiyin(self, client: httpx.AsyncClient, accountant: dict[str, str]) -> None:
        rows = (await client.get(f"{F}/base-amounts", headers=accountant)).json()
        assert {"valid_from": "2024-10-01", "amount": 37_500_000, "note": "BHM"} in rows

    @pytest.mark.parametrize(
        ("day", "som"),
        [
            (date(2021, 1, 31), None),
            (date(2021, 2, 1), 245_000),
            (date(2021, 8, 31), 245_000),
            (date(2021, 9, 1), 270_000),  # dated 2022-04-01 by the first release
            (date(2022, 5, 31), 270_000),
            (date(2022, 6, 1), 300_000),  # missing from the first release (review finding)
            (date(2023, 4, 30), 300_000),
            (date(2023, 5, 1), 330_000),  # dated 2023-06-01 by the first release
            (date(2023, 9, 30), 330_000),
            (date(2023, 10, 1), 340_000),
            (date(2024, 9, 30), 340_000),
            (date(2024, 10, 1), 375_000),
            (date(2025, 7, 31), 375_000),
            (date(2025, 8, 1), 412_000),
        ],
    )
    async def test_in_force_around_each_step(
        self,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        day: date,
        som: int | None,
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            found = await base_amount_on(session, day)
        assert (found.amount if found else None) == (som * 100 if som else None)

    async def test_each_row_is_a_change(self, client: httpx.AsyncClient, accountant: dict[str, str]) -> None:
        rows = (await client.get(f"{F}/base-amounts", headers=accountant)).json()
        assert [(r["valid_from"], r["amount"] // 100) for r in rows][:7] == [
            ("2021-02-01", 245_000),
            ("2021-09-01", 270_000),
            ("2022-06-01", 300_000),
            ("2023-05-01", 330_000),
            ("2023-10-01", 340_000),
            ("2024-10-01", 375_000),
            ("2025-08-01", 412_000),
        ]
        amounts = [r["amount"] for r in rows]
        assert all(a < b for a, b in itertools.pairwise(amounts))  # every step a rise


class TestFeeStructures:
    async def test_fixed_and_coefficient_fees(self, fin: Setup) -> None:
        fixed = await fin.fee()
        assert (fixed["amount"], fixed["bhm_coefficient"]) == (1_200_000_000, None)
        by_bhm = await fin.fee(course="12", amount=None, bhm_coefficient="30.5")
        got = (await fin.client.get(f"{F}/fee-structures/{by_bhm['id']}", headers=fin.accountant)).json()
        assert (got["amount"], got["bhm_coefficient"]) == (None, "30.500")

    async def test_one_fee_per_key(self, fin: Setup) -> None:
        await fin.fee()
        again = await fin.client.post(
            f"{F}/fee-structures", json=fee_body(fin.specialty["id"]), headers=fin.accountant
        )
        assert again.status_code == 409 and again.json()["field"] in {
            "academic_year", "specialty_id", "education_form", "course", "payment_form", "contract_type"
        }  # fmt: skip

    @pytest.mark.parametrize(
        ("overrides", "field", "status"),
        [
            ({"bhm_coefficient": "3"}, "bhm_coefficient", 422),  # both given
            ({"amount": None}, "amount", 422),  # neither
            ({"amount": None, "bhm_coefficient": "0"}, "bhm_coefficient", 422),
            ({"amount": None, "bhm_coefficient": "1.2345"}, "bhm_coefficient", 422),
            ({"amount": -5}, "amount", 422),
            ({"amount": 1.5}, "amount", 422),  # money is whole tiyin, never a float
            ({"course": "99"}, "course", 422),
            ({"education_form": "77"}, "education_form", 422),
            ({"payment_form": "13"}, "payment_form", 422),
            ({"contract_type": "cheap"}, "contract_type", 422),
            ({"academic_year": 1999}, "academic_year", 422),
            ({"specialty_id": 10**12}, "specialty_id", 422),
            ({"instalment_plan_id": 10**12}, "instalment_plan_id", 422),
        ],
    )
    async def test_bad_fees_name_the_field(
        self, fin: Setup, overrides: dict[str, Any], field: str, status: int
    ) -> None:
        response = await fin.client.post(
            f"{F}/fee-structures", json=fee_body(fin.specialty["id"], **overrides), headers=fin.accountant
        )
        assert response.status_code == status, response.text
        assert response.json()["field"] == field

    @pytest.mark.parametrize(
        ("language", "words"),
        [
            ("uz-UZ", "qat'iy summa"),
            ("ru-RU", "фиксированной суммой"),
            ("en-US", "fixed amount"),
        ],
    )
    async def test_amount_or_coefficient_in_the_callers_language(
        self, fin: Setup, language: str, words: str
    ) -> None:
        response = await fin.client.post(
            f"{F}/fee-structures",
            params={"l": language},
            json=fee_body(fin.specialty["id"], bhm_coefficient="3"),
            headers=fin.accountant,
        )
        body = response.json()
        assert response.status_code == 422 and body["field"] == "bhm_coefficient"
        assert words in body["detail"] and "bhm_coefficient" in body["detail"]

    async def test_switch_from_amount_to_coefficient(self, fin: Setup) -> None:
        fee = await fin.fee()
        url = f"{F}/fee-structures/{fee['id']}"
        half = await fin.client.patch(url, json={"bhm_coefficient": "32"}, headers=fin.accountant)
        assert half.status_code == 422 and half.json()["field"] == "bhm_coefficient"
        whole = await fin.client.patch(
            url, json={"bhm_coefficient": "32", "amount": None}, headers=fin.accountant
        )
        assert whole.status_code == 200, whole.text
        assert (whole.json()["amount"], whole.json()["bhm_coefficient"]) == (None, "32")

    @pytest.mark.parametrize("role", [Role.REGISTRAR, Role.DEAN, Role.TEACHER, Role.STUDENT])
    async def test_only_accounts_write(self, fin: Setup, token_for: TokenFactory, role: Role) -> None:
        headers = await token_for("alpha", role)
        response = await fin.client.post(
            f"{F}/fee-structures", json=fee_body(fin.specialty["id"]), headers=headers
        )
        assert response.status_code == 403

    async def test_listed_by_year(self, fin: Setup) -> None:
        fee = await fin.fee()
        listed = await fin.client.get(
            f"{F}/fee-structures",
            params={"academic_year": YEAR, "specialty_id": fin.specialty["id"]},
            headers=fin.registrar,
        )
        assert [row["id"] for row in listed.json()["items"]] == [fee["id"]]


class TestDiscounts:
    async def test_percent_and_sum(self, fin: Setup) -> None:
        for body in (
            {"code": f"D{fin.group['id']}P", "reason": "Chin yetim", "kind": "percent", "percent": "50"},
            {"code": f"D{fin.group['id']}S", "reason": "Homiy", "kind": "sum", "amount": 100_000_000},
        ):
            response = await fin.client.post(f"{F}/discounts", json=body, headers=fin.accountant)
            assert response.status_code == 201, response.text

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"kind": "percent"}, "percent"),
            ({"kind": "percent", "percent": "0"}, "percent"),
            ({"kind": "percent", "percent": "100.01"}, "percent"),
            ({"kind": "percent", "percent": "12.345"}, "percent"),
            ({"kind": "percent", "percent": "10", "amount": 100}, "percent"),
            ({"kind": "sum"}, "amount"),
            ({"kind": "sum", "amount": 0}, "amount"),
            ({"kind": "gift", "amount": 10}, "kind"),
        ],
    )
    async def test_bad_discounts(self, fin: Setup, body: dict[str, Any], field: str) -> None:
        full = {"code": f"X{fin.group['id']}", "reason": "Sabab"} | body
        response = await fin.client.post(f"{F}/discounts", json=full, headers=fin.accountant)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field


class TestInstalmentPlans:
    async def test_quarters(self, fin: Setup) -> None:
        response = await fin.client.post(
            f"{F}/instalment-plans",
            json={"code": f"Q{fin.group['id']}", "name": "Choraklar", "parts": QUARTERS},
            headers=fin.accountant,
        )
        assert response.status_code == 201, response.text
        assert response.json()["parts"][2] == {"share": "25", "month": 3, "day": 1}

    @pytest.mark.parametrize(
        ("parts", "words"),
        [
            ([{"share": "50", "month": 10, "day": 1}], "100"),
            ([{"share": "50", "month": 3, "day": 1}, {"share": "50", "month": 10, "day": 1}], "по порядку"),
            ([{"share": "100", "month": 2, "day": 29}], "29"),
            ([], "1–12"),
        ],
    )
    async def test_bad_plans_in_russian(self, fin: Setup, parts: list[dict[str, Any]], words: str) -> None:
        response = await fin.client.post(
            f"{F}/instalment-plans",
            params={"l": "ru-RU"},
            json={"code": f"B{fin.group['id']}", "name": "Yomon", "parts": parts},
            headers=fin.accountant,
        )
        body = response.json()
        assert response.status_code == 422 and body["field"] == "parts", response.text
        assert words in body["detail"]

    async def test_month_out_of_range_is_named(self, fin: Setup) -> None:
        response = await fin.client.post(
            f"{F}/instalment-plans",
            json={
                "code": f"M{fin.group['id']}",
                "name": "Yomon",
                "parts": [{"share": "100", "month": 13, "day": 1}],
            },
            headers=fin.accountant,
        )
        assert response.status_code == 422 and "month" in response.json()["field"]
