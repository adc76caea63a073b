"""Students who sign in to the portal: a term with marks (tests.results.conftest) and an account
per student, signed in through the portal's own form."""

from __future__ import annotations

import html as html_text
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.identity.users import UserService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.finance.conftest import accountant, fake_stripe, fin, providers  # noqa: F401  (fixtures reused)
from tests.results.conftest import Term, term  # noqa: F401  (fixtures reused)
from tests.students.conftest import admin, group  # noqa: F401  (fixtures reused)

PASSWORD = "Talaba-parol-2026-kuchli"
P = "/t/alpha/portal"
LIMIT = 100 * 1024


async def student_account(
    maker: async_sessionmaker[AsyncSession],
    tenant: TenantRef,
    student_id: int | None,
    role: Role = Role.STUDENT,
) -> str:
    """An account linked to the student (or, with another role, to nobody); its user name."""
    username = f"talaba{uuid.uuid4().hex[:8]}"
    values: dict[str, Any] = {
        "username": username,
        "display_name": "Talaba",
        "roles": [role],
        "password": PASSWORD,
    }
    if student_id is not None:
        values["student_id"] = student_id
    async with tenant_session(maker, tenant) as session:
        user, _ = await UserService(session, actor="test").open_account(values)
        user.must_change_password = False
        await session.commit()
    return username


async def portal_sign_in(client: httpx.AsyncClient, username: str, code: str = "alpha") -> str:
    """Sign in through the portal's form; the client keeps the cookie. The session's secret."""
    response = await client.post(
        f"/t/{code}/portal/login", data={"username": username, "password": PASSWORD, "l": "uz"}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/t/{code}/portal/"
    return str(response.cookies["hemis_session"])


def check_page(response: httpx.Response, language: str = "uz") -> str:
    """A portal page as the issue asks: HTML under 100 KB, its language named, the strict policy."""
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert len(response.content) <= LIMIT, len(response.content)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.text
    assert f'<html lang="{language}"' in html
    assert "<script" not in html.replace("<script defer src=", "")  # no inline script
    assert " style=" not in html  # no inline style either (CSP style-src 'self')
    return html_text.unescape(html)  # the text as read, for the tests' assertions
