"""The accessibility check itself (tests/accessibility.py) finds what it must: a negative control
for the portal's browser tests, which assert it finds nothing on their pages."""

from __future__ import annotations

from playwright.async_api import async_playwright

from tests.accessibility import violations
from tests.admin.test_browser import chromium


async def test_axe_finds_an_unlabelled_input_and_grey_on_white_text() -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await (await browser.new_context()).new_page()
            await page.set_content(
                '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
                '<h1>Form</h1><input type="text"><p style="color:#bbb;background:#fff">faint</p>'
                "</main></body></html>"
            )
            found = {v["id"] for v in await violations(page)}
            assert {"label", "color-contrast"} <= found, found
            await page.set_content(
                '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
                '<h1>Form</h1><label for="x">Name</label><input id="x" type="text"><p>plain</p>'
                "</main></body></html>"
            )
            assert await violations(page) == []
        finally:
            await browser.close()
