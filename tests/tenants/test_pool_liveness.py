"""The app pool hands out live connections without pinging each checkout (RELIABILITY T4).

A backend terminated while its connection sat in the pool must not fail the next request:
the checkout check sees the closed socket and the pool opens a new connection. The
negative control runs the same sequence on an engine without the check and must fail,
which proves the test would notice the check missing.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hemis.config import Settings
from tenants.context import TenantRef
from tenants.database import app_engine, app_url

BACKEND = text("SELECT pg_backend_pid()")


async def _terminate(owner: AsyncEngine, pid: int) -> None:
    async with owner.begin() as conn:
        assert (await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})).scalar()
    # Give the event loop a moment to read the socket's end, as it does between requests.
    for _ in range(50):
        await asyncio.sleep(0.02)


async def _pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        pid: int = (await conn.execute(BACKEND)).scalar_one()
        return pid


@pytest.fixture
def one_connection(settings: Settings) -> Settings:
    narrow = settings.model_copy(deep=True)
    narrow.db.pool_size = 1
    return narrow


async def test_a_terminated_pooled_connection_is_replaced(
    one_connection: Settings, owner: AsyncEngine, tenants: dict[str, TenantRef]
) -> None:
    engine = app_engine(one_connection)
    try:
        first = await _pid(engine)
        await _terminate(owner, first)
        second = await _pid(engine)  # would raise if the dead connection were handed out
        assert second != first
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("ping_after", "pinged"), [(0.0, True), (30.0, False)])
async def test_only_a_connection_idle_past_the_limit_is_pinged(
    one_connection: Settings, tenants: dict[str, TenantRef], ping_after: float, pinged: bool
) -> None:
    one_connection.db.ping_after_idle_seconds = ping_after
    engine = app_engine(one_connection)
    seen: list[str] = []
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(BACKEND)).scalar_one()
            raw = await conn.get_raw_connection()
            raw.driver_connection.add_query_logger(lambda record: seen.append(record.query))
        await asyncio.sleep(0.01)
        assert await _pid(engine) == first  # the same connection served the query either way
        assert (";" in seen) is pinged
    finally:
        await engine.dispose()


async def test_negative_control_without_the_check_the_dead_connection_fails(
    one_connection: Settings, owner: AsyncEngine, tenants: dict[str, TenantRef]
) -> None:
    engine = create_async_engine(app_url(one_connection), pool_size=1, max_overflow=0)
    try:
        first = await _pid(engine)
        await _terminate(owner, first)
        with pytest.raises(DBAPIError) as failure:
            await _pid(engine)
        assert failure.value.connection_invalidated
    finally:
        await engine.dispose()
