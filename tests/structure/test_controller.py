"""Structure API: create, list (page, sort, filter, search), update, delete; bad input named."""

from __future__ import annotations

import uuid

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory

BASE = "/t/alpha/api/v1/structure"


@pytest.fixture
async def admin(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ADMIN)


def _code(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def _faculty(
    client: httpx.AsyncClient, admin: dict[str, str], name: str = "Kompyuter injiniringi fakulteti"
) -> dict:
    response = await client.post(
        f"{BASE}/departments", json={"code": _code("F"), "name": name, "structure_type": "11"}, headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestCreateDepartment:
    async def test_faculty_then_kafedra_under_it(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        faculty = await _faculty(client, admin)
        kafedra = await client.post(
            f"{BASE}/departments",
            json={
                "code": _code("K"),
                "name": "Dasturiy injiniring kafedrasi",
                "structure_type": "12",
                "parent_id": faculty["id"],
                "name_ru": "Кафедра программной инженерии",
            },
            headers=admin,
        )
        assert kafedra.status_code == 201
        assert kafedra.json()["parent_id"] == faculty["id"]

    async def test_kafedra_without_faculty_is_422_named(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await client.post(
            f"{BASE}/departments?l=ru",
            json={"code": _code("K"), "name": "Yetim kafedra", "structure_type": "12"},
            headers=admin,
        )
        assert response.status_code == 422
        assert response.json()["field"] == "parent_id"
        assert "факультет" in response.json()["detail"]

    async def test_duplicate_code_is_409_named(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        faculty = await _faculty(client, admin)
        again = await client.post(
            f"{BASE}/departments?l=en",
            json={"code": faculty["code"], "name": "Boshqa", "structure_type": "11"},
            headers=admin,
        )
        assert again.status_code == 409
        assert again.json()["field"] == "code"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"code": "", "name": "Fakultet", "structure_type": "11"}, "code"),
            ({"code": "F 1", "name": "Fakultet", "structure_type": "11"}, "code"),
            ({"code": "F1", "name": "F", "structure_type": "11"}, "name"),
            ({"code": "F1", "name": "Fakultet", "structure_type": "99"}, "structure_type"),
            ({"code": "F1", "name": "Fakultet"}, "structure_type"),
            ({"code": "F1", "name": "Fakultet", "structure_type": "11", "parent_id": "x"}, "parent_id"),
        ],
    )
    async def test_bad_input_is_4xx_naming_the_field(
        self, client: httpx.AsyncClient, admin: dict[str, str], body: dict, field: str
    ) -> None:
        response = await client.post(f"{BASE}/departments?l=ru", json=body, headers=admin)
        assert response.status_code in (400, 422)
        assert response.json()["field"] == field
        assert field in response.json()["detail"]

    async def test_unknown_parent_is_422(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.post(
            f"{BASE}/departments",
            json={"code": _code("K"), "name": "Kafedra", "structure_type": "12", "parent_id": 99_999_999},
            headers=admin,
        )
        assert response.status_code == 422
        assert response.json()["field"] == "parent_id"


class TestListDepartments:
    async def test_page_sort_filter_search(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        marker = uuid.uuid4().hex[:6]
        for name in ("Alfa", "Beta", "Gamma"):
            await _faculty(client, admin, name=f"{name} {marker} fakulteti")
        first = (
            await client.get(f"{BASE}/departments?search={marker}&sort=-name&limit=2", headers=admin)
        ).json()
        assert first["total"] == 3
        assert [d["name"].split()[0] for d in first["items"]] == ["Gamma", "Beta"]
        rest = (
            await client.get(f"{BASE}/departments?search={marker}&sort=-name&limit=2&offset=2", headers=admin)
        ).json()
        assert [d["name"].split()[0] for d in rest["items"]] == ["Alfa"]
        kafedras = (
            await client.get(f"{BASE}/departments?structure_type=12&search={marker}", headers=admin)
        ).json()
        assert kafedras["total"] == 0

    async def test_unknown_sort_field_is_422(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.get(f"{BASE}/departments?sort=secret&l=en", headers=admin)
        assert response.status_code == 422
        assert response.json()["field"] == "sort"
        assert 'Cannot sort by "secret"' in response.json()["detail"]


class TestHierarchy:
    async def test_a_cycle_is_refused(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        faculty = await _faculty(client, admin)
        kafedra = (
            await client.post(
                f"{BASE}/departments",
                json={
                    "code": _code("K"),
                    "name": "Kafedra",
                    "structure_type": "12",
                    "parent_id": faculty["id"],
                },
                headers=admin,
            )
        ).json()
        response = await client.patch(
            f"{BASE}/departments/{faculty['id']}", json={"parent_id": kafedra["id"]}, headers=admin
        )
        assert response.status_code == 422
        assert response.json()["field"] == "parent_id"


class TestUpdateAndDelete:
    async def test_patch_changes_only_what_is_sent(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        faculty = await _faculty(client, admin)
        response = await client.patch(
            f"{BASE}/departments/{faculty['id']}", json={"name_en": "Faculty of CE"}, headers=admin
        )
        assert response.status_code == 200
        assert response.json() | {"name_en": faculty["name_en"]} == faculty
        assert response.json()["name_en"] == "Faculty of CE"

    async def test_own_parent_is_refused(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        faculty = await _faculty(client, admin)
        response = await client.patch(
            f"{BASE}/departments/{faculty['id']}", json={"parent_id": faculty["id"]}, headers=admin
        )
        assert response.status_code == 422
        assert response.json()["field"] == "parent_id"

    async def test_faculty_with_kafedras_cannot_be_deleted(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        faculty = await _faculty(client, admin)
        await client.post(
            f"{BASE}/departments",
            json={"code": _code("K"), "name": "Kafedra", "structure_type": "12", "parent_id": faculty["id"]},
            headers=admin,
        )
        response = await client.delete(f"{BASE}/departments/{faculty['id']}", headers=admin)
        assert response.status_code == 409
        assert (await client.get(f"{BASE}/departments/{faculty['id']}", headers=admin)).status_code == 200

    async def test_delete_then_404(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        faculty = await _faculty(client, admin)
        assert (await client.delete(f"{BASE}/departments/{faculty['id']}", headers=admin)).status_code == 204
        assert (await client.get(f"{BASE}/departments/{faculty['id']}", headers=admin)).status_code == 404


class TestAuditoriums:
    async def test_building_and_auditorium(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        building = await client.post(
            f"{BASE}/buildings",
            json={"name": f"A bino {uuid.uuid4().hex[:6]}", "address": "Amir Temur ko'chasi, 108"},
            headers=admin,
        )
        assert building.status_code == 201
        room = await client.post(
            f"{BASE}/auditoriums",
            json={
                "code": _code("A-"),
                "name": "Katta ma'ruza zali",
                "building_id": building.json()["id"],
                "auditorium_type": "lecture",
                "capacity": 120,
            },
            headers=admin,
        )
        assert room.status_code == 201
        big = (
            await client.get(
                f"{BASE}/auditoriums?min_capacity=100&building_id={building.json()['id']}", headers=admin
            )
        ).json()
        assert [a["id"] for a in big["items"]] == [room.json()["id"]]
        assert (
            await client.delete(f"{BASE}/buildings/{building.json()['id']}", headers=admin)
        ).status_code == 409

    @pytest.mark.parametrize(("capacity", "status"), [(0, 422), (-5, 422), (5001, 422)])
    async def test_capacity_bounds(
        self, client: httpx.AsyncClient, admin: dict[str, str], capacity: int, status: int
    ) -> None:
        response = await client.post(
            f"{BASE}/auditoriums",
            json={
                "code": _code("A-"),
                "name": "Xona",
                "building_id": 1,
                "auditorium_type": "seminar",
                "capacity": capacity,
            },
            headers=admin,
        )
        assert response.status_code == status
        assert response.json()["field"] == "capacity"

    async def test_unknown_building_is_422(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.post(
            f"{BASE}/auditoriums",
            json={
                "code": _code("A-"),
                "name": "Xona",
                "building_id": 99_999_999,
                "auditorium_type": "seminar",
                "capacity": 30,
            },
            headers=admin,
        )
        assert response.status_code == 422
        assert response.json()["field"] == "building_id"


class TestAuthorisation:
    async def test_teacher_reads_but_cannot_write(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        teacher = await token_for("alpha", Role.TEACHER)
        assert (await client.get(f"{BASE}/departments", headers=teacher)).status_code == 200
        response = await client.post(
            f"{BASE}/departments",
            json={"code": "X1", "name": "Fakultet", "structure_type": "11"},
            headers=teacher,
        )
        assert response.status_code == 403

    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(f"{BASE}/departments")).status_code == 401

    async def test_ministry_has_no_structure_routes(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        ministry = await token_for("national", Role.ADMIN)
        response = await client.get("/t/national/api/v1/structure/departments", headers=ministry)
        assert response.status_code == 404
