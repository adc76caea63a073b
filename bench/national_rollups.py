"""Issue 7 at national scale: a full recompute of every roll-up (target ≤ 30 s) and how soon a
change in a university is visible nationally (target ≤ 60 s), beside the physical reference
measured in the same run: the single-table scan rate of the same data.

    uv run python -m bench.national_rollups [--tenants 225] [--students 1450000] [--marks 40]
                                            [--parallel 2] [--changes 5] [--interval 5] [--no-reuse] [--no-rebuild]
                                            [--no-new-day] [--new-day 7]
                                            [--database hemis_test_bench_national_<checkout>]

Data: bench.national_data's dataset (225 universities, 1.45 million students, ~40 marks
each), reused when a completed build of the same parameters is there (building it takes
minutes; --no-reuse rebuilds).

Reference: every university's `mark` table scanned once (`count(*)`, `sum(points)`), one
tenant after another on one connection and then `--parallel` at a time: rows per second and
MB per second of heap. The recompute reads those marks (and students, absences, contracts …)
and aggregates them, so its time is reported as a multiple of that scan.

Recompute: `RollupWorker.recompute(parallel=…)`, what `hemis rollups recompute` runs, as the
app's own roles (each university in its own transactions, REPEATABLE READ). Measured again as
of a week later (`new_day`: the first recompute of a day, in which attendance and ages differ
at every university; --new-day DAYS), then as of today to put today's figures back (--no-new-day skips both).

Freshness: the worker's loop (`hemis rollups worker`, `--interval` seconds a round) runs in
this process while a change is committed in a random university (a studying student goes on
academic leave through the tenant's own role); the clock runs from that commit until the
national contingent of that university shows it. Each change is undone afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.national_data import NationalDataset, NationalParams, national_dataset
from hemis.rollups.models import Contingent
from hemis.rollups.worker import Refresh, RollupWorker
from hemis.students.models import Student
from tenants import naming
from tenants.context import TenantKind, TenantRef
from tenants.database import app_engine, owner_engine
from tenants.registry import tenant_ref
from tenants.session import tenant_session
from tenants.testing import worker_database

STUDYING, LEAVE = "11", "13"


async def scan_reference(engine: AsyncEngine, codes: list[str], parallel: int) -> dict[str, Any]:
    """The physical reference: each university's marks scanned once, sequentially and in parallel."""

    async def scan(code: str) -> tuple[int, int]:
        schema = naming.schema_name(code)
        async with engine.connect() as conn:
            # lint-skip: the bench's reference scan, as the owner, of a validated schema name
            rows = (await conn.execute(text(f"SELECT count(*), sum(points) FROM {schema}.mark"))).one()[0]
            size = await conn.scalar(text("SELECT pg_relation_size(:t)"), {"t": f"{schema}.mark"})
        return int(rows or 0), int(size or 0)

    started = time.perf_counter()
    sequential = [await scan(code) for code in codes]
    one = time.perf_counter() - started
    gate = asyncio.Semaphore(parallel)

    async def gated(code: str) -> tuple[int, int]:
        async with gate:
            return await scan(code)

    started = time.perf_counter()
    await asyncio.gather(*(gated(c) for c in codes))
    many = time.perf_counter() - started
    rows = sum(r for r, _ in sequential)
    size = sum(s for _, s in sequential)
    return {
        "mark_rows": rows,
        "mark_heap_mb": round(size / 2**20, 1),
        "sequential_seconds": round(one, 2),
        "sequential_rows_per_second": round(rows / one),
        "parallel": parallel,
        "parallel_seconds": round(many, 2),
        "parallel_rows_per_second": round(rows / many),
        "parallel_mb_per_second": round(size / 2**20 / many, 1),
    }


def steps(done: list[Refresh]) -> dict[str, float]:
    """Seconds per step (each family's read, 'results' the students' sums), summed over the
    universities: with `--parallel` at a time, the sums exceed the wall time."""
    total: dict[str, float] = {}
    for refresh in done:
        for step, seconds in refresh.seconds_by_step.items():
            total[step] = total.get(step, 0.0) + seconds
    return {step: round(seconds, 1) for step, seconds in sorted(total.items(), key=lambda kv: -kv[1])}


async def studying(worker: RollupWorker, national: TenantRef, code: str) -> int:
    async with tenant_session(worker.maker, national) as session:
        return int(
            await session.scalar(
                select(func.coalesce(func.sum(Contingent.students), 0)).where(
                    Contingent.tenant_code == code, Contingent.status == STUDYING
                )
            )
            or 0
        )


