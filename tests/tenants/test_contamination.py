"""T2, pool contamination: thousands of concurrent requests on random tenants, 0 mismatches.

Each tenant schema holds a sentinel row (institution_profile.tenant_code) naming its
tenant; every response must carry the tenant that was asked for. The negative control
runs the same checker over session-level SET on a transaction-pooled connection set
(what PgBouncer in transaction mode does to each statement) and must find mismatches,
which proves the checker would catch a session-level SET.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from hemis.config import Settings
from tenants import naming
from tenants.context import TenantRef

CODES = ("alpha", "beta", "national")
REQUESTS = 3000
CONCURRENCY = 64


async def _fan_out(n: int, concurrency: int, op: Callable[[str], Awaitable[str | None]]) -> Counter[str]:
    """Run n ops on random tenants; count ok / mismatch / error."""
    rng = random.Random(20261125)
    plan = [rng.choice(CODES) for _ in range(n)]
    gate = asyncio.Semaphore(concurrency)
    tally: Counter[str] = Counter()

    async def one(code: str) -> None:
        async with gate:
            try:
                seen = await op(code)
            except Exception:
                tally["error"] += 1
                return
            tally["ok" if seen == code else "mismatch"] += 1

    await asyncio.gather(*(one(c) for c in plan))
    return tally


class TestThroughTheApp:
    @pytest.mark.slow
    async def test_no_request_sees_another_tenant(
        self, client: httpx.AsyncClient, tenants: dict[str, TenantRef]
    ) -> None:
        async def request(code: str) -> str | None:
            # Interleave failing requests: an error path must not leak its tenant either.
            if random.random() < 0.1:
                await client.get(f"/t/{code}/api/v1/classifiers/h_missing")
            response = await client.get(f"/t/{code}/api/v1/institution")
            response.raise_for_status()  # counted as an error, not as a mismatch
            return str(response.json()["tenant_code"])

        tally = await _fan_out(REQUESTS, CONCURRENCY, request)
        assert tally == Counter(ok=REQUESTS), tally


def _libpq_dsn(settings: Settings) -> str:
    url = make_url(settings.db.url).set(
        drivername="postgresql",
        username=naming.app_role(settings.tenancy.role_prefix),
        password=settings.db.app_password,
    )
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def pool(settings: Settings, tenants: dict[str, TenantRef]) -> asyncpg.Pool:
    # Few connections and many tasks: each transaction may land on any server connection,
    # and, as in PgBouncer's transaction mode, nothing resets a connection between clients
    # (asyncpg's own pool would RESET ALL on release and hide a session-level SET).
    async def no_reset(conn: asyncpg.Connection) -> None:
        return None

    p = await asyncpg.create_pool(_libpq_dsn(settings), min_size=4, max_size=4, reset=no_reset)
    yield p
    await p.close()


class TestTransactionPooling:
    async def test_set_local_in_the_transaction_never_mismatches(
        self, pool: asyncpg.Pool, settings: Settings
    ) -> None:
        prefix = settings.tenancy.role_prefix

        async def op(code: str) -> str | None:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "SELECT set_config('role', $1, true), set_config('search_path', $2, true)",
                    naming.tenant_role(code, prefix),
                    naming.tenant_search_path(code),
                )
                return await conn.fetchval("SELECT tenant_code FROM institution_profile")

        tally = await _fan_out(REQUESTS, CONCURRENCY, op)
        assert tally == Counter(ok=REQUESTS), tally

    async def test_negative_control_session_set_is_caught(
        self, pool: asyncpg.Pool, settings: Settings
    ) -> None:
        prefix = settings.tenancy.role_prefix

        async def op(code: str) -> str | None:
            # A session-level SET is its own transaction; a transaction pooler may run the
            # next statement on a server connection another client set.
            async with pool.acquire() as conn:
                await conn.execute(f"SET ROLE {naming.quote(naming.tenant_role(code, prefix))}")
                await conn.execute(f"SET search_path TO {naming.tenant_search_path(code)}")
            await asyncio.sleep(0)
            async with pool.acquire() as conn:
                return await conn.fetchval("SELECT tenant_code FROM institution_profile")

        tally = await _fan_out(REQUESTS, CONCURRENCY, op)
        assert tally["mismatch"] > 0, tally
