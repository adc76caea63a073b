"""`uv run python -m bench.national_data …`: build (or --reuse) the national dataset, print JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

import bench.national_data
from bench.national_data.dataset import national_dataset
from bench.national_data.plan import NationalParams
from bench.national_data.university import COLUMNS


async def main(params: NationalParams, parallel: int, reuse: bool) -> dict[str, Any]:
    started, load_before = time.perf_counter(), os.getloadavg()[0]

    def progress(done: int, total: int, code: str) -> None:
        print(f"[{done}/{total} {code}] {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    dataset = await national_dataset(params, parallel=parallel, reuse=reuse, progress=progress)
    conn = await asyncpg.connect(dataset.url)
    try:
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    counts = dataset.counts
    return {
        "database": make_url(dataset.url).database,
        "role_prefix": dataset.settings.tenancy.role_prefix,
        "params": params.as_json(),
        "parallel": parallel,
        "reused": dataset.reused,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # before and after: other work
        "cores": os.cpu_count(),
        "build_seconds": round(counts.get("build_ms", 0) / 1000, 1),
        "database_bytes": size,
        "database_size": f"{size / 2**30:.2f} GiB",
        "universities": counts.get("universities"),
        "students": counts.get("student"),
        "marks": counts.get("mark"),
        "marks_per_student": round(counts.get("mark", 0) / max(1, counts.get("student", 0)), 1),
        "mark_sheets": counts.get("mark_sheet"),
        "absences": counts.get("absence"),
        "employees": counts.get("employee"),
        "teaching_assignments": counts.get("teaching_assignment"),
        "contracts": counts.get("contract"),
        "ledger_entries": counts.get("ledger_entry"),
        "payments_electronic": counts.get("payments_electronic"),
        "dual_enrolled_persons": counts.get("dual_enrolled_persons"),
        "transferred_persons": counts.get("transferred_persons"),
        "rows": {k: v for k, v in sorted(counts.items()) if k in COLUMNS},
        "worker_seconds": {k[3:]: round(v / 1000, 1) for k, v in counts.items() if k.startswith("ms_")},
        # CPU the universities took (worker processes and their PostgreSQL backends, from /proc):
        # on a shared box the wall time says how busy it was, this how much work the build is.
        "cpu_seconds": {
            "workers": round(counts.get("cpu_ms_client", 0) / 1000, 1),
            "postgres": round(counts.get("cpu_ms_postgres", 0) / 1000, 1),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=bench.national_data.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = NationalParams()
    parser.add_argument("--tenants", type=int, default=defaults.tenants)
    parser.add_argument("--students", type=int, default=defaults.students)
    parser.add_argument("--marks", type=int, default=defaults.marks, help="marks per student, on average")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=defaults.today, help="the dataset's today"
    )
    parser.add_argument("--parallel", type=int, default=2, help="worker processes")
    parser.add_argument("--reuse", action="store_true", help="keep a completed build of the same parameters")
    args = parser.parse_args()
    chosen = NationalParams(args.tenants, args.students, args.marks, args.seed, args.today)
    print(json.dumps(asyncio.run(main(chosen, args.parallel, args.reuse)), indent=2))
