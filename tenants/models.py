"""The tenant registry (schema "shared"): one row per university or ministry, and its host names."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hemis.core.db import SharedModel
from tenants.naming import SHARED_SCHEMA


class Tenant(SharedModel):
    __tablename__ = "tenant"
    __table_args__ = (
        CheckConstraint("kind IN ('university', 'national')", name="kind"),
        CheckConstraint("status IN ('provisioning', 'active', 'suspended')", name="status"),
        {"schema": SHARED_SCHEMA},
    )

    code: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="university")
    status: Mapped[str] = mapped_column(String(16), default="provisioning")
    name_uz: Mapped[str] = mapped_column(String(255))
    name_oz: Mapped[str] = mapped_column(String(255), default="")
    name_ru: Mapped[str] = mapped_column(String(255), default="")
    name_en: Mapped[str] = mapped_column(String(255), default="")
    # HEMIS university code (h_university, 301..); null for the ministry.
    hemis_code: Mapped[str | None] = mapped_column(String(10), default=None)

    domains: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant", lazy="raise", cascade="all, delete-orphan"
    )


class TenantDomain(SharedModel):
    __tablename__ = "tenant_domain"
    __table_args__ = ({"schema": SHARED_SCHEMA},)

    domain: Mapped[str] = mapped_column(String(253), unique=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey(f"{SHARED_SCHEMA}.tenant.id", ondelete="CASCADE"), index=True
    )
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    tenant: Mapped[Tenant] = relationship(back_populates="domains", lazy="raise")
