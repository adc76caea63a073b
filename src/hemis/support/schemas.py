"""Platform staff and support-access API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from hemis.core.schemas import Input, Struct


class StaffLogin(Input):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    totp: Annotated[str, msgspec.Meta(min_length=6, max_length=8)]  # always: platform staff reach everyone


class StaffRead(Struct):
    username: str
    display_name: str
    roles: list[str]


class GrantCreate(Input):
    tenant_code: Annotated[str, msgspec.Meta(min_length=2, max_length=30)]
    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=1000)]  # shown to the university's admin
    minutes: Annotated[int, msgspec.Meta(ge=5, le=240)] = 60


class GrantRead(Struct):
    id: int
    key: str
    account_id: int
    tenant_code: str
    reason: str
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class GrantCreated(GrantRead):
    token: str  # the bearer secret for the university's API; shown once


class SupportAccessRead(Struct):
    grant_key: str
    staff_username: str
    staff_name: str
    reason: str
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class SupportReadEvent(Struct):
    at: datetime
    actor: str
    method: str
    path: str
