"""The dashboards as pages: the ministry's and a university's for their signed-in staff, the public
statistics for everyone else; languages, size, and what assistive technology needs."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.identity.models import UserAccount
from hemis.identity.users import UserService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.reporting.conftest import enrol

PASSWORD = "Vazirlik-parol-2026-kuchli"
LIMIT = 100 * 1024


async def account(maker: async_sessionmaker[AsyncSession], tenant: TenantRef, role: Role) -> str:
    """An account of `tenant` with `role` and a password it need not change; its user name."""
    username = f"panel{uuid.uuid4().hex[:8]}"
    async with tenant_session(maker, tenant) as session:
        user, _ = await UserService(session, actor="test").open_account(
            {"username": username, "display_name": "Tahlilchi", "roles": [role], "password": PASSWORD}
        )
        user.must_change_password = False
        await session.commit()
    return username


async def signed_in(client: httpx.AsyncClient, code: str, username: str) -> str:
    """Sign in through the page's form; the client keeps the cookie. The session's secret."""
    response = await client.post(
        f"/t/{code}/dashboard/login", data={"username": username, "password": PASSWORD, "l": "uz"}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/t/{code}/dashboard/")
    return str(response.cookies["hemis_session"])


def check_page(response: httpx.Response, language: str = "uz") -> str:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none'
    html = response.text
    assert len(response.content) <= LIMIT, len(response.content)
    assert f'<html lang="{language}"' in html
    charts = re.findall(r"<svg [^>]*>", html)
    assert charts, "no chart"
    for tag in charts:
        assert 'role="img"' in tag and "aria-labelledby" in tag
    assert html.count("<figure") == html.count("<details>") == len(charts)  # a table beside each chart
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    return html


@pytest.fixture
async def analyst(maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]) -> str:
    return await account(maker, tenants["national"], Role.ANALYST)


class TestMinistryPage:
    async def test_signed_in_analyst_sees_the_kpi_table_and_charts(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        analyst: str,
        admin: dict[str, str],
        group: dict[str, Any],
    ) -> None:
        await enrol(client, "alpha", group, admin)
        await recompute()
        await signed_in(client, "national", analyst)
        html = check_page(await client.get("/t/national/dashboard/"))
        assert 'data-test="kpi-cards"' in html and 'data-test="universities"' in html
        assert "Alfa universiteti" in html and "Beta universiteti" in html
        assert 'data-test="freshness"' in html
        ru = check_page(await client.get("/t/national/dashboard/", params={"l": "ru"}), "ru")
        assert "Высшее образование: панель министерства" in ru

    async def test_paging_sorting_and_a_bad_parameter(
        self, client: httpx.AsyncClient, recompute: Any, analyst: str
    ) -> None:
        await recompute()
        await signed_in(client, "national", analyst)
        page = await client.get("/t/national/dashboard/", params={"indicator": "e_payment_share", "page": 2})
        check_page(page)
        bad = await client.get("/t/national/dashboard/", params={"indicator": "luck", "l": "en"})
        assert bad.status_code == 422 and bad.json()["field"] == "indicator"

    async def test_a_wrong_password_is_refused_on_the_form_in_its_language(
        self, client: httpx.AsyncClient, analyst: str
    ) -> None:
        response = await client.post(
            "/t/national/dashboard/login", data={"username": analyst, "password": "notit", "l": "ru"}
        )
        assert response.status_code == 401
        assert 'data-test="error"' in response.text and 'lang="ru"' in response.text
        assert "hemis_session" not in response.headers.get("set-cookie", "")

    async def test_a_form_from_another_site_signs_nobody_in(
        self, client: httpx.AsyncClient, analyst: str
    ) -> None:
        response = await client.post(
            "/t/national/dashboard/login",
            data={"username": analyst, "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403 and "hemis_session" not in response.headers.get("set-cookie", "")

    async def test_signing_out_ends_the_session(
        self, client: httpx.AsyncClient, recompute: Any, analyst: str
    ) -> None:
        await recompute()
        secret = await signed_in(client, "national", analyst)
        out = await client.post("/t/national/dashboard/logout")
        assert out.status_code == 303 and "hemis_session" not in client.cookies
        client.cookies.set("hemis_session", secret)  # the old cookie, replayed
        again = await client.get("/t/national/dashboard/")
        assert 'data-test="kpi-cards"' not in again.text and 'data-test="sign-in"' in again.text


class TestUniversityPage:
    async def test_its_staff_see_its_figures_beside_the_totals(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        await recompute()
        username = await account(maker, tenants["alpha"], Role.REGISTRAR)
        await signed_in(client, "alpha", username)
        html = check_page(await client.get("/t/alpha/dashboard/", params={"l": "en"}), "en")
        assert 'data-test="kpi-own"' in html and "Alpha University: dashboard" in html
        assert "Beta" not in html

    async def test_a_ministry_role_at_a_university_gets_the_public_page(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        await recompute()
        # A university can no longer open an analyst (tests/identity/test_ministry_accounts.py);
        # one whose roles were set before that rule still gets only the public page.
        username = await account(maker, tenants["alpha"], Role.REGISTRAR)
        async with tenant_session(maker, tenants["alpha"]) as session:
            await session.execute(
                update(UserAccount).where(UserAccount.username == username).values(roles=[Role.ANALYST.value])
            )
            await session.commit()
        await signed_in(client, "alpha", username)
        html = check_page(await client.get("/t/alpha/dashboard/"))
        assert 'data-test="kpi-own"' not in html and 'data-test="totals"' in html


class TestPublicPages:
    @pytest.mark.parametrize("language", ["uz", "oz", "ru", "en"])
    async def test_the_country_for_anyone(
        self, client: httpx.AsyncClient, recompute: Any, language: str
    ) -> None:
        await recompute()
        expected = "uz-Cyrl" if language == "oz" else language
        html = check_page(await client.get("/t/national/dashboard/", params={"l": language}), expected)
        assert 'data-test="totals"' in html and 'data-test="universities"' in html
        assert 'data-test="kpi-cards"' not in html  # the ministry's page needs signing in

    async def test_a_university_for_anyone_counts_only_itself(
        self,
        client: httpx.AsyncClient,
        recompute: Any,
        admin: dict[str, str],
        group: dict[str, Any],
    ) -> None:
        await recompute()
        html = check_page(await client.get("/t/alpha/dashboard/"))
        assert "Alfa universiteti" in html and "Beta universiteti" not in html
