"""The ministry console on the national host (issue 5): platform staff sign in, pick a
university and work in it under a banner; ministry super-admins read and write, support staff
read only with a grant and without personal data; every request is audited in `shared`, and
nothing here opens a university's console to anyone else."""

from __future__ import annotations

import html
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.config import Settings
from hemis.core.auth import Role
from hemis.support.models import PlatformAccount, PlatformAuditEvent
from tenants.context import TenantRef
from tenants.session import shared_session
from tenants.testing import run_as_tenant
from tests.admin.test_console import signed_in
from tests.conftest import TokenFactory
from tests.support.test_support_access import REASON, new_staff, now_code, staff_login

M = "/t/national/admin"


async def console_login(
    client: httpx.AsyncClient, staff: dict[str, Any], code: str | None = None
) -> httpx.Response:
    form = {
        "username": staff["username"],
        "password": staff["password"],
        "code": code or now_code(staff["secret"]),
    }
    return await client.post(f"{M}/login", data=form)


async def csrf_headers(client: httpx.AsyncClient, console: str) -> dict[str, str]:
    """piccolo-admin's double-submit CSRF token, as its page sends it (its cookie is in the jar)."""
    assert (await client.get(f"{console}/")).status_code == 200
    return {"X-CSRFToken": client.cookies["csrftoken"]}


