"""/api/v1/structure: departments (faculties, kafedras), buildings, auditoriums."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from hemis.core.auth import MEMBERS, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read
from hemis.structure.models import AuditoriumType, StructureType
from hemis.structure.schemas import (
    AuditoriumCreate,
    AuditoriumRead,
    AuditoriumUpdate,
    BuildingCreate,
    BuildingRead,
    BuildingUpdate,
    DepartmentCreate,
    DepartmentRead,
    DepartmentUpdate,
)
from hemis.structure.service import AuditoriumService, BuildingService, DepartmentService

READ = requires_role(*MEMBERS)
WRITE = requires_role(Role.ADMIN, Role.REGISTRAR)


class _StructureController(Controller):
    tags = ["Structure"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {"principal": Provide(provide_principal), "params": Provide(provide_list_params)}


class DepartmentController(_StructureController):
    path = "/api/v1/structure/departments"
    dependencies = {**_StructureController.dependencies, "departments": provide_service(DepartmentService)}

    @get(operation_id="ListDepartments", guards=[READ])
    async def list_departments(
        self,
        departments: NamedDependency[DepartmentService],
        params: NamedDependency[ListParams],
        structure_type: Annotated[StructureType | None, QueryParameter()] = None,
        parent_id: QueryId = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> Page[DepartmentRead]:
        """Faculties, kafedras and offices; filter by type, parent or activity; sort by name or code."""
        rows, total = await departments.page(
            params, structure_type=structure_type, parent_id=parent_id, active=active
        )
        return page_of(rows, total, params.limit, params.offset, DepartmentRead)

    @get("/{item_id:int}", operation_id="GetDepartment", guards=[READ])
    async def get_department(
        self, departments: NamedDependency[DepartmentService], item_id: PathId
    ) -> DepartmentRead:
        """One department."""
        return to_read(await departments.get(item_id), DepartmentRead)

    @post(operation_id="CreateDepartment", guards=[WRITE])
    async def create_department(
        self, departments: NamedDependency[DepartmentService], data: JSONBody[DepartmentCreate]
    ) -> DepartmentRead:
        """Add a faculty, kafedra (under a faculty) or office."""
        return to_read(await departments.create(changes(data)), DepartmentRead)

    @patch("/{item_id:int}", operation_id="UpdateDepartment", guards=[WRITE])
    async def update_department(
        self,
        departments: NamedDependency[DepartmentService],
        item_id: PathId,
        data: JSONBody[DepartmentUpdate],
    ) -> DepartmentRead:
        """Change names, code, parent or activity."""
        return to_read(await departments.update(item_id, changes(data)), DepartmentRead)

    @delete("/{item_id:int}", operation_id="DeleteDepartment", guards=[WRITE])
    async def delete_department(
        self, departments: NamedDependency[DepartmentService], item_id: PathId
    ) -> None:
        """Remove a department nothing refers to (otherwise 409: deactivate it instead)."""
        await departments.delete(item_id)


class BuildingController(_StructureController):
    path = "/api/v1/structure/buildings"
    dependencies = {**_StructureController.dependencies, "buildings": provide_service(BuildingService)}

    @get(operation_id="ListBuildings", guards=[READ])
    async def list_buildings(
        self, buildings: NamedDependency[BuildingService], params: NamedDependency[ListParams]
    ) -> Page[BuildingRead]:
        """The university's buildings."""
        rows, total = await buildings.page(params)
        return page_of(rows, total, params.limit, params.offset, BuildingRead)

    @get("/{item_id:int}", operation_id="GetBuilding", guards=[READ])
    async def get_building(
        self, buildings: NamedDependency[BuildingService], item_id: PathId
    ) -> BuildingRead:
        """One building."""
        return to_read(await buildings.get(item_id), BuildingRead)

    @post(operation_id="CreateBuilding", guards=[WRITE])
    async def create_building(
        self, buildings: NamedDependency[BuildingService], data: JSONBody[BuildingCreate]
    ) -> BuildingRead:
        """Add a building."""
        return to_read(await buildings.create(changes(data)), BuildingRead)

    @patch("/{item_id:int}", operation_id="UpdateBuilding", guards=[WRITE])
    async def update_building(
        self,
        buildings: NamedDependency[BuildingService],
        item_id: PathId,
        data: JSONBody[BuildingUpdate],
    ) -> BuildingRead:
        """Rename or re-address a building."""
        return to_read(await buildings.update(item_id, changes(data)), BuildingRead)

    @delete("/{item_id:int}", operation_id="DeleteBuilding", guards=[WRITE])
    async def delete_building(self, buildings: NamedDependency[BuildingService], item_id: PathId) -> None:
        """Remove a building without auditoriums."""
        await buildings.delete(item_id)


class AuditoriumController(_StructureController):
    path = "/api/v1/structure/auditoriums"
    dependencies = {**_StructureController.dependencies, "auditoriums": provide_service(AuditoriumService)}

    @get(operation_id="ListAuditoriums", guards=[READ])
    async def list_auditoriums(
        self,
        auditoriums: NamedDependency[AuditoriumService],
        params: NamedDependency[ListParams],
        building_id: QueryId = None,
        auditorium_type: Annotated[AuditoriumType | None, QueryParameter()] = None,
        min_capacity: QueryId = None,
    ) -> Page[AuditoriumRead]:
        """Auditoriums; filter by building, type or minimum capacity; sort by code, name or capacity."""
        rows, total = await auditoriums.page(
            params, building_id=building_id, auditorium_type=auditorium_type, min_capacity=min_capacity
        )
        return page_of(rows, total, params.limit, params.offset, AuditoriumRead)

    @get("/{item_id:int}", operation_id="GetAuditorium", guards=[READ])
    async def get_auditorium(
        self, auditoriums: NamedDependency[AuditoriumService], item_id: PathId
    ) -> AuditoriumRead:
        """One auditorium."""
        return to_read(await auditoriums.get(item_id), AuditoriumRead)

    @post(operation_id="CreateAuditorium", guards=[WRITE])
    async def create_auditorium(
        self, auditoriums: NamedDependency[AuditoriumService], data: JSONBody[AuditoriumCreate]
    ) -> AuditoriumRead:
        """Add an auditorium to a building."""
        return to_read(await auditoriums.create(changes(data)), AuditoriumRead)

    @patch("/{item_id:int}", operation_id="UpdateAuditorium", guards=[WRITE])
    async def update_auditorium(
        self,
        auditoriums: NamedDependency[AuditoriumService],
        item_id: PathId,
        data: JSONBody[AuditoriumUpdate],
    ) -> AuditoriumRead:
        """Change an auditorium."""
        return to_read(await auditoriums.update(item_id, changes(data)), AuditoriumRead)

    @delete("/{item_id:int}", operation_id="DeleteAuditorium", guards=[WRITE])
    async def delete_auditorium(
        self, auditoriums: NamedDependency[AuditoriumService], item_id: PathId
    ) -> None:
        """Remove an auditorium."""
        await auditoriums.delete(item_id)
