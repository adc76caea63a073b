"""institution_profile: one row in each tenant schema that names its tenant."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Index, SmallInteger, String, true
from sqlalchemy.orm import Mapped, mapped_column

from hemis.core.db import TenantModel


class InstitutionProfile(TenantModel):
    __tablename__ = "institution_profile"
    __table_args__ = (
        # One profile per schema: the singleton is enforced by a unique index on a constant.
        Index("uq_institution_profile_singleton", true(), unique=True),
        CheckConstraint("kind IN ('university', 'national')", name="kind"),
    )

    tenant_code: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(16))
    name_uz: Mapped[str] = mapped_column(String(255))
    name_oz: Mapped[str] = mapped_column(String(255), default="")
    name_ru: Mapped[str] = mapped_column(String(255), default="")
    name_en: Mapped[str] = mapped_column(String(255), default="")
    short_name: Mapped[str] = mapped_column(String(32), default="")
    hemis_code: Mapped[str | None] = mapped_column(String(10), default=None)
    # h_soato region code (classifier item in ref); a plain code, checked by the service.
    region_code: Mapped[str | None] = mapped_column(String(16), default=None)
    address: Mapped[str] = mapped_column(String(500), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    rector: Mapped[str] = mapped_column(String(255), default="")
    founded_year: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # STIR (soliq to'lovchining identifikatsiya raqami): the 9-digit taxpayer number.
    tin: Mapped[str | None] = mapped_column(String(9), default=None, index=True)
