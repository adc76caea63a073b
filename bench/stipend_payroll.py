"""Monthly stipend payroll for a 40,000-student university: preview, approve and export times (issue 6).

    uv run python -m bench.stipend_payroll [--students 40000] [--faculties 8] [--repeat 3]

Setup: a private database, the platform, one university seeded by `hemis.term_demo.seed_term`
as of 2 March 2026 (`--faculties` faculties × 4 courses × groups of 25 students, credit-system
curricula with five mandatory subjects a semester plus electives, the previous study year's
finals and retakes, the running semester's JN/ON marks, absences; a quarter of the students on
a state grant; the grade history trigger off while seeding), 1 % of the state-grant students assigned the privileged stipend and a few the
presidential and named ones; then ANALYZE.

Measured, each in its own transaction through the app's tenant sessions and PayrollService,
as the API runs them: the March 2026 payroll's preview (`prepare`: rates, rules, every
student's autumn-session results in one statement, the pure rules, one INSERT of every line;
`--repeat` times, each recomputing the draft), then approve by a second person, then the
payment file as CSV and as XLSX. Reported beside them: the SQL statements each command sent
(a set-based payroll sends a handful, not one per student), and the results statement alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import bench_database
from hemis.platform import create_tenant, setup_platform
from hemis.results.service import ResultService
from hemis.stipends import export
from hemis.stipends.models import StipendAssignment, StipendLine
from hemis.stipends.rules import last_session_semester
from hemis.stipends.service import PayrollService
from hemis.structure.models import Department, StructureType
from hemis.students.models import AcademicGroup, Student
from hemis.term_demo import TermSize, seed_term
from tenants import naming
from tenants.context import TenantRef
from tenants.database import app_engine, owner_engine
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session

TODAY = date(2026, 3, 2)  # spring: the autumn semester's finals (and retakes) are in
MONTH = "2026-03"
STUDENTS_PER_GROUP = 25
COURSES = 4


class StatementCounter:
    """SQL statements sent on an engine while `counting` is on."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.counting = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        if self.counting:
            self.count += 1

    async def measure(self, work: Any) -> tuple[Any, float, int]:
        self.count, self.counting = 0, True
        started = time.perf_counter()
        try:
            result = await work()
        finally:
            self.counting = False
        return result, time.perf_counter() - started, self.count


