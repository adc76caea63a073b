"""The whole country: the platform, the ministry, every university in worker processes, the
completion marker and --reuse."""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.common import bench_database
from bench.national_data.load import LoadConnection, load_connection, load_university
from bench.national_data.plan import NationalParams, UniversityPlan, plan_universities
from bench.national_data.vocabulary import REGIONS
from hemis.config import Settings
from hemis.demo import DEMO_TENANTS
from hemis.platform import create_tenant, setup_platform
from tenants import naming
from tenants.context import TenantKind
from tenants.database import async_url, owner_engine
from tenants.migrate import migrate_tenants, tenant_head
from tenants.provision import TenantSpec
from tenants.testing import TestDatabase, recreate_database


@dataclass(frozen=True)
class NationalDataset:
    """What other benches need: where the data is and which universities it holds."""

    settings: Settings
    codes: tuple[str, ...]  # the universities; the ministry is NATIONAL_CODE
    params: NationalParams
    counts: dict[str, int]
    reused: bool

    @property
    def url(self) -> str:
        return self.settings.db.url


NATIONAL_CODE = "national"


@dataclass(frozen=True, slots=True)
class Job:
    url: str
    prefix: str
    base_domain: str
    plan: UniversityPlan
    params: NationalParams
    base_amounts: tuple[tuple[date, int], ...]  # ref.base_calculation_amount: (valid_from, tiyin)


def _settings(url: str, prefix: str, base_domain: str) -> Settings:
    settings = Settings()
    settings.db.url, settings.tenancy.role_prefix, settings.tenancy.base_domain = url, prefix, base_domain
    return settings


