"""The admin console's Piccolo tables: generated from the SQLAlchemy models (and fresh), bound
per tenant to its schema and to an engine that is that tenant's role (issue 5, step 1)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from piccolo.engine.postgres import PostgresEngine

from admin.binding import bind
from admin.engine import close_pool, open_pool, tenant_engine
from admin.generate import TARGET, generated
from admin.tables import TABLES
from hemis.config import Settings
from hemis.core.db import tenant_metadata
from tenants.context import TenantRef


def test_checked_in_tables_are_what_the_models_generate() -> None:
    """Fails when a model changed without `uv run python -m admin.generate`."""
    assert TARGET.read_text() == generated()


def test_every_tenant_table_is_there_with_every_column() -> None:
    generic = {t._meta.tablename: {c._meta.name for c in t._meta.columns} for t in TABLES}
    models = {t.name: {c.name for c in t.columns} for t in tenant_metadata().sorted_tables}
    assert generic == models


@pytest.fixture
async def engines(
    settings: Settings, tenants: dict[str, TenantRef]
) -> AsyncIterator[dict[str, PostgresEngine]]:
    opened = {code: tenant_engine(settings, code) for code in ("alpha", "beta")}
    for engine in opened.values():
        await open_pool(engine)
    yield opened
    for engine in opened.values():
        await close_pool(engine)


async def test_bound_tables_see_their_own_tenant_only(engines: dict[str, PostgresEngine]) -> None:
    alpha, beta = bind("alpha", engines["alpha"]), bind("beta", engines["beta"])
    code = f"ADM{uuid.uuid4().hex[:6]}"
    building = alpha["building"]
    await building.insert(building(name=f"Bino {code}", address="Toshkent, Amir Temur 108")).run()
    assert await building.exists().where(building.name == f"Bino {code}")
    assert not await beta["building"].exists().where(beta["building"].name == f"Bino {code}")
    # Foreign keys follow the same tenant's classes.
    group = alpha["academic_group"]
    assert group.department_id._foreign_key_meta.resolved_references is alpha["department"]
    assert group.tutor_id._foreign_key_meta.resolved_references is alpha["employee"]


async def test_the_engine_is_the_tenants_role_so_another_schema_is_refused(
    engines: dict[str, PostgresEngine],
) -> None:
    """Even tables bound to beta's schema but run on alpha's engine read nothing of beta's:
    PostgreSQL refuses them, not our code."""
    misbound = bind("beta", engines["alpha"])
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await misbound["building"].count()
    row = await engines["alpha"].run_ddl("SELECT current_user, current_setting('search_path') AS path")
    assert row[0]["current_user"].endswith("t_alpha") and row[0]["path"].startswith("t_alpha")
