"""Loading one university: COPY (frozen, with cached binary encoders), its big tables' indexes
built after their rows, identity sequences set, ANALYZE."""

from __future__ import annotations

import gc
import struct
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from bench.national_data.finance import contracts
from bench.national_data.plan import NationalParams, UniversityPlan
from bench.national_data.university import COLUMNS, TenantBuilder
from bench.national_data.vocabulary import ACTOR
from tenants import naming

# Constant columns the generated rows leave out, appended for COPY (NOT NULL, no server default).
CONSTANTS: dict[str, dict[str, Any]] = {
    "department": {"name_ru": "", "name_en": "", "active": True},
    "curriculum": {"active": True},
    "curriculum_subject": {"laboratory_hours": 0, "seminar_hours": 0},
    "student": {"email": ""},
    "student_status_change": {"actor": ACTOR, "request_id": ""},
    "employee": {"phone": "", "email": "", "active": True},
    "mark_sheet": {"lock_after_days": 2},
    "instalment_plan": {"active": True},
    "fee_discount": {"active": True},
    "fee_structure": {"active": True},
    "contract": {"status": "active", "cancel_reason": ""},
    "ledger_entry": {"request_id": ""},
}
WITHOUT_TIMESTAMPS = {"mark", "student_status_change", "contract_counter", "ledger_entry"}


def copy_columns(table: str) -> tuple[str, ...]:
    stamps = () if table in WITHOUT_TIMESTAMPS else ("created_at", "updated_at")
    return COLUMNS[table] + tuple(CONSTANTS.get(table, {})) + stamps


def complete_rows(
    table: str, rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]], now: datetime
) -> Iterator[tuple[Any, ...]]:
    """The generated rows with the constants and timestamps appended, in `copy_columns` order."""
    tail = tuple(CONSTANTS.get(table, {}).values()) + (() if table in WITHOUT_TIMESTAMPS else (now, now))
    if not tail:
        yield from rows
    else:
        for row in rows:
            yield row + tail


# asyncpg's own binary encoders of timestamptz, date and numeric run Python arithmetic per value
# (about half of the client's COPY time); the load connection encodes them from caches instead.
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_times: dict[datetime, bytes] = {}
_days: dict[date, bytes] = {}
_numbers: dict[Decimal, bytes] = {}


