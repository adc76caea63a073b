"""The portal's browser tests on a phone: a 390×844 page in the real chromium that records what the
strict CSP refused, the local sign-in form, and where screenshots go."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

from hemis.config import REPO_ROOT
from tests.portal.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}
SHOTS = REPO_ROOT / ".hemis" / "screenshots" / "portal"  # printed by the runs, kept for people to look at


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    blocked: list[str] = field(default_factory=list)  # what the Content Security Policy refused

    def watch(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.blocked.append(message.text)


async def open_phone(browser: Browser) -> Phone:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="uz-UZ")
    phone = Phone(context, await context.new_page())
    phone.page.on("console", phone.watch)
    return phone


async def sign_in_locally(page: Page, served: str, username: str, password: str = PASSWORD) -> None:
    """The portal's own sign-in form at alpha, submitted with the keyboard."""
    await page.goto(f"{served}/t/alpha/portal/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")
