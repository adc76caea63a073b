"""Migrations: the shared tree once, then every tenant schema with bounded parallelism.

Each tenant migrates in ONE transaction that also bumps its version row (in its own
schema), under a transaction-level advisory lock, so `kill -9` at any point leaves every
tenant at a whole version and a rerun finishes the job. Tenants run in worker
processes, not threads or tasks: Alembic's `op`/`context` are module-level proxies, so
two migrations in one process would write into each other's schema.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tenants import naming


def alembic_config(tree: str) -> Config:
    """An Alembic Config for tree "shared" or "tenant", independent of the working directory."""
    import hemis.migrations

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(hemis.migrations.__file__).parent / tree))
    return cfg


@cache
def tenant_head() -> str:
    heads = ScriptDirectory.from_config(alembic_config("tenant")).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"tenant tree must have one head, has {heads}")
    return heads[0]


_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:s))")


async def lock_tenant(conn: AsyncConnection, schema: str) -> None:
    """One transaction at a time provisions, migrates or drops a given tenant schema."""
    await conn.execute(_LOCK, {"s": naming.schema_name(naming.code_from_schema(schema))})


def prepare_tenant_connection(connection: Connection, schema: str, role: str) -> None:
    """Serialise migrators per tenant, aim DDL at its schema, and tell migrations its role."""
    connection.execute(_LOCK, {"s": naming.schema_name(naming.code_from_schema(schema))})
    connection.execute(
        text("SELECT set_config('search_path', :p, true), set_config('hemis.tenant_role', :r, true)"),
        {"p": f"{schema}, {naming.REF_SCHEMA}", "r": role},
    )


def upgrade_shared_sync(connection: Connection, target: str = "head") -> None:
    cfg = alembic_config("shared")
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)


def revoke_version_table(schema: str, role: str) -> str:
    """The tenant role must never touch its version row: default privileges would grant it."""
    return f"REVOKE ALL ON {naming.quote(schema)}.alembic_version FROM {naming.quote(role)};"


def upgrade_tenant_sync(connection: Connection, schema: str, role: str, target: str = "head") -> None:
    cfg = alembic_config("tenant")
    cfg.attributes.update(connection=connection, tenant_schema=schema, tenant_role=role)
    command.upgrade(cfg, target)
    connection.exec_driver_sql(revoke_version_table(schema, role))


def downgrade_tenant_sync(connection: Connection, schema: str, role: str, target: str) -> None:
    cfg = alembic_config("tenant")
    cfg.attributes.update(connection=connection, tenant_schema=schema, tenant_role=role)
    command.downgrade(cfg, target)


@cache
def tenant_ddl() -> str:
    """The whole tenant tree to head as one SQL script (Alembic's offline rendering), cached.

    Provisioning runs this in one round trip instead of ~80 prepared statements; it is
    the same DDL, rendered by Alembic from the same revisions, and a test checks that
    both paths build identical schemas. Hence the rule: tenant migrations must render
    offline (DDL and literal data; no op.get_bind() queries).
    """
    cfg = alembic_config("tenant")
    buffer = io.StringIO()
    cfg.output_buffer = buffer
    command.upgrade(cfg, "head", sql=True)
    # The caller owns the transaction.
    return "\n".join(
        line for line in buffer.getvalue().splitlines() if line.strip() not in ("BEGIN;", "COMMIT;")
    )


def tenant_revision_sync(connection: Connection, schema: str) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return ctx.get_current_revision()


async def upgrade_shared(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_shared_sync)


@dataclass(slots=True)
class TenantMigrationResult:
    code: str
    schema: str
    before: str | None
    after: str | None
    ok: bool
    seconds: float
    error: str = ""
    # Never attempted: the run stopped at an earlier failure (no --continue).
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def status(self) -> str:
        return "ok" if self.ok else "skipped" if self.skipped else "failed"


async def _migrate_one(engine: AsyncEngine, code: str, prefix: str, target: str) -> TenantMigrationResult:
    schema, role = naming.schema_name(code), naming.tenant_role(code, prefix)
    started = time.perf_counter()
    before: str | None = None
    try:
        async with engine.begin() as conn:
            before = await conn.run_sync(tenant_revision_sync, schema)
            await conn.run_sync(upgrade_tenant_sync, schema, role, target)
            after = await conn.run_sync(tenant_revision_sync, schema)
        return TenantMigrationResult(code, schema, before, after, True, time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - reported per tenant; the runner decides whether to go on
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        return TenantMigrationResult(
            code, schema, before, before, False, time.perf_counter() - started, error
        )


# Per worker process: one event loop and one small engine, reused for every tenant it gets.
_worker: dict[str, Any] = {}


def _init_worker(url: str) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # pool_pre_ping: a connection that died between tenants is replaced, not reported as a failure.
    _worker.update(
        loop=loop, engine=create_async_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    )


def _migrate_one_in_worker(code: str, prefix: str, target: str) -> TenantMigrationResult:
    try:
        return _worker["loop"].run_until_complete(_migrate_one(_worker["engine"], code, prefix, target))  # type: ignore[no-any-return]
    except BaseException as exc:  # noqa: BLE001 - a worker must always answer, never hang the runner
        error = traceback.format_exception_only(exc)[-1].strip()
        return TenantMigrationResult(code, naming.schema_name(code), None, None, False, 0.0, error)


ProgressFn = Callable[[int, int, TenantMigrationResult], None]


def migrate_tenants(
    url: str,
    codes: Sequence[str],
    *,
    prefix: str = "",
    parallelism: int = 4,
    keep_going: bool = False,
    target: str = "head",
    on_result: ProgressFn | None = None,
) -> list[TenantMigrationResult]:
    """Migrate the given tenants; stop submitting at the first failure unless keep_going."""
    results: list[TenantMigrationResult] = []
    total = len(codes)
    if total == 0:
        return results
    pending_codes = list(codes)
    workers = max(1, min(parallelism, total))
    ctx = multiprocessing.get_context("spawn")  # no forked asyncpg sockets or event loops

    def record(result: TenantMigrationResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(len(results), total, result)

    def lost(code: str, why: str) -> TenantMigrationResult:
        return TenantMigrationResult(code, naming.schema_name(code), None, None, False, 0.0, why)

    failed = False
    while pending_codes:
        # A worker that dies (OOM, segfault) breaks the whole pool: its tenants are recorded
        # as failed (their transactions died with it), and with keep_going a new pool goes on.
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(url,)
        ) as pool:
            running: dict[Future[TenantMigrationResult], str] = {}
            broken = False
            while (pending_codes or running) and not broken:
                while pending_codes and len(running) < workers and not (failed and not keep_going):
                    code = pending_codes.pop(0)
                    running[pool.submit(_migrate_one_in_worker, code, prefix, target)] = code
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    code = running.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool as exc:
                        broken, result = True, lost(code, f"worker process died: {exc}")
                    failed = failed or not result.ok
                    record(result)
            for code in running.values():
                record(lost(code, "worker process died"))
        if failed and not keep_going:
            break
    for code in pending_codes:
        result = lost(code, "")
        result.skipped = True
        record(result)
    return results
