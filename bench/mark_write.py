"""Mark writes with their history row: ≥ 300 writes/s, p99 ≤ 100 ms, 0 lost updates.

    uv run python -m bench.mark_write [--students 200] [--seconds 10] [--concurrency 16]

Each write is one transaction through the app's tenant sessions and MarkService.correct
(optimistic version check, UPDATE, the trigger's hash-chained grade_event row). Workers
own disjoint marks, so every write should commit: lost updates = committed writes that
left no history row, or history rows beyond them. Reference: the same UPDATE (firing
the same trigger) sent by raw asyncpg, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import date
from decimal import Decimal

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.common import bench_database, pct
from hemis.curriculum.service import (
    CurriculumService,
    CurriculumSubjectService,
    SpecialtyService,
    SubjectService,
)
from hemis.grading.models import GradeEvent
from hemis.grading.service import MarkService, SheetService
from hemis.platform import create_tenant, setup_platform
from hemis.structure.service import DepartmentService
from hemis.students.service import GroupService, StudentService
from tenants import naming
from tenants.database import app_engine, owner_engine
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session


async def build(maker, ref, students: int) -> list[int]:  # type: ignore[no-untyped-def]
    async with tenant_session(maker, ref) as s:
        faculty = await DepartmentService(s, actor="bench").create(
            {"code": "F", "name": "Fakultet", "structure_type": "11"}
        )
        group = await GroupService(s, actor="bench").create(
            {
                "name": "G-1",
                "department_id": faculty.id,
                "education_type": "11",
                "education_form": "11",
                "education_lang": "11",
                "course": "11",
                "admission_year": 2025,
            }
        )
        specialty = await SpecialtyService(s, actor="bench").create(
            {"code": "6061", "name": "DI", "education_type": "11"}
        )
        subject = await SubjectService(s, actor="bench").create({"code": "M1", "name": "Matematika"})
        curriculum = await CurriculumService(s, actor="bench").create(
            {
                "name": "DI",
                "specialty_id": specialty.id,
                "department_id": faculty.id,
                "education_form": "11",
                "marking_system": "13",
                "admission_year": 2025,
                "semester_count": 8,
            }
        )
        line = await CurriculumSubjectService(s, actor="bench").create(
            {
                "curriculum_id": curriculum.id,
                "subject_id": subject.id,
                "semester": "11",
                "subject_type": "11",
                "subject_block": "11.02",
                "credit": Decimal(6),
                "max_current": Decimal(30),
                "max_midterm": Decimal(20),
                "max_final": Decimal(50),
            }
        )
        sheet = await SheetService(s, actor="bench").create(
            {
                "curriculum_subject_id": line.id,
                "group_id": group.id,
                "control_type": "JN",
                "attempt": 1,
                "held_on": date.today(),
                "lock_after_days": 30,
            }
        )
        marks = MarkService(s, actor="bench")
        ids = []
        for i in range(students):
            day, month = 1 + i % 28, 1 + (i // 28) % 12
            pinfl = f"5{day:02d}{month:02d}06{i:07d}"
            student = await StudentService(s, actor="bench").create(
                {
                    "student_id_number": f"{300000000000 + i}",
                    "pinfl": pinfl,
                    "last_name": "Talaba",
                    "first_name": f"N{i}",
                    "birth_date": date(2006, month, day),
                    "gender": "11",
                    "citizenship": "11",
                    "group_id": group.id,
                    "payment_form": "11",
                }
            )
            ids.append((await marks.record(sheet.id, student.id, Decimal(10))).id)
        await s.commit()
    return ids


async def main(students: int, seconds: float, concurrency: int) -> dict[str, object]:
    db = await bench_database("marks")
    settings = db.settings
    owner = owner_engine(settings)
    await setup_platform(owner, settings)
    ref = await create_tenant(owner, settings, TenantSpec(code="bench", name_uz="Bench"))
    await owner.dispose()
    settings.db.pool_size, settings.db.max_overflow = concurrency, 0
    engine = app_engine(settings)
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    mark_ids = await build(maker, ref, students)
    versions = dict.fromkeys(mark_ids, 1)
    points = dict.fromkeys(mark_ids, 10)
    latencies: list[float] = []
    committed = 0

    async def worker(mine: list[int]) -> None:
        nonlocal committed
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            mark_id = random.choice(mine)
            new = Decimal(random.choice([p for p in range(31) if p != points[mark_id]]))  # a real change
            started = time.perf_counter()
            async with tenant_session(maker, ref) as s:
                mark = await MarkService(s, actor="bench").correct(mark_id, new, versions[mark_id], "bench")
                await s.commit()
            versions[mark_id], points[mark_id] = mark.version, int(new)
            committed += 1
            latencies.append(time.perf_counter() - started)

    chunks = [mark_ids[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in chunks))
    elapsed = time.perf_counter() - started
    async with tenant_session(maker, ref) as s:
        updates = await s.scalar(
            select(func.count()).select_from(GradeEvent).where(GradeEvent.old_points.is_not(None))
        )
        _, broken_events, mismatched = await MarkService(s, actor="bench").verify()
        broken = broken_events + mismatched
    await engine.dispose()

    # Raw reference: the same UPDATE (and trigger) through asyncpg, same concurrency and time.
    dsn = make_url(settings.db.url).set(drivername="postgresql").render_as_string(False)
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    raw: list[float] = []

    async def raw_worker(mine: list[int]) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "SELECT set_config('search_path', $1, true), set_config('hemis.actor', 'raw', true)",
                    naming.tenant_search_path("bench"),
                )
                await conn.execute(
                    "UPDATE mark SET points = $1, version = version + 1 WHERE id = $2",
                    Decimal(random.randint(0, 30)),
                    random.choice(mine),
                )
            raw.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(raw_worker(c) for c in chunks))
    raw_elapsed = time.perf_counter() - t0
    await pool.close()
    return {
        "marks": students,
        "concurrency": concurrency,
        "seconds": seconds,
        "writes_per_s": round(committed / elapsed),
        "p50_ms": round(pct(latencies, 50) * 1000, 1),
        "p99_ms": round(pct(latencies, 99) * 1000, 1),
        "lost_updates": committed - int(updates or 0),
        "chain_broken_rows": len(broken),
        "raw_asyncpg_writes_per_s": round(len(raw) / raw_elapsed),
        "raw_p99_ms": round(pct(raw, 99) * 1000, 1),
        "targets_met": committed / elapsed >= 300 and pct(latencies, 99) <= 0.1 and committed == updates,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.students, args.seconds, args.concurrency)), indent=2))
