"""Shared bench setup: a private database and role prefix, and offline SQL of the tenant tree."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.config import REPO_ROOT, Settings
from hemis.core.embedded import ensure_database_url
from hemis.platform import create_tenant, setup_platform
from hemis.term_demo import TermSize, seed_term
from tenants.context import TenantRef
from tenants.database import app_engine, owner_engine
from tenants.migrate import alembic_config, tenant_head
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session
from tenants.testing import TestDatabase, recreate_database, worker_database


async def bench_database(name: str, *, fresh: bool = True) -> TestDatabase:
    """The database `hemis_test_bench_<name>_<checkout>` on DATABASE_URL's server (or the embedded
    one): dropped and created afresh, or (fresh=False) left as it is, maybe not yet created."""
    base = os.environ.get("DATABASE_URL", "")
    if not base:
        settings = Settings()
        settings.db.embedded_dir = REPO_ROOT / ".hemis" / "bench-pgdata"
        base = ensure_database_url(settings).db.url
    db = worker_database(base, worker=f"bench_{name}")
    if fresh:
        await recreate_database(db)
    return db


def offline_sql(start: str | None, end: str = "head", *, downgrade: bool = False) -> str:
    """The tenant tree's DDL between two revisions as plain SQL, without its BEGIN/COMMIT."""
    cfg = alembic_config("tenant")
    buffer = io.StringIO()
    cfg.output_buffer = buffer
    if downgrade:
        command.downgrade(cfg, f"{start}:{end}", sql=True)
    else:
        command.upgrade(cfg, f"{start}:{end}" if start else end, sql=True)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip() not in ("BEGIN;", "COMMIT;")]
    return "\n".join(lines)


def previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("tenant"))
    down = script.get_revision(tenant_head()).down_revision
    assert isinstance(down, str), "head must have exactly one parent"
    return down


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(values: Sequence[float]) -> str:
    return (
        f"n={len(values)} median={statistics.median(values) * 1000:.0f} ms "
        f"p95={pct(values, 95) * 1000:.0f} ms max={max(values) * 1000:.0f} ms"
    )


T = TypeVar("T")


async def provision_universities(settings: Settings, count: int) -> list[TenantRef]:
    """The platform set up and universities u001 … u<count> provisioned, empty."""
    owner = owner_engine(settings)
    try:
        await setup_platform(owner, settings)
        return [
            await create_tenant(owner, settings, TenantSpec(code=f"u{i:03d}", name_uz=f"Universitet {i}"))
            for i in range(1, count + 1)
        ]
    finally:
        await owner.dispose()


async def seeded_universities(
    settings: Settings,
    count: int,
    parallel: int,
    size: TermSize,
    each: Callable[[AsyncSession, TenantRef], Awaitable[T]],
) -> tuple[list[T], dict[str, float]]:
    """Universities u001 … u<count>, each with a term of `size` (hemis.term_demo) and whatever
    `each` adds in the same transaction (accounts, tokens; what it returns is kept), `parallel`
    at a time; returns `each`'s results in tenant order and the setup's timings."""
    started = time.perf_counter()
    refs = await provision_universities(settings, count)
    provisioned = time.perf_counter()

    settings.db.pool_size, settings.db.max_overflow = parallel, 0
    engine = app_engine(settings)
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    results: dict[int, T] = {}
    queue = list(enumerate(refs, start=1))

    async def seeder() -> None:
        while queue:
            number, ref = queue.pop(0)
            async with tenant_session(maker, ref) as session:
                await seed_term(session, seed=number, size=size)
                results[number] = await each(session, ref)
                await session.commit()

    await asyncio.gather(*(seeder() for _ in range(parallel)))
    await engine.dispose()
    done = time.perf_counter()
    timings = {"provision_s": round(provisioned - started, 1), "seed_s": round(done - provisioned, 1)}
    return [results[n] for n in sorted(results)], timings


def run_async(
    main: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]], args: argparse.Namespace
) -> dict[str, Any]:
    """Run a bench's main on uvloop when it is installed (uvicorn's workers use it too)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main(args))
    return uvloop.run(main(args))