async def freshness(
    worker: RollupWorker, owner: AsyncEngine, codes: list[str], changes: int, interval: float, parallel: int
) -> dict[str, Any]:
    """Seconds from a committed change to the national figure showing it, per change."""
    async with owner.connect() as conn:
        national = await tenant_ref(conn, "national")
        refs = {code: await tenant_ref(conn, code) for code in codes}
    assert national is not None
    assert national.kind == TenantKind.NATIONAL
    # The recompute just measured was today's: the loop's rounds follow the outboxes from the start.
    worker.recomputed_on = datetime.now(UTC).date()
    loop = asyncio.create_task(worker.run_forever(interval=interval, parallel=parallel))
    rng = random.Random(7)
    seen: list[float] = []
    try:
        await asyncio.sleep(interval * 2)  # the first round takes in whatever was pending
        for _ in range(changes):
            code = rng.choice(codes)
            tenant = refs[code]
            assert tenant is not None
            before = await studying(worker, national, code)
            async with tenant_session(worker.maker, tenant) as session:
                student = await session.scalar(select(Student.id).where(Student.status == STUDYING).limit(1))
                await session.execute(update(Student).where(Student.id == student).values(status=LEAVE))
                await session.commit()
            committed = time.perf_counter()
            while await studying(worker, national, code) != before - 1:
                if time.perf_counter() - committed > 300:
                    raise TimeoutError(f"{code}: not visible after 300 s")
                await asyncio.sleep(0.2)
            seen.append(time.perf_counter() - committed)
            async with tenant_session(worker.maker, tenant) as session:
                await session.execute(update(Student).where(Student.id == student).values(status=STUDYING))
                await session.commit()
            while await studying(worker, national, code) != before:
                await asyncio.sleep(0.2)
    finally:
        loop.cancel()
        try:
            await loop
        except asyncio.CancelledError:
            pass
    return {
        "changes": len(seen),
        "interval_seconds": interval,
        "p50_seconds": round(statistics.median(seen), 2),
        "max_seconds": round(max(seen), 2),
        "each_seconds": [round(s, 2) for s in seen],
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    params = NationalParams(tenants=args.tenants, students=args.students, marks=args.marks)
    started = time.perf_counter()
    db = None
    if args.database:  # a build of another checkout: its marker names the role prefix
        db = worker_database(os.environ.get("DATABASE_URL", ""), worker="bench_national")
        db.settings.db.url = (
            make_url(db.settings.db.url).set(database=args.database).render_as_string(hide_password=False)
        )
    dataset: NationalDataset = await national_dataset(
        params, parallel=args.parallel, reuse=not args.no_reuse, db=db
    )
    settings = dataset.settings
    owner, app = owner_engine(settings), app_engine(settings)
    codes = list(dataset.codes)
    try:
        reference = await scan_reference(owner, codes, args.parallel)
        worker = RollupWorker(app, settings.tenancy.role_prefix)
        # Every student's summed results resolved from the marks again (the repair of those, and
        # what a university's first round after the migration does), then the roll-ups alone.
        rebuild: dict[str, Any] = {"skipped": True}
        began = time.perf_counter()
        rebuilt = [] if args.no_rebuild else await worker.recompute(parallel=args.parallel, results=True)
        rebuild = (
            rebuild
            if args.no_rebuild
            else {
                "seconds": round(time.perf_counter() - began, 2),
                "times_the_parallel_scan": round(
                    (time.perf_counter() - began) / reference["parallel_seconds"], 1
                ),
                "seconds_by_step": steps(rebuilt),
            }
        )
        began = time.perf_counter()
        done = await worker.recompute(parallel=args.parallel)
        seconds = time.perf_counter() - began
        slowest = sorted(done, key=lambda r: r.seconds, reverse=True)[:3]
        recompute = {
            "universities": len(done),
            "seconds": round(seconds, 2),
            "target_seconds": 30,
            "times_the_parallel_scan": round(seconds / reference["parallel_seconds"], 1),
            "seconds_by_step": steps(done),
            "slowest": [{"tenant": r.tenant, "seconds": round(r.seconds, 2)} for r in slowest],
        }
        new_day: dict[str, Any] = {"skipped": True}
        if not args.no_new_day:
            # The first recompute of a day (the worker's loop makes one), as of a week later: the
            # attendance planned so far moves by a week of lessons and ages by a week of
            # birthdays, so those families differ at every university (a day later, the weekly
            # calendar may leave attendance as it was). Then today's figures again (a date change
            # too), so the next run starts steady.
            today = datetime.now(UTC).date()
            later = today + timedelta(days=args.new_day)
            new_day["as_of"] = later.isoformat()
            for day, name in ((later, "seconds"), (today, "back_to_today_seconds")):
                began = time.perf_counter()
                moved = await worker.recompute(parallel=args.parallel, today=day)
                new_day[name] = round(time.perf_counter() - began, 2)
                new_day.setdefault("seconds_by_step", steps(moved))
            new_day.pop("skipped")
        recompute["new_day"] = new_day
        fresh = await freshness(worker, owner, codes, args.changes, args.interval, args.parallel)
        fresh["target_seconds"] = 60
    finally:
        await owner.dispose()
        await app.dispose()
    return {
        "dataset": {
            **dataset.counts,
            "reused": dataset.reused,
            "ready_seconds": round(time.perf_counter() - started),
        },
        "reference_scan": reference,
        "results_rebuild": rebuild,
        "full_recompute": recompute,
        "freshness": fresh,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(main(args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=225)
    parser.add_argument("--students", type=int, default=1_450_000)
    parser.add_argument("--marks", type=int, default=40)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--no-reuse", action="store_true")
    parser.add_argument(
        "--no-new-day", action="store_true", help="skip the recompute as of a later day (a new day's first)"
    )
    parser.add_argument("--new-day", type=int, default=7, help="days later the new day's recompute is as of")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="skip resolving every student's results first (minutes)"
    )
    parser.add_argument(
        "--database", default="", help="use the dataset built in this database (another checkout's)"
    )
    print(json.dumps(run(parser.parse_args()), indent=2, default=str))
