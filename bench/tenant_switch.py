"""How to pick the schema per transaction: SET LOCAL search_path vs schema_translate_map.

    uv run python -m bench.tenant_switch [--tenants 50] [--seconds 10] [--concurrency 16]

Both variants switch the role with SET LOCAL (the isolation guarantee); they differ in
how the schema is chosen: (a) `set_config('search_path', …, true)` in the same round
trip, or (b) schema-qualified SQL from SQLAlchemy's schema_translate_map. The query is a
"my grades"-shaped read: 20 rows by an indexed key from a 2,000-row table per tenant,
one transaction per request, random tenant each time, through the app role's pool.
Reference: the same query in one tenant with no switch at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.common import bench_database, pct
from hemis.core.audit import AuditEvent
from hemis.platform import create_tenant, setup_platform
from tenants import naming
from tenants.database import app_engine, owner_engine
from tenants.provision import TenantSpec

QUERY = select(AuditEvent.id, AuditEvent.action, AuditEvent.at).where(AuditEvent.entity_id == "42").limit(20)


async def seed(owner: AsyncEngine, code: str) -> None:
    schema = naming.quote(naming.schema_name(code))
    async with owner.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO {schema}.audit_event (at, action, actor, entity, entity_id, request_id, data) "
                "SELECT now(), 'grading.mark.recorded', 'bench', 'mark', (g % 100)::text, '', '{}' "
                "FROM generate_series(1, 2000) g"
            )
        )
        await conn.execute(
            text(f"CREATE INDEX IF NOT EXISTS bench_entity_idx ON {schema}.audit_event (entity_id)")
        )
        await conn.execute(text(f"ANALYZE {schema}.audit_event"))


async def run_for(seconds: float, concurrency: int, op: Callable[[], Awaitable[int]]) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            assert await op() == 20
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "qps": round(len(latencies) / seconds),
        "p50_ms": round(pct(latencies, 50) * 1000, 2),
        "p99_ms": round(pct(latencies, 99) * 1000, 2),
    }


async def main(count: int, seconds: float, concurrency: int) -> dict[str, object]:
    db = await bench_database("switch")
    settings = db.settings
    prefix = settings.tenancy.role_prefix
    owner = owner_engine(settings)
    await setup_platform(owner, settings)
    codes = [f"s{i:03d}" for i in range(count)]
    for code in codes:
        await create_tenant(owner, settings, TenantSpec(code=code, name_uz=code))
        await seed(owner, code)
    await owner.dispose()
    settings.db.pool_size, settings.db.max_overflow = concurrency, 0
    settings.db.statement_cache_size = max(500, count * 4)
    engine = app_engine(settings)
    switch_both = text("SELECT set_config('role', :r, true), set_config('search_path', :p, true)")
    switch_role = text("SELECT set_config('role', :r, true)")

    async def rows(conn: AsyncConnection) -> int:
        return len((await conn.execute(QUERY)).all())

    async def search_path() -> int:
        code = random.choice(codes)
        async with engine.connect() as conn, conn.begin():
            await conn.execute(
                switch_both, {"r": naming.tenant_role(code, prefix), "p": naming.tenant_search_path(code)}
            )
            return await rows(conn)

    async def translate_map() -> int:
        code = random.choice(codes)
        async with engine.connect() as raw:
            conn = await raw.execution_options(schema_translate_map={None: naming.schema_name(code)})
            async with conn.begin():
                await conn.execute(switch_role, {"r": naming.tenant_role(code, prefix)})
                return await rows(conn)

    async def one_tenant_no_switch() -> int:
        async with engine.connect() as raw:
            conn = await raw.execution_options(schema_translate_map={None: naming.schema_name(codes[0])})
            async with conn.begin():
                # The app role alone can read nothing; the reference keeps one constant role.
                await conn.execute(switch_role, {"r": naming.tenant_role(codes[0], prefix)})
                return await rows(conn)

    results = {}
    for name, op in (
        ("search_path", search_path),
        ("schema_translate_map", translate_map),
        ("one_tenant_reference", one_tenant_no_switch),
    ):
        await run_for(1.0, concurrency, op)  # warm the pool and statement caches
        results[name] = await run_for(seconds, concurrency, op)
    await engine.dispose()
    return {"tenants": count, "concurrency": concurrency, "seconds": seconds, **results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.tenants, args.seconds, args.concurrency)), indent=2))
