"""The teacher's journal in a real browser (Debian chromium, headless, Playwright) on a phone-sized
screen: a teacher signs in through /portal/login, marks a lesson's attendance and a sheet's marks
for the whole group with the keyboard only, saves, and the API reads back what was saved. A
screenshot of each journal page is kept in .hemis/screenshots/portal/ (journal-*.png)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.accessibility import audit
from tests.admin.test_browser import chromium, served  # noqa: F401  (fixture reused)
from tests.portal.phone import PHONE, SHOTS, open_phone, sign_in_locally
from tests.portal.teaching import Class, klass  # noqa: F401  (fixture reused)
from tests.portal.test_journal import absent_hours, marks

pytestmark = pytest.mark.browser


async def shot(page: Page, name: str) -> None:
    """The page fits the phone's width (no sideways scrolling of the page itself); kept as a picture."""
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    await page.screenshot(path=str(SHOTS / f"journal-{name}.png"), full_page=True)


async def focused(page: Page) -> str:
    return str(await page.evaluate("document.activeElement && document.activeElement.id"))


async def test_a_teacher_marks_attendance_and_grades_with_the_keyboard(
    served: str,  # noqa: F811
    klass: Class,  # noqa: F811
    client: httpx.AsyncClient,
) -> None:
    s0, s1, s2 = (s["id"] for s in klass.students)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            phone = await open_phone(browser)
            context, page, blocked = phone.context, phone.page, phone.blocked
            await sign_in_locally(page, served, klass.teacher)
            await expect(page.locator("h1")).to_have_text("Darslarim")  # a teacher lands on the journal
            await expect(page.locator("[data-test=assignments]")).to_contain_text(klass.group["name"])
            await shot(page, "home")

            # Attendance: Space ticks, Tab moves, Enter on the button saves the lesson.
            await page.goto(f"{served}{klass.attendance_url()}")
            await page.focus(f"#a{s0}")
            await page.keyboard.press("Space")
            await page.keyboard.press("Tab")
            assert await focused(page) == f"h{s0}"
            await page.keyboard.press("Control+A")
            await page.keyboard.type("4")
            for _ in range(3):  # a(s1), h(s1), a(s2)
                await page.keyboard.press("Tab")
            assert await focused(page) == f"a{s2}"
            await page.keyboard.press("Space")
            await page.keyboard.press("Tab")
            await page.keyboard.press("Tab")
            await page.keyboard.press("Enter")
            await expect(page.locator("[data-test=saved]")).to_be_visible()
            await expect(page.locator(f"#a{s0}")).to_be_checked()
            await expect(page.locator(f"#a{s1}")).not_to_be_checked()
            await shot(page, "attendance")

            # Marks: type, Enter, type, Enter …; Enter after the last student reaches the button.
            await page.goto(f"{served}/t/alpha/portal/journal/sheets/{klass.sheet['id']}")
            await page.focus(f"#p{s0}")
            for points in ("25", "27,5", "19"):
                await page.keyboard.type(points)
                await page.keyboard.press("Enter")
            assert await focused(page) == ""  # the save button (it has no id)
            assert await page.evaluate("document.activeElement.dataset.test") == "save"
            await page.keyboard.press("Enter")
            await expect(page.locator("[data-test=saved]")).to_be_visible()
            await expect(page.locator(f"#p{s1}")).to_have_value("27,5")
            # ↑ goes back a student, ↓ forward, and neither changes the value.
            await page.focus(f"#p{s2}")
            await page.keyboard.press("ArrowUp")
            assert await focused(page) == f"p{s1}"
            await page.keyboard.press("ArrowDown")
            assert await focused(page) == f"p{s2}"
            await expect(page.locator(f"#p{s2}")).to_have_value("19")
            await shot(page, "sheet")

            await page.goto(f"{served}/t/alpha/portal/journal/sheets")
            await expect(page.locator(f"[data-test=sheet-{klass.sheet['id']}]")).to_be_visible()
            await shot(page, "sheets")
            await page.goto(
                f"{served}/t/alpha/portal/journal/absences?group_id={klass.group['id']}"
                f"&curriculum_subject_id={klass.line['id']}"
            )
            await expect(page.locator("[data-test=absences]")).to_be_visible()
            await shot(page, "absences")
            assert blocked == []  # nothing the strict CSP had to refuse
            # Labels, contrast, names and structure of every journal page (axe-core, WCAG 2.1 AA).
            pages = [f"{served}/t/alpha/portal/teacher", f"{served}/t/alpha/portal/journal/sheets"]
            pages += [f"{served}/t/alpha/portal/journal/sheets/{klass.sheet['id']}"]
            absences = f"group_id={klass.group['id']}&curriculum_subject_id={klass.line['id']}"
            pages += [f"{served}/t/alpha/portal/journal/absences?{absences}"]
            found = await audit(context, pages)
            assert not any(found.values()), found
        finally:
            await browser.close()

    # What the browser saved is what the API reads.
    auth = klass.world.auth
    assert [await absent_hours(client, auth, klass, s) for s in klass.students] == [4, 0, 2]
    stored = await marks(client, auth, klass.sheet["id"])
    assert {k: Decimal(m["points"]) for k, m in stored.items()} == {
        s0: Decimal(25),
        s1: Decimal("27.5"),
        s2: Decimal(19),
    }
