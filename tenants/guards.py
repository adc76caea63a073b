"""Route guard: a handler that declares opt={"tenant_kinds": {...}} needs a tenant of that kind."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from hemis.core.errors import HemisError
from tenants.context import TenantNotSetError, TenantRef


class WrongTenantKind(HemisError):
    status_code = 404
    message_key = "tenant.wrong_kind"


def request_tenant(connection: ASGIConnection[Any, Any, Any, Any]) -> TenantRef | None:
    return connection.scope.get("state", {}).get("tenant")


async def tenant_kind_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    kinds = handler.opt.get("tenant_kinds")
    if kinds is None:
        return
    tenant = request_tenant(connection)
    if tenant is None:
        raise TenantNotSetError
    if str(tenant.kind) not in kinds:
        raise WrongTenantKind
