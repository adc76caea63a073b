"""Issue 6 benchmark: Stripe webhook ingest with 3× duplicates, ≥ 200 events/s, exactly-once effects.

A university with a demo term and its contracts (hemis.term_demo + hemis.finance.demo) gets a
Stripe account and N paid-for checkouts; N `checkout.session.completed` events, each really
signed (HMAC-SHA256 "t=…,v1=…" as Stripe signs), are sent 3 times each to the API served by
uvicorn (like bench.my_grades): the copies of each event land in the same window of concurrent
requests, in shuffled order, so duplicates race each other. Reported: distinct events per
second (the target), deliveries per second, latency, and the check from the database that
every event had exactly one effect: N stripe payments in the ledger summing to N × the amount,
N applied and 2N duplicate rows in payment_event, every answer 200; and, for the measured
phase, CPU seconds of this client, of each server worker and of the whole machine.

The `--concurrency` keep-alive connections are opened before the clock, during a warm-up of
GET /health on them, connection i starting i/N × RAMP seconds late (as bench.my_grades): the
workers share one listening socket, and a burst of connects is accepted by whichever worker
wakes first (all of them, often), which leaves the other worker idle and measures one core.

    uv run python -m bench.payment_webhooks [--events 1500] [--concurrency 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select

from bench.common import bench_database, pct
from bench.my_grades import HttpConnection, Server, machine_cpu, process_cpu
from hemis.config import Settings
from hemis.finance.demo import seed_finance
from hemis.finance.models import Contract, LedgerEntry, PaymentEvent, PaymentProvider, StripeCheckout
from hemis.platform import create_tenant, setup_platform
from hemis.term_demo import TermSize, seed_term
from tenants.database import app_engine, owner_engine
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session

CODE = "paybench"
SECRET = "whsec_bench_0123456789abcdef"  # the bench tenant's own webhook secret
AMOUNT = 5_000_000  # 50,000 so'm a checkout, charged in UZS (tiyin = Stripe's minor unit)
SIZE = TermSize(groups_per_course=4, students_per_group=25, courses=2, teachers_per_kafedra=1)
TARGET = 200
RAMP, WARMUP = 0.5, 1.0  # seconds: connections open over RAMP, GET /health until WARMUP


def sign(body: bytes, secret: str) -> str:
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


async def seed(settings: Settings, events: int) -> list[bytes]:
    """The tenant, its term and contracts, the Stripe account, N checkouts; the N event bodies."""
    owner = owner_engine(settings)
    await setup_platform(owner, settings)
    ref = await create_tenant(owner, settings, TenantSpec(code=CODE, name_uz="To'lov universiteti"))
    await owner.dispose()
    engine = app_engine(settings)
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    async with tenant_session(maker, ref) as session:
        await seed_term(session, seed=6, size=SIZE)
        await seed_finance(session, seed=6)
        session.add(
            PaymentProvider(provider="stripe", api_key="sk_bench", webhook_secret=SECRET, currency="uzs")
        )
        contracts = list(await session.scalars(select(Contract.id).order_by(Contract.id)))
        assert contracts, "the demo made no contracts"
        checkouts = [
            StripeCheckout(
                contract_id=contracts[i % len(contracts)],
                instalment=1,
                amount=AMOUNT,
                currency="uzs",
                amount_minor=AMOUNT,
                session_id=f"cs_bench_{i:07d}",
                status="open",
                created_by="bench",
            )
            for i in range(events)
        ]
        session.add_all(checkouts)
        await session.commit()
    await engine.dispose()
    now = int(time.time())
    bodies = []
    for i, checkout in enumerate(checkouts):
        session_object = {
            "id": checkout.session_id,
            "object": "checkout.session",
            "amount_total": AMOUNT,
            "currency": "uzs",
            "payment_status": "paid",
            "payment_intent": f"pi_bench_{i:07d}",
            "metadata": {"hemis_tenant": CODE, "hemis_checkout": str(checkout.id)},
        }
        event = {
            "id": f"evt_bench_{i:07d}",
            "object": "event",
            "type": "checkout.session.completed",
            "created": now,
            "data": {"object": session_object},
        }
        bodies.append(json.dumps(event, separators=(",", ":")).encode())
    print(f"seeded {len(contracts)} contracts, {events} checkouts", file=sys.stderr)
    return bodies


async def post(conn: HttpConnection, target: bytes, body: bytes, signature: str) -> int:
    """One keep-alive POST; the answer's status (the body is read and dropped)."""
    if conn.writer is None:
        conn.reader, conn.writer = await asyncio.open_connection(conn.host, conn.port)
    reader, writer = conn.reader, conn.writer
    assert reader is not None
    head = (
        b"POST " + target + b" HTTP/1.1\r\n" + conn.prefix + b"Content-Type: application/json\r\n"
        b"Stripe-Signature: " + signature.encode() + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    writer.write(head + body)
    lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n")
    length = next(
        int(v)
        for n, _, v in (ln.partition(b":") for ln in lines[1:])
        if n.strip().lower() == b"content-length"
    )
    await reader.readexactly(length)
    return int(lines[0].split(b" ", 2)[1])


async def warm_connections(port: int, concurrency: int) -> list[HttpConnection]:
    """The keep-alive connections of the load, opened while the server is busy (see the module's
    docstring): connection i starts i/N × RAMP late and sends GET /health until WARMUP is over."""
    conns = [HttpConnection("127.0.0.1", port) for _ in range(concurrency)]
    deadline = time.perf_counter() + WARMUP

    async def warm(conn: HttpConnection, delay: float) -> None:
        await asyncio.sleep(delay)
        while time.perf_counter() < deadline:
            status, _ = await conn.get(b"/health", b"")
            assert status == 200, status

    await asyncio.gather(*(warm(c, i * RAMP / concurrency) for i, c in enumerate(conns)))
    return conns


def connections_per_worker(port: int, workers: list[int]) -> list[int]:
    """Established TCP connections on `port` held by each worker process (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                    inodes.add(fields[9])
    counts = []
    for pid in workers:
        n = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    n += link.startswith("socket:[") and link[8:-1] in inodes
        counts.append(n)
    return counts


async def backends_cpu(database_url: str) -> float:
    """CPU seconds of this database's PostgreSQL backends so far (the app pools' connections are
    opened by the load and kept, so at its end this is their work during the load)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return sum(process_cpu([int(r[0]) for r in rows]))


