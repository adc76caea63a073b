"""The registrar's timetable page in a real browser (Debian chromium, headless, Playwright) on a
phone-sized screen: the registrar signs in through /portal/login, adds a lecture through the form,
then fills it again for another group with the same teacher at the same time and is refused with
the first lesson named and the teacher's control marked. Screenshots go to
.hemis/screenshots/portal/ (timetable-*.png), beside the other portal pages'."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.core.clock import local_today
from hemis.timetable import rules
from tenants.context import TenantRef
from tests.accessibility import audit
from tests.admin.test_browser import chromium, served  # noqa: F401  (fixture reused)
from tests.portal.conftest import student_account
from tests.portal.phone import PHONE, SHOTS, open_phone, sign_in_locally
from tests.portal.test_timetable_page import lessons_of
from tests.timetable.conftest import World, world  # noqa: F401  (fixture reused)

pytestmark = pytest.mark.browser


async def shot(page: Page, name: str) -> None:
    """The page fits the phone's width (the week's grid scrolls inside its own box); kept as a picture.
    Whatever sticks out past the screen (outside the grid) is named in the failure."""
    wide = await page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > innerWidth && !e.closest('.scroll'))"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (name, wide)
    await page.screenshot(path=str(SHOTS / f"timetable-{name}.png"), full_page=True)


async def fill_lesson(page: Page, w: World, group: int, room: int) -> None:
    """Pick the group's week (today's), then fill the add form: teacher 0's lecture, Wednesday pair 2,
    from this week's Monday for two months."""
    monday, _ = rules.week_of(local_today())
    await page.select_option("#pick-group", str(w.groups[group]["id"]))
    await page.click("[data-test=pick] button")
    await page.select_option("#curriculum_subject_id", str(w.line["id"]))
    await page.select_option("#training_type", "11")
    await page.select_option("#employee_id", str(w.teachers[0]["id"]))
    await page.select_option("#auditorium_id", str(w.rooms[room]["id"]))
    await page.select_option("#weekday", "3")
    await page.select_option("#pair", "2")
    await page.fill("#valid_from", monday.isoformat())
    await page.fill("#valid_to", (monday + timedelta(days=60)).isoformat())


async def test_a_registrar_saves_a_lesson_and_a_clash_is_refused_naming_it(
    served: str,  # noqa: F811
    world: World,  # noqa: F811
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
) -> None:
    g0, g1 = world.groups
    registrar = await student_account(maker, tenants["alpha"], None, Role.REGISTRAR)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            phone = await open_phone(browser)
            context, page, blocked = phone.context, phone.page, phone.blocked
            await sign_in_locally(page, served, registrar)
            await expect(page.locator("h1")).to_have_text("Dars jadvali")  # the registrar lands here

            await fill_lesson(page, world, group=0, room=0)
            await page.click("[data-test=save]")
            await expect(page.locator("[data-test=saved]")).to_contain_text(world.subject_name)
            [made] = await lessons_of(client, world, g0)
            cell = page.locator(f"[data-test=lesson-{made['id']}]")
            await expect(cell).to_contain_text(world.subject_name)
            await expect(cell).to_contain_text("Rahimova D.A.")
            await shot(page, "week")

            # The same teacher at the same time for the other group: refused, the first lesson named.
            await fill_lesson(page, world, group=1, room=1)
            await page.press("#valid_to", "Enter")  # the keyboard submits the form too
            error = page.locator("[data-test=lesson-error]")
            await expect(error).to_contain_text("O'qituvchi bu vaqtda band: Chorshanba, 2-juftlikda")
            await expect(error).to_contain_text(world.subject_name)
            await expect(error).to_contain_text(g0["name"])
            teacher = page.locator("#employee_id")
            await expect(teacher).to_have_attribute("aria-invalid", "true")
            await expect(teacher).to_have_attribute("aria-describedby", "lesson-error")
            await expect(teacher).to_be_focused()  # the clashing control, ready to be changed
            await expect(page.locator("#auditorium_id")).to_have_value(str(world.rooms[1]["id"]))  # kept
            await shot(page, "clash")
            assert blocked == []  # nothing the strict CSP had to refuse
            # axe-core, WCAG 2.1 AA, on the week with its form (the refusal above answered a POST).
            found = await audit(context, [page.url.split("#")[0].replace("/timetable/lessons", "/timetable")])
            assert not any(found.values()), found
        finally:
            await browser.close()

    assert await lessons_of(client, world, g1) == []  # the refused lesson was never written
    assert len(await lessons_of(client, world, g0)) == 1