async def seed(maker: Any, ref: TenantRef, students: int, faculties: int) -> dict[str, Any]:
    groups = max(1, round(students / (faculties * COURSES * STUDENTS_PER_GROUP)))
    size = TermSize(
        groups_per_course=groups,
        students_per_group=STUDENTS_PER_GROUP,
        courses=COURSES,
        teachers_per_kafedra=4,
        mandatory_per_semester=5,
    )
    started = time.perf_counter()
    async with tenant_session(maker, ref) as s:
        for number in range(1, faculties + 1):
            faculty = Department(
                code=f"F{number}", name=f"{number}-fakultet", structure_type=StructureType.FACULTY
            )
            s.add(faculty)
            await s.flush()
            s.add(
                Department(
                    code=f"K{number}",
                    name=f"{number}-kafedra",
                    structure_type=StructureType.KAFEDRA,
                    parent_id=faculty.id,
                )
            )
        await s.flush()
        counts = await seed_term(s, seed=2026, size=size, today=TODAY)
        rng = random.Random(6)
        grant = list(
            await s.scalars(select(Student.id).where(Student.payment_form == "11").order_by(Student.id))
        )
        picked = rng.sample(grant, len(grant) // 100 + 80)
        codes = ["13"] * (len(grant) // 100) + ["14"] * 40 + ["15"] * 40
        await s.execute(
            insert(StipendAssignment),
            [
                {
                    "student_id": student,
                    "rate_code": code,
                    "valid_from": date(2025, 9, 1),
                    "reason": "bench",
                    "order_number": f"{i}-s",
                }
                for i, (student, code) in enumerate(zip(picked, codes, strict=True))
            ],
        )
        await s.commit()
    return {
        "students": counts.students,
        "groups": counts.groups,
        "marks": counts.marks,
        "absences": counts.absences,
        "state_grant": len(grant),
        "assignments": len(codes),
        "seed_s": round(time.perf_counter() - started, 1),
    }


async def main(students: int, faculties: int, repeat: int) -> dict[str, Any]:
    db = await bench_database("stipends")
    settings = db.settings
    owner = owner_engine(settings)
    await setup_platform(owner, settings)
    ref = await create_tenant(owner, settings, TenantSpec(code="bench", name_uz="Katta universitet"))
    engine = app_engine(settings)
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    # The grade history's hash chain is not what is measured and serialises 2 million mark inserts
    # through one advisory lock: it is off while seeding (the payroll never reads grade_event).
    mark = f"{naming.quote(naming.schema_name('bench'))}.mark"
    async with owner.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {mark} DISABLE TRIGGER mark_history"))
    seeded = await seed(maker, ref, students, faculties)
    async with owner.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {mark} ENABLE TRIGGER mark_history"))
    async with owner.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql("ANALYZE")
    await owner.dispose()
    counter = StatementCounter(engine)

    async def results_only() -> int:
        async with tenant_session(maker, ref) as s:
            groups = await s.execute(select(AcademicGroup.id, AcademicGroup.course))
            first = date(2026, 3, 1)
            semesters = {g: sem for g, course in groups if (sem := last_session_semester(course, first))}
            return len(await ResultService(s, actor="bench").session_results(semesters))

    async def preview() -> Any:
        async with tenant_session(maker, ref) as s:
            run = await PayrollService(s, actor="user:accountant").prepare(MONTH)
            await s.commit()
            return run

    async def approve(run_id: int) -> Any:
        async with tenant_session(maker, ref) as s:
            run = await PayrollService(s, actor="user:chief-accountant").approve(run_id)
            await s.commit()
            return run

    async def payments(run_id: int) -> Any:
        async with tenant_session(maker, ref) as s:
            _, rows = await PayrollService(s, actor="user:accountant").payments(run_id)
            await s.commit()
            return rows

    sessions, results_s, results_statements = await counter.measure(results_only)
    previews: list[float] = []
    for _ in range(repeat):
        run, seconds, preview_statements = await counter.measure(preview)
        previews.append(seconds)
    async with tenant_session(maker, ref) as s:
        by_type = Counter(
            {
                code or "none": n
                for code, n in await s.execute(
                    select(StipendLine.rate_code, func.count())
                    .where(StipendLine.run_id == run.id)
                    .group_by(StipendLine.rate_code)
                )
            }
        )
    approved, approve_s, approve_statements = await counter.measure(lambda: approve(run.id))
    rows, payments_s, _ = await counter.measure(lambda: payments(run.id))
    started = time.perf_counter()
    csv_bytes = export.to_csv(rows)
    csv_s = time.perf_counter() - started
    started = time.perf_counter()
    xlsx_bytes = export.to_xlsx(rows, f"stipendiya-{MONTH}")
    xlsx_s = time.perf_counter() - started
    await engine.dispose()
    return {
        "seeded": seeded,
        "month": MONTH,
        "lines": approved.students,
        "paid": approved.paid,
        "total_soum": export.soum(approved.total_tiyin),
        "lines_by_type": dict(sorted(by_type.items())),
        "results_statement_s": round(results_s, 2),
        "results_students": sessions,
        "results_sql_statements": results_statements,
        "preview_s": [round(s, 2) for s in previews],
        "preview_median_s": round(statistics.median(previews), 2),
        "preview_sql_statements": preview_statements,
        "approve_s": round(approve_s, 3),
        "approve_sql_statements": approve_statements,
        "export_query_s": round(payments_s, 2),
        "csv_s": round(csv_s, 2),
        "csv_bytes": len(csv_bytes),
        "xlsx_s": round(xlsx_s, 2),
        "xlsx_bytes": len(xlsx_bytes),
        "approve_and_export_s": round(approve_s + payments_s + csv_s + xlsx_s, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40_000)
    parser.add_argument("--faculties", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.students, args.faculties, args.repeat)), indent=2))
