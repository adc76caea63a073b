"""SSO sign-in: the callback (code exchange + user lookup + session) ≥ 100 logins/s, p99 ≤ 300 ms (issue 4).

    uv run python -m bench.sso_login [--logins 1200] [--warmup 300] [--concurrency 16] [--workers 2]
                                     [--chunk 100] [--prepare 16]

One university (`sso`, `seed_term`: `--warmup` + `--logins`/2 students with PINFLs), the tests' real
OpenID provider (tests/oidc_provider.py) registered through the API (match by PINFL), the app under
`uvicorn --workers N`. Sign-ins are prepared (not timed: `/start`, then `DevProvider.sign_in` up to
the callback URL) and replayed (timed: the callback, its own hemis_sso cookie, `--concurrency`
keep-alive connections; a 303 setting hemis_session is a success) in chunks of `--chunk`, because
oidc-provider's in-memory store is an LRU of 1,000-2,000 entries (~6 per sign-in): only the ~180
newest codes stay redeemable. Warm-up: first sign-ins of `--warmup` students. Measured, shuffled:
first sign-ins of the others ("link": account opened, sub linked) and repeats of warm-up subs.
Reference, same run, chunks and concurrency: the provider's token endpoint (which each callback
calls) redeeming codes prepared straight at the provider with PKCE S256. Reported: logins/s over
the replays, p50/p99/max (all, link, repeat), errors, CPU seconds of this client, the server, the
provider, the bench database's PostgreSQL backends and the rest (other work on the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.common import bench_database, pct, run_async
from bench.my_grades import PgCounters, Phase, Server, machine_cpu, process_cpu
from hemis.access.service import ApiTokenService
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.platform import create_tenant, setup_platform
from hemis.students.models import CURRENT_STATUSES, Student
from hemis.term_demo import TermSize, seed_term
from tenants.database import app_engine, owner_engine
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session
from tenants.testing import recreate_database
from tests.oidc_provider import Client, DevProvider

CODE = "sso"
SECRET = "bench-client-secret-0123456789abcdef"
Job = Callable[["Conn"], Awaitable[str | None]]  # None on success, else what went wrong


async def seed(settings: Settings, students: int) -> tuple[str, list[str]]:
    """One university with `students` current students; returns an ADMIN token and their PINFLs."""
    owner = owner_engine(settings)
    await setup_platform(owner, settings)
    ref = await create_tenant(owner, settings, TenantSpec(code=CODE, name_uz="SSO universiteti"))
    await owner.dispose()
    engine = app_engine(settings)
    size = TermSize(1, students, courses=1, teachers_per_kafedra=1, mandatory_per_semester=1)
    async with tenant_session(make_sessionmaker(engine, settings.tenancy.role_prefix), ref) as s:
        await seed_term(s, seed=4, size=size)
        _, secret = await ApiTokenService(session=s).issue("bench", {Role.ADMIN}, by="bench")
        current = Student.status.in_(CURRENT_STATUSES)
        pinfls = [p for p in await s.scalars(select(Student.pinfl).where(current).order_by(Student.id)) if p]
        await s.commit()
    await engine.dispose()
    assert len(pinfls) >= students, f"{len(pinfls)} students seeded, {students} wanted"
    return secret, pinfls


class Conn:
    """A keep-alive HTTP/1.1 connection to 127.0.0.1 that, unlike my_grades' client, returns the
    response headers (Set-Cookie) and sends bodies (the token endpoint's POST). A connection the
    server closed (uvicorn and Node close after 5 idle seconds) is reopened."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(
        self, method: bytes, target: bytes, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if self.streams is not None and self.streams[0].at_eof():
            self.close()
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        head = b"%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (method, target, self.port)
        writer.write(head + b"Content-Length: %d\r\n" % len(body) + headers + b"\r\n" + body)
        lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n")
        fields = [(n.strip().lower(), v.strip()) for n, _, v in (line.partition(b":") for line in lines[1:])]
        found = dict(fields)
        if b"content-length" not in found:
            raise ConnectionError("response without content-length")
        payload = await reader.readexactly(int(found[b"content-length"]))
        if found.get(b"connection", b"").lower() == b"close":
            self.close()
        return int(lines[0].split(b" ", 2)[1]), fields, payload

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
        self.streams = None


async def gather_limited(jobs: Sequence[Callable[[], Awaitable[Any]]], parallel: int) -> list[Any]:
    gate = asyncio.Semaphore(parallel)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))


