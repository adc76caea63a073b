"""Migrate 225 tenants with one additive migration: ≤ 60 s.

    uv run python -m bench.migrate [--tenants 225] [--parallel 4]

Provisions the tenants (reported too), sets every tenant back one revision, then:
- raw reference: the head migration's offline SQL replayed per tenant, one transaction
  each, sequentially on one connection (the DESIGN.md reference measurement);
- the runner: `tenants.migrate.migrate_tenants`, the code behind `hemis tenants migrate`
  (worker processes, Alembic online, advisory lock + version row per tenant).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import asyncpg
from sqlalchemy.engine import make_url

from bench.common import bench_database, offline_sql, previous_revision, summary
from hemis.platform import create_tenant, setup_platform, tenant_codes
from tenants import naming
from tenants.database import async_url, owner_engine
from tenants.migrate import migrate_tenants, tenant_head
from tenants.provision import TenantSpec


async def replay(conn: asyncpg.Connection, codes: list[str], sql: str, prefix: str) -> list[float]:
    took = []
    for code in codes:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute(
                f"SELECT set_config('search_path', '{naming.tenant_search_path(code)}', true), "
                f"set_config('hemis.tenant_role', '{naming.tenant_role(code, prefix)}', true);\n{sql}"
            )
        took.append(time.perf_counter() - started)
    return took


async def main(count: int, parallel: int) -> dict[str, object]:
    db = await bench_database("migrate")
    settings = db.settings
    prefix = settings.tenancy.role_prefix
    engine = owner_engine(settings)
    await setup_platform(engine, settings)
    provision_times = []
    for i in range(count):
        started = time.perf_counter()
        await create_tenant(engine, settings, TenantSpec(code=f"u{i:03d}", name_uz=f"Universitet {i}"))
        provision_times.append(time.perf_counter() - started)
    codes = list(await tenant_codes(engine))
    await engine.dispose()

    previous, head = previous_revision(), tenant_head()
    up_sql, down_sql = offline_sql(previous, head), offline_sql(head, previous, downgrade=True)
    conn = await asyncpg.connect(
        make_url(settings.db.url).set(drivername="postgresql").render_as_string(False)
    )
    await replay(conn, codes, down_sql, prefix)
    started = time.perf_counter()
    raw = await replay(conn, codes, up_sql, prefix)
    raw_total = time.perf_counter() - started
    await replay(conn, codes, down_sql, prefix)

    started = time.perf_counter()
    results = migrate_tenants(async_url(settings.db.url), codes, prefix=prefix, parallelism=parallel)
    runner_total = time.perf_counter() - started
    versions = " UNION ALL ".join(
        f"SELECT version_num FROM {naming.quote(naming.schema_name(c))}.alembic_version" for c in codes
    )
    at_head = await conn.fetchval(f"SELECT count(*) FROM ({versions}) v WHERE version_num = $1", head)
    await conn.close()
    failed = [r.code for r in results if not r.ok]
    return {
        "tenants": len(codes),
        "migration": f"{previous} -> {head}",
        "provision_each": summary(provision_times),
        "raw_replay_total_s": round(raw_total, 2),
        "raw_replay_each": summary(raw),
        "runner_total_s": round(runner_total, 2),
        "runner_parallelism": parallel,
        "runner_each": summary([r.seconds for r in results]),
        "failed": failed,
        "tenants_at_head": at_head,
        "target_le_60s": runner_total <= 60 and not failed and at_head == len(codes),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=225)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.tenants, args.parallel)), indent=2))
