"""Test helpers that know tenants exist: a per-worker database, provisioned through the real code."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from hemis.config import REPO_ROOT, Settings
from tenants import naming
from tenants.database import async_url
from tenants.session import SWITCH


@dataclass(frozen=True)
class TestDatabase:
    settings: Settings
    admin_url: str  # the server's maintenance database, for CREATE/DROP DATABASE

    @property
    def url(self) -> str:
        return self.settings.db.url


def worker_database(base_url: str, worker: str | None = None) -> TestDatabase:
    """Settings for a private database and role prefix of this checkout and pytest(-xdist) worker.

    The checkout's path is part of the names, so two clones testing against one server
    (a developer's tree and a CI clone) never drop each other's database.
    """
    worker = (worker or os.environ.get("PYTEST_XDIST_WORKER") or "main").lower()
    checkout = hashlib.sha1(str(REPO_ROOT).encode(), usedforsecurity=False).hexdigest()[:6]
    name = f"hemis_test_{worker}_{checkout}"
    settings = Settings()
    settings.db.url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    settings.tenancy.role_prefix = f"ht{checkout}{worker}_"
    settings.db.pool_size = 10
    settings.db.max_overflow = 0
    settings.identity.sso_allowed_networks = ["127.0.0.0/8"]  # the tests' OpenID provider runs here
    settings.dump_dir = settings.dump_dir.parent / f"test-dumps-{worker}"
    return TestDatabase(settings=settings, admin_url=base_url)


async def recreate_database(db: TestDatabase, *, create: bool = True) -> None:
    """Drop the worker's database and its prefixed roles, then (unless told not to) create it afresh."""
    name = make_url(db.url).database or ""
    prefix = naming.validate_prefix(db.settings.tenancy.role_prefix)
    engine = create_async_engine(async_url(db.admin_url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {naming.quote(name)} WITH (FORCE)"))
            roles = await conn.execute(
                text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"), {"p": prefix}
            )
            for (role,) in roles.all():
                await conn.execute(text(f"DROP ROLE {naming.quote(role)}"))
            if create:
                await conn.execute(text(f"CREATE DATABASE {naming.quote(name)}"))
    finally:
        await engine.dispose()


async def run_as_tenant(engine: AsyncEngine, prefix: str, code: str, sql: str) -> list[Any]:
    """Run raw `sql` in one transaction under tenant `code`'s role, switched as the app switches."""
    async with engine.begin() as conn:
        await conn.execute(
            SWITCH, {"role": naming.tenant_role(code, prefix), "path": naming.tenant_search_path(code)}
        )
        result = await conn.execute(text(sql))
        return list(result.all()) if result.returns_rows else []