async def prepare_login(http: httpx.AsyncClient, dev: DevProvider, start: str, sub: str, pinfl: str) -> Job:
    """/start on the server, the person's sign-in at the provider; the job replays the callback."""
    response = await http.get(start)
    assert response.status_code == 303, response.text
    callback = urlsplit(await dev.sign_in(response.headers["location"], sub, pinfl=pinfl))
    assert f"{callback.scheme}://{callback.netloc}" == str(http.base_url).rstrip("/"), callback
    target = f"{callback.path}?{callback.query}".encode()
    cookie = f"Cookie: hemis_sso={response.cookies['hemis_sso']}\r\n".encode()

    async def job(conn: Conn) -> str | None:
        status, headers, body = await conn.send(b"GET", target, cookie)
        if status == 303 and any(n == b"set-cookie" and v.startswith(b"hemis_session=") for n, v in headers):
            return None
        return f"HTTP {status} {body[:160].decode(errors='replace')}"

    return job


async def prepare_code(dev: DevProvider, meta: dict[str, Any], client: Client, sub: str, pinfl: str) -> Job:
    """A code straight from the provider (no hemis); the job redeems it at the token endpoint."""
    verifier, redirect = secrets.token_urlsafe(64), client.redirect_uris[0]
    url = prepare_grant_uri(
        meta["authorization_endpoint"], client_id=client.client_id, response_type="code",
        redirect_uri=redirect, scope="openid hemis", state=secrets.token_urlsafe(16),
        nonce=secrets.token_urlsafe(16), code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )  # fmt: skip
    [code] = parse_qs(urlsplit(await dev.sign_in(url, sub, pinfl=pinfl)).query)["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    payload = urlencode(form | {"code_verifier": verifier}).encode()
    basic = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode())
    headers = b"Authorization: Basic %s\r\nContent-Type: application/x-www-form-urlencoded\r\n" % basic

    async def job(conn: Conn) -> str | None:
        status, _, body = await conn.send(b"POST", b"/token", headers, payload)
        return None if status == 200 and b'"id_token"' in body else f"HTTP {status} {body[:160].decode()}"

    return job


