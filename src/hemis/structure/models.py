"""department (faculties, kafedras and offices, as HEMIS keeps them), building, auditorium."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class StructureType(StrEnum):
    """HEMIS h_structure_type codes (ref classifier)."""

    FACULTY = "11"
    KAFEDRA = "12"
    SECTION = "13"  # bo'lim
    ADMINISTRATION = "14"  # boshqarma
    CENTRE = "15"  # markaz
    RECTORATE = "16"


class AuditoriumType(StrEnum):
    LECTURE = "lecture"
    SEMINAR = "seminar"
    LABORATORY = "laboratory"
    COMPUTER = "computer"
    SPORT = "sport"
    OTHER = "other"


class Department(TenantModel):
    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_ru: Mapped[str] = mapped_column(String(255), default="")
    name_en: Mapped[str] = mapped_column(String(255), default="")
    structure_type: Mapped[str] = mapped_column(String(8), index=True)
    # A kafedra belongs to a faculty; RESTRICT: a faculty with kafedras cannot vanish.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Building(TenantModel):
    __tablename__ = "building"

    name: Mapped[str] = mapped_column(String(255), unique=True)
    address: Mapped[str] = mapped_column(String(500), default="")


class Auditorium(TenantModel):
    __tablename__ = "auditorium"
    __table_args__ = (CheckConstraint("capacity > 0", name="capacity_positive"),)

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="RESTRICT"), index=True)
    auditorium_type: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
