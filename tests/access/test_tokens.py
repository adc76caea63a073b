"""API tokens: a token works at its own university only, with its own roles, until revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.access.service import ApiTokenService
from hemis.config import Settings
from hemis.core.auth import Role
from tenants.context import TenantRef
from tenants.session import tenant_session
from tenants.testing import run_as_tenant


async def _issue(maker: async_sessionmaker[AsyncSession], tenant: TenantRef, *roles: Role) -> tuple[int, str]:
    async with tenant_session(maker, tenant) as session:
        token, secret = await ApiTokenService(session=session).issue("test", set(roles), by="test")
        await session.commit()
        return token.id, secret


@pytest.fixture
async def admin_token(
    maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
) -> AsyncIterator[str]:
    token_id, secret = await _issue(maker, tenants["alpha"], Role.ADMIN)
    yield secret
    async with tenant_session(maker, tenants["alpha"]) as session:
        await ApiTokenService(session=session).revoke(token_id, by="test")
        await session.commit()


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class TestAuthentication:
    async def test_token_works_at_its_university(self, client: httpx.AsyncClient, admin_token: str) -> None:
        response = await client.get("/t/alpha/api/v1/access/me", headers=_auth(admin_token))
        assert response.status_code == 200
        assert response.json()["tenant"] == "alpha"
        assert response.json()["roles"] == ["admin"]

    @pytest.mark.parametrize("other", ["/t/beta", "/t/national"])
    async def test_token_is_worthless_elsewhere(
        self, client: httpx.AsyncClient, admin_token: str, other: str
    ) -> None:
        response = await client.get(f"{other}/api/v1/access/me?l=en", headers=_auth(admin_token))
        assert response.status_code == 401
        assert response.json()["detail"] == "Please sign in first."

    @pytest.mark.parametrize("header", [None, "Bearer hemis_not-a-real-token", "Basic abc", "Bearer "])
    async def test_missing_or_bad_credentials_are_401(
        self, client: httpx.AsyncClient, header: str | None
    ) -> None:
        headers = {"Authorization": header} if header else {}
        response = await client.get("/t/alpha/api/v1/access/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "error.unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_revoked_token_is_401_at_once(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        token_id, secret = await _issue(maker, tenants["alpha"], Role.TEACHER)
        assert (await client.get("/t/alpha/api/v1/access/me", headers=_auth(secret))).status_code == 200
        async with tenant_session(maker, tenants["alpha"]) as session:
            await ApiTokenService(session=session).revoke(token_id, by="test")
            await session.commit()
        assert (await client.get("/t/alpha/api/v1/access/me", headers=_auth(secret))).status_code == 401


class TestAuthorisation:
    async def test_missing_role_is_403(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        _, secret = await _issue(maker, tenants["alpha"], Role.TEACHER)
        response = await client.get("/t/alpha/api/v1/access/tokens?l=ru", headers=_auth(secret))
        assert response.status_code == 403
        assert response.json()["detail"] == "Нет прав на это действие."

    async def test_admin_lists_tokens_without_secrets(
        self, client: httpx.AsyncClient, admin_token: str
    ) -> None:
        response = await client.get("/t/alpha/api/v1/access/tokens", headers=_auth(admin_token))
        assert response.status_code == 200
        assert response.json()
        assert admin_token not in response.text
        assert all(
            set(t) == {"id", "name", "roles", "created_at", "expires_at", "revoked_at"}
            for t in response.json()
        )

    async def test_tokens_of_one_university_are_not_listed_at_another(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            await ApiTokenService(session=session).issue("alpha-only-sync", {Role.INTEGRATION}, by="test")
            await session.commit()
        _, beta_admin = await _issue(maker, tenants["beta"], Role.ADMIN)
        listed = (await client.get("/t/beta/api/v1/access/tokens", headers=_auth(beta_admin))).json()
        assert listed
        assert "alpha-only-sync" not in {t["name"] for t in listed}


class TestLifetime:
    async def test_an_admin_issues_a_token_that_ends(
        self, client: httpx.AsyncClient, admin_token: str, owner: AsyncEngine, settings: Settings
    ) -> None:
        issued = await client.post(
            "/t/alpha/api/v1/access/tokens",
            json={"name": "Moodle sync", "roles": ["integration"], "days": 7},
            headers=_auth(admin_token),
        )
        assert issued.status_code == 201, issued.text
        body = issued.json()
        lifetime = datetime.fromisoformat(body["expires_at"]) - datetime.now(UTC)
        assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)
        assert (
            await client.get("/t/alpha/api/v1/access/me", headers=_auth(body["token"]))
        ).status_code == 200
        await run_as_tenant(
            owner, settings.tenancy.role_prefix, "alpha",
            f"UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = {int(body['id'])}",
        )  # fmt: skip
        assert (
            await client.get("/t/alpha/api/v1/access/me", headers=_auth(body["token"]))
        ).status_code == 401

    @pytest.mark.parametrize(
        ("field", "value"), [("days", 366), ("days", 0), ("roles", ["superuser"]), ("name", "")]
    )
    async def test_bad_requests_name_the_field(
        self, client: httpx.AsyncClient, admin_token: str, field: str, value: object
    ) -> None:
        body = {"name": "Moodle sync", "roles": ["integration"], "days": 30} | {field: value}
        refused = await client.post("/t/alpha/api/v1/access/tokens", json=body, headers=_auth(admin_token))
        assert refused.status_code in (400, 422) and refused.json()["field"].startswith(field)

    async def test_revoking_through_the_api_stops_it_and_only_admins_may(
        self, client: httpx.AsyncClient, admin_token: str, maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:  # fmt: skip
        token_id, secret = await _issue(maker, tenants["alpha"], Role.REGISTRAR)
        denied = await client.post(f"/t/alpha/api/v1/access/tokens/{token_id}/revoke", headers=_auth(secret))
        assert denied.status_code == 403
        revoked = await client.post(
            f"/t/alpha/api/v1/access/tokens/{token_id}/revoke", headers=_auth(admin_token)
        )
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert (await client.get("/t/alpha/api/v1/access/me", headers=_auth(secret))).status_code == 401
        _, beta_admin = await _issue(maker, tenants["beta"], Role.ADMIN)
        other = await client.post(
            f"/t/beta/api/v1/access/tokens/{token_id}/revoke", headers=_auth(beta_admin)
        )
        assert other.status_code == 404 or other.json()["id"] != token_id
