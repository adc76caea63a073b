"""The ministry's API on the national host: figures checked against what the tests enrolled through
the universities' own APIs (as differences, since other tests enrol students too), levels that add
up, the registry's anomalies, who may read, and refusals in the caller's language."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.app import HemisApp
from hemis.core.auth import Role
from hemis.reporting import rules
from hemis.rollups.models import Kpi
from tenants.session import national_session
from tests.conftest import TokenFactory
from tests.reporting.conftest import N, enrol
from tests.students.conftest import pinfl

BIRTH = date(2006, 5, 17)


def female() -> dict[str, str]:
    return {"gender": "12", "pinfl": pinfl(BIRTH, male=False)}


async def studying(client: httpx.AsyncClient, code: str, headers: dict[str, str], **filters: str) -> int:
    """The university's own count of studying students, from its students API (not the roll-ups)."""
    params = {"status": "11", "limit": "1", **filters}
    response = await client.get(f"/t/{code}/api/v1/students", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def breakdown(
    client: httpx.AsyncClient, headers: dict[str, str], family: str, by: str, **params: str
) -> dict[tuple[str, ...], dict[str, Any]]:
    response = await client.get(
        f"{N}/breakdowns/{family}", params={"by": by, "limit": "200", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {tuple(row["keys"][d] for d in body["by"]): row["values"] for row in body["items"]}


def delta(
    after: dict[Any, dict[str, Any]], before: dict[Any, dict[str, Any]], measure: str
) -> dict[Any, int]:
    keys = set(after) | set(before)
    changed = {k: after.get(k, {}).get(measure, 0) - before.get(k, {}).get(measure, 0) for k in keys}
    return {k: v for k, v in changed.items() if v}


class TestContingent:
    async def test_the_breakdowns_count_exactly_the_students_enrolled(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
        beta_registrar: dict[str, str],
        beta_group: dict[str, Any],
    ) -> None:
        await recompute()
        before = await breakdown(client, ministry, "contingent", "university,payment_form")
        by_gender_before = await breakdown(client, ministry, "contingent", "gender,region")
        for _ in range(2):
            await enrol(client, "alpha", group, admin, payment_form="11", region_code="1726", **female())
        await enrol(client, "alpha", group, admin, payment_form="12", region_code="1703")
        await enrol(client, "beta", beta_group, beta_registrar, payment_form="11", region_code="1726")
        await enrol(client, "beta", beta_group, beta_registrar, payment_form="11")
        await recompute()
        after = await breakdown(client, ministry, "contingent", "university,payment_form")
        assert delta(after, before, "students") == {("alpha", "11"): 2, ("alpha", "12"): 1, ("beta", "11"): 2}
        by_gender = await breakdown(client, ministry, "contingent", "gender,region")
        assert delta(by_gender, by_gender_before, "students") == {
            ("12", "1726"): 2,
            ("11", "1703"): 1,
            ("11", "1726"): 1,
            ("11", ""): 1,  # no home region given
        }

    async def test_a_universitys_total_is_its_own_count_of_studying_students(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
        beta_registrar: dict[str, str],
    ) -> None:
        await enrol(client, "alpha", group, admin)
        await recompute()
        found = await breakdown(client, ministry, "contingent", "university")
        assert found[("alpha",)]["students"] == await studying(client, "alpha", admin)
        assert found[("beta",)]["students"] == await studying(client, "beta", beta_registrar)
        grants = await breakdown(client, ministry, "contingent", "payment_form", university="alpha")
        assert grants.get(("11",), {}).get("students", 0) == await studying(
            client, "alpha", admin, payment_form="11"
        )

    async def test_every_status_when_asked(
        self, client: httpx.AsyncClient, recompute: Any, ministry: dict[str, str], admin: dict[str, str], group: dict[str, Any]
    ) -> None:  # fmt: skip
        student = await enrol(client, "alpha", group, admin)
        await recompute()
        before = await breakdown(client, ministry, "contingent", "status", university="alpha")
        left = await client.post(
            f"/t/alpha/api/v1/students/{student['id']}/status",
            json={"status": "13", "reason": "Sog'lig'i sababli"},
            headers=admin,
        )
        assert left.status_code in (200, 201), left.text
        await recompute()
        after = await breakdown(client, ministry, "contingent", "status", university="alpha")
        assert delta(after, before, "students") == {("11",): -1, ("13",): 1}


class TestKpi:
    async def test_regions_and_the_country_are_sums_of_the_universities(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
        beta_registrar: dict[str, str],
    ) -> None:
        await enrol(client, "alpha", group, admin)
        await recompute()
        levels = {}
        for level in ("university", "region", "country"):
            response = await client.get(f"{N}/kpi", params={"level": level, "limit": 200}, headers=ministry)
            assert response.status_code == 200, response.text
            levels[level] = response.json()
        universities = levels["university"]["items"]
        assert {u["code"] for u in universities} >= {"alpha", "beta"}
        [country] = levels["country"]["items"]
        for column in rules.SUMS:
            total = sum(Decimal(str(u["sums"][column])) for u in universities)
            assert Decimal(str(country["sums"][column])) == total, column
            assert sum(Decimal(str(r["sums"][column])) for r in levels["region"]["items"]) == total
        # The KPI's students are the universities' own counts of studying students.
        by_code = {u["code"]: u for u in universities}
        assert by_code["alpha"]["sums"]["students"] == await studying(client, "alpha", admin)
        assert by_code["beta"]["sums"]["students"] == await studying(client, "beta", beta_registrar)
        # Every line's indicators are its sums divided, computed here again.
        for line in [*universities, country]:
            s = line["sums"]
            expected = (
                (Decimal(s["report_fields_filled"]) * 100 / s["report_fields"]).quantize(
                    Decimal("0.1"), ROUND_HALF_UP
                )
                if s["report_fields"]
                else None
            )
            assert (Decimal(line["report_automation"]) if line["report_automation"] else None) == expected
        assert country["universities"] == len(universities)

    async def test_sort_by_any_indicator_page_and_filter(
        self, client: httpx.AsyncClient, recompute: Any, ministry: dict[str, str], admin: dict[str, str], group: dict[str, Any]
    ) -> None:  # fmt: skip
        await enrol(client, "alpha", group, admin)
        await recompute()
        everyone = (await client.get(f"{N}/kpi", params={"sort": "-students"}, headers=ministry)).json()
        counts = [line["sums"]["students"] for line in everyone["items"]]
        assert counts == sorted(counts, reverse=True)
        first = (
            await client.get(f"{N}/kpi", params={"sort": "-students", "limit": 1}, headers=ministry)
        ).json()
        assert first["total"] == everyone["total"] and first["items"] == everyone["items"][:1]
        second = await client.get(
            f"{N}/kpi", params={"sort": "-students", "limit": 1, "offset": 1}, headers=ministry
        )
        assert second.json()["items"] == everyone["items"][1:2]
        for indicator in rules.INDICATORS:
            assert (
                await client.get(f"{N}/kpi", params={"sort": indicator}, headers=ministry)
            ).status_code == 200
        found = (await client.get(f"{N}/kpi", params={"search": "alfa"}, headers=ministry)).json()
        assert [line["code"] for line in found["items"]] == ["alpha"]
        nowhere = (await client.get(f"{N}/kpi", params={"region": "1735"}, headers=ministry)).json()
        assert all(line["region_code"] == "1735" for line in nowhere["items"])

    async def test_the_trend_ends_with_this_months_table(
        self, client: httpx.AsyncClient, recompute: Any, ministry: dict[str, str]
    ) -> None:
        await recompute()
        country = (await client.get(f"{N}/kpi", params={"level": "country"}, headers=ministry)).json()
        trend = await client.get(f"{N}/kpi/trend", headers=ministry)
        assert trend.status_code == 200, trend.text
        points = trend.json()["points"]
        assert len(points) == 12 and points[-1]["month"] == country["month"]
        assert points[-1]["line"] == country["items"][0]
        alpha = await client.get(
            f"{N}/kpi/trend",
            params={"level": "university", "code": "alpha", "from": "2025-01"},
            headers=ministry,
        )
        assert alpha.status_code == 200 and alpha.json()["points"][0]["month"] == "2025-01"
        assert alpha.json()["points"][-1]["line"]["code"] == "alpha"

    async def test_a_university_missing_from_a_month_counts_with_its_last_row(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        maker: async_sessionmaker[AsyncSession],
    ) -> None:
        """The worker writes a KPI row only in months something changed: the months after keep
        the figures a university closed with, in the trend and in the totals."""
        await recompute()
        old = {"month": date(2021, 1, 1), "students": 7, "planned_hours": 100, "attended_hours": 90}
        async with national_session(maker) as session:
            alpha = await session.scalar(select(Kpi).where(Kpi.tenant_code == "alpha").limit(1))
            assert alpha is not None
            row = {c.key: getattr(alpha, c.key) for c in Kpi.__table__.columns if c.key != "id"}
            await session.execute(insert(Kpi).values({**row, **old}))
            await session.commit()
        try:
            params = {"level": "university", "code": "alpha", "from": "2020-12", "to": "2021-03"}
            trend = (await client.get(f"{N}/kpi/trend", params=params, headers=ministry)).json()
            lines = [p["line"] for p in trend["points"]]
            assert lines[0] is None  # nothing before its first row
            assert [(x["sums"]["students"], x["attendance"]) for x in lines[1:]] == [(7, "90.0")] * 3
            country = (
                await client.get(
                    f"{N}/kpi", params={"level": "country", "month": "2021-02"}, headers=ministry
                )
            ).json()
            assert country["items"][0]["sums"]["students"] == 7
        finally:
            async with national_session(maker) as session:
                await session.execute(delete(Kpi).where(Kpi.month == old["month"]))
                await session.commit()


class TestRegistry:
    async def test_a_person_studying_at_two_universities(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
        beta_registrar: dict[str, str],
        beta_group: dict[str, Any],
    ) -> None:
        one = await enrol(client, "alpha", group, admin)
        await enrol(client, "beta", beta_group, beta_registrar, pinfl=one["pinfl"])
        await recompute()
        found = (await client.get(f"{N}/registry/duplicates", params={"limit": 200}, headers=ministry)).json()
        [item] = [d for d in found["items"] if d["pinfl"] == one["pinfl"]]
        assert sorted(r["university"] for r in item["records"]) == ["alpha", "beta"]
        assert {r["status"] for r in item["records"]} == {"11"}

    async def test_a_transfer_is_a_departure_beside_a_studying_record(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
        beta_registrar: dict[str, str],
        beta_group: dict[str, Any],
    ) -> None:
        one = await enrol(client, "alpha", group, admin)
        left = await client.post(
            f"/t/alpha/api/v1/students/{one['id']}/status",
            json={"status": "12", "reason": "Boshqa OTMga o'qishini ko'chirgan"},
            headers=admin,
        )
        assert left.status_code in (200, 201), left.text
        await enrol(client, "beta", beta_group, beta_registrar, pinfl=one["pinfl"])
        await recompute()
        found = (await client.get(f"{N}/registry/transfers", params={"limit": 200}, headers=ministry)).json()
        [item] = [t for t in found["items"] if t["pinfl"] == one["pinfl"]]
        assert (item["left"]["university"], item["left"]["status"]) == ("alpha", "12")
        assert (item["studying"]["university"], item["studying"]["status"]) == ("beta", "11")
        duplicates = (
            await client.get(f"{N}/registry/duplicates", params={"limit": 200}, headers=ministry)
        ).json()
        assert one["pinfl"] not in {d["pinfl"] for d in duplicates["items"]}  # not studying twice
        later = await client.get(f"{N}/registry/transfers", params={"since": "2999-01-01"}, headers=ministry)
        assert one["pinfl"] not in {t["pinfl"] for t in later.json()["items"]}


class TestFreshness:
    async def test_checked_after_a_round_and_pending_when_the_worker_is_late(
        self, client: httpx.AsyncClient, recompute: Any, ministry: dict[str, str], app: HemisApp
    ) -> None:
        await recompute()
        fresh = (await client.get(f"{N}/kpi", headers=ministry)).json()["freshness"]
        assert fresh["checked_at"] is not None and fresh["pending"] is False
        assert fresh["as_of"] <= fresh["computed_at"]
        settings = app.litestar.state.settings.reporting
        saved, settings.worker_stale_seconds = settings.worker_stale_seconds, 0
        try:
            late = (await client.get(f"{N}/kpi", headers=ministry)).json()["freshness"]
        finally:
            settings.worker_stale_seconds = saved
        assert late["pending"] is True


PATHS = [
    "/kpi",
    "/kpi/export",
    "/kpi/trend",
    "/kpi/trend/export",
    "/universities",
    "/universities/export",
    "/breakdowns/contingent",
    "/breakdowns/staff/export",
    "/registry/duplicates",
    "/registry/duplicates/export",
    "/registry/transfers",
    "/registry/transfers/export",
    "/report",
]


class TestAccess:
    @pytest.mark.parametrize("path", PATHS)
    async def test_not_on_a_universitys_host_whoever_asks(
        self, client: httpx.AsyncClient, token_for: TokenFactory, path: str
    ) -> None:
        url = f"/t/alpha/api/v1/national{path}"
        assert (await client.get(url)).status_code == 404
        for role in (Role.ADMIN, Role.INTEGRATION):
            assert (await client.get(url, headers=await token_for("alpha", role))).status_code == 404

    @pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMIN, Role.INTEGRATION])
    async def test_the_ministrys_readers(
        self, client: httpx.AsyncClient, token_for: TokenFactory, role: Role
    ) -> None:
        assert (await client.get(f"{N}/kpi", headers=await token_for("national", role))).status_code == 200

    async def test_others_are_refused(self, client: httpx.AsyncClient, token_for: TokenFactory) -> None:
        assert (await client.get(f"{N}/kpi")).status_code == 401
        teacher = await token_for("national", Role.TEACHER)
        assert (await client.get(f"{N}/kpi", headers=teacher)).status_code == 403
        alpha = await token_for("alpha", Role.ADMIN)
        assert (await client.get(f"{N}/kpi", headers=alpha)).status_code == 401  # another tenant's token


class TestRefusals:
    @pytest.mark.parametrize(
        ("path", "params", "field"),
        [
            ("/breakdowns/contingent", {"by": "shoe_size"}, "by"),
            ("/breakdowns/contingent", {"by": "gender,gender"}, "by"),
            ("/breakdowns/staff", {"by": "payment_form"}, "by"),
            ("/breakdowns/contingent", {"sort": "-height"}, "sort"),
            ("/kpi", {"month": "2026-13"}, "month"),
            ("/kpi", {"level": "planet"}, "level"),
            ("/kpi", {"sort": "beauty"}, "sort"),
            ("/kpi/trend", {"from": "2026-05", "to": "2026-01"}, "from"),
            ("/kpi/trend", {"from": "2000-01", "to": "2026-01"}, "to"),
            ("/kpi/trend", {"level": "region", "code": "9999"}, "code"),
            ("/kpi/trend", {"level": "university"}, "code"),
            ("/registry/transfers", {"since": "yesterday"}, "since"),
        ],
    )
    async def test_bad_input_is_a_4xx_naming_the_field_in_russian(
        self,
        client: httpx.AsyncClient,
        ministry: dict[str, str],
        path: str,
        params: dict[str, str],
        field: str,
    ) -> None:
        response = await client.get(f"{N}{path}", params={**params, "l": "ru"}, headers=ministry)
        assert 400 <= response.status_code < 500, response.text
        body = response.json()
        assert body["field"] == field, body
        assert any("а" <= ch <= "я" for ch in body["detail"].lower()), body["detail"]

    async def test_an_unknown_university_is_404_naming_it(
        self, client: httpx.AsyncClient, ministry: dict[str, str]
    ) -> None:
        response = await client.get(
            f"{N}/kpi/trend", params={"level": "university", "code": "nosuch", "l": "en"}, headers=ministry
        )
        assert response.status_code == 404
        assert response.json()["field"] == "code" and "nosuch" in response.json()["detail"]
