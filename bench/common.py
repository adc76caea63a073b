"""Shared bench setup: a private database and role prefix, and offline SQL of the tenant tree."""

from __future__ import annotations

import io
import os
import statistics
from collections.abc import Sequence

from alembic import command
from alembic.script import ScriptDirectory

from hemis.config import REPO_ROOT, Settings
from hemis.core.embedded import ensure_database_url
from tenants.migrate import alembic_config, tenant_head
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
