"""The ministry's dashboard API at national scale: p99 ≤ 200 ms under concurrency (issue 7).

    uv run python -m bench.national_dashboard [--universities 225] [--students 1450000] [--months 24]
                                             [--seconds 8] [--warmup 2] [--concurrency 16] [--workers 2]

Setup: a private database, the platform, the national tenant and one real university (u001);
then schema national is FILLED DIRECTLY, as the roll-up worker would have left it for
`--universities` universities (u001 … u225, 14 regions) and `--students` students: contingent
rows by every dimension (~1,900 combinations a university: status, education type and form,
payment form, course, gender, home region, citizenship), performance, attendance, finance
(three academic years), stipends and KPI rows for `--months` months, staff, freshness, and the
national student registry (one row per student, with a few thousand PINFLs studying twice and
transfers). The universities' own schemas are NOT built and no worker runs: this measures the
reading side only (bench.national_data on its own branch builds the 225 real universities;
the worker's cost is its own question). Then ANALYZE.

Load: the real app (`uvicorn --factory hemis.app:create_app --workers N`, as bench.my_grades
serves it), driven by bench.my_grades' keep-alive HTTP client: for each endpoint, `--concurrency`
connections for `--warmup` + `--seconds` seconds, Bearer token of a national ANALYST (the
university's dashboard: an ADMIN of u001; the pages: a session cookie), 200 checked. Reported per
endpoint: req/s, p50, p99, max. The public statistics are cached for a few seconds per process
(settings.reporting.public_cache_seconds), so their figures are mostly hits; the ministry's API
is not cached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.common import bench_database, pct
from bench.my_grades import HttpConnection, HttpError, PgCounters, Server, machine_cpu, process_cpu
from hemis.access.service import ApiTokenService
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.identity.users import UserService
from hemis.platform import create_tenant, setup_platform
from hemis.reporting import labels, rules
from tenants import naming
from tenants.context import TenantKind
from tenants.database import app_engine, owner_engine
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session

PASSWORD = "Bench-vazirlik-parol-2026"
STATUS = (("11", 0.88), ("12", 0.05), ("13", 0.04), ("14", 0.03))
TYPES = (("11", 0.85, 4), ("12", 0.13, 2), ("14", 0.02, 3))  # code, share, courses
FORMS = (("11", 0.70), ("13", 0.20), ("12", 0.05), ("16", 0.05))
PAYMENT = (("11", 0.30), ("12", 0.70))
GENDER = (("11", 0.52), ("12", 0.48))
POSITIONS = (
    "trainee",
    "assistant",
    "senior_teacher",
    "docent",
    "professor",
    "head_of_department",
    "dean",
    "staff",
)


def month_list(count: int) -> list[date]:
    today = datetime.now(UTC).date().replace(day=1)
    return rules.months_between(rules.months_back(today, count), today)


def contingent_rows(
    code: str, role: str, region: str, students: int, rng: random.Random
) -> list[tuple[Any, ...]]:
    """The university's students spread over the dimensions, ~1,900 present combinations."""
    regions = labels.regions()
    rows = []
    for status, s_share in STATUS:
        for etype, t_share, courses in TYPES:
            for form, f_share in FORMS:
                for payment, p_share in PAYMENT:
                    for course in range(courses):
                        for gender, g_share in GENDER:
                            cell = students * s_share * t_share * f_share * p_share * g_share / courses
                            home = [(region, 0.6), (rng.choice(regions), 0.25), (rng.choice(regions), 0.15)]
                            for home_region, h_share in home:
                                n = round(cell * h_share * rng.uniform(0.7, 1.3))
                                if n <= 0:
                                    continue
                                foreign = round(n * 0.03)
                                for citizenship, count in (("11", n - foreign), ("12", foreign)):
                                    if count > 0:
                                        rows.append(
                                            (code, role, status, etype, form, payment, f"1{course + 1}", gender,
                                             home_region, citizenship, count)
                                        )  # fmt: skip
    return rows


