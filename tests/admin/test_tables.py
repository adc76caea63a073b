"""The admin console's Piccolo tables: generated from the SQLAlchemy models (and fresh), bound
once to an engine that runs each query on the current tenant's pool, whose connections are
that tenant's role (issue 5, step 1)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from admin.binding import bind
from admin.engine import PoolNotOpenError, TenantPools
from admin.generate import TARGET, generated
from admin.tables import TABLES
from hemis.config import Settings
from hemis.core.db import tenant_metadata
from tenants import naming
from tenants.context import TenantNotSetError, TenantRef, tenant_scope


def test_checked_in_tables_are_what_the_models_generate() -> None:
    """Fails when a model changed without `uv run python -m admin.generate`."""
    assert TARGET.read_text() == generated()


def test_every_tenant_table_is_there_with_every_column() -> None:
    generic = {t._meta.tablename: {c._meta.name for c in t._meta.columns} for t in TABLES}
    models = {t.name: {c.name for c in t.columns} for t in tenant_metadata().sorted_tables}
    assert generic == models


@pytest.fixture
async def pools(settings: Settings, tenants: dict[str, TenantRef]) -> AsyncIterator[TenantPools]:
    opened = TenantPools(settings, max_open=2)
    for code in ("alpha", "beta"):
        assert await opened.lease(code) == []  # two fit: nothing evicted
    yield opened
    await opened.close()


async def test_shared_tables_see_the_current_tenant_only(
    pools: TenantPools, tenants: dict[str, TenantRef]
) -> None:
    tables = bind(pools)
    code = f"ADM{uuid.uuid4().hex[:6]}"
    building = tables["building"]
    with tenant_scope(tenants["alpha"]):
        await building.insert(building(name=f"Bino {code}", address="Toshkent, Amir Temur 108")).run()
        assert await building.exists().where(building.name == f"Bino {code}")
    with tenant_scope(tenants["beta"]):
        assert not await building.exists().where(building.name == f"Bino {code}")
    # Foreign keys follow the same binding's classes.
    group = tables["academic_group"]
    assert group.department_id._foreign_key_meta.resolved_references is tables["department"]
    assert group.tutor_id._foreign_key_meta.resolved_references is tables["employee"]


async def test_nothing_runs_without_a_tenant_or_its_pool(
    pools: TenantPools, tenants: dict[str, TenantRef]
) -> None:
    building = bind(pools)["building"]
    with pytest.raises(TenantNotSetError):
        await building.count()
    with tenant_scope(tenants["national"]), pytest.raises(PoolNotOpenError):
        await building.count()


async def test_the_engine_is_the_tenants_role_so_another_schema_is_refused(pools: TenantPools) -> None:
    """Even tables bound to beta's schema but run on alpha's engine read nothing of beta's:
    PostgreSQL refuses them, not our code."""
    alpha = pools.engine_of("alpha")
    assert alpha is not None
    misbound = bind(alpha, schema=naming.schema_name("beta"))
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await misbound["building"].count()
    row = await alpha.run_ddl("SELECT current_user, current_setting('search_path') AS path")
    assert row[0]["current_user"].endswith("t_alpha") and row[0]["path"].startswith("t_alpha")