async def load(
    port: int, bodies: list[bytes], conns: list[HttpConnection], workers: list[int], database_url: str
) -> dict[str, Any]:
    """Every event 3×: events shuffled, then cut into windows of about a third of the concurrency
    whose 3 copies each are shuffled together, so copies of one event are in flight at once."""
    concurrency = len(conns)
    order = list(range(len(bodies)))
    random.shuffle(order)
    window = max(1, concurrency // 3)
    deliveries: list[int] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window] * 3
        random.shuffle(chunk)
        deliveries += chunk
    signatures = [sign(b, SECRET) for b in bodies]  # signed now: well inside the 300 s tolerance
    target = f"/t/{CODE}/api/v1/finance/webhooks/stripe".encode()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    queue = iter(deliveries)

    async def worker(conn: HttpConnection) -> None:
        for index in queue:
            began = time.perf_counter()
            statuses[await post(conn, target, bodies[index], signatures[index])] += 1
            latencies.append(time.perf_counter() - began)
        conn.close()

    busy0, client0, workers0 = machine_cpu()[0], time.process_time(), process_cpu(workers)
    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - began
    busy, client = machine_cpu()[0] - busy0, time.process_time() - client0
    worker_cpu = [round(b - a, 2) for a, b in zip(workers0, process_cpu(workers), strict=True)]
    postgres = await backends_cpu(database_url)
    return {
        "events": len(bodies),
        "deliveries": len(deliveries),
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(bodies) / elapsed, 1),
        "deliveries_per_s": round(len(deliveries) / elapsed, 1),
        "p50_ms": round(pct(latencies, 50) * 1000, 1),
        "p99_ms": round(pct(latencies, 99) * 1000, 1),
        "statuses": dict(statuses),
        "cpu_s": {
            "client": round(client, 2),
            "workers": worker_cpu,
            "postgres_backends": round(postgres, 2),
            "machine": round(busy, 2),
            "machine_cores": round(busy / elapsed, 2),
        },
    }


async def effects(settings: Settings, events: int) -> dict[str, Any]:
    """What the database holds after the run: one payment per event, nothing more."""
    from hemis.platform import tenant_ref

    owner = owner_engine(settings)
    ref = await tenant_ref(owner, CODE)
    maker = make_sessionmaker(owner, settings.tenancy.role_prefix)
    async with tenant_session(maker, ref) as session:
        payments = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                    LedgerEntry.provider == "stripe", LedgerEntry.kind == "payment"
                )
            )
        ).one()
        rows = dict(
            (
                await session.execute(select(PaymentEvent.status, func.count()).group_by(PaymentEvent.status))
            ).all()
        )
    await owner.dispose()
    exact = payments[0] == events and -payments[1] == events * AMOUNT
    exact = exact and rows == {"applied": events, "duplicate": 2 * events}
    return {
        "ledger_payments": payments[0],
        "ledger_sum_tiyin": -int(payments[1]),
        "event_rows": {str(k): int(v) for k, v in rows.items()},
        "exactly_once": exact,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    db = await bench_database("payments")
    settings = db.settings
    bodies = await seed(settings, args.events)
    server = Server(settings, args.workers)
    try:
        await server.wait_ready()
        # A warm-up on events of their own would add effects; warm the workers with health checks.
        conns = await warm_connections(server.port, args.concurrency)
        workers = [p for p in server.pids() if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
        spread = connections_per_worker(server.port, workers)
        loadavg = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
        figures = await load(server.port, bodies, conns, workers, settings.db.url)
    finally:
        server.stop()
    result = {
        "bench": "payment_webhooks",
        "workers": args.workers,
        "concurrency": args.concurrency,
        "loadavg_before": loadavg,
        "connections_per_worker": spread,
        **figures,
        **await effects(settings, args.events),
        "target_events_per_s": TARGET,
    }
    result["pass"] = bool(
        result["exactly_once"] and result["events_per_s"] >= TARGET and set(result["statuses"]) == {200}
    )
    return result


def run() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    result = asyncio.run(main(parser.parse_args()))
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["pass"] else 1)


if __name__ == "__main__":
    run()