def _timestamptz(value: datetime) -> bytes:
    encoded = _times.get(value)
    if encoded is None:
        encoded = _times[value] = struct.pack("!q", (value - PG_EPOCH) // timedelta(microseconds=1))
    return encoded


def _date(value: date) -> bytes:
    encoded = _days.get(value)
    if encoded is None:
        encoded = _days[value] = struct.pack("!i", (value - PG_EPOCH.date()).days)
    return encoded


def numeric_binary(value: Decimal | int) -> bytes:
    """PostgreSQL's binary numeric: base-10000 digits with weight, sign and display scale."""
    sign, digits, exponent = Decimal(value).as_tuple()
    assert isinstance(exponent, int), "no NaN or infinity"
    scale = max(0, -exponent)
    text = ("".join(map(str, digits)) + "0" * max(0, exponent)).zfill(scale)
    whole, fraction = text[: len(text) - scale].lstrip("0"), text[len(text) - scale :]
    whole = whole.zfill(-(-len(whole) // 4) * 4)
    fraction = fraction.ljust(-(-len(fraction) // 4) * 4, "0")
    groups = [int(whole[i : i + 4]) for i in range(0, len(whole), 4)]
    groups += [int(fraction[i : i + 4]) for i in range(0, len(fraction), 4)]
    weight = len(whole) // 4 - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    return struct.pack(f"!hhHh{len(groups)}h", len(groups), weight, 0x4000 if sign else 0, scale, *groups)


def _numeric(value: Decimal) -> bytes:
    encoded = _numbers.get(value)
    if encoded is None:
        encoded = _numbers[value] = numeric_binary(value)
    return encoded


class LoadConnection(asyncpg.Connection):  # type: ignore[misc]
    """The COPY connection: timestamptz, date and numeric written through the caches above (read
    back as raw bytes, which nothing here does), and COPY with FREEZE."""

    async def copy_frozen(self, schema: str, table: str, columns: Sequence[str], records: Any) -> None:
        """copy_records_to_table with FREEZE, which it cannot ask for: its own two protocol steps
        (asyncpg is pinned by uv.lock). Rows go in frozen and all-visible, so no VACUUM has to
        visit the tables afterwards; the table must be truncated in this transaction first."""
        name = f"{naming.quote(schema)}.{naming.quote(table)}"
        listed = ", ".join(naming.quote(c) for c in columns)
        intro = await self._prepare(f"SELECT {listed} FROM {name} LIMIT 1", use_cache=True)
        copy = f"COPY {name} ({listed}) FROM STDIN (FORMAT binary, FREEZE)"
        await self._protocol.copy_in(copy, None, None, records, intro._state, None)


async def load_connection(url: str) -> LoadConnection:
    conn: LoadConnection = await asyncpg.connect(url, connection_class=LoadConnection)
    for name, encoder in (("timestamptz", _timestamptz), ("date", _date), ("numeric", _numeric)):
        await conn.set_type_codec(name, schema="pg_catalog", encoder=encoder, decoder=bytes, format="binary")
    return conn


# Tables whose indexes are dropped for the load and built after it: a sorted build costs less
# than millions of single inserts. Measured on one university: a third less PostgreSQL CPU for
# these two; for the smaller tables the rebuilds (each fsyncs its new file) cost more than they save.
BULK_TABLES = ("mark", "absence")
INDEXES_SQL = """
SELECT 'index' AS kind, i.indexrelid::regclass::text AS name, c.relname AS owner, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = $1::regnamespace AND c.relname = ANY($2)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
UNION ALL
SELECT CASE k.contype WHEN 'f' THEN 'reference' ELSE 'key' END, k.conname, c.relname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE (k.contype IN ('p', 'u') AND k.conrelid = ANY($3::regclass[]))
   OR (k.contype = 'f' AND k.confrelid = ANY($3::regclass[]))
"""


async def drop_indexes(conn: asyncpg.Connection, schema: str, tables: Sequence[str]) -> list[str]:
    """Drop the indexes and keys of `tables` (and the foreign keys that lean on those keys);
    returns the statements that build them again, in order."""
    qualified = [f"{naming.quote(schema)}.{naming.quote(t)}" for t in tables]
    found = await conn.fetch(INDEXES_SQL, schema, list(tables), qualified)
    drop: list[str] = []
    build: list[str] = []
    for kind in ("reference", "key", "index"):
        for row in (r for r in found if r["kind"] == kind):
            owner = f"{naming.quote(schema)}.{naming.quote(row['owner'])}"
            if kind == "index":
                drop.append(f"DROP INDEX {row['name']}")
                build.insert(0, row["def"])
            else:
                drop.append(f"ALTER TABLE {owner} DROP CONSTRAINT {naming.quote(row['name'])}")
                build.insert(
                    0, f"ALTER TABLE {owner} ADD CONSTRAINT {naming.quote(row['name'])} {row['def']}"
                )
    if drop:
        await conn.execute("; ".join(drop))
    return build


class Stopwatch:
    """Milliseconds spent per phase (summed over universities in the report)."""

    def __init__(self) -> None:
        self.laps: dict[str, int] = {}
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self.last) * 1000)
        self.last = now


async def load_university(
    conn: LoadConnection,
    plan: UniversityPlan,
    params: NationalParams,
    base_amounts: Sequence[tuple[date, int]],
) -> dict[str, int]:
    """Generate one university and COPY it in one transaction (triggers and FK checks off, the
    big tables' indexes built after their rows), then ANALYZE its tables. Returns its row counts.

    The garbage collector is off meanwhile: the millions of row tuples held for COPY hold no
    cycles, and its repeated passes over them took two thirds of the generator's time."""
    clock_ms = Stopwatch()
    gc.disable()
    try:
        builder = TenantBuilder(plan, params)
        builder.structure()
        builder.students()
        builder.student_rows()
        builder.employees()
        schema = naming.schema_name(plan.code)
        clock_ms.lap("ms_people")

        async def copy(table: str, rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]) -> None:
            await conn.copy_frozen(
                schema, table, copy_columns(table), complete_rows(table, rows, builder.now)
            )

        async with conn.transaction():
            # Superuser only: no triggers (the grade history chain) and no foreign-key checks.
            await conn.execute(
                "SET LOCAL session_replication_role = replica; SET LOCAL synchronous_commit = off; "
                "SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL max_parallel_maintenance_workers = 0"
            )
            # Empty already; truncated in this transaction so that COPY may FREEZE (the cascade
            # reaches only tables that refer to these, as empty in a new tenant).
            await conn.execute(
                f"TRUNCATE {', '.join(f'{naming.quote(schema)}.{t}' for t in COLUMNS)} CASCADE"
            )
            rebuild = await drop_indexes(conn, schema, BULK_TABLES)
            await copy("mark", builder.marks())  # streamed: sheets, absences … are collected meanwhile
            clock_ms.lap("ms_marks")
            contracts(builder, base_amounts)
            clock_ms.lap("ms_finance")
            for table, rows in builder.rows.items():
                if rows:
                    await copy(table, rows)
            clock_ms.lap("ms_copy_rest")
            if rebuild:
                await conn.execute("; ".join(rebuild))
            clock_ms.lap("ms_indexes")
            for table, last in builder.ids.items():
                qualified = f"{naming.quote(schema)}.{table}"
                await conn.execute("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", qualified, last)
        counts = {table: len(rows) for table, rows in builder.rows.items()} | {
            "mark": builder.ids.get("mark", 0)
        }
        counts |= builder.counts
        clock_ms.lap("ms_commit")
    finally:
        gc.enable()
    await conn.execute(f"ANALYZE {', '.join(f'{naming.quote(schema)}.{table}' for table in COLUMNS)}")
    clock_ms.lap("ms_analyze")
    return counts | clock_ms.laps
