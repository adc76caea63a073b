"""Structure rules: kafedras sit under faculties, references exist, lists page and sort."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import HemisError
from hemis.core.listing import ListParams, fetch_page
from hemis.structure.models import Auditorium, Building, Department, StructureType


class KafedraNeedsFaculty(HemisError):
    status_code = 422
    message_key = "structure.kafedra_needs_faculty"


class OwnParent(HemisError):
    status_code = 422
    message_key = "structure.own_parent"


class DepartmentService(CrudService[Department]):
    model = Department

    async def check(
        self, values: dict[str, Any], current: Department | None, changed: frozenset[str]
    ) -> None:
        if not changed & {"parent_id", "structure_type"}:
            return
        parent_id = values.get("parent_id")
        parent = await self.session.get(Department, parent_id) if parent_id is not None else None
        if parent_id is not None and parent is None:
            raise BadReference(field="parent_id")
        if current is not None and parent_id is not None and current.id in await self._ancestors(parent_id):
            raise OwnParent(field="parent_id")
        if values.get("structure_type") == StructureType.KAFEDRA and (
            parent is None or parent.structure_type != StructureType.FACULTY
        ):
            raise KafedraNeedsFaculty(field="parent_id")

    async def _ancestors(self, department_id: int) -> set[int]:
        """The department and everything above it (a cycle-safe walk up the tree)."""
        up = (
            select(Department.id, Department.parent_id)
            .where(Department.id == department_id)
            .cte(recursive=True)
        )
        up = up.union(select(Department.id, Department.parent_id).join(up, Department.id == up.c.parent_id))
        return set(await self.session.scalars(select(up.c.id)))

    async def page(
        self, params: ListParams, *, structure_type: str | None, parent_id: int | None, active: bool | None
    ) -> tuple[list[Department], int]:
        query = select(Department)
        if structure_type is not None:
            query = query.where(Department.structure_type == structure_type)
        if parent_id is not None:
            query = query.where(Department.parent_id == parent_id)
        if active is not None:
            query = query.where(Department.active.is_(active))
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"name": Department.name, "code": Department.code, "created_at": Department.created_at},
            default_sort="name",
            searchable=[Department.name, Department.name_ru, Department.name_en, Department.code],
        )


class BuildingService(CrudService[Building]):
    model = Building

    async def page(self, params: ListParams) -> tuple[list[Building], int]:
        return await fetch_page(
            self.session,
            select(Building),
            params,
            sortable={"name": Building.name, "created_at": Building.created_at},
            default_sort="name",
            searchable=[Building.name, Building.address],
        )


class AuditoriumService(CrudService[Auditorium]):
    model = Auditorium

    async def check(
        self, values: dict[str, Any], current: Auditorium | None, changed: frozenset[str]
    ) -> None:
        if "building_id" in changed and not await self.exists(Building, values["building_id"]):
            raise BadReference(field="building_id")

    async def page(
        self,
        params: ListParams,
        *,
        building_id: int | None,
        auditorium_type: str | None,
        min_capacity: int | None,
    ) -> tuple[list[Auditorium], int]:
        query = select(Auditorium)
        if building_id is not None:
            query = query.where(Auditorium.building_id == building_id)
        if auditorium_type is not None:
            query = query.where(Auditorium.auditorium_type == auditorium_type)
        if min_capacity is not None:
            query = query.where(Auditorium.capacity >= min_capacity)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"code": Auditorium.code, "name": Auditorium.name, "capacity": Auditorium.capacity},
            default_sort="code",
            searchable=[Auditorium.code, Auditorium.name],
        )
