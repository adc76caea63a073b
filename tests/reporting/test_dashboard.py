"""A university's own dashboard on its host: its KPIs as the ministry sees them, beside its region's
and the country's totals, whether changes wait, who may read it — and that nothing of another
university comes out of it, whatever is asked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.reporting.conftest import N, enrol, xlsx_rows

D = "/t/alpha/api/v1/dashboard"


@pytest.fixture
async def staff(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ADMIN)


class TestDashboard:
    async def test_its_figures_are_the_ministrys_and_beside_them_the_totals(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        ministry: dict[str, str],
        staff: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
    ) -> None:
        await enrol(client, "alpha", group, admin)
        await recompute()
        board = await client.get(D, headers=staff)
        assert board.status_code == 200, board.text
        body = board.json()
        national = (await client.get(f"{N}/kpi", params={"limit": 200}, headers=ministry)).json()
        assert body["month"] == national["month"]
        [alpha] = [line for line in national["items"] if line["code"] == "alpha"]
        assert body["university"] == alpha
        country = (await client.get(f"{N}/kpi", params={"level": "country"}, headers=ministry)).json()
        assert body["country"]["sums"] == country["items"][0]["sums"]
        regions = (await client.get(f"{N}/kpi", params={"level": "region"}, headers=ministry)).json()
        [region] = [r for r in regions["items"] if r["code"] == alpha["region_code"]]
        assert body["region"]["sums"] == region["sums"]
        assert len(body["trend"]) == 12 and body["trend"][-1]["university"] == alpha

    async def test_the_trend_has_the_months_asked(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        body = (await client.get(D, params={"months": 3}, headers=staff)).json()
        assert len(body["trend"]) == 3
        refused = await client.get(D, params={"months": 61, "l": "en"}, headers=staff)
        assert refused.status_code == 422 and refused.json()["field"] == "months"

    async def test_changes_not_rolled_up_yet_are_pending(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        staff: dict[str, str],
        admin: dict[str, str],
        group: dict[str, Any],
    ) -> None:
        await recompute()
        assert (await client.get(D, headers=staff)).json()["freshness"]["pending"] is False
        await enrol(client, "alpha", group, admin)
        waiting = (await client.get(D, headers=staff)).json()["freshness"]
        assert waiting["pending"] is True and waiting["pending_since"] is not None
        await recompute()
        assert (await client.get(D, headers=staff)).json()["freshness"]["pending"] is False

    async def test_another_universitys_change_reaches_the_totals_beside_it(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        worker: Any,
        staff: dict[str, str],
        beta_registrar: dict[str, str],
        beta_group: dict[str, Any],
    ) -> None:
        """The answer is kept until the figures change, and the country's total changing with
        beta's new student is a change alpha's dashboard sees (the worker stamps the totals)."""
        await recompute()
        before = (await client.get(D, headers=staff)).json()
        await enrol(client, "beta", beta_group, beta_registrar)
        await worker.run_once()  # only beta is rolled up
        after = (await client.get(D, headers=staff)).json()
        assert after["country"]["sums"]["students"] == before["country"]["sums"]["students"] + 1
        assert after["university"] == before["university"]


class TestAccess:
    @pytest.mark.parametrize("role", [Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.ACCOUNTANT])
    async def test_the_universitys_offices_read_it(
        self, client: httpx.AsyncClient, token_for: TokenFactory, role: Role
    ) -> None:
        assert (await client.get(D, headers=await token_for("alpha", role))).status_code == 200

    @pytest.mark.parametrize("role", [Role.TEACHER, Role.STUDENT, Role.TUTOR, Role.ANALYST])
    async def test_others_are_refused(
        self, client: httpx.AsyncClient, token_for: TokenFactory, role: Role
    ) -> None:
        assert (await client.get(D, headers=await token_for("alpha", role))).status_code == 403
        assert (await client.get(D)).status_code == 401

    async def test_not_on_the_ministrys_host(
        self, client: httpx.AsyncClient, ministry: dict[str, str]
    ) -> None:
        for path in ("", "/export", "/report"):
            assert (
                await client.get(f"/t/national/api/v1/dashboard{path}", headers=ministry)
            ).status_code == 404


class TestIsolation:
    async def test_nothing_of_another_university_by_any_parameter(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        staff: dict[str, str],
        token_for: TokenFactory,
        beta_registrar: dict[str, str],
        beta_group: dict[str, Any],
    ) -> None:
        await enrol(client, "beta", beta_group, beta_registrar)
        await recompute()
        mine = (await client.get(D, headers=staff)).json()
        for params in ({"university": "beta"}, {"code": "beta"}, {"tenant": "beta"}, {"level": "university"}):
            asked = (await client.get(D, params=params, headers=staff)).json()
            assert asked["university"] == mine["university"], params
        assert mine["university"]["code"] == "alpha"
        for point in mine["trend"]:
            assert point["university"] is None or point["university"]["code"] == "alpha"
        # alpha's dashboard files name no other university.
        csv_text = (await client.get(f"{D}/export", headers=staff)).content.decode("utf-8-sig")
        xlsx = xlsx_rows((await client.get(f"{D}/export", params={"format": "xlsx"}, headers=staff)).content)
        assert "beta" not in csv_text.lower()
        assert not any("beta" in str(cell).lower() for row in xlsx for cell in row)
        # beta's dashboard with alpha's credentials, alpha's paths to the national API: nothing.
        assert (await client.get("/t/beta/api/v1/dashboard", headers=staff)).status_code == 401
        for path in ("/kpi", "/universities", "/breakdowns/contingent", "/registry/duplicates"):
            assert (await client.get(f"/t/alpha/api/v1/national{path}", headers=staff)).status_code == 404
        beta_own = (
            await client.get("/t/beta/api/v1/dashboard", headers=await token_for("beta", Role.ADMIN))
        ).json()
        assert beta_own["university"]["code"] == "beta"