async def fill(
    conn: asyncpg.Connection, universities: int, students: int, months: int, prefix: str
) -> dict[str, int]:
    """Write schema national as the worker would have; returns the rows written per table."""
    rng = random.Random(7)
    regions = labels.regions()
    now = datetime.now(UTC)
    history = month_list(months)
    written: dict[str, int] = {}
    per = [rng.uniform(0.4, 1.6) for _ in range(universities)]
    scale = students / sum(per)
    sizes = [max(200, round(p * scale)) for p in per]

    async def copy(table: str, columns: list[str], records: list[tuple[Any, ...]]) -> None:
        await conn.copy_records_to_table(table, schema_name="national", columns=columns, records=records)
        written[table] = written.get(table, 0) + len(records)

    university, contingent, performance, attendance, finance, stipend, staff, kpi, fresh = (
        [] for _ in range(9)
    )
    for i in range(universities):
        code = f"u{i + 1:03d}"
        role = naming.tenant_role(code, prefix)
        region = regions[i % len(regions)]
        size = sizes[i]
        university.append(
            (
                code,
                role,
                f"Universitet {i + 1}",
                f"Университет {i + 1}",
                f"University {i + 1}",
                code.upper(),
                region,
            )
        )
        contingent += contingent_rows(code, role, region, size, rng)
        year = history[-1].year if history[-1].month >= 9 else history[-1].year - 1
        studying = round(size * 0.88)
        for etype, t_share, courses in TYPES:
            for form, f_share in FORMS:
                for course in range(courses):
                    n = max(1, round(studying * t_share * f_share / courses))
                    graded = n * 6
                    grades = [round(graded * s) for s in (0.25, 0.35, 0.3, 0.1)]
                    performance.append(
                        (code, role, year, etype, form, f"1{course + 1}", n, graded, graded,
                         Decimal(graded * rng.randint(62, 80)), *grades, grades[3], round(n * 0.12),
                         Decimal(n * 3.6).quantize(Decimal("0.01")), n)
                    )  # fmt: skip
        for form, f_share in FORMS:
            for course in range(4):
                planned = round(studying * f_share / 4 * 280)
                missed = round(planned * rng.uniform(0.05, 0.2))
                attendance.append((code, role, year, form, f"1{course + 1}", planned, missed, missed // 3))
        for back in range(3):
            billed = size * 70 * 1_200_000_00 // 100
            paid = round(billed * rng.uniform(0.6, 0.95))
            finance.append(
                (code, role, year - back, round(size * 0.7), billed, billed // 20, paid, round(paid * rng.uniform(0.3, 0.95)),
                 round(size * 0.7) * 3, round(size * 0.7 * 2), billed - billed // 20 - paid, round(size * 0.2))
            )  # fmt: skip
        for month in history:
            stipend.append((code, role, month, round(size * 0.25), round(size * 0.25) * 428_000_00))
        teachers = max(20, size // 18)
        for _ in range(150):
            staff.append(
                (code, role, rng.choice(POSITIONS), rng.choice(("10", "11", "13")), rng.choice(("10", "11", "12")),
                 rng.choice(("11", "12")), rng.choice(("main", "internal_part_time", "hourly")),
                 max(1, teachers // 150), Decimal(max(1, teachers // 150)), max(1, teachers // 150), rng.randint(0, max(1, teachers // 150)))
            )  # fmt: skip
        for n, month in enumerate(history):
            growth = n / max(1, len(history) - 1)
            kpi.append(
                (code, role, month, region, Decimal(studying * 6 * (65 + 12 * growth + rng.uniform(-3, 3))).quantize(Decimal("0.01")),
                 studying * 6, round(teachers * (0.3 + 0.55 * growth)), teachers, round(studying * 250 * (0.75 + 0.15 * growth)),
                 studying * 250, round(studying * 6 * (0.4 + 0.5 * growth)), studying * 6, round(1000 * (0.4 + 0.55 * growth)), 1000,
                 round(studying * 5 * (0.6 + 0.3 * growth)), studying * 5, round(studying * (0.5 + 0.4 * growth)), studying)
            )  # fmt: skip
        for family in (
            "profile",
            "contingent",
            "registry",
            "performance",
            "attendance",
            "finance",
            "stipends",
            "staff",
            "kpi",
        ):
            fresh.append(
                (code, family, role, now, None, Decimal("0.5"), now - timedelta(seconds=rng.randint(5, 3600)))
            )
    fresh.append(("*", "round", "", now, None, Decimal("1.0"), now))
    # The worker's totals rows: each month's country and region sums.
    sums = [4, *range(5, 18)]
    for month in history:
        rows = [r for r in kpi if r[2] == month]
        for key, group in [("*", rows), *((f"r:{reg}", [r for r in rows if r[3] == reg]) for reg in regions)]:
            if group:
                kpi.append(
                    (key, "", month, "" if key == "*" else key[2:], *(sum(r[c] for r in group) for c in sums))
                )

    await copy(
        "university",
        ["tenant_code", "tenant_role", "name_uz", "name_ru", "name_en", "short_name", "region_code"],
        university,
    )
    await copy(
        "contingent",
        ["tenant_code", "tenant_role", "status", "education_type", "education_form", "payment_form", "course",
         "gender", "region_code", "citizenship", "students"],
        contingent,
    )  # fmt: skip
    await copy(
        "performance",
        ["tenant_code", "tenant_role", "academic_year", "education_type", "education_form", "course", "students",
         "graded", "points_100", "points_sum", "grade_5", "grade_4", "grade_3", "grade_2", "debts", "debtors",
         "gpa_sum", "gpa_students"],
        performance,
    )  # fmt: skip
    await copy(
        "attendance",
        ["tenant_code", "tenant_role", "academic_year", "education_form", "course", "planned_hours", "missed_hours",
         "excused_hours"],
        attendance,
    )  # fmt: skip
    await copy(
        "finance",
        ["tenant_code", "tenant_role", "academic_year", "contracts", "billed", "discounts", "paid", "paid_online",
         "payments", "payments_online", "debt", "debtors"],
        finance,
    )  # fmt: skip
    await copy("stipend", ["tenant_code", "tenant_role", "month", "students", "total"], stipend)
    await copy(
        "staff",
        ["tenant_code", "tenant_role", "position", "academic_degree", "academic_rank", "gender", "employment_form",
         "employees", "rate_sum", "teachers", "with_e_course"],
        staff,
    )  # fmt: skip
    await copy("kpi", ["tenant_code", "tenant_role", "month", "region_code", *rules.SUMS], kpi)
    await copy(
        "freshness",
        ["tenant_code", "family", "tenant_role", "computed_at", "oldest_change_at", "seconds", "as_of"],
        fresh,
    )
    await fill_registry(conn, sizes, prefix, rng, copy)
    return written


async def fill_registry(
    conn: asyncpg.Connection,
    sizes: list[int],
    prefix: str,
    rng: random.Random,
    copy: Callable[[str, list[str], list[tuple[Any, ...]]], Awaitable[None]],
) -> None:
    """One registry row per student; 0.1 % of PINFLs also studying elsewhere, 0.2 % transferred."""
    now = datetime.now(UTC)
    columns = [
        "tenant_code",
        "tenant_role",
        "pinfl",
        "student_id",
        "status",
        "education_type",
        "course",
        "changed_at",
    ]
    serial = 0
    batch: list[tuple[Any, ...]] = []
    for i, size in enumerate(sizes):
        code = f"u{i + 1:03d}"
        role = naming.tenant_role(code, prefix)
        other = f"u{(i + 1) % len(sizes) + 1:03d}"
        for student in range(1, size + 1):
            serial += 1
            pinfl = f"5{serial:013d}"
            status = "11" if student % 10 else rng.choice(("12", "13", "14"))
            batch.append(
                (code, role, pinfl, student, status, "11", "11", now - timedelta(days=student % 700))
            )
            if student % 1000 == 1:  # studying at a second university too
                batch.append(
                    (
                        other,
                        naming.tenant_role(other, prefix),
                        pinfl,
                        900_000 + student,
                        "11",
                        "11",
                        "12",
                        now,
                    )
                )
            elif student % 500 == 2:  # left for another university
                batch[-1] = (*batch[-1][:4], "12", *batch[-1][5:])
                batch.append(
                    (
                        other,
                        naming.tenant_role(other, prefix),
                        pinfl,
                        800_000 + student,
                        "11",
                        "11",
                        "12",
                        now,
                    )
                )
        if len(batch) > 200_000:
            await copy("student_registry", columns, batch)
            batch = []
    if batch:
        await copy("student_registry", columns, batch)


async def credentials(settings: Settings, national: Any, university: Any) -> dict[str, str]:
    engine = app_engine(settings)
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    out = {"username": f"tahlilchi{int(time.time())}"}
    async with tenant_session(maker, national) as session:
        _, out["ministry"] = await ApiTokenService(session=session).issue("bench", {Role.ANALYST}, by="bench")
        user, _ = await UserService(session, actor="bench").open_account(
            {
                "username": out["username"],
                "display_name": "Tahlilchi",
                "roles": [Role.ANALYST],
                "password": PASSWORD,
            }
        )
        user.must_change_password = False
        await session.commit()
    async with tenant_session(maker, university) as session:
        _, out["university"] = await ApiTokenService(session=session).issue("bench", {Role.ADMIN}, by="bench")
        await session.commit()
    await engine.dispose()
    return out


ENDPOINTS: list[tuple[str, str, str]] = [
    # name, path, credential
    (
        "kpi_universities_sorted",
        "/t/national/api/v1/national/kpi?level=university&sort=-attendance&limit=25",
        "ministry",
    ),
    ("kpi_regions", "/t/national/api/v1/national/kpi?level=region", "ministry"),
    ("kpi_trend_country_24m", "/t/national/api/v1/national/kpi/trend?from={first}", "ministry"),
    ("universities", "/t/national/api/v1/national/universities?sort=-students&limit=50", "ministry"),
    ("contingent_by_type", "/t/national/api/v1/national/breakdowns/contingent?by=education_type", "ministry"),
    (
        "contingent_by_region_gender",
        "/t/national/api/v1/national/breakdowns/contingent?by=region,gender&limit=200",
        "ministry",
    ),
    ("finance_by_year", "/t/national/api/v1/national/breakdowns/finance", "ministry"),
    ("staff_by_degree", "/t/national/api/v1/national/breakdowns/staff?by=academic_degree", "ministry"),
    ("university_dashboard", "/t/u001/api/v1/dashboard", "university"),
    ("page_ministry", "/t/national/dashboard/", "cookie"),
    ("public_students", "/t/national/api/v1/public/statistics/students", "anonymous"),
    ("page_public", "/t/national/dashboard/", "anonymous"),
    ("registry_duplicates", "/t/national/api/v1/national/registry/duplicates", "ministry"),
]


async def measure(
    port: int,
    target: str,
    header: bytes,
    concurrency: int,
    warmup: float,
    seconds: float,
    server_pids: list[int],
    counters: PgCounters,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sizes: list[int] = []

    # One keep-alive connection per client, opened during the warm-up a little apart: uvicorn's
    # workers share the listening socket, and connections opened in one burst pile onto one of them
    # for the whole phase (one worker saturated, the other idle: a long tail with idle cores).
    conns = [HttpConnection("127.0.0.1", port) for _ in range(concurrency)]

    async def loop(conn: HttpConnection, until: float, keep: bool, delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        while time.perf_counter() < until:
            started = time.perf_counter()
            try:
                status, body = await conn.get(target.encode(), header)
                if status != 200:
                    raise HttpError(str(status))
            except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                conn.close()
                errors[str(exc) or type(exc).__name__] = errors.get(str(exc) or type(exc).__name__, 0) + 1
                await asyncio.sleep(0.01)
                continue
            if keep:
                latencies.append(time.perf_counter() - started)
                sizes.append(len(body))

    ramp = min(1.0, warmup / 2)
    until = time.perf_counter() + warmup
    await asyncio.gather(*(loop(c, until, False, i * ramp / concurrency) for i, c in enumerate(conns)))
    errors.clear()
    busy0, server0 = machine_cpu()[0], sum(process_cpu(server_pids))
    pids0 = await counters.backend_pids()
    pg0 = dict(zip(pids0, process_cpu(pids0), strict=True))
    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop(c, started + seconds, True) for c in conns))
    finally:
        for conn in conns:
            conn.close()
    elapsed = time.perf_counter() - started
    server = sum(process_cpu(server_pids)) - server0
    pids1 = await counters.backend_pids()
    postgres = sum(c - pg0.get(p, 0.0) for p, c in zip(pids1, process_cpu(pids1), strict=True))
    busy = machine_cpu()[0] - busy0
    n = len(latencies)
    return {
        "rps": round(n / elapsed, 1),
        "p50_ms": round(pct(latencies, 50) * 1000, 1) if n else None,
        "p99_ms": round(pct(latencies, 99) * 1000, 1) if n else None,
        "max_ms": round(max(latencies) * 1000, 1) if n else None,
        "requests": n,
        "errors": errors,
        "bytes": round(sum(sizes) / n) if n else None,
        # CPU a request costs: the app's processes and the bench database's backends. On a 2-core
        # machine of its own, 2000 / (server + postgres) is the most requests a second it can serve.
        "cpu_ms_per_request": {
            "server": round(server * 1000 / n, 2) if n else None,
            "postgres": round(postgres * 1000 / n, 2) if n else None,
        },
        # The whole machine's busy CPU seconds over what this phase's server and backends used:
        # the rest is other work sharing the cores (the client's share of it is small).
        "machine_busy_s": round(busy, 1),
        "ours_s": round(server + postgres, 1),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    db = await bench_database("national")
    settings = db.settings
    prefix = settings.tenancy.role_prefix
    started = time.perf_counter()
    owner = owner_engine(settings)
    await setup_platform(owner, settings)
    national = await create_tenant(
        owner, settings, TenantSpec(code="national", name_uz="Vazirlik", kind=TenantKind.NATIONAL)
    )
    university = await create_tenant(owner, settings, TenantSpec(code="u001", name_uz="Universitet 1"))
    await owner.dispose()
    owner_dsn = make_url(settings.db.url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(owner_dsn)
    try:
        written = await fill(conn, args.universities, args.students, args.months, prefix)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    setup_s = round(time.perf_counter() - started, 1)
    tokens = await credentials(settings, national, university)
    loadavg = round(os.getloadavg()[0], 2)
    counters = PgCounters(await asyncpg.connect(owner_dsn))
    server = Server(settings, args.workers)
    results: dict[str, Any] = {}
    try:
        await server.wait_ready()
        base = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(base_url=base) as client:
            signed = await client.post(
                "/t/national/api/v1/auth/login", json={"username": tokens["username"], "password": PASSWORD}
            )
            assert signed.status_code == 200, signed.text
            cookie = signed.cookies["hemis_session"]
        headers = {
            "ministry": f"Authorization: Bearer {tokens['ministry']}\r\n".encode(),
            "university": f"Authorization: Bearer {tokens['university']}\r\n".encode(),
            "cookie": f"Cookie: hemis_session={cookie}\r\n".encode(),
            "anonymous": b"",
        }
        first = rules.month_text(month_list(args.months)[0])
        for name, path, who in ENDPOINTS:
            if args.only and name not in args.only:
                continue
            concurrency = max(1, args.concurrency // 4) if name.startswith("registry") else args.concurrency
            results[name] = await measure(
                server.port,
                path.format(first=first),
                headers[who],
                concurrency,
                args.warmup,
                args.seconds,
                server.pids(),
                counters,
            )
            results[name]["concurrency"] = concurrency
            print(name, json.dumps(results[name]), file=sys.stderr)
    finally:
        server.stop()
        await counters.conn.close()
    dashboard = [k for k in results if not k.startswith("registry")]
    worst = max((results[k]["p99_ms"] or 0) for k in dashboard) if dashboard else None
    return {
        "server_env": server.overrides,
        "universities": args.universities,
        "students": args.students,
        "months": args.months,
        "rows_written": written,
        "setup_s": setup_s,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "loadavg_1m_before": loadavg,
        "endpoints": results,
        "targets": {
            "dashboard_p99<=200ms": worst is not None and worst <= 200,
            "worst_dashboard_p99_ms": worst,
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--universities", type=int, default=225)
    parser.add_argument("--students", type=int, default=1_450_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--only", nargs="*", help="measure only these endpoints")
    parser.add_argument("--reuse", action="store_true", help="measure the database the last run filled")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
