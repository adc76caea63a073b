"""API shapes of the access context."""

from __future__ import annotations

from datetime import datetime

from hemis.core.schemas import Struct


class PrincipalRead(Struct):
    tenant: str
    subject: str
    roles: list[str]


class ApiTokenRead(Struct):
    id: int
    name: str
    roles: list[str]
    created_at: datetime
    revoked_at: datetime | None
