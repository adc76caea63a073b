"""Institution profile as the API shows it (name in the caller's language)."""

from __future__ import annotations

from hemis.core.schemas import Struct


class InstitutionRead(Struct):
    tenant_code: str
    kind: str
    name: str
    short_name: str
    hemis_code: str | None
    region_code: str | None
    address: str
    website: str
    email: str
    phone: str