def backend_cpu(pid: int) -> float:
    """CPU seconds a PostgreSQL backend on this machine has used (0 when it runs elsewhere): the
    box is shared, so the build reports the CPU it took beside its wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def build_university(job: Job, engine: AsyncEngine, conn: LoadConnection) -> dict[str, int]:
    """Provision one university through the platform, then load its data (two transactions)."""
    plan = job.plan
    spec = TenantSpec(code=plan.code, name_uz=plan.name_uz, name_ru=plan.name_ru, name_en=plan.name_en,
                      hemis_code=f"{plan.number:03d}")  # fmt: skip
    city = REGIONS[plan.region][0]
    async with engine.connect() as probe:  # the pool's one connection: create_tenant's too
        provisioner = (await probe.get_raw_connection()).driver_connection.get_server_pid()  # type: ignore[union-attr]
    started, cpu = time.perf_counter(), time.process_time()
    server = backend_cpu(provisioner) + backend_cpu(conn.get_server_pid())
    await create_tenant(
        engine, _settings(job.url, job.prefix, job.base_domain), spec,
        short_name=plan.short_name, region_code=plan.region, website=f"https://{plan.code}.edu.uz",
        address=f"{city} sh., Universitet ko'chasi, {plan.number}",
    )  # fmt: skip
    provisioned = round((time.perf_counter() - started) * 1000)
    counts = await load_university(conn, plan, job.params, job.base_amounts)
    server = backend_cpu(provisioner) + backend_cpu(conn.get_server_pid()) - server
    return counts | {
        "ms_provision": provisioned,
        "cpu_ms_client": round((time.process_time() - cpu) * 1000),
        "cpu_ms_postgres": round(server * 1000),
    }


_worker: dict[str, Any] = {}  # per worker process: its event loop, engine and COPY connection


def _engine(url: str) -> AsyncEngine:
    return create_async_engine(async_url(url), pool_size=1, max_overflow=0, pool_pre_ping=True)


def _init_worker(url: str) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    _worker.update(loop=loop, engine=_engine(url), conn=loop.run_until_complete(load_connection(url)))


def _build_in_worker(job: Job) -> dict[str, int]:
    started = time.perf_counter()
    counts: dict[str, int] = _worker["loop"].run_until_complete(
        build_university(job, _worker["engine"], _worker["conn"])
    )
    return counts | {"ms": round((time.perf_counter() - started) * 1000)}


async def build_universities(jobs: list[Job], parallel: int, progress: Any = None) -> list[dict[str, int]]:
    """Every university, largest first, in `parallel` spawned worker processes (in this process
    and event loop when parallel is 1: tests and tiny datasets)."""
    jobs = sorted(jobs, key=lambda j: -j.plan.size)
    results: list[dict[str, int]] = []

    def done(job: Job, counts: dict[str, int]) -> None:
        results.append(counts)
        if progress:
            progress(len(results), len(jobs), job.plan.code)

    if parallel <= 1:
        engine, conn = _engine(jobs[0].url), await load_connection(jobs[0].url)
        try:
            for job in jobs:
                started = time.perf_counter()
                counts = await build_university(job, engine, conn)
                done(job, counts | {"ms": round((time.perf_counter() - started) * 1000)})
        finally:
            await conn.close()
            await engine.dispose()
        return results
    context = multiprocessing.get_context("spawn")  # no forked sockets or event loops
    with ProcessPoolExecutor(
        parallel, mp_context=context, initializer=_init_worker, initargs=(jobs[0].url,)
    ) as pool:
        running: dict[asyncio.Future[dict[str, int]], Job] = {}
        pending = list(jobs)
        while pending or running:
            while pending and len(running) < parallel:
                job = pending.pop(0)
                running[asyncio.wrap_future(pool.submit(_build_in_worker, job))] = job
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                done(running.pop(future), future.result())  # a failure ends the build: no marker
    return results


MARKER = "bench_meta.national_dataset"


async def completed_build(url: str) -> dict[str, Any] | None:
    """The marker row of a completed build in the database at `url`, or None."""
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        row = await conn.fetchrow(f"SELECT params, role_prefix, codes, counts FROM {MARKER}")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return None if row is None else {
        "params": json.loads(row["params"]), "role_prefix": row["role_prefix"], "codes": list(row["codes"]),
        "counts": json.loads(row["counts"]),
    }  # fmt: skip


async def _to_head(settings: Settings, codes: Sequence[str]) -> None:
    """A kept dataset follows the code: the shared tree and every tenant migrated to head."""
    owner = owner_engine(settings)
    try:
        await setup_platform(owner, settings)
    finally:
        await owner.dispose()
    head = tenant_head()
    conn = await asyncpg.connect(settings.db.url)
    try:
        behind = [
            code for code in codes
            if await conn.fetchval(f"SELECT version_num FROM {naming.quote(naming.schema_name(code))}.alembic_version") != head
        ]  # fmt: skip
    finally:
        await conn.close()
    if behind:
        failed = [
            r
            for r in migrate_tenants(
                async_url(settings.db.url), behind, prefix=settings.tenancy.role_prefix, parallelism=2
            )
            if not r.ok
        ]
        if failed:
            raise RuntimeError(f"migrating the kept dataset failed: {failed[0].code}: {failed[0].error}")


def database_name(params: NationalParams) -> str:
    """`national` for the default parameters (the dataset other benches keep), another name per
    other set, so that a trial at another size never drops the full build."""
    if params == NationalParams():
        return "national"
    return "nat" + hashlib.sha1(json.dumps(params.as_json()).encode(), usedforsecurity=False).hexdigest()[:6]


async def national_dataset(
    params: NationalParams | None = None, *, parallel: int = 2, reuse: bool = False, db: TestDatabase | None = None,
    progress: Any = None,
) -> NationalDataset:  # fmt: skip
    """The national dataset of `params` in its private database (`bench_database("national")`
    for the default parameters, see database_name; or `db`): kept when `reuse` and a completed build of the same parameters is
    there, else built afresh."""
    params = params or NationalParams()
    db = db or await bench_database(database_name(params), fresh=False)
    settings = db.settings
    if reuse:
        found = await completed_build(db.url)
        if found and found["params"] == params.as_json():
            # The roles are the build's (a database named from another checkout keeps its own).
            settings = settings.model_copy(deep=True)
            settings.tenancy.role_prefix = found["role_prefix"]
            await _to_head(settings, [NATIONAL_CODE, *found["codes"]])
            return NationalDataset(settings, tuple(found["codes"]), params, found["counts"], reused=True)
    started = time.perf_counter()
    await recreate_database(db)
    owner = owner_engine(settings)
    try:
        await setup_platform(owner, settings)
        ministry = next(d for d in DEMO_TENANTS if d.spec.kind is TenantKind.NATIONAL)
        assert ministry.spec.code == NATIONAL_CODE
        await create_tenant(owner, settings, ministry.spec, **ministry.profile)
    finally:
        await owner.dispose()
    conn = await asyncpg.connect(settings.db.url)
    try:
        base_amounts = tuple(
            (r["valid_from"], r["amount"])
            for r in await conn.fetch("SELECT valid_from, amount FROM ref.base_calculation_amount")
        )
    finally:
        await conn.close()
    plans = plan_universities(params)
    prefix, domain = settings.tenancy.role_prefix, settings.tenancy.base_domain
    jobs = [Job(settings.db.url, prefix, domain, plan, params, base_amounts) for plan in plans]
    results = await build_universities(jobs, parallel, progress)
    counts: dict[str, int] = {}
    for result in results:
        for key, value in result.items():
            counts[key] = counts.get(key, 0) + value
    del counts["ms"]
    counts["universities"] = len(results)
    counts["dual_enrolled_persons"] = sum(p.role == "dual" for plan in plans for p in plan.shared) // 2
    counts["transferred_persons"] = sum(p.role == "transfer_in" for plan in plans for p in plan.shared)
    counts["slowest_university_ms"] = max(r["ms"] for r in results)
    codes = [plan.code for plan in plans]
    conn = await asyncpg.connect(settings.db.url)
    try:
        ministry_schema = naming.quote(naming.schema_name(NATIONAL_CODE))
        await conn.execute(
            f"ANALYZE shared.tenant, shared.tenant_domain, {ministry_schema}.institution_profile"
        )
        counts["build_ms"] = round((time.perf_counter() - started) * 1000)
        # Written last: its presence means the build completed.
        await conn.execute(
            "CREATE SCHEMA bench_meta; "
            f"CREATE TABLE {MARKER} (params jsonb NOT NULL, role_prefix text NOT NULL, codes text[] NOT NULL, "
            "counts jsonb NOT NULL, completed_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute(
            f"INSERT INTO {MARKER} (params, role_prefix, codes, counts) VALUES ($1, $2, $3, $4)",
            json.dumps(params.as_json()), prefix, codes, json.dumps(counts),
        )  # fmt: skip
    finally:
        await conn.close()
    return NationalDataset(settings, tuple(codes), params, counts, reused=False)
