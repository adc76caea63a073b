"""The guardians' page in a real browser (Debian chromium, headless, Playwright) on a phone-sized
screen: a parent signs in through /portal/login and lands on their only child's page, which fits
the phone's width; a screenshot is kept in .hemis/screenshots/portal/guardian.png."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenants.context import TenantRef
from tests.accessibility import audit
from tests.admin.test_browser import chromium, served  # noqa: F401  (fixture reused)
from tests.portal.conftest import LIMIT
from tests.portal.phone import PHONE, SHOTS, open_phone, sign_in_locally
from tests.portal.test_guardian_pages import guardian_account, link
from tests.results.conftest import Term

pytestmark = pytest.mark.browser


async def test_a_parent_reads_their_childs_page_on_a_phone(
    served: str,  # noqa: F811
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    term: Term,
) -> None:
    child = await term.student(last_name="Yusupova", first_name="Madina")
    await term.marks(child, "A", "27", "18", "45")  # 90
    await term.absent(child, "B", 2)
    username, user_id = await guardian_account(maker, tenants["alpha"])
    await link(term, child, user_id)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            phone = await open_phone(browser)
            context, page, blocked = phone.context, phone.page, phone.blocked
            await sign_in_locally(page, served, username)
            # The portal's home sends a parent to their children; with one child, to that child's page.
            await page.wait_for_url(f"{served}/t/alpha/portal/children/{child['id']}")
            await expect(page.locator("h1")).to_have_text("Yusupova Madina")
            await expect(page.locator(f"[data-test=subject-{term.lines['A']['id']}]")).to_contain_text("90")
            await expect(page.locator("[data-test=attendance]")).to_contain_text("4/60")
            response = await page.reload()
            assert response is not None and response.status == 200
            assert len(await response.body()) <= LIMIT
            # The page fits the phone's width: nothing scrolls sideways but the tables' own boxes.
            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            await page.screenshot(path=str(SHOTS / "guardian.png"), full_page=True)
            assert blocked == []
            found = await audit(context, [page.url])  # axe-core, WCAG 2.1 AA
            assert not any(found.values()), found
        finally:
            await browser.close()