class Run:
    """Timed replays of prepared chunks, added up: latencies in job order (None when the job
    failed), errors, seconds, and CPU seconds per process group (per process, in pid order)."""

    def __init__(self, conns: Sequence[Conn], groups: dict[str, list[int]], backends: Callable[[], Awaitable[list[int]]], ping: bytes) -> None:  # fmt: skip
        self.conns, self.groups, self.backends, self.ping = conns, groups, backends, ping
        self.phase, self.prepare_s = Phase(), 0.0
        self.took: list[float | None] = []
        self.cpu = dict.fromkeys(["busy", "client", "interrupts"], 0.0)
        self.spent: dict[tuple[str, int], float] = defaultdict(float)  # by (group, pid)

    async def processes(self) -> dict[tuple[str, int], float]:
        """CPU seconds so far of each process by (group, pid), the PostgreSQL backends included."""
        pids = [(n, p) for n, ps in self.groups.items() for p in ps]
        pids += [("postgres", p) for p in await self.backends()]
        return dict(zip(pids, process_cpu([p for _, p in pids]), strict=True))

    async def chunks(
        self, prepare: Sequence[Callable[[], Awaitable[Job]]], size: int, parallel: int, ramp: float = 0
    ) -> None:
        for first in range(0, len(prepare), size):
            started, done = time.perf_counter(), asyncio.Event()
            keeper = asyncio.create_task(self.keep_alive(done))
            jobs = await gather_limited(prepare[first : first + size], parallel)
            done.set()
            await keeper
            self.prepare_s += time.perf_counter() - started
            await self.replay(jobs, ramp if first == 0 else 0)

    async def keep_alive(self, done: asyncio.Event) -> None:
        """While a chunk is prepared, a cheap request on each open connection every 2 s, so none is
        closed for idling and reopened in a burst (which one uvicorn worker may take whole)."""
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 2)
            if done.is_set():
                return
            for conn in (c for c in self.conns if c.streams is not None):
                try:
                    await conn.send(b"GET", self.ping)
                except (OSError, asyncio.IncompleteReadError):
                    conn.close()  # reopened by its next request

    async def replay(self, jobs: Sequence[Job], ramp: float) -> None:
        took: list[float | None] = [None] * len(jobs)
        todo, before = iter(range(len(jobs))), await self.processes()
        busy0, client0, started = machine_cpu(), time.process_time(), time.perf_counter()

        async def worker(conn: Conn, delay: float) -> None:
            await asyncio.sleep(delay)  # uvicorn's workers share a socket: a burst would go to one
            for i in todo:
                t0 = time.perf_counter()
                try:
                    error = await jobs[i](conn)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    conn.close()
                    error = type(exc).__name__
                if error is None:
                    took[i] = time.perf_counter() - t0
                else:
                    self.phase.errors[error] += 1

        await asyncio.gather(*(worker(c, k * ramp / len(self.conns)) for k, c in enumerate(self.conns)))
        self.phase.elapsed += time.perf_counter() - started
        self.cpu["client"] += time.process_time() - client0
        busy1 = machine_cpu()
        self.cpu["busy"] += busy1[0] - busy0[0]
        self.cpu["interrupts"] += busy1[1] - busy0[1]
        # A backend that started during the replay counts whole; one that ended in it is missed.
        for key, cpu in (await self.processes()).items():
            self.spent[key] += cpu - before.get(key, 0.0)
        self.took += took
        self.phase.latencies += [t for t in took if t is not None]

    def report(self) -> dict[str, Any]:
        found = self.phase.report()
        del found["rows_per_response"], found["pg"]
        cpu = self.cpu | {"postgres": 0.0} | dict.fromkeys(self.groups, 0.0)
        for (name, _), seconds in self.spent.items():
            cpu[name] += seconds
        cpu["other"] = cpu["busy"] - sum(v for k, v in cpu.items() if k != "busy")
        found["cpu_s"] = {"capacity": round(self.phase.elapsed * (os.cpu_count() or 1), 1)}
        found["cpu_s"] |= {k: round(v, 1) for k, v in cpu.items()}
        workers = [v for (name, _), v in self.spent.items() if name == "server"]
        found["cpu_s"] |= (
            {"server_processes": sorted((round(v, 1) for v in workers), reverse=True)} if workers else {}
        )
        return found | {"seconds": round(self.phase.elapsed, 1), "prepare_s": round(self.prepare_s, 1)}


