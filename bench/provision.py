"""Provision one tenant with the full schema: p95 ≤ 1 s and ≤ 2× a raw replay of the same DDL.

    uv run python bench/provision.py [--tenants 40]

Each sample provisions a fresh tenant through hemis.platform.create_tenant (role, schema,
grants, Alembic to head, registry, profile seed; one transaction). The raw reference
replays the same statements in one transaction through asyncpg: the role/schema/grant
DDL plus the tenant tree's offline SQL (`alembic upgrade head --sql`), registry rows and
the seed. Both run alternately in the same database, so they see the same catalog size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import asyncpg
from sqlalchemy.engine import make_url

from bench.common import bench_database, offline_sql, summary
from hemis.config import Settings
from hemis.platform import create_tenant, setup_platform
from tenants import naming
from tenants.database import owner_engine
from tenants.provision import TenantSpec


def raw_script(code: str, settings: Settings, tree_sql: str) -> str:
    prefix = settings.tenancy.role_prefix
    role, schema = naming.quote(naming.tenant_role(code, prefix)), naming.quote(naming.schema_name(code))
    return f"""
        SELECT pg_advisory_xact_lock(hashtext('t_{code}'));
        CREATE ROLE {role} NOLOGIN;
        GRANT {role} TO {naming.quote(naming.app_role(prefix))};
        GRANT {naming.quote(naming.ref_reader_role(prefix))} TO {role};
        CREATE SCHEMA {schema};
        GRANT USAGE ON SCHEMA {schema} TO {role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role};
        SELECT set_config('search_path', 't_{code}, ref', true), set_config('hemis.tenant_role', '{naming.tenant_role(code, prefix)}', true);
        {tree_sql}
        WITH t AS (INSERT INTO shared.tenant (code, kind, status, name_uz, name_oz, name_ru, name_en, created_at, updated_at)
                   VALUES ('{code}', 'university', 'active', 'Raw', '', '', '', now(), now()) RETURNING id)
        INSERT INTO shared.tenant_domain (domain, tenant_id, is_primary, created_at, updated_at)
            SELECT '{code}.hemis.localhost', id, true, now(), now() FROM t;
        INSERT INTO institution_profile (tenant_code, kind, name_uz, name_oz, name_ru, name_en, short_name, address,
            website, email, phone, rector, created_at, updated_at)
            VALUES ('{code}', 'university', 'Raw', '', '', '', '', '', '', '', '', '', now(), now());
    """


async def main(samples: int) -> dict[str, object]:
    db = await bench_database("provision")
    settings = db.settings
    engine = owner_engine(settings)
    await setup_platform(engine, settings)
    tree_sql = offline_sql(None)
    raw_conn = await asyncpg.connect(
        make_url(settings.db.url).set(drivername="postgresql").render_as_string(False)
    )
    ours: list[float] = []
    raw: list[float] = []
    for i in range(samples):
        started = time.perf_counter()
        await create_tenant(engine, settings, TenantSpec(code=f"p{i:04d}", name_uz=f"Bench {i}"))
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        async with raw_conn.transaction():
            await raw_conn.execute(raw_script(f"r{i:04d}", settings, tree_sql))
        raw.append(time.perf_counter() - started)
    await raw_conn.close()
    await engine.dispose()
    ours_sorted, raw_sorted = sorted(ours), sorted(raw)
    p95_ours = ours_sorted[int(0.95 * len(ours)) - 1]
    p95_raw = raw_sorted[int(0.95 * len(raw)) - 1]
    result = {
        "samples": samples,
        "provision": summary(ours),
        "raw_replay": summary(raw),
        "p95_ratio": round(p95_ours / p95_raw, 2),
        "target_p95_le_1s": p95_ours <= 1.0,
        "target_le_2x_raw": p95_ours <= 2 * p95_raw,
    }
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.tenants)), indent=2))
