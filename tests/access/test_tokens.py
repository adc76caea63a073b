"""API tokens: a token works at its own university only, with its own roles, until revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.access.service import ApiTokenService
from hemis.core.auth import Role
from tenants.context import TenantRef
from tenants.session import tenant_session


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
        assert all(set(t) == {"id", "name", "roles", "created_at", "revoked_at"} for t in response.json())

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
