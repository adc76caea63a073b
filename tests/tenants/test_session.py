"""Tenant sessions: SET LOCAL per transaction, and fail closed when no tenant is set."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.config import Settings
from hemis.institution.models import InstitutionProfile
from tenants import naming
from tenants.context import TenantMismatchError, TenantNotSetError, TenantRef, current_tenant, tenant_scope
from tenants.session import shared_session, tenant_session


class TestFailClosed:
    async def test_session_without_tenant_raises_before_any_sql(
        self, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with maker() as session:
            with pytest.raises(TenantNotSetError):
                await session.execute(select(InstitutionProfile.tenant_code))

    async def test_current_tenant_outside_scope_raises(self) -> None:
        with pytest.raises(TenantNotSetError):
            current_tenant()

    async def test_shared_session_sees_no_tenant_table(self, maker: async_sessionmaker[AsyncSession]) -> None:
        async with shared_session(maker) as session:
            with pytest.raises(Exception, match="institution_profile"):
                await session.execute(text("SELECT tenant_code FROM institution_profile"))


class TestTenantSession:
    @pytest.mark.parametrize("code", ["alpha", "beta", "national"])
    async def test_reads_its_own_sentinel(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef], code: str
    ) -> None:
        async with tenant_session(maker, tenants[code]) as session:
            assert await session.scalar(select(InstitutionProfile.tenant_code)) == code

    async def test_tenant_scope_picks_the_tenant(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        with tenant_scope(tenants["beta"]):
            async with maker() as session:
                assert await session.scalar(select(InstitutionProfile.tenant_code)) == "beta"

    async def test_every_transaction_reapplies_the_tenant(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef], settings: Settings
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            assert await session.scalar(select(InstitutionProfile.tenant_code)) == "alpha"
            await session.commit()
            # A later transaction of the same session (new connection checkout) is scoped again.
            assert await session.scalar(text("SELECT current_user")) == naming.tenant_role(
                "alpha", settings.tenancy.role_prefix
            )

    async def test_savepoint_keeps_the_tenant(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            async with session.begin_nested():
                assert await session.scalar(select(InstitutionProfile.tenant_code)) == "alpha"
            assert await session.scalar(select(InstitutionProfile.tenant_code)) == "alpha"

    async def test_pinned_tenant_under_another_scope_is_refused(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        with tenant_scope(tenants["beta"]):
            async with tenant_session(maker, tenants["alpha"]) as session:
                with pytest.raises(TenantMismatchError):
                    await session.scalar(select(InstitutionProfile.tenant_code))

    async def test_session_reused_under_another_tenant_is_refused(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        async with maker() as session:
            with tenant_scope(tenants["alpha"]):
                assert await session.get(InstitutionProfile, 1) is not None
                await session.commit()
            with tenant_scope(tenants["beta"]), pytest.raises(TenantMismatchError):
                # Unpinned, the identity map would hand back alpha's row with no SQL at all.
                await session.get(InstitutionProfile, 1)

    async def test_shared_session_stays_shared_inside_a_tenant_scope(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef], settings: Settings
    ) -> None:
        with tenant_scope(tenants["alpha"]):
            async with shared_session(maker) as session:
                role = await session.scalar(text("SELECT current_user"))
                assert role == naming.shared_role(settings.tenancy.role_prefix)
                assert await session.scalar(text("SELECT count(*) FROM shared.tenant")) >= 3


class TestNothingSurvivesTheTransaction:
    """The product's own switch (not a copy in the test) must be transaction-local."""

    async def test_connection_is_back_to_app_role_after_commit(
        self, settings: Settings, tenants: dict[str, TenantRef]
    ) -> None:
        from tenants.database import app_engine
        from tenants.session import make_sessionmaker

        one = settings.model_copy(deep=True)
        one.db.pool_size, one.db.max_overflow = 1, 0
        engine = app_engine(one)
        try:
            maker = make_sessionmaker(engine, one.tenancy.role_prefix)
            async with tenant_session(maker, tenants["alpha"]) as session:
                assert await session.scalar(select(InstitutionProfile.tenant_code)) == "alpha"
                await session.commit()
            async with engine.connect() as conn:  # the same (only) pooled connection
                assert await conn.scalar(text("SELECT current_user")) == naming.app_role(
                    one.tenancy.role_prefix
                )
                assert "t_alpha" not in await conn.scalar(text("SHOW search_path"))
        finally:
            await engine.dispose()


class TestOneRoundTripToBegin:
    """BEGIN and the switch are sent as one message; a failed switch leaves nothing behind."""

    @staticmethod
    def _one_connection_engine(settings: Settings) -> AsyncEngine:
        from tenants.database import app_engine

        one = settings.model_copy(deep=True)
        one.db.pool_size, one.db.max_overflow = 1, 0
        return app_engine(one)

    async def test_begin_and_switch_are_one_message(
        self, settings: Settings, tenants: dict[str, TenantRef]
    ) -> None:
        from tenants.session import make_sessionmaker

        engine = self._one_connection_engine(settings)
        sent: list[str] = []
        try:
            async with engine.connect() as conn:  # open the pool's only connection, log its queries
                driver = (await conn.get_raw_connection()).driver_connection
                assert driver is not None
                driver.add_query_logger(lambda record: sent.append(record.query))
            maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
            async with tenant_session(maker, tenants["alpha"]) as session:
                assert await session.scalar(select(InstitutionProfile.tenant_code)) == "alpha"
                await session.commit()
        finally:
            await engine.dispose()
        # The logger sees simple queries (prepared statements are not logged): no BEGIN of its own.
        role = naming.tenant_role("alpha", settings.tenancy.role_prefix)
        assert sent == [
            f"BEGIN; SELECT set_config('role', '{role}', true), set_config('search_path', 't_alpha, ref', true);",
            "COMMIT;",
        ]

    async def test_failed_switch_raises_and_the_connection_is_clean(self, settings: Settings) -> None:
        from tenants.context import TenantKind
        from tenants.session import make_sessionmaker

        engine = self._one_connection_engine(settings)
        try:
            maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
            ghost = TenantRef(id=999_999, code="ghost", kind=TenantKind.UNIVERSITY)  # no such role
            async with tenant_session(maker, ghost) as session:
                with pytest.raises(DBAPIError, match="ghost"):
                    await session.scalar(select(InstitutionProfile.tenant_code))
            async with engine.connect() as conn:  # the same (only) pooled connection
                assert await conn.scalar(text("SELECT current_user")) == naming.app_role(
                    settings.tenancy.role_prefix
                )
                driver = (await conn.get_raw_connection()).driver_connection
                assert driver is not None
                assert driver.is_in_transaction()  # this connection's own, just begun
        finally:
            await engine.dispose()
