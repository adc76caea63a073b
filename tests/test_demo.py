"""`hemis demo` content: the demo universities exist with their structure, reachable by host."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.app import HemisApp
from hemis.config import Settings
from hemis.core.listing import ListParams
from hemis.demo import install_demo
from hemis.platform import drop_tenant, tenant_ref
from hemis.structure.models import StructureType
from hemis.structure.service import DepartmentService
from tenants.session import tenant_session


class TestInstallDemo:
    async def test_creates_universities_with_structure_once(
        self,
        owner: AsyncEngine,
        settings: Settings,
        maker: async_sessionmaker[AsyncSession],
        app: HemisApp,
        client: httpx.AsyncClient,
    ) -> None:
        created, existing = await install_demo(owner, settings)
        try:
            assert set(created) == {"tatu", "samdu"}  # "national" already exists in the test database
            assert "national" in existing
            assert (await install_demo(owner, settings))[0] == []  # a second run creates nothing

            app.resolver.invalidate()
            profile = await client.get("/api/v1/institution?l=en", headers={"Host": "tatu.localhost"})
            assert profile.json()["name"].startswith("Tashkent University of Information Technologies")

            async with tenant_session(maker, await tenant_ref(owner, "samdu")) as session:
                faculties, total = await DepartmentService(session, actor="test").page(
                    ListParams(limit=50, offset=0, sort=None, search=None),
                    structure_type=StructureType.FACULTY,
                    parent_id=None,
                    active=True,
                )
            assert total == 4
            assert "Matematika fakulteti" in {f.name for f in faculties}
        finally:
            for code in created:
                await drop_tenant(owner, settings, code)
            app.resolver.invalidate()
