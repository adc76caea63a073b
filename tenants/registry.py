"""Reading the tenant registry (schema shared) as the owner: for the CLI, runners and setup."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tenants import naming
from tenants.context import TenantKind, TenantRef
from tenants.migrate import tenant_revision_sync


async def tenant_codes(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(text("SELECT code FROM shared.tenant ORDER BY code"))
    return [naming.validate_code(r[0]) for r in rows]


async def tenant_ref(conn: AsyncConnection, code: str) -> TenantRef | None:
    row = (
        await conn.execute(text("SELECT id, code, kind FROM shared.tenant WHERE code = :c"), {"c": code})
    ).first()
    return TenantRef(id=int(row[0]), code=row[1], kind=TenantKind(row[2])) if row else None


async def describe_tenants(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Code, kind, status, name, schema, schema version and domains of every tenant."""
    rows = (
        await conn.execute(
            text(
                "SELECT t.code, t.kind, t.status, t.name_uz, "
                "coalesce(string_agg(d.domain, ' ' ORDER BY d.domain), '') "
                "FROM shared.tenant t LEFT JOIN shared.tenant_domain d ON d.tenant_id = t.id "
                "GROUP BY t.id ORDER BY t.code"
            )
        )
    ).all()
    out = []
    for code, kind, status, name, domains in rows:
        schema = naming.schema_name(code)
        version = await conn.run_sync(tenant_revision_sync, schema)
        out.append(
            {
                "code": code,
                "kind": kind,
                "status": status,
                "name": name,
                "schema": schema,
                "version": version,
                "domains": domains.split(),
            }
        )
    return out
