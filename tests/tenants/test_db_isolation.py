"""T3: PostgreSQL itself refuses cross-tenant access; the app role alone reads nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from tenants import naming
from tenants.context import TenantRef
from tenants.session import SWITCH
from tenants.testing import run_as_tenant


async def _as_tenant(app_db: AsyncEngine, settings: Settings, code: str, sql: str) -> object:
    return await run_as_tenant(app_db, settings.tenancy.role_prefix, code, sql)


class TestCrossSchemaQuery:
    async def test_own_schema_is_readable(
        self, app_db: AsyncEngine, settings: Settings, tenants: dict[str, TenantRef]
    ) -> None:
        rows = await _as_tenant(app_db, settings, "alpha", "SELECT tenant_code FROM institution_profile")
        assert rows == [("alpha",)]

    async def test_other_schema_by_name_is_permission_denied(
        self, app_db: AsyncEngine, settings: Settings
    ) -> None:
        with pytest.raises(DBAPIError, match="permission denied for schema t_beta"):
            await _as_tenant(app_db, settings, "alpha", "SELECT tenant_code FROM t_beta.institution_profile")

    async def test_write_into_other_schema_is_permission_denied(
        self, app_db: AsyncEngine, settings: Settings, owner: AsyncEngine
    ) -> None:
        with pytest.raises(DBAPIError, match="permission denied"):
            await _as_tenant(
                app_db,
                settings,
                "beta",
                "UPDATE t_alpha.institution_profile SET name_uz = 'hacked' RETURNING 1",
            )
        async with owner.connect() as conn:
            assert (
                await conn.scalar(text("SELECT name_uz FROM t_alpha.institution_profile"))
                == "Alfa universiteti"
            )

    async def test_university_cannot_read_national_schema(
        self, app_db: AsyncEngine, settings: Settings
    ) -> None:
        with pytest.raises(DBAPIError, match="permission denied for schema t_national"):
            await _as_tenant(app_db, settings, "alpha", "SELECT 1 FROM t_national.institution_profile")

    async def test_tenant_cannot_read_registry(self, app_db: AsyncEngine, settings: Settings) -> None:
        with pytest.raises(DBAPIError, match="permission denied for schema shared"):
            await _as_tenant(app_db, settings, "alpha", "SELECT code FROM shared.tenant")

    async def test_tenant_reads_but_cannot_write_classifiers(
        self, app_db: AsyncEngine, settings: Settings
    ) -> None:
        rows = await _as_tenant(app_db, settings, "alpha", "SELECT count(*) FROM classifier_item")
        assert rows[0][0] > 300
        with pytest.raises(DBAPIError, match="permission denied for table classifier_item"):
            await _as_tenant(app_db, settings, "alpha", "DELETE FROM ref.classifier_item")


class TestAppRoleAlone:
    """Outside a tenant transaction the login role has no rights at all (fail closed)."""

    @pytest.mark.parametrize(
        ("sql", "schema"),
        [
            ("SELECT * FROM t_alpha.institution_profile", "t_alpha"),
            ("SELECT * FROM shared.tenant", "shared"),
            ("SELECT * FROM t_national.institution_profile", "t_national"),
        ],
    )
    async def test_reads_nothing(
        self, app_db: AsyncEngine, tenants: dict[str, TenantRef], sql: str, schema: str
    ) -> None:
        async with app_db.connect() as conn:
            with pytest.raises(DBAPIError, match=f"permission denied for schema {schema}"):
                await conn.execute(text(sql))

    async def test_role_returns_to_app_role_after_commit(
        self, app_db: AsyncEngine, settings: Settings
    ) -> None:
        async with app_db.connect() as conn:
            async with conn.begin():
                await conn.execute(
                    SWITCH,
                    {
                        "role": naming.tenant_role("alpha", settings.tenancy.role_prefix),
                        "path": naming.tenant_search_path("alpha"),
                    },
                )
                assert await conn.scalar(text("SELECT current_user")) == naming.tenant_role(
                    "alpha", settings.tenancy.role_prefix
                )
            assert await conn.scalar(text("SELECT current_user")) == naming.app_role(
                settings.tenancy.role_prefix
            )
            assert "t_alpha" not in (await conn.scalar(text("SHOW search_path")))


class TestVersionTable:
    async def test_tenant_role_cannot_touch_its_version_row(
        self, app_db: AsyncEngine, settings: Settings
    ) -> None:
        for sql in ("SELECT * FROM alembic_version", "UPDATE alembic_version SET version_num = 'x'"):
            with pytest.raises(DBAPIError, match="permission denied for table alembic_version"):
                await _as_tenant(app_db, settings, "alpha", sql)


class TestAppendOnlyAudit:
    async def test_tenant_role_may_insert_but_not_change_audit_rows(
        self, app_db: AsyncEngine, settings: Settings
    ) -> None:
        rows = await _as_tenant(
            app_db,
            settings,
            "alpha",
            "INSERT INTO audit_event (at, action, actor, entity, entity_id, request_id, data) "
            "VALUES (now(), 'test.append', 'tester', 'x', '1', '', '{}') RETURNING id",
        )
        assert rows
        for sql in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with pytest.raises(DBAPIError, match="permission denied for table audit_event"):
                await _as_tenant(app_db, settings, "alpha", sql)
