"""The admin console per tenant: cold first request, warm list page, memory and PostgreSQL
connections with every tenant's console opened once (issue 5).

    uv run python -m bench.admin_console [--tenants 225] [--max-open 32] [--warm 20]
                                         [--seconds 10] [--concurrency 8] [--seed-parallel 4]

Setup: a private database, `--tenants` universities (u001, …), each with 15 departments (3
faculties × 4 kafedras) and 2 buildings made through the services, and one ADMIN account
(known password, TOTP secret, no forced password change) made by `UserService.open_account`.
The app runs in one uvicorn process (`--workers 1`: its memory is the server's) with
HEMIS_ADMIN_MAX_OPEN=`--max-open`; every admin signs in untimed through
POST /t/<code>/api/v1/auth/login (HEMIS_IDENTITY__LOGIN_LIMIT_PER_IP raised for that).

Measured, tenant by tenant in order (so the LRU evicts when `--max-open` < `--tenants`), on one
keep-alive connection: cold = the first GET /t/<code>/admin/api/tables/ (opens the tenant's
pool; the very first one also builds the console, which every tenant shares); first list = the first GET …/api/tables/department/?__page_size=15
(opens the console pool's first PostgreSQL connection); warm = `--warm` more of the same. Then
`--concurrency` connections for `--seconds` over the consoles still open (the last `--max-open`
tenants), and a second pass opening every console once more (evicted pools are reopened: RSS
growth between the passes would be a leak). Server memory (VmRSS, VmHWM of the process) before
any console and after each step; PostgreSQL connections of the console pools (pg_stat_activity,
application_name 'hemis-admin:<code>'), sampled every 25 tenants. The bench database gets a
CONNECTION LIMIT leaving 10 of the server's connections free, so a run that would exhaust them
fails here (counted as errors) rather than in whatever else uses the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from sqlalchemy.engine import make_url

from bench.common import bench_database, pct, provision_universities
from bench.my_grades import HttpConnection, HttpError, Op, Server, run_phase
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.identity import totp
from hemis.identity.users import UserService
from hemis.structure.models import StructureType
from hemis.structure.service import BuildingService, DepartmentService
from tenants import naming
from tenants.database import app_engine
from tenants.session import make_sessionmaker, tenant_session
from tenants.testing import recreate_database

PASSWORD = "Bench-admin-parol-2026"
RSS_BOUND_MB = 300  # the stated bound for the default --max-open 32 (see bench/README.md)
LIST = "/admin/api/tables/department/?__page_size=15"
ADMIN_CONNECTIONS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND application_name LIKE 'hemis-admin:%'"
)


@dataclass(frozen=True)
class Admin:
    code: str
    username: str
    secret: str


async def seed(settings: Settings, count: int, parallel: int) -> list[Admin]:
    """Provision `count` tenants (as bench.my_grades does), then departments, buildings, an admin."""
    refs = await provision_universities(settings, count)
    settings.db.pool_size, settings.db.max_overflow = parallel, 0
    engine = app_engine(settings)
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    admins: list[Admin] = []
    queue = list(refs)

    async def seeder() -> None:
        while queue:
            ref = queue.pop(0)
            async with tenant_session(maker, ref) as s:
                departments = DepartmentService(s, actor="bench")
                for f in range(1, 4):
                    faculty = await departments.create(
                        {"code": f"F{f}", "name": f"{f}-fakultet", "structure_type": StructureType.FACULTY}
                    )
                    for k in range(1, 5):
                        await departments.create(
                            {"code": f"K{f}{k}", "name": f"{f}.{k}-kafedra", "parent_id": faculty.id,
                             "structure_type": StructureType.KAFEDRA}
                        )  # fmt: skip
                for b in (1, 2):
                    await BuildingService(s, actor="bench").create(
                        {"name": f"{b}-bino", "address": "Toshkent"}
                    )
                user, secret = await UserService(s, actor="bench").open_account(
                    {"username": f"admin_{ref.code}", "display_name": "Admin", "roles": [Role.ADMIN],
                     "password": PASSWORD}
                )  # fmt: skip
                user.must_change_password = False
                await s.commit()
            assert secret is not None, "admins need a second factor"
            admins.append(Admin(ref.code, user.username, secret))

    await asyncio.gather(*(seeder() for _ in range(parallel)))
    await engine.dispose()
    return sorted(admins, key=lambda a: a.code)


class OneProcess(Server):
    """`uvicorn --workers 1` runs the app in the process itself, without a supervisor."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, workers=1)
        self.workers = 0  # wait_ready waits for more processes than `workers`: here one

    def memory(self) -> dict[str, float]:
        status = Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
        found = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
        rss, peak = (int(found[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))  # kB
        return {"rss_mb": round(rss, 1), "peak_mb": round(peak, 1)}


async def sign_in_all(port: int, admins: list[Admin], parallel: int = 4) -> dict[str, bytes]:
    """Each admin's `Cookie:` header line, signed in through the API's login (with TOTP)."""
    cookies: dict[str, bytes] = {}
    queue = list(admins)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:

        async def worker() -> None:
            while queue:
                admin = queue.pop(0)
                code = totp.code_at(admin.secret, int(time.time() // totp.STEP))
                body = {"username": admin.username, "password": PASSWORD, "totp": code}
                response = await client.post(f"/t/{admin.code}/api/v1/auth/login", json=body)
                assert response.status_code == 200, (admin.code, response.status_code, response.text)
                cookies[admin.code] = (
                    f"Cookie: hemis_session={response.cookies['hemis_session']}\r\n".encode()
                )
                client.cookies.clear()

        await asyncio.gather(*(worker() for _ in range(parallel)))
    return cookies


ROWS = msgspec.json.Decoder(dict[str, list[dict[str, Any]]])


async def fetch(conn: HttpConnection, target: str, cookie: bytes) -> tuple[float, bytes]:
    started = time.perf_counter()
    try:
        status, body = await conn.get(target.encode(), cookie)
    except BaseException:
        conn.close()
        raise
    if status != 200:
        raise HttpError(str(status))
    return time.perf_counter() - started, body


def stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    ms = [round(pct(values, p) * 1000, 1) for p in (50, 95)]
    return {"n": len(values), "p50_ms": ms[0], "p95_ms": ms[1], "max_ms": round(max(values) * 1000, 1)}


async def open_all(
    port: int, admins: list[Admin], cookies: dict[str, bytes], warm: int, pg: asyncpg.Connection
) -> dict[str, Any]:
    """One pass over the tenants in order: cold, first list and `warm` lists each."""
    conn = HttpConnection("127.0.0.1", port)
    times: dict[str, list[float]] = {"cold": [], "first_list": [], "warm": []}
    errors: Counter[str] = Counter()
    connections: list[int] = []
    for number, admin in enumerate(admins, start=1):
        base, cookie = f"/t/{admin.code}", cookies[admin.code]
        steps = [("cold", "/admin/api/tables/"), ("first_list", LIST)] + [("warm", LIST)] * warm
        for kind, path in steps:
            try:
                elapsed, body = await fetch(conn, base + path, cookie)
                if kind != "cold":
                    assert len(ROWS.decode(body)["rows"]) == 15, body[:200]
            except Exception as exc:  # noqa: BLE001 - counted; the pass goes on
                errors[f"{kind}: {exc if isinstance(exc, HttpError) else type(exc).__name__}"] += 1
                continue
            times[kind].append(elapsed)
        if number % 25 == 0 or number == len(admins):
            connections.append(int(await pg.fetchval(ADMIN_CONNECTIONS)))
    conn.close()
    return {
        **{kind: stats(values) for kind, values in times.items()},
        "errors": dict(errors),
        "admin_connections_every_25": connections,
    }


def list_ops(port: int, admins: list[Admin], cookies: dict[str, bytes], concurrency: int) -> list[Op]:
    def make() -> Op:
        conn = HttpConnection("127.0.0.1", port)

        async def op() -> int:
            admin = random.choice(admins)
            _, body = await fetch(conn, f"/t/{admin.code}{LIST}", cookies[admin.code])
            return len(ROWS.decode(body)["rows"])

        return op

    return [make() for _ in range(concurrency)]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    db = await bench_database("admin")
    settings = db.settings
    result: dict[str, Any] = {"tenants": args.tenants, "max_open": args.max_open}
    try:
        started = time.perf_counter()
        admins = await seed(settings, args.tenants, args.seed_parallel)
        result["setup_s"] = round(time.perf_counter() - started, 1)
        dsn = make_url(settings.db.url).set(drivername="postgresql").render_as_string(False)
        pg = await asyncpg.connect(dsn)  # the owner (a superuser): not held to the database's limit
        server: OneProcess | None = None
        try:
            limit = await pg.fetchval(
                "SELECT current_setting('max_connections')::int"
                " - current_setting('superuser_reserved_connections')::int"
                " - (SELECT count(*) FROM pg_stat_activity WHERE datname IS DISTINCT FROM current_database())"
                " - 10"
            )
            await pg.execute(
                f"ALTER DATABASE {naming.quote(make_url(dsn).database or '')} CONNECTION LIMIT {int(limit)}"
            )
            result["db_connection_limit"] = int(limit)
            os.environ["HEMIS_ADMIN_MAX_OPEN"] = str(args.max_open)
            os.environ.setdefault("HEMIS_IDENTITY__LOGIN_LIMIT_PER_IP", str(10 * args.tenants))
            server = OneProcess(settings)
            await server.wait_ready()
            memory = {"ready": server.memory()}
            cookies = await sign_in_all(server.port, admins)
            memory["signed_in"] = server.memory()
            first = await open_all(server.port, admins, cookies, args.warm, pg)
            memory["all_opened_once"] = server.memory()
            still_open = admins[-args.max_open :]
            ops = list_ops(server.port, still_open, cookies, args.concurrency)
            await run_phase(ops, 1.0, ramp=0.5)  # connections open; pools as under load
            phase = await run_phase(ops, args.seconds, server.pids())
            memory["after_load"] = server.memory()
            after_load = int(await pg.fetchval(ADMIN_CONNECTIONS))
            second = await open_all(server.port, admins, cookies, 0, pg)
            memory["all_opened_twice"] = server.memory()
            if first["errors"] or second["errors"] or phase.errors:
                result["server_log_tail"] = server.tail(10).splitlines()
        finally:
            if server is not None:
                server.stop()
            await pg.close()
        report = phase.report()
        connections = max(first["admin_connections_every_25"] + second["admin_connections_every_25"])
        connections = max(connections, after_load)
        peak = max(m["peak_mb"] for m in memory.values())
        result |= {
            "server_env": server.overrides,
            "first_pass": first,
            "load": {
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "consoles": len(still_open),
                **{k: report[k] for k in ("rps", "p50_ms", "p99_ms", "max_ms", "errors", "error_kinds")},
                "cpu_s": report["cpu_s"],
            },
            "admin_connections_after_load": after_load,
            "second_pass": {k: second[k] for k in ("cold", "errors", "admin_connections_every_25")},
            "memory": memory,
            "console_mb": round(
                (memory["all_opened_once"]["rss_mb"] - memory["signed_in"]["rss_mb"])
                / min(args.tenants, args.max_open),
                2,
            ),
            "bounds": {
                f"peak_rss_mb<={RSS_BOUND_MB}": peak <= RSS_BOUND_MB,
                f"admin_connections<={2 * args.max_open}": connections <= 2 * args.max_open,
                "max_admin_connections_seen": connections,
            },
        }
    finally:
        await recreate_database(db, create=False)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=225)
    parser.add_argument("--max-open", type=int, default=32, help="HEMIS_ADMIN_MAX_OPEN of the server")
    parser.add_argument("--warm", type=int, default=20, help="warm list requests per tenant")
    parser.add_argument("--seconds", type=float, default=10, help="of the concurrent warm load")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed-parallel", type=int, default=4, help="tenants seeded at once")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
