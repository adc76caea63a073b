"""The portal in a real browser (Debian chromium, headless, Playwright) on a phone-sized screen,
against the app served by uvicorn and the real OpenID provider of tests/oidc_provider.py: a student
signs in by single sign-on, sees this week's schedule and their marks, then a mark entered through the API on reload, and
switches the language to Russian. Each student page is screenshotted into .hemis/screenshots/portal/
and its HTML is held under 100 KB."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.async_api import async_playwright, expect

from hemis.core.auth import Role
from hemis.core.clock import local_today
from tests.accessibility import audit
from tests.admin.test_browser import chromium, served  # noqa: F401  (fixture reused)
from tests.conftest import TokenFactory
from tests.identity.test_sso import SECRET, register
from tests.oidc_provider import Client, DevProvider
from tests.portal.conftest import LIMIT
from tests.portal.phone import SHOTS
from tests.results.conftest import Term
from tests.timetable.conftest import build_world, lesson_for

PAGES = {
    "home": "/",
    "marks": "/marks",
    "attendance": "/attendance",
    "finance": "/finance",
    "stipends": "/stipends",
    "notifications": "/notifications",
}


async def test_a_student_signs_in_by_sso_and_reads_their_pages_on_a_phone(
    served: str,  # noqa: F811
    client: httpx.AsyncClient,
    token_for: TokenFactory,
    term: Term,
) -> None:
    portal = f"{served}/t/alpha/portal"
    # A provider that knows this server's callback (its port is chosen per test).
    dev = DevProvider([Client("hemis-alpha", SECRET, [f"{served}/t/alpha/api/v1/auth/sso/callback"])]).start()
    try:
        idp: dict[str, Any] = await register(client, await token_for("alpha", Role.ADMIN), dev)
        student = await term.student(last_name="Yusupova", first_name="Madina")
        await term.marks(student, "A", "27", "18", "45")  # 90
        await term.absent(student, "B", 2)
        world = await build_world(client, term.headers)  # a teacher and a room for the student's group
        today = local_today()
        await lesson_for(client, world, term.group["id"], term.lines["A"]["id"], around=today)
        SHOTS.mkdir(parents=True, exist_ok=True)
        print(f"\nportal screenshots: {SHOTS}")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            try:
                context = await browser.new_context(
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=2,
                    is_mobile=True,
                    locale="uz-UZ",
                )
                page = await context.new_page()
                await page.goto(f"{portal}/")  # not signed in: the sign-in page
                await expect(page.locator("h1")).to_have_text("Kirish")
                await page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
                await page.click(f"[data-test=sso-{idp['id']}]")
                await page.wait_for_url(f"{dev.issuer}/interaction/**")
                # Play the person at the provider: sign in as a new `sub` whose PINFL is the student's.
                await page.goto(
                    f"{page.url}/login?sub=oneid-{uuid.uuid4().hex[:10]}&pinfl={student['pinfl']}"
                )
                await page.wait_for_url(f"{portal}/")
                await expect(page.locator("[data-test=who]")).to_contain_text("Yusupova Madina")
                await expect(page.locator(f"[data-test=subject-{term.lines['A']['id']}]")).to_contain_text(
                    "90"
                )
                # This week's schedule: the lecture of Fan A at the second pair (10:00-11:20).
                await expect(page.locator("[data-test=week]")).to_contain_text("Fan A")
                await expect(page.locator("[data-test=week]")).to_contain_text("10:00–11:20")
                for name, path in PAGES.items():
                    response = await page.goto(f"{portal}{path}")
                    assert response is not None and response.status == 200, name
                    assert len(await response.body()) <= LIMIT, name
                    # The page fits the phone's width: nothing scrolls sideways but the tables' own boxes.
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 390, (name, width)
                    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
                # Labels, contrast, names and structure of each page (axe-core, WCAG 2.1 AA).
                found = await audit(context, [f"{portal}{path}" for path in PAGES.values()])
                assert not any(found.values()), found
                # A mark entered afterwards through the API is there on reload.
                await page.goto(f"{portal}/marks")
                row = page.locator(f"[data-test=subject-{term.lines['B']['id']}]")
                await expect(row).not_to_contain_text("61")
                unread = page.locator("[data-test=unread]")
                before = int(await unread.inner_text())
                await term.marks(student, "B", "20", "11", "30")  # 61
                # The in-page fallback of push: the badge follows without a reload when the page
                # comes back into view (and once a minute).
                await page.evaluate("window.dispatchEvent(new Event('focus'))")
                await expect(unread).to_have_text(str(before + 3))
                await page.reload()
                await expect(row).to_contain_text("61")
                # Keyboard: the skip link is the first stop and takes the focus to the content.
                await page.keyboard.press("Tab")
                await expect(page.locator("a.skip")).to_be_focused()
                # The language switch: Russian texts, and the page says so.
                await page.click("[data-test=lang-ru]")
                await expect(page.locator("h1")).to_have_text("Оценки")
                await expect(page.locator("html")).to_have_attribute("lang", "ru")
                await page.screenshot(path=str(SHOTS / "marks-ru.png"), full_page=True)
                await page.click("[data-test=nav-home]")  # remembered without ?l=
                await expect(page.locator("h1")).to_have_text("Главная")
                # Signing out ends it: the portal asks to sign in again.
                await page.click("[data-test=sign-out]")
                await expect(page.locator("h1")).to_have_text("Вход")
            finally:
                await browser.close()
    finally:
        dev.stop()
