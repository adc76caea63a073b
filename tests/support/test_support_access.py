"""Platform staff: sign-in with a second factor always, and support access to a university that
is read-only, time-boxed, needs a reason, works in that university only, and is visible with
every read to that university's admin (issue 4)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hemis.core.auth import Role
from hemis.identity import totp
from hemis.support.service import open_staff_account
from tests.conftest import TokenFactory
from tests.students.conftest import student_body

P = "/api/v1/platform"
A = "/t/alpha/api/v1"
B = "/t/beta/api/v1"
REASON = "Ticket 4121: the registrar cannot see group DI-21's curriculum"


async def new_staff(owner: AsyncEngine, *roles: str) -> dict[str, Any]:
    async with AsyncSession(owner, expire_on_commit=False) as session:
        account, password, secret = await open_staff_account(
            session, f"staff{uuid.uuid4().hex[:8]}", "Yordam Xodimi", list(roles or ("support",))
        )
        await session.commit()
    return {"username": account.username, "password": password, "secret": secret}


def now_code(secret: str, offset: int = 0) -> str:
    return totp.code_at(secret, int(time.time() // totp.STEP) + offset)


async def staff_login(
    client: httpx.AsyncClient, staff: dict[str, Any], code: str | None = None
) -> httpx.Response:
    body = {
        "username": staff["username"],
        "password": staff["password"],
        "totp": code or now_code(staff["secret"]),
    }
    return await client.post(f"{P}/auth/login", json=body)


async def grant(
    client: httpx.AsyncClient, owner: AsyncEngine, tenant: str = "alpha", **overrides: Any
) -> tuple[httpx.Response, dict[str, Any]]:
    staff = await new_staff(owner)
    assert (await staff_login(client, staff)).status_code == 204
    body = {"tenant_code": tenant, "reason": REASON, "minutes": 30} | overrides
    return await client.post(f"{P}/support-grants", json=body), staff


def bearer(created: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {created.json()['token']}"}


class TestStaffSignIn:
    async def test_a_second_factor_is_always_needed_and_not_replayable(
        self, client: httpx.AsyncClient, owner: AsyncEngine
    ) -> None:
        staff = await new_staff(owner)
        wrong = await staff_login(
            client, staff, code="000000" if now_code(staff["secret"]) != "000000" else "111111"
        )
        assert wrong.status_code == 401
        code = now_code(staff["secret"])
        assert (await staff_login(client, staff, code)).status_code == 204
        me = await client.get(f"{P}/me")
        assert me.status_code == 200 and me.json()["roles"] == ["support"]
        client.cookies.clear()
        assert (await staff_login(client, staff, code)).status_code == 401  # the same code again
        assert (await client.get(f"{P}/me")).status_code == 401

    async def test_sign_in_attempts_are_limited_across_concurrent_requests(
        self, client: httpx.AsyncClient, owner: AsyncEngine
    ) -> None:
        staff = await new_staff(owner)
        wrong = {**staff, "password": "not-the-password"}
        answers = await asyncio.gather(*(staff_login(client, wrong) for _ in range(30)))
        statuses = [a.status_code for a in answers]
        assert statuses.count(401) <= 5 and statuses.count(429) >= 25  # checked at most the limit
        assert (await staff_login(client, staff)).status_code == 429  # now even the right answer waits

    async def test_staff_endpoints_do_not_exist_under_a_university(
        self, client: httpx.AsyncClient, owner: AsyncEngine
    ) -> None:
        staff = await new_staff(owner)
        body = {
            "username": staff["username"],
            "password": staff["password"],
            "totp": now_code(staff["secret"]),
        }
        assert (await client.post(f"/t/alpha{P}/auth/login", json=body)).status_code == 404


class TestSupportGrant:
    async def test_reads_only_in_the_granted_university_and_every_read_is_shown_to_its_admin(
        self, client: httpx.AsyncClient, owner: AsyncEngine, token_for: TokenFactory
    ) -> None:
        created, staff = await grant(client, owner)
        assert created.status_code == 201, created.text
        support = bearer(created)
        client.cookies.clear()  # the support person now works with the bearer token only
        read = await client.get(f"{A}/structure/departments", headers=support)
        assert read.status_code == 200, read.text
        # Read-only, whatever the handler would allow an admin.
        write = await client.post(
            f"{A}/structure/departments",
            json={"code": f"S{uuid.uuid4().hex[:6]}", "name": "Support fakulteti", "structure_type": "11"},
            headers=support,
        )
        assert write.status_code == 403
        # Not the admin's own screens: accounts, tokens, providers, the support records.
        for path in ("users", "access/tokens", "identity-providers", "support-access"):
            assert (await client.get(f"{A}/{path}", headers=support)).status_code == 403, path
        # Another university does not know the token.
        assert (await client.get(f"{B}/structure/departments", headers=support)).status_code == 401
        admin = await token_for("alpha", Role.ADMIN)
        [listed] = [
            g
            for g in (await client.get(f"{A}/support-access", headers=admin)).json()
            if g["grant_key"] == created.json()["key"]
        ]
        assert listed["reason"] == REASON and listed["staff_username"] == staff["username"]
        reads = (await client.get(f"{A}/support-access/{listed['grant_key']}/reads", headers=admin)).json()
        assert {(r["method"], r["path"]) for r in reads} >= {
            ("GET", f"{A}/structure/departments"),
            ("POST", f"{A}/structure/departments"),  # the refused write is on the record too
            ("GET", f"{A}/users"),  # and so are the refused reads
        }
        beta_admin = await token_for("beta", Role.ADMIN)
        beta_view = (await client.get(f"{B}/support-access", headers=beta_admin)).json()
        assert created.json()["key"] not in {g["grant_key"] for g in beta_view}

    async def test_no_personal_data(
        self, client: httpx.AsyncClient, owner: AsyncEngine, token_for: TokenFactory, group: dict[str, Any]
    ) -> None:
        registrar = await token_for("alpha", Role.REGISTRAR)
        student = await client.post(f"{A}/students", json=student_body(group), headers=registrar)
        created, _ = await grant(client, owner)
        client.cookies.clear()
        seen = await client.get(f"{A}/students/{student.json()['id']}", headers=bearer(created))
        assert seen.status_code == 200 and seen.json()["pinfl"] is None

    async def test_expired_or_revoked_grants_open_nothing(
        self, client: httpx.AsyncClient, owner: AsyncEngine
    ) -> None:
        created, _ = await grant(client, owner)
        support = bearer(created)
        revoked = await client.post(f"{P}/support-grants/{created.json()['id']}/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        client.cookies.clear()
        assert (await client.get(f"{A}/structure/departments", headers=support)).status_code == 401
        expiring, _ = await grant(client, owner)
        async with owner.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE shared.support_grant SET starts_at = now() - interval '2 hours', "
                    "expires_at = now() - interval '1 second' WHERE id = :id"
                ),
                {"id": expiring.json()["id"]},
            )
        client.cookies.clear()
        assert (await client.get(f"{A}/structure/departments", headers=bearer(expiring))).status_code == 401

    @pytest.mark.parametrize(
        ("field", "value"),
        [("reason", "help"), ("minutes", 241), ("minutes", 0), ("tenant_code", "nowhere")],
    )
    async def test_a_reason_a_time_box_and_a_known_university_are_required(
        self, client: httpx.AsyncClient, owner: AsyncEngine, field: str, value: Any
    ) -> None:
        refused, _ = await grant(client, owner, **{field: value})
        assert refused.status_code in (400, 422), refused.text
        assert refused.json()["field"] == field

    async def test_a_ministry_super_admin_oversees_but_cannot_open_grants(
        self, client: httpx.AsyncClient, owner: AsyncEngine
    ) -> None:
        created, _ = await grant(client, owner)
        client.cookies.clear()
        ministry = await new_staff(owner, "ministry_admin")
        assert (await staff_login(client, ministry)).status_code == 204
        listed = await client.get(f"{P}/support-grants")
        assert created.json()["id"] in {g["id"] for g in listed.json()}
        opened = await client.post(f"{P}/support-grants", json={"tenant_code": "alpha", "reason": REASON})
        assert opened.status_code in (401, 403)
        assert (await client.post(f"{P}/support-grants/{created.json()['id']}/revoke")).status_code == 200

    async def test_a_university_token_cannot_act_as_platform_staff(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        admin = await token_for("alpha", Role.ADMIN)
        assert (await client.get(f"{P}/support-grants", headers=admin)).status_code == 401
