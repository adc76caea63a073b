"""Structure API shapes; constraints here become 422s that name the field."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hemis.core.schemas import Code, Id, Input, Name, Page, Struct
from hemis.structure.models import AuditoriumType, StructureType

OptionalName = Annotated[str, msgspec.Meta(max_length=255)]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=5000)]


class DepartmentRead(Struct):
    id: int
    code: str
    name: str
    name_ru: str
    name_en: str
    structure_type: StructureType
    parent_id: int | None
    active: bool


class DepartmentCreate(Input):
    code: Code
    name: Name
    structure_type: StructureType
    name_ru: OptionalName = ""
    name_en: OptionalName = ""
    parent_id: Id | None = None
    active: bool = True


class DepartmentUpdate(Input):
    code: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    name_ru: OptionalName | msgspec.UnsetType = msgspec.UNSET
    name_en: OptionalName | msgspec.UnsetType = msgspec.UNSET
    parent_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class BuildingRead(Struct):
    id: int
    name: str
    address: str


class BuildingCreate(Input):
    name: Name
    address: Annotated[str, msgspec.Meta(max_length=500)] = ""


class BuildingUpdate(Input):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    address: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType = msgspec.UNSET


class AuditoriumRead(Struct):
    id: int
    code: str
    name: str
    building_id: int
    auditorium_type: AuditoriumType
    capacity: int
    active: bool


class AuditoriumCreate(Input):
    code: Code
    name: Name
    building_id: Id
    auditorium_type: AuditoriumType
    capacity: Capacity
    active: bool = True


class AuditoriumUpdate(Input):
    code: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    building_id: Id | msgspec.UnsetType = msgspec.UNSET
    auditorium_type: AuditoriumType | msgspec.UnsetType = msgspec.UNSET
    capacity: Capacity | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


DepartmentPage = Page[DepartmentRead]
BuildingPage = Page[BuildingRead]
AuditoriumPage = Page[AuditoriumRead]
