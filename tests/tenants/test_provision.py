"""Provisioning is all-or-nothing; drop dumps first and leaves nothing behind."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hemis.config import Settings
from hemis.platform import create_tenant, drop_tenant
from tenants import naming
from tenants.context import TenantRef
from tenants.migrate import tenant_head, tenant_revision_sync
from tenants.provision import (
    InvalidTenantSpecError,
    TenantExistsError,
    TenantMissingError,
    TenantSpec,
    provision,
)


async def _exists(owner: AsyncEngine, settings: Settings, code: str) -> dict[str, bool]:
    async with owner.connect() as conn:
        role = naming.tenant_role(code, settings.tenancy.role_prefix)
        return {
            "schema": bool(
                await conn.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": f"t_{code}"})
            ),
            "role": bool(await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})),
            "registry": bool(
                await conn.scalar(text("SELECT 1 FROM shared.tenant WHERE code = :c"), {"c": code})
            ),
        }


class TestProvision:
    async def test_creates_role_schema_domains_profile_at_head(
        self, owner: AsyncEngine, settings: Settings, tenants: object
    ) -> None:
        ref = await create_tenant(owner, settings, TenantSpec(code="prov_ok", name_uz="Sinov universiteti"))
        try:
            assert await _exists(owner, settings, "prov_ok") == {
                "schema": True,
                "role": True,
                "registry": True,
            }
            async with owner.connect() as conn:
                assert await conn.run_sync(tenant_revision_sync, "t_prov_ok") == tenant_head()
                role = naming.tenant_role("prov_ok", settings.tenancy.role_prefix)
                assert (
                    await conn.scalar(
                        text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role}
                    )
                    is False
                )
                domains = (
                    (
                        await conn.execute(
                            text(
                                "SELECT domain FROM shared.tenant_domain WHERE tenant_id = :t ORDER BY domain"
                            ),
                            {"t": ref.id},
                        )
                    )
                    .scalars()
                    .all()
                )
                assert domains == ["prov_ok.hemis.localhost", "prov_ok.localhost"]
                assert (
                    await conn.scalar(text("SELECT tenant_code FROM t_prov_ok.institution_profile"))
                    == "prov_ok"
                )
        finally:
            await drop_tenant(owner, settings, "prov_ok")

    async def test_duplicate_code_is_refused(
        self, owner: AsyncEngine, settings: Settings, tenants: dict[str, TenantRef]
    ) -> None:
        with pytest.raises(TenantExistsError):
            await create_tenant(owner, settings, TenantSpec(code="alpha", name_uz="Yana alfa"))

    async def test_taken_domain_is_refused_and_nothing_is_left(
        self, owner: AsyncEngine, settings: Settings, tenants: object
    ) -> None:
        with pytest.raises(TenantExistsError):
            await create_tenant(
                owner, settings, TenantSpec(code="prov_dup", name_uz="X", domains=["alpha.localhost"])
            )
        assert await _exists(owner, settings, "prov_dup") == {
            "schema": False,
            "role": False,
            "registry": False,
        }

    @pytest.mark.parametrize(
        "code", ["Alpha", "1abc", "a", "a-b", "x; DROP SCHEMA shared", "shared", "ref", "a" * 31]
    )
    async def test_invalid_code_is_refused(self, owner: AsyncEngine, settings: Settings, code: str) -> None:
        with pytest.raises(naming.InvalidIdentifierError):
            await create_tenant(owner, settings, TenantSpec(code=code, name_uz="X"))

    @pytest.mark.parametrize(
        "domain", ["localhost", "alpha.localhost:8000", "a b.uz", "uni.uz/path", "-bad.uz", "x" * 64 + ".uz"]
    )
    async def test_invalid_domain_is_refused(
        self, owner: AsyncEngine, settings: Settings, domain: str
    ) -> None:
        with pytest.raises(naming.InvalidIdentifierError):
            await create_tenant(owner, settings, TenantSpec(code="prov_dom", name_uz="X", domains=[domain]))
        assert await _exists(owner, settings, "prov_dom") == {
            "schema": False,
            "role": False,
            "registry": False,
        }

    @pytest.mark.parametrize(
        ("spec", "field"),
        [
            (TenantSpec(code="prov_bad", name_uz="  "), "name_uz"),
            (TenantSpec(code="prov_bad", name_uz="X", name_ru="Я" * 256), "name_ru"),
            (TenantSpec(code="prov_bad", name_uz="X", hemis_code="30a"), "hemis_code"),
        ],
    )
    async def test_invalid_fields_are_named(
        self, owner: AsyncEngine, settings: Settings, spec: TenantSpec, field: str
    ) -> None:
        with pytest.raises(InvalidTenantSpecError) as caught:
            await create_tenant(owner, settings, spec)
        assert caught.value.field == field

    async def test_domains_are_normalised(
        self, owner: AsyncEngine, settings: Settings, tenants: object
    ) -> None:
        ref = await create_tenant(
            owner, settings, TenantSpec(code="prov_norm", name_uz="X", domains=["Prov.Hemis.UZ."])
        )
        try:
            async with owner.connect() as conn:
                domains = await conn.scalar(
                    text("SELECT array_agg(domain) FROM shared.tenant_domain WHERE tenant_id = :t"),
                    {"t": ref.id},
                )
            assert domains == ["prov.hemis.uz"]
        finally:
            await drop_tenant(owner, settings, "prov_norm")

    async def test_failure_after_ddl_rolls_everything_back(
        self, owner: AsyncEngine, settings: Settings, tenants: object
    ) -> None:
        async def failing_seed(conn: AsyncConnection, ref: TenantRef) -> None:
            raise RuntimeError("seed failed")

        with pytest.raises(RuntimeError, match="seed failed"):
            await provision(
                owner,
                TenantSpec(code="prov_fail", name_uz="X"),
                prefix=settings.tenancy.role_prefix,
                base_domain=settings.tenancy.base_domain,
                seed=failing_seed,
            )
        assert await _exists(owner, settings, "prov_fail") == {
            "schema": False,
            "role": False,
            "registry": False,
        }


class TestDrop:
    async def test_dumps_then_removes_everything(
        self, owner: AsyncEngine, settings: Settings, tenants: object
    ) -> None:
        await create_tenant(owner, settings, TenantSpec(code="prov_drop", name_uz="O'chiriladigan"))
        dump = await drop_tenant(owner, settings, "prov_drop")
        assert dump.exists()
        content = dump.read_text()
        assert "CREATE TABLE t_prov_drop.institution_profile" in content
        assert "O''chiriladigan" in content or "O'chiriladigan" in content
        assert await _exists(owner, settings, "prov_drop") == {
            "schema": False,
            "role": False,
            "registry": False,
        }

    async def test_unknown_tenant_is_refused(
        self, owner: AsyncEngine, settings: Settings, tenants: object
    ) -> None:
        with pytest.raises(TenantMissingError):
            await drop_tenant(owner, settings, "prov_nobody")


async def _fingerprint(conn: AsyncConnection, code: str, prefix: str) -> dict[str, list[tuple[object, ...]]]:
    """Everything a schema's tables are made of, with its own schema and role names masked."""
    schema, role = naming.schema_name(code), naming.tenant_role(code, prefix)
    queries = {
        "columns": "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, "
        "column_default, is_identity FROM information_schema.columns WHERE table_schema = :s",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s",
        "constraints": "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = :s",
        "privileges": "SELECT c.relname, c.relacl::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :s AND c.relkind = 'r'",
        "version": "SELECT version_num FROM {schema}.alembic_version",
    }
    out = {}
    for name, sql in queries.items():
        rows = (await conn.execute(text(sql.format(schema=schema)), {"s": schema})).all()
        masked = [tuple(str(v).replace(role, "<role>").replace(schema, "<schema>") for v in r) for r in rows]
        out[name] = sorted(masked)
    return out


