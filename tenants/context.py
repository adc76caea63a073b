"""The current tenant of this task: a ContextVar and tenant_scope() for scripts and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from hemis.core.errors import HemisError
from tenants import naming


class TenantKind(StrEnum):
    UNIVERSITY = "university"
    NATIONAL = "national"


@dataclass(frozen=True, slots=True)
class TenantRef:
    """What a request or job knows of its tenant; cheap to copy, safe to cache."""

    id: int
    code: str
    kind: TenantKind

    @property
    def schema(self) -> str:
        return naming.schema_name(self.code)


_current: ContextVar[TenantRef | None] = ContextVar("hemis_tenant", default=None)


class TenantNotSetError(HemisError):
    """Tenant data was touched with no tenant chosen: we fail closed. Over HTTP, a 404."""

    status_code = 404
    message_key = "tenant.required"


class TenantMismatchError(HemisError):
    """A session that began under one tenant was used under another: refused, never mixed."""

    status_code = 500
    message_key = "error.internal"


def current_tenant() -> TenantRef:
    tenant = _current.get()
    if tenant is None:
        raise TenantNotSetError("no tenant is set for this task")
    return tenant


def current_tenant_or_none() -> TenantRef | None:
    return _current.get()


@contextmanager
def tenant_scope(tenant: TenantRef) -> Iterator[TenantRef]:
    """Run a block of a script or job as one tenant; sessions opened inside pick it up."""
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)