async def shared_audit(owner: AsyncEngine, username: str) -> list[tuple[str, str, str, str]]:
    async with AsyncSession(owner) as session:
        rows = await session.execute(
            text(
                "SELECT e.tenant_code, e.action, e.method, e.path FROM shared.platform_audit_event e "
                "JOIN shared.platform_account a ON a.id = e.account_id WHERE a.username = :u ORDER BY e.id"
            ),
            {"u": username},
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


class TestSignInAndPicker:
    async def test_staff_sign_in_with_totp_and_see_the_universities(
        self, client: httpx.AsyncClient, owner: AsyncEngine
    ) -> None:
        page = await client.get(f"{M}/")
        assert page.status_code == 200 and 'action="/t/national/admin/login"' in page.text
        assert "Autentifikator kodi" in page.text  # Uzbek by default
        staff = await new_staff(owner, "ministry_admin")
        wrong = await console_login(
            client, staff, "000000" if now_code(staff["secret"]) != "000000" else "111111"
        )
        assert wrong.status_code == 401
        assert "Foydalanuvchi nomi, parol yoki autentifikator kodi noto'g'ri." in html.unescape(wrong.text)
        assert "hemis_staff_console" not in wrong.cookies
        signed = await console_login(client, staff)
        assert signed.status_code == 303 and signed.headers["location"] == f"{M}/"
        assert "path=/t/national/admin" in signed.headers["set-cookie"].lower()
        assert "httponly" in signed.headers["set-cookie"].lower()
        listing = await client.get(f"{M}/")
        assert f'href="{M}/u/alpha/"' in listing.text and f'href="{M}/u/beta/"' in listing.text
        found = await client.get(f"{M}/", params={"q": "alph", "l": "en"})
        assert f"{M}/u/alpha/" in found.text and f"{M}/u/beta/" not in found.text
        assert "Ministry console" in found.text
        # The same code cannot sign in twice.
        client.cookies.clear()
        assert (await console_login(client, staff, now_code(staff["secret"]))).status_code == 401

    async def test_the_picked_university_is_named_in_a_banner(
        self, client: httpx.AsyncClient, owner: AsyncEngine
    ) -> None:
        staff = await new_staff(owner, "ministry_admin")
        assert (await console_login(client, staff)).status_code == 303
        page = await client.get(f"{M}/u/alpha/", params={"l": "ru"})
        assert page.status_code == 200
        assert "data-hemis-banner" in page.text and "(alpha)" in page.text
        assert "Консоль министерства" in page.text
        assert (await client.get(f"{M}/u/nowhere/")).status_code == 404


class TestMinistryAdmin:
    async def test_works_in_any_university_and_every_request_is_audited_in_shared(
        self, client: httpx.AsyncClient, owner: AsyncEngine, token_for: TokenFactory,
        settings: Settings,
    ) -> None:  # fmt: skip
        staff = await new_staff(owner, "ministry_admin")
        assert (await console_login(client, staff)).status_code == 303
        tables = await client.get(f"{M}/u/alpha/api/tables/")
        assert tables.status_code == 200 and "student" in tables.json()
        headers = await csrf_headers(client, f"{M}/u/beta")
        name = f"Vazirlik binosi {uuid.uuid4().hex[:6]}"
        made = await client.post(
            f"{M}/u/beta/api/tables/building/", json={"name": name, "address": "Toshkent"}, headers=headers
        )
        assert made.status_code == 201, made.text
        registrar = {
            "alpha": await token_for("alpha", Role.REGISTRAR),
            "beta": await token_for("beta", Role.REGISTRAR),
        }
        in_beta = await client.get(
            "/t/beta/api/v1/structure/buildings", params={"search": name}, headers=registrar["beta"]
        )
        in_alpha = await client.get(
            "/t/alpha/api/v1/structure/buildings", params={"search": name}, headers=registrar["alpha"]
        )
        assert [b["name"] for b in in_beta.json()["items"]] == [name]
        assert in_alpha.json()["items"] == []
        # The university's audit names the ministry person; the shared trail has every request.
        async with AsyncSession(owner) as session:
            account_id = await session.scalar(
                select(PlatformAccount.id).where(PlatformAccount.username == staff["username"])
            )
        actors = await run_as_tenant(
            owner, settings.tenancy.role_prefix, "beta",
            f"SELECT actor FROM audit_event WHERE entity = 'building' AND entity_id = '{made.json()[0]['id']}'",
        )  # fmt: skip
        assert [a[0] for a in actors] == [f"platform:{account_id}"]
        trail = await shared_audit(owner, staff["username"])
        assert ("alpha", "console.read", "GET", f"{M}/u/alpha/api/tables/") in trail
        assert ("beta", "console.write", "POST", f"{M}/u/beta/api/tables/building/") in trail
        assert ("beta", "console.read", "GET", f"{M}/u/beta/") in trail  # opening it

    async def test_the_app_cannot_rewrite_the_shared_trail(
        self, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        for statement in (update(PlatformAuditEvent).values(path="x"), delete(PlatformAuditEvent)):
            async with shared_session(maker) as session:
                with pytest.raises(DBAPIError, match="permission denied for table platform_audit_event"):
                    await session.execute(statement)


class TestSupportStaff:
    async def test_read_only_in_the_granted_university_only_without_personal_data(
        self, client: httpx.AsyncClient, owner: AsyncEngine, token_for: TokenFactory
    ) -> None:
        staff = await new_staff(owner, "support")
        assert (await console_login(client, staff)).status_code == 303
        assert "Ochish mumkin bo'lgan universitet yo'q." in html.unescape((await client.get(f"{M}/")).text)
        assert (await client.get(f"{M}/u/alpha/api/tables/")).status_code == 401  # no grant yet
        # A grant through the platform API (its cookie lives under /api/v1/platform).
        assert (await staff_login(client, staff, now_code(staff["secret"], 1))).status_code == 204
        granted = await client.post(
            "/api/v1/platform/support-grants", json={"tenant_code": "alpha", "reason": REASON, "minutes": 30}
        )
        assert granted.status_code == 201, granted.text
        listing = (await client.get(f"{M}/")).text
        assert f"{M}/u/alpha/" in listing and f"{M}/u/beta/" not in listing
        tables = await client.get(f"{M}/u/alpha/api/tables/")
        assert tables.status_code == 200, tables.text
        assert "department" in tables.json()
        assert not set(tables.json()) & {
            "student",
            "employee",
            "student_status_change",
            "audit_event",
            "support_access",
        }
        assert (await client.get(f"{M}/u/alpha/api/tables/student/")).status_code in (401, 404)
        headers = await csrf_headers(client, f"{M}/u/alpha")
        write = await client.post(
            f"{M}/u/alpha/api/tables/building/",
            json={"name": "Yordam binosi", "address": "-"},
            headers=headers,
        )
        assert write.status_code == 405
        assert (await client.get(f"{M}/u/beta/api/tables/")).status_code == 401  # no grant there
        # The university's admin sees the console reads under the grant, the refused write too.
        admin = await token_for("alpha", Role.ADMIN)
        key = granted.json()["key"]
        reads = (await client.get(f"/t/alpha/api/v1/support-access/{key}/reads", headers=admin)).json()
        assert {(r["method"], r["path"]) for r in reads} >= {
            ("GET", f"{M}/u/alpha/api/tables/"),
            ("POST", f"{M}/u/alpha/api/tables/building/"),
        }
        # Revoked, the console closes at once.
        revoked = await client.post(f"/api/v1/platform/support-grants/{granted.json()['id']}/revoke")
        assert revoked.status_code == 200
        assert (await client.get(f"{M}/u/alpha/api/tables/")).status_code == 401


class TestIsolation:
    async def test_a_university_session_opens_no_ministry_console_and_no_other_university(
        self, client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef],
        owner: AsyncEngine,
    ) -> None:  # fmt: skip
        admin = await signed_in(client, maker, tenants["alpha"])
        assert (await client.get(f"{M}/u/alpha/api/tables/", headers=admin)).status_code == 401
        # The ministry's paths mean nothing on a university's host.
        assert (await client.get("/t/alpha/admin/u/beta/api/tables/", headers=admin)).status_code == 404
        # A ministry cookie does not open a university's own console.
        staff = await new_staff(owner, "ministry_admin")
        signed = await console_login(client, staff)
        cookie = {"Cookie": f"hemis_staff_console={signed.cookies['hemis_staff_console']}"}
        client.cookies.clear()
        assert (await client.get("/t/alpha/admin/api/tables/", headers=cookie)).status_code == 401
