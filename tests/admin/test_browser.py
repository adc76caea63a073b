"""The admin console in a real browser (Debian chromium, headless, driven by Playwright) against
the app served by uvicorn on 127.0.0.1: sign in with password and TOTP, create a grading scale
(first with borders the service refuses, in Uzbek), edit a curriculum subject, and see both in
the API. The suite installs chromium from Debian when it is missing."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.app import HemisApp
from hemis.core.auth import Role
from hemis.identity import totp
from hemis.identity.users import UserService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.grading.test_scales import scale_body
from tests.results.conftest import Term
from tests.support.test_support_access import new_staff, now_code

PASSWORD = "Admin-parol-2026-kuchli"


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"], check=True, env=env, stdout=subprocess.DEVNULL
        )
        found = shutil.which("chromium")
    if found is None:
        raise RuntimeError("the browser tests need Debian's chromium: apt-get install chromium")
    return found


@pytest.fixture
async def served(app: HemisApp) -> AsyncIterator[str]:
    """The test app on a real port (its lifespan already runs in the `app` fixture)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def admin_account(maker: async_sessionmaker[AsyncSession], tenant: TenantRef) -> tuple[str, str]:
    username = f"konsol{uuid.uuid4().hex[:6]}"
    async with tenant_session(maker, tenant) as session:
        user, secret = await UserService(session, actor="test").open_account(
            {
                "username": username,
                "display_name": "Konsol Admin",
                "roles": [Role.ADMIN],
                "password": PASSWORD,
            }
        )
        user.must_change_password = False
        await session.commit()
    assert secret is not None
    return username, secret


async def sign_in(page: Page, base: str, username: str, secret: str) -> None:
    await page.goto(f"{base}/t/alpha/admin/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-uitest=login_button]")
    await page.fill("input[placeholder='123456']", totp.code_at(secret, int(time.time() // totp.STEP)))
    await page.click("[data-uitest=login_button]")
    await page.wait_for_selector("[data-uitest=nav_dropdown_button]")


async def open_form(page: Page, url: str, table: str) -> None:
    """Open the add page once its schema and defaults have come: the form is drawn from both, and
    whichever answers last redraws the inputs, so typing before that loses what was typed."""
    async with (
        page.expect_response(lambda r: r.url.endswith(f"/tables/{table}/schema/")),
        page.expect_response(lambda r: r.url.endswith(f"/tables/{table}/new/")),
    ):
        await page.goto(url)
    await page.locator("input[name=code]").wait_for()


async def test_an_admin_works_in_the_console_in_a_browser(
    served: str, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef], term: Term,
    token_for: TokenFactory, client: httpx.AsyncClient,
) -> None:  # fmt: skip
    username, secret = await admin_account(maker, tenants["alpha"])
    api = await token_for("alpha", Role.ADMIN)
    bad = scale_body(min_good="92")
    expected = (await client.post("/t/alpha/api/v1/grading/scales", json=bad, headers=api)).json()["detail"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await (await browser.new_context(locale="uz-UZ")).new_page()
            await sign_in(page, served, username, secret)
            # A grading scale whose grade-5 border is not above grade 4: refused, in Uzbek.
            await open_form(page, f"{served}/t/alpha/admin/#/grading_scale/add/", "grading_scale")
            # Its fields are labelled in Uzbek (admin.labels), not with the column names.
            await expect(
                page.locator("label").filter(has_text="«5» (a'lo) uchun eng kam ball").first
            ).to_be_visible()
            fields = ("code", "name", "marking_system", "max_points", "min_excellent", "min_good",
                      "min_satisfactory", "pass_points", "final_attempts", "gpa_limit")  # fmt: skip
            for field in fields:
                await page.fill(f"input[name={field}]", str(bad[field]))
            for field in fields:
                await expect(page.locator(f"input[name={field}]")).to_have_value(str(bad[field]))
            await page.click("[data-uitest=create_button]")
            # The form shows the API's own message for the same body, word for word.
            await page.get_by_text(expected, exact=True).wait_for(timeout=10_000)
            # Fixed, it is created, and the API has it. The refusal's popup ("The form has errors.")
            # lies over the bottom of the page where the button may be: closed first, as a person would.
            popup = page.locator("#message_popup")
            if await popup.is_visible():
                await popup.locator("a").click()
                await popup.wait_for(state="hidden")
            await page.fill("input[name=min_good]", "75")
            await page.click("[data-uitest=create_button]")
            await page.get_by_text("Successfully added row").wait_for()
            scales = (await client.get("/t/alpha/api/v1/grading/scales", headers=api)).json()["items"]
            assert bad["code"] in {s["code"] for s in scales}
            # A curriculum subject's lecture hours, edited in the console, are what the API reads.
            line = term.lines["A"]
            await page.goto(f"{served}/t/alpha/admin/#/curriculum_subject/{line['id']}/")
            hours = page.locator("input[name=lecture_hours]")
            await hours.wait_for()
            await hours.fill("44")
            await page.click("[data-uitest=save_button]")
            await page.get_by_text("Successfully saved row").wait_for()
        finally:
            await browser.close()
    subjects = await client.get(f"/t/alpha/api/v1/curricula/{line['curriculum_id']}/subjects", headers=api)
    [edited] = [s for s in subjects.json() if s["id"] == line["id"]]
    assert edited["lecture_hours"] == 44


async def test_a_ministry_admin_picks_a_university_in_a_browser(served: str, owner: AsyncEngine) -> None:
    staff = await new_staff(owner, "ministry_admin")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await (await browser.new_context(locale="uz-UZ")).new_page()
            await page.goto(f"{served}/t/national/admin/")
            await page.fill("#username", staff["username"])
            await page.fill("#password", staff["password"])
            await page.fill("#code", now_code(staff["secret"]))
            await page.click("[data-test=sign-in]")
            await page.fill("input[name=q]", "alpha")
            await page.press("input[name=q]", "Enter")
            await page.click("[data-test=open-alpha]")
            # The university's console, under a banner that names it, with the console's own menu.
            banner = page.locator("[data-hemis-banner]")
            await expect(banner).to_contain_text("(alpha)")
            await expect(banner).to_contain_text("Vazirlik konsoli")
            await page.wait_for_selector("[data-uitest=nav_dropdown_button]")
            await page.goto(f"{served}/t/national/admin/u/alpha/#/department")
            await expect(page.get_by_text("department").first).to_be_visible()
        finally:
            await browser.close()
