"""A Piccolo engine per tenant: every connection logs in as the app role and starts as the
tenant's role with the tenant's search_path (connection startup parameters).

Why per tenant and at connection level: Piccolo has no per-transaction hook for the
`SET LOCAL` the API uses, so each admin tenant gets its own small pool whose connections
never serve another tenant. PostgreSQL then enforces isolation exactly as for the API: the
tenant role can read its own schema (and `ref`) only.
"""

from __future__ import annotations

from piccolo.engine.postgres import PostgresEngine
from sqlalchemy.engine import make_url

from hemis.config import Settings
from tenants import naming
from tenants.database import app_url

POOL_SIZE = 2  # connections per open tenant admin; admin traffic is a few people at a time


def tenant_engine(settings: Settings, code: str) -> PostgresEngine:
    url = make_url(app_url(settings))
    return PostgresEngine(
        config={
            "host": url.host,
            "port": url.port or 5432,
            "database": url.database,
            "user": url.username,
            "password": url.password,
            "server_settings": {
                "role": naming.tenant_role(naming.validate_code(code), settings.tenancy.role_prefix),
                "search_path": naming.tenant_search_path(code),
                "application_name": f"hemis-admin:{code}",
            },
        }
    )


async def open_pool(engine: PostgresEngine) -> None:
    await engine.start_connection_pool(min_size=0, max_size=POOL_SIZE)


async def close_pool(engine: PostgresEngine) -> None:
    await engine.close_connection_pool()