class TestProvisionMatchesOnlineMigrations:
    """Provisioning runs Alembic's offline rendering; it must build what online upgrades build."""

    async def test_same_schema_either_way(
        self, owner: AsyncEngine, settings: Settings, tenants: object
    ) -> None:
        from tenants.migrate import downgrade_tenant_sync, upgrade_tenant_sync

        prefix = settings.tenancy.role_prefix
        for code in ("eq_offline", "eq_online"):
            await create_tenant(owner, settings, TenantSpec(code=code, name_uz=code))
        try:
            args = (naming.schema_name("eq_online"), naming.tenant_role("eq_online", prefix))
            async with owner.begin() as conn:
                await conn.run_sync(downgrade_tenant_sync, *args, "base")
            async with owner.begin() as conn:
                assert (
                    await conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_tables WHERE schemaname = 't_eq_online' "
                            "AND tablename <> 'alembic_version'"
                        )
                    )
                    == 0
                )
                await conn.run_sync(upgrade_tenant_sync, *args)
            async with owner.connect() as conn:
                offline = await _fingerprint(conn, "eq_offline", prefix)
                online = await _fingerprint(conn, "eq_online", prefix)
            assert offline["columns"] and offline["privileges"]
            assert offline == online
        finally:
            for code in ("eq_offline", "eq_online"):
                await drop_tenant(owner, settings, code)
