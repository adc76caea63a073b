"""Platform operations used by the CLI, the demo and the tests: one code path for all of them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hemis.classifiers.service import load_data, load_release
from hemis.config import Settings
from hemis.institution.models import InstitutionProfile
from tenants import registry
from tenants.context import TenantRef
from tenants.provision import TenantMissingError, TenantSpec, drop, ensure_platform, provision


async def setup_platform(engine: AsyncEngine, settings: Settings) -> None:
    """Roles, shared migrations and the current classifier release (idempotent)."""
    await ensure_platform(engine, settings.tenancy.role_prefix, settings.db.app_password)
    async with engine.begin() as conn:
        # Two setups at once (CLI and tests) load the release one after the other.
        await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("hemis.classifiers"))))
        await load_release(conn, load_data())


def profile_seed(spec: TenantSpec, **profile: str | None):  # type: ignore[no-untyped-def]
    """The seed every new tenant gets: its institution_profile row (the row that names it)."""

    async def seed(conn: AsyncConnection, ref: TenantRef) -> None:
        await conn.execute(
            insert(InstitutionProfile).values(
                tenant_code=ref.code,
                kind=str(ref.kind),
                name_uz=spec.name_uz,
                name_oz=spec.name_oz,
                name_ru=spec.name_ru,
                name_en=spec.name_en,
                hemis_code=spec.hemis_code,
                created_at=func.now(),
                updated_at=func.now(),
                **profile,
            )
        )

    return seed


async def create_tenant(
    engine: AsyncEngine, settings: Settings, spec: TenantSpec, **profile: str | None
) -> TenantRef:
    return await provision(
        engine,
        spec,
        prefix=settings.tenancy.role_prefix,
        base_domain=settings.tenancy.base_domain,
        seed=profile_seed(spec, **profile),
    )


async def drop_tenant(engine: AsyncEngine, settings: Settings, code: str) -> Path:
    return await drop(
        engine, settings.db.url, code, prefix=settings.tenancy.role_prefix, dump_dir=settings.dump_dir
    )


async def tenant_codes(engine: AsyncEngine) -> Sequence[str]:
    async with engine.connect() as conn:
        return await registry.tenant_codes(conn)


async def tenant_ref(engine: AsyncEngine, code: str) -> TenantRef:
    """The registered tenant `code`; TenantMissingError if there is none."""
    async with engine.connect() as conn:
        ref = await registry.tenant_ref(conn, code)
    if ref is None:
        raise TenantMissingError(code)
    return ref
