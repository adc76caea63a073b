"""Host → tenant at the edge: known hosts and /t/<code>/ resolve; anything else is a 404."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.core.errors import PROBLEM_MEDIA_TYPE
from tenants.context import TenantRef
from tenants.guards import tenant_kind_guard
from tenants.resolver import TenantResolver, normalise_host


class TestHostRouting:
    @pytest.mark.parametrize(
        ("host", "code"),
        [
            ("alpha.hemis.localhost", "alpha"),
            ("beta.localhost:8000", "beta"),
            ("ALPHA.LOCALHOST", "alpha"),
            ("national.localhost", "national"),
        ],
    )
    async def test_known_host_serves_its_tenant(
        self, client: httpx.AsyncClient, host: str, code: str
    ) -> None:
        response = await client.get("/api/v1/institution", headers={"Host": host})
        assert response.status_code == 200
        assert response.json()["tenant_code"] == code

    async def test_subfolder_serves_its_tenant(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/t/beta/api/v1/institution")
        assert response.json()["tenant_code"] == "beta"

    async def test_unknown_host_is_404_problem_in_callers_language(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/api/v1/institution", headers={"Host": "gamma.localhost", "Accept-Language": "ru-RU,ru;q=0.9"}
        )
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
        body = response.json()
        assert body["code"] == "tenant.unknown_host"
        assert "gamma.localhost" in body["detail"] and "не найден" in body["detail"]

    async def test_unknown_host_never_falls_back_even_for_platform_routes(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/v1/classifiers", headers={"Host": "evil.example.com"})
        assert response.status_code == 404

    async def test_subfolder_on_a_tenant_host_does_not_switch_tenant(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/t/beta/api/v1/institution", headers={"Host": "alpha.localhost"})
        assert response.status_code == 404
        assert response.json()["code"] == "error.not_found"  # a path of alpha's, not beta's data

    async def test_subfolder_on_an_unknown_host_is_still_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/t/alpha/api/v1/institution", headers={"Host": "evil.example.com"})
        assert response.status_code == 404
        assert response.json()["code"] == "tenant.unknown_host"

    async def test_subfolder_keeps_query_and_encoded_path(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/t/alpha/api/v1/classifiers/h_%67ender?l=en&limit=2")
        assert response.status_code == 200
        assert response.json()["code"] == "h_gender"
        assert response.json()["limit"] == 2

    async def test_unknown_code_in_subfolder_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/t/gamma/api/v1/institution?l=en")
        assert response.status_code == 404
        assert response.json()["detail"] == 'No institution has the code "gamma".'

    async def test_tenant_route_on_platform_host_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/institution")
        assert response.status_code == 404
        assert response.json()["code"] == "tenant.required"

    async def test_health_answers_on_any_host(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/health", headers={"Host": "10.0.0.7:8000"})
        assert response.status_code == 200

    async def test_request_id_is_echoed_or_minted(self, client: httpx.AsyncClient) -> None:
        echoed = await client.get("/health", headers={"X-Request-ID": "abcdef12-3456"})
        assert echoed.headers["x-request-id"] == "abcdef12-3456"
        minted = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
        assert len(minted.headers["x-request-id"]) == 32


class TestTenantKindGuard:
    """A handler that declares tenant kinds is unreachable from other kinds (404, not 403: no probing)."""

    @pytest.fixture
    def guarded_client(self, app: object) -> httpx.AsyncClient:
        @get(
            "/only-universities",
            opt={"tenant_kinds": {"university"}},
            guards=[tenant_kind_guard],
            sync_to_thread=False,
        )
        def only_universities() -> str:
            return "ok"

        from hemis.core.errors import handle_exception
        from tenants.middleware import TenantEdge

        inner = Litestar([only_universities], exception_handlers={Exception: handle_exception})
        edge = TenantEdge(inner, app.resolver, ["testserver"], True)  # type: ignore[attr-defined]
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=edge), base_url="http://testserver")

    async def test_university_passes(self, guarded_client: httpx.AsyncClient) -> None:
        assert (await guarded_client.get("/t/alpha/only-universities")).status_code == 200

    async def test_national_is_404(self, guarded_client: httpx.AsyncClient) -> None:
        response = await guarded_client.get("/t/national/only-universities")
        assert response.status_code == 404
        assert response.json()["code"] == "tenant.wrong_kind"

    async def test_no_tenant_is_404(self, guarded_client: httpx.AsyncClient) -> None:
        assert (await guarded_client.get("/only-universities")).json()["code"] == "tenant.required"


class TestResolverCache:
    async def test_misses_expire_quickly_and_invalidate_forgets(
        self, maker: async_sessionmaker[AsyncSession], owner: AsyncEngine, tenants: dict[str, TenantRef]
    ) -> None:
        resolver = TenantResolver(maker, ttl=60, miss_ttl=60)
        assert await resolver.by_host("later.localhost") is None
        async with owner.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO shared.tenant_domain (domain, tenant_id, is_primary, created_at, updated_at) "
                    "VALUES ('later.localhost', :t, false, now(), now())"
                ),
                {"t": tenants["beta"].id},
            )
        try:
            assert await resolver.by_host("later.localhost") is None  # the cached miss
            resolver.invalidate()
            assert await resolver.by_host("later.localhost") == tenants["beta"]
            quick = TenantResolver(maker, ttl=60, miss_ttl=0)
            assert await quick.by_host("later.localhost") == tenants["beta"]
        finally:
            async with owner.begin() as conn:
                await conn.execute(text("DELETE FROM shared.tenant_domain WHERE domain = 'later.localhost'"))

    async def test_cache_is_bounded(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        resolver = TenantResolver(maker)
        resolver.MAX_ENTRIES = 3
        assert await resolver.by_code("alpha") == tenants["alpha"]
        for i in range(5):
            await resolver.by_host(f"nobody{i}.localhost")
        assert len(resolver._cache) == 3

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("Alpha.Hemis.UZ:443", "alpha.hemis.uz"),
            ("[::1]:8000", "[::1]"),
            ("tatu.hemis.uz.", "tatu.hemis.uz"),
        ],
    )
    def test_normalise_host(self, raw: str, expected: str) -> None:
        assert normalise_host(raw) == expected