def latency(values: Sequence[float]) -> dict[str, Any]:
    ms = {f"p{p}_ms": round(pct(values, p) * 1000, 1) for p in (50, 99)} if values else {}
    return {"logins": len(values), **ms, "max_ms": round(max(values) * 1000, 1) if values else None}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    links = args.logins // 2
    students = args.warmup + links
    db = await bench_database("sso")
    settings = db.settings
    started = time.perf_counter()
    token, pinfls = await seed(settings, students)
    seed_s = round(time.perf_counter() - started, 1)
    loadavg = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    owner_dsn = make_url(settings.db.url).set(drivername="postgresql").render_as_string(False)
    backends = PgCounters(await asyncpg.connect(owner_dsn))
    server = Server(settings, args.workers)
    base = f"http://127.0.0.1:{server.port}"
    client = Client("hemis-bench", SECRET, [f"{base}/t/{CODE}/api/v1/auth/sso/callback"])
    dev = DevProvider([client], code_ttl=600)
    try:
        dev.start()
        await server.wait_ready()
        assert dev.process is not None
        groups = {"server": server.pids(), "provider": [dev.process.pid]}
        # Pooled connections idle for 1 s at most: uvicorn closes them at 5 s, httpx's own default.
        async with httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(keepalive_expiry=1)
        ) as http:
            body = {"name": "Bench OneID", "discovery_url": dev.discovery_url, "client_id": client.client_id,
                    "client_secret": SECRET, "claim": "pinfl", "match_by": "pinfl", "scopes": "openid hemis"}  # fmt: skip
            admin = {"Authorization": f"Bearer {token}"}
            created = await http.post(f"/t/{CODE}/api/v1/identity-providers", json=body, headers=admin)
            assert created.status_code == 201, created.text
            start = f"/t/{CODE}/api/v1/auth/sso/{created.json()['id']}/start"
            rng = random.Random(4)
            plan = [("link", args.warmup + i) for i in range(links)]
            plan += [("repeat", rng.randrange(args.warmup)) for _ in range(args.logins - links)]
            rng.shuffle(plan)

            def login(i: int) -> Callable[[], Awaitable[Job]]:
                return lambda: prepare_login(http, dev, start, f"sub-{i}", pinfls[i])

            conns = [Conn(server.port) for _ in range(args.concurrency)]
            warm, api = (Run(conns, groups, backends.backend_pids, b"/health") for _ in range(2))
            await warm.chunks([login(i) for i in range(args.warmup)], args.chunk, args.prepare, ramp=1.0)
            await api.chunks([login(i) for _, i in plan], args.chunk, args.prepare)
        if warm.phase.errors or api.phase.errors:
            print(server.tail(), file=sys.stderr)
        for conn in conns:
            conn.close()
        server.stop()

        async with httpx.AsyncClient() as http:
            meta = (await http.get(dev.discovery_url)).json()
        conns = [Conn(dev.port) for _ in range(args.concurrency)]
        alone = {"provider": [dev.process.pid]}
        codes = [
            lambda i=i: prepare_code(dev, meta, client, f"ref-{i}", pinfls[i % students])
            for i in range(args.warmup + args.logins)
        ]
        ref_warm, ref = (Run(conns, alone, backends.backend_pids, b"/jwks") for _ in range(2))
        await ref_warm.chunks(codes[: args.warmup], args.chunk, args.prepare)
        await ref.chunks(codes[args.warmup :], args.chunk, args.prepare)
        for conn in conns:
            conn.close()
    finally:
        server.stop()
        dev.stop()
        Path(f"/tmp/hemis-oidc-provider-{dev.port}.log").unlink(missing_ok=True)
        await backends.conn.close()
        await recreate_database(db, create=False)  # the database and its roles go

    api_report, ref_report = api.report(), ref.report()
    for kind in ("link", "repeat"):
        times = [t for t, (k, _) in zip(api.took, plan, strict=True) if k == kind and t is not None]
        api_report[kind] = latency(times)
    ratio = api_report["rps"] / ref_report["rps"] if ref_report["rps"] else 0.0
    return {
        "tenants": 1,
        "students": students,
        "logins": {"warmup": args.warmup, "link": links, "repeat": args.logins - links},
        "chunk": args.chunk,
        "seed_s": seed_s,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
        "server_env": server.overrides,
        "loadavg_1m_before": loadavg,
        "warmup": {"rps": warm.report()["rps"], "errors": warm.phase.errors} | latency(warm.phase.latencies),
        "api": api_report,
        "provider_token_endpoint": ref_report,
        "ratio": round(ratio, 3),
        "targets": {
            "rps>=100": api_report["rps"] >= 100 and not api.phase.errors,
            "p99<=300ms": api_report["p99_ms"] is not None and api_report["p99_ms"] <= 300,
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    return run_async(main, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=1200, help="measured: half link, half repeat")
    parser.add_argument("--warmup", type=int, default=300, help="first sign-ins, not measured")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--chunk", type=int, default=100, help="sign-ins prepared, then replayed, at a time")
    parser.add_argument("--prepare", type=int, default=16, help="sign-ins prepared at once (not timed)")
    print(json.dumps(run(parser.parse_args()), indent=2))
