"""Accessibility of a page in the real browser: axe-core (infra/axe, installed from npm by the
suite when missing) runs its WCAG 2 A/AA rules in the page as the browser rendered it, which
checks what the issue asks (labels, contrast, names of controls, headings, `lang`) on the
computed styles, not on the HTML text."""

from __future__ import annotations

from typing import Any

from playwright.async_api import BrowserContext, Page

from hemis.config import REPO_ROOT
from tests.oidc_provider import ensure_npm_packages

AXE_DIR = REPO_ROOT / "infra" / "axe"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations of the page (the browser context needs bypass_csp:
    the portal's policy rightly refuses the injected script)."""
    ensure_npm_packages(AXE_DIR, "axe-core")
    await page.add_script_tag(path=str(AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"))
    found: list[dict[str, Any]] = await page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
            }));
        }""",
        WCAG,
    )
    return found


async def audit(context: BrowserContext, urls: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The violations of each page, opened as the person signed in to `context` is, in a second
    context of the same browser and screen that lets axe in (the first keeps the strict policy,
    so the tests still see what the policy would block)."""
    browser = context.browser
    assert browser is not None
    state = await context.storage_state()
    checker = await browser.new_context(
        storage_state=state, bypass_csp=True, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    try:
        page = await checker.new_page()
        found = {}
        for url in urls:
            response = await page.goto(url)
            assert response is not None and response.status < 400, (url, response and response.status)
            found[url] = await violations(page)
        return found
    finally:
        await checker.close()
