"""The ministry's dashboard in a real browser (Debian chromium, headless, Playwright) on a phone-sized
screen: an analyst signs in through the page's form and sees the KPI table and a chart; the page
fits the screen's width; a screenshot is kept in .hemis/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.config import REPO_ROOT
from hemis.core.auth import Role
from hemis.reporting import rules
from hemis.rollups.models import Kpi
from tenants.context import TenantRef
from tenants.session import national_session
from tests.admin.test_browser import chromium, served  # noqa: F401  (fixture reused)
from tests.reporting.conftest import enrol
from tests.reporting.test_pages import PASSWORD, account

SHOTS = REPO_ROOT / ".hemis" / "screenshots"


@pytest.fixture
async def history(
    client: httpx.AsyncClient,
    recompute: Any,
    maker: async_sessionmaker[AsyncSession],
    admin: dict[str, str],
    group: dict[str, Any],
) -> AsyncIterator[None]:
    """Some students, and eleven earlier months of KPI rows (as the worker would have closed them),
    so the charts have something to draw; the earlier months are removed afterwards."""
    for n in range(4):
        await enrol(client, "alpha", group, admin, payment_form="11" if n % 2 else "12")
    await recompute()
    async with national_session(maker) as session:
        current = list((await session.scalars(select(Kpi).where(Kpi.tenant_role != ""))).all())
        month = max(k.month for k in current)
        months = rules.months_between(rules.months_back(month, 12), month)[:-1]
        rows = []
        for k in (k for k in current if k.month == month):
            base = {c.key: getattr(k, c.key) for c in Kpi.__table__.columns if c.key != "id"}
            for i, earlier in enumerate(months):
                rows.append(
                    base
                    | {"month": earlier, "planned_hours": 1000, "attended_hours": 700 + 15 * i,
                       "scored": 10, "score_sum": Decimal(650 + 10 * i), "paid": 100, "paid_online": 40 + 5 * i}
                )  # fmt: skip
        await session.execute(insert(Kpi), rows)
        await session.commit()
    yield
    async with national_session(maker) as session:
        await session.execute(delete(Kpi).where(Kpi.month.in_(months), Kpi.tenant_role != ""))
        await session.commit()


async def test_an_analyst_reads_the_dashboard_on_a_phone(
    served: str,  # noqa: F811
    history: None,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
) -> None:
    username = await account(maker, tenants["national"], Role.ANALYST)
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            context = await browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, locale="uz-UZ"
            )
            page = await context.new_page()
            await page.goto(f"{served}/t/national/dashboard/")
            await page.click("[data-test=sign-in]")
            await page.fill("#username", username)
            await page.fill("#password", PASSWORD)
            await page.click("[data-test=submit]")
            await expect(page.locator("[data-test=kpi-cards]")).to_be_visible()
            await expect(page.locator("[data-test=universities]")).to_contain_text("Alfa universiteti")
            chart = page.locator("svg[role=img]").first
            await expect(chart).to_be_visible()
            assert (await chart.bounding_box() or {}).get("width", 0) > 300
            # Nothing wider than the phone: no sideways scrolling of the page itself.
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            await page.screenshot(path=str(SHOTS / "ministry-dashboard-phone.png"), full_page=True)
            # The language switch keeps the person signed in and changes the page's words.
            await page.click("nav.lang a[lang=ru]")
            await expect(page.locator("h1")).to_have_text("Высшее образование: панель министерства")
            await expect(page.locator("[data-test=kpi-cards]")).to_be_visible()
        finally:
            await browser.close()
