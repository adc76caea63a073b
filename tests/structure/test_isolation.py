"""Structure rows of one university are invisible and unmodifiable from another, over HTTP and in services."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from hemis.core.errors import NotFound
from hemis.structure.service import DepartmentService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.conftest import TokenFactory
from tests.isolation import assert_isolated

API = "/api/v1/structure"


@pytest.fixture
async def auth(token_for: TokenFactory) -> dict[str, dict[str, str]]:
    return {code: await token_for(code, Role.ADMIN) for code in ("alpha", "beta")}


class TestOverHttp:
    async def test_department(self, client: httpx.AsyncClient, auth: dict[str, dict[str, str]]) -> None:
        code = f"ISO{uuid.uuid4().hex[:8]}"
        row = (
            await client.post(
                f"/t/alpha{API}/departments",
                json={"code": code, "name": "Alfa fakulteti", "structure_type": "11"},
                headers=auth["alpha"],
            )
        ).json()
        await assert_isolated(
            client,
            f"{API}/departments",
            row,
            owner=("alpha", auth["alpha"]),
            other=("beta", auth["beta"]),
            patch={"name": "Buzilgan"},
            search=code,
        )

    async def test_building_and_auditorium(
        self, client: httpx.AsyncClient, auth: dict[str, dict[str, str]]
    ) -> None:
        marker = uuid.uuid4().hex[:8]
        building = (
            await client.post(
                f"/t/alpha{API}/buildings", json={"name": f"Bino {marker}"}, headers=auth["alpha"]
            )
        ).json()
        await assert_isolated(
            client,
            f"{API}/buildings",
            building,
            owner=("alpha", auth["alpha"]),
            other=("beta", auth["beta"]),
            patch={"name": "Buzilgan bino"},
            search=marker,
        )
        room = (
            await client.post(
                f"/t/alpha{API}/auditoriums",
                json={
                    "code": f"R{marker}",
                    "name": "Xona",
                    "building_id": building["id"],
                    "auditorium_type": "computer",
                    "capacity": 24,
                },
                headers=auth["alpha"],
            )
        ).json()
        await assert_isolated(
            client,
            f"{API}/auditoriums",
            room,
            owner=("alpha", auth["alpha"]),
            other=("beta", auth["beta"]),
            patch={"capacity": 1},
            search=marker,
        )

    async def test_beta_cannot_hang_a_kafedra_under_alphas_faculty(
        self, client: httpx.AsyncClient, auth: dict[str, dict[str, str]]
    ) -> None:
        beta_ids = {
            d["id"]
            for d in (await client.get(f"/t/beta{API}/departments?limit=200", headers=auth["beta"])).json()[
                "items"
            ]
        }
        faculty: dict[str, object] = {"id": next(iter(beta_ids), 0)}
        while faculty["id"] in beta_ids:  # ids are per schema: take one that beta does not have
            faculty = (
                await client.post(
                    f"/t/alpha{API}/departments",
                    json={
                        "code": f"F{uuid.uuid4().hex[:8]}",
                        "name": "Alfa fakulteti",
                        "structure_type": "11",
                    },
                    headers=auth["alpha"],
                )
            ).json()
        response = await client.post(
            f"/t/beta{API}/departments",
            json={
                "code": f"K{uuid.uuid4().hex[:8]}",
                "name": "Beta kafedrasi",
                "structure_type": "12",
                "parent_id": faculty["id"],
            },
            headers=auth["beta"],
        )
        assert response.status_code == 422  # the id names nothing at beta: never a link into alpha
        assert response.json()["field"] == "parent_id"


class TestInServices:
    async def test_service_of_beta_cannot_get_alphas_row(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            row = await DepartmentService(session, actor="test").create(
                {"code": f"S{uuid.uuid4().hex[:8]}", "name": "Servis fakulteti", "structure_type": "11"}
            )
            await session.commit()
        async with tenant_session(maker, tenants["beta"]) as session:
            service = DepartmentService(session, actor="test")
            try:
                seen = await service.get(row.id)
            except NotFound:
                return
            assert seen.code != row.code
