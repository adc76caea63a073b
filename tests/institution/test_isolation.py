"""The institution profile: each host sees its own row only, over HTTP and at service level."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.institution.service import InstitutionService
from tenants.context import TenantRef
from tenants.session import tenant_session


class TestInstitutionProfile:
    @pytest.mark.parametrize(("code", "name"), [("alpha", "Alpha University"), ("beta", "Beta University")])
    async def test_each_host_sees_itself(self, client: httpx.AsyncClient, code: str, name: str) -> None:
        body = (await client.get("/api/v1/institution?l=en", headers={"Host": f"{code}.localhost"})).json()
        assert (body["tenant_code"], body["name"]) == (code, name)

    async def test_service_lists_only_its_own_row(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        async with tenant_session(maker, tenants["beta"]) as session:
            rows = await InstitutionService(session=session).list()
        assert [r.tenant_code for r in rows] == ["beta"]

    async def test_ministry_has_its_own_profile(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/t/national/api/v1/institution?l=ru")).json()
        assert (body["kind"], body["name"]) == ("national", "Министерство")
