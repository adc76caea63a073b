"""API shapes of the access context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from hemis.core.auth import Role
from hemis.core.schemas import Input, Struct


class PrincipalRead(Struct):
    tenant: str
    subject: str
    roles: list[str]


class ApiTokenRead(Struct):
    id: int
    name: str
    roles: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class ApiTokenCreate(Input):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    roles: Annotated[list[Role], msgspec.Meta(min_length=1, max_length=8)]
    days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 90


class ApiTokenCreated(ApiTokenRead):
    token: str  # the secret, shown once
