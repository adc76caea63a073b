"""The roll-up worker: each university's outbox → its figures in schema national.

Per university and round, three transactions, none touching two universities:
1. in the university's own (its role, REPEATABLE READ): the outbox rows present, the students'
   kept results brought up to date (the only write), and the figures of every family those
   rows make stale, all from one snapshot;
2. in the national one (the worker's role): that university's rows of those families
   replaced, its KPI row of this month rewritten from them, freshness stamped;
3. in the university's again: exactly the outbox rows taken in step 1 deleted.

Why the ids and not "up to the largest id": identities are handed out at INSERT, not at
COMMIT, so a transaction still running at step 1 may commit a smaller id later; deleting
by range would drop its change unseen. A crash between 2 and 3 only repeats the work.
Step 2 refuses to overwrite a family computed from a later snapshot (`as_of`), so two
workers, or a full recompute beside the loop, cannot move a figure back in time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    Numeric,
    String,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.core.arrays import any_of, bound_rows
from hemis.core.db import table_of
from hemis.finance.rules import academic_year_of
from hemis.results.service import ResultService
from hemis.rollups import figures
from hemis.rollups.models import (
    KPI_SUMS,
    Attendance,
    Finance,
    Freshness,
    Kpi,
    Performance,
    RollupOutbox,
    Staff,
    StudentRegistry,
    University,
)
from tenants import naming, registry
from tenants.context import TenantKind, TenantRef
from tenants.session import make_sessionmaker, national_session, shared_session, tenant_session

log = logging.getLogger("hemis.rollups")

# The freshness row (tenant_code, family) of the worker's last complete round; tenant_role '' lets
# every university read it, as it reads the KPI totals.
ROUND = ("*", "round")
TOTALS = ("*", "totals")  # when the region and country KPI totals were last rewritten
# Another refresh took the same students: 40001 where both saw the stale rows, 23505 where a
# rebuild of everyone met a student's row committed after its snapshot. Both mean: again.
RETRIED = frozenset({"40001", "23505"})
SERIALISATION_RETRIES = 5


class Moved(Exception):
    """National rows of a university changed between a refresh's read, which found them equal to
    its own figures and so did not fetch those, and its write: read again, fetching all."""


@dataclass(slots=True)
class Read:
    """What step 1 read from one snapshot of the university."""

    as_of: datetime  # the snapshot's moment
    taken: Sequence[Any]  # the outbox rows (id, source, at)
    stale: set[str]  # the families they make stale (all, for a full recompute)
    rows: dict[str, figures.FamilyRows] = field(default_factory=dict)  # each stale family's rows
    extras: dict[str, int] | None = None  # what the KPIs read beyond the families (KPIs stale)
    registry_digest: str = ""  # of the registry rows (registry stale)
    # Families found equal to their national rows, so neither fetched nor written, and when
    # those rows were last written (freshness computed_at, as the snapshot saw it): the write
    # checks nobody wrote them since.
    unchanged: set[str] = field(default_factory=set)
    stamps: dict[str, datetime] = field(default_factory=dict)
    seconds_by_step: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds_by_step[step] = time.perf_counter() - started


@dataclass(slots=True)
class Refresh:
    """What one round did for one university."""

    tenant: str
    families: list[str]
    changes: int
    seconds: float
    skipped: list[str] = field(default_factory=list)  # families a newer computation already wrote
    seconds_by_step: dict[str, float] = field(default_factory=dict)  # 'results', each family, 'write'
    kpi_month: date | None = None  # the month of the KPI row rewritten, if one was: totals follow


# The university's code and role in the cached statements below: every statement is built once
# per shape and compiled once (a full recompute runs each 225 times; building them took a
# third of the worker's own CPU), its values come as parameters.
CODE, ROLE = bindparam("code", type_=String), bindparam("role", type_=String)


@dataclass(frozen=True, slots=True)
class Incoming:
    """The shape of a family's rows on their way into a national table: an unnest() of one array
    parameter per column (`rows_<column>`), typed like the table's, so one statement carries any
    number of rows."""

    table: Table
    columns: tuple[str, ...]
    source: Any  # the unnest(), its columns named as the table's

    @staticmethod
    @cache
    def shape(model: Any, columns: tuple[str, ...]) -> Incoming:
        table = table_of(model)
        return Incoming(table, columns, bound_rows("rows", [(name, table.c[name].type) for name in columns]))

    @staticmethod
    def params(rows: figures.FamilyRows) -> tuple[tuple[str, ...], dict[str, list[Any]]] | None:
        """The columns of `rows` and their parameters (None for no rows)."""
        columns = figures.as_columns(rows)
        if not columns or not next(iter(columns.values())):
            return None
        return tuple(columns), {f"rows_{name}": values for name, values in columns.items()}

    def stamped(self) -> Any:
        """The rows with the university's code and role (CODE, ROLE) in front."""
        return select(CODE, ROLE, *self.source.c)

    def insert(self, query: Any) -> Any:
        return insert(self.table).from_select(["tenant_code", "tenant_role", *self.columns], query)


@cache
def _delete_statement(model: Any) -> Any:
    table = table_of(model)  # Core, not ORM: with parameters an ORM statement is a bulk one
    return delete(table).where(table.c.tenant_code == CODE)


@cache
def _replace_statement(model: Any, columns: tuple[str, ...]) -> Any:
    """The university's rows of `model` replaced by the incoming ones where they differ, in one
    statement: the incoming and the stored rows are compared as multisets (EXCEPT ALL, so NULLs
    compare equal); only if they differ are the old rows deleted, by a data-modifying CTE (it
    sees the statement's snapshot, so never the rows inserted), and the new ones inserted."""
    incoming = Incoming.shape(model, columns)
    table, new = incoming.table, incoming.source
    stored = select(table.c.tenant_role, *(table.c[name] for name in columns)).where(
        table.c.tenant_code == CODE
    )
    arriving = select(ROLE, *new.c)
    changed = union_all(arriving.except_all(stored), stored.except_all(arriving)).subquery("changed")
    differs = select(exists(select(literal(1)).select_from(changed)).label("yes")).cte("differs")
    if_differs = select(differs.c.yes).scalar_subquery()
    gone = delete(table).where(table.c.tenant_code == CODE, if_differs).cte("gone")
    return incoming.insert(incoming.stamped().where(if_differs)).add_cte(gone)


@cache
def _registry_statements(columns: tuple[str, ...]) -> tuple[Any, Any]:
    """The registry's merge: the stored rows not among the incoming deleted, then the incoming
    rows of students not stored inserted. Two statements: in one, a data-modifying CTE may
    delete after the insert. NOT IN, not NOT EXISTS: PostgreSQL hashes the subquery once, where
    for NOT EXISTS it guesses a hundred rows from unnest() and compares each row with each. The
    registry's columns are NOT NULL, so NOT IN means what it says."""
    incoming = Incoming.shape(StudentRegistry, columns)
    table, new = incoming.table, incoming.source
    mine = table.c.tenant_code == CODE
    same = tuple_(table.c.tenant_role, *(table.c[name] for name in columns))
    gone = delete(table).where(mine, same.not_in(select(ROLE, *new.c)))
    present = select(table.c.student_id).where(mine)
    return gone, incoming.insert(incoming.stamped().where(new.c.student_id.not_in(present)))


@cache
def _freshness_statement() -> Any:
    """A university's (`code`) freshness rows of `families`: when each was last written
    (computed_at) and from a snapshot of when (as_of)."""
    table = table_of(Freshness)
    return select(table.c.family, table.c.computed_at, table.c.as_of).where(
        table.c.tenant_code == CODE, table.c.family == any_of("families", String())
    )


def _today() -> date:
    return datetime.now(UTC).date()


@cache
def _upsert_statement(model: Any, columns: tuple[str, ...], keys: tuple[str, ...]) -> Any:
    table = table_of(model)
    statement = pg_insert(table).values({c: bindparam(c, type_=table.c[c].type) for c in columns})
    return statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={c: statement.excluded[c] for c in columns if c not in keys},
    )


async def _upsert(session: AsyncSession, model: Any, values: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Insert `values`, or overwrite the other columns of the row with the same `keys`."""
    await session.execute(_upsert_statement(model, tuple(values), keys), values)


@cache
def _stamp_statement() -> Any:
    """Freshness rows of a university's families, one statement for any number of them."""
    stamps = bound_rows("stamps", [("family", String()), ("oldest_change_at", DateTime(timezone=True))])
    columns = ["tenant_code", "family", "tenant_role", "computed_at", "oldest_change_at", "seconds", "as_of"]
    rows = select(
        CODE,
        stamps.c.family,
        ROLE,
        func.now(),
        stamps.c.oldest_change_at,
        bindparam("seconds", type_=Numeric(8, 3)),
        bindparam("as_of", type_=DateTime(timezone=True)),
    )
    table = table_of(Freshness)  # Core, not ORM: with parameters an ORM INSERT is a bulk one
    statement = pg_insert(table).from_select(columns, rows)
    return statement.on_conflict_do_update(
        index_elements=[table.c.tenant_code, table.c.family],
        set_={k: statement.excluded[k] for k in columns if k not in ("tenant_code", "family")},
    )


@cache
def _kpi_sums_statement() -> Any:
    """A university's (`code`) sums of its national rows that its KPI row is made of, one round
    trip: each sum a scalar subquery (attendance and finance of academic year `year`)."""
    year = bindparam("year", type_=Integer())

    def sums(table: Any, *columns: str, of_year: bool = False) -> list[Any]:
        mine = [table.tenant_code == CODE] + ([table.academic_year == year] if of_year else [])
        return [
            select(func.coalesce(func.sum(getattr(table, c)), 0)).where(*mine).scalar_subquery()
            for c in columns
        ]

    return select(
        *sums(Performance, "points_sum", "points_100"),
        *sums(Staff, "with_e_course", "teachers"),
        *sums(Attendance, "planned_hours", "missed_hours", of_year=True),
        *sums(Finance, "paid_online", "paid", of_year=True),
        select(University.region_code).where(University.tenant_code == CODE).scalar_subquery(),
    )


class RollupWorker:
    def __init__(self, engine: AsyncEngine, role_prefix: str) -> None:
        self.prefix = role_prefix
        self.maker: async_sessionmaker[AsyncSession] = make_sessionmaker(engine, role_prefix)
        self.recomputed_on: date | None = None  # the day of the loop's last full recompute

    async def universities(self) -> list[TenantRef]:
        async with shared_session(self.maker) as session:
            conn = await session.connection()
            refs = [await registry.tenant_ref(conn, code) for code in await registry.tenant_codes(conn)]
        return [r for r in refs if r is not None and r.kind == TenantKind.UNIVERSITY]

    async def pending(self, tenant: TenantRef) -> int:
        async with tenant_session(self.maker, tenant) as session:
            return int(await session.scalar(select(func.count()).select_from(RollupOutbox)) or 0)

    async def refresh(
        self,
        tenant: TenantRef,
        *,
        full: bool = False,
        results: bool = False,
        totals: bool = True,
        today: date | None = None,
    ) -> Refresh:
        """Recompute what this university's outbox makes stale (everything when `full`; every
        student's summed results too when `results`, the repair of those). The region and country
        KPI totals follow unless `totals` is false: a round writes them once, after every
        university (_round), rather than 225 times one after another under their lock."""
        started = time.perf_counter()
        day = today or _today()
        read = await self._read_retried(tenant, day, full=full, results=results)
        if not read.stale:
            return Refresh(tenant.code, [], 0, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        with read.timed("write"):
            try:
                skipped, kpi_month = await self._write(tenant, read, day, seconds=seconds, totals=totals)
            except Moved:  # rewritten since the snapshot by another refresh: fetch every family after all
                read = await self._read_retried(tenant, day, full=full, results=results, fetch=True)
                skipped, kpi_month = await self._write(tenant, read, day, seconds=seconds, totals=totals)
        if read.taken:
            async with tenant_session(self.maker, tenant) as session:
                ids = [r.id for r in read.taken]
                for start in range(0, len(ids), 10_000):
                    await session.execute(
                        delete(RollupOutbox).where(RollupOutbox.id.in_(ids[start : start + 10_000]))
                    )
                await session.commit()
        return Refresh(
            tenant.code,
            sorted(read.stale),
            len(read.taken),
            time.perf_counter() - started,
            skipped,
            read.seconds_by_step,
            kpi_month,
        )

    async def _write(
        self, tenant: TenantRef, read: Read, day: date, *, seconds: float, totals: bool
    ) -> tuple[list[str], date | None]:
        """Step 2: the university's national rows of the stale families, its KPI row and their
        freshness, in one national transaction; the families skipped (a newer snapshot wrote
        them) and the month of the KPI row written, if one was."""
        code, stale, rows = tenant.code, read.stale, read.rows
        role = naming.tenant_role(code, self.prefix)
        oldest: dict[str, datetime | None] = {
            f: min((r.at for r in read.taken if r.source in figures.SOURCES[f]), default=None) for f in stale
        }
        kpi_month: date | None = None
        async with national_session(self.maker) as session:
            # One writer per university at a time; the as_of check below needs it.
            await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("rollup:" + code))))
            if not totals:
                # Within a round, no wait for the disk at this commit: the round ends with one that
                # waits (_round's totals), which makes this one durable too, as long as national
                # and the universities share one server (one WAL). Derived rows; a crash before
                # it leaves the outbox rows, so the work repeats.
                no_wait = func.set_config("synchronous_commit", "off", True)  # lint-skip: not a role or path
                await session.execute(select(no_wait))
            found = (
                await session.execute(_freshness_statement(), {"code": code, "families": sorted(stale)})
            ).all()
            newer = {family for family, _, as_of in found if as_of > read.as_of}
            unchanged = read.unchanged - newer
            # As the snapshot found them, unless another refresh wrote them since.
            written = {family: at for family, at, _ in found if family in unchanged}
            if written != {f: read.stamps[f] for f in unchanged if f in read.stamps}:
                raise Moved(code)
            for family in sorted(stale - newer - unchanged):
                if family == "profile":
                    await self._write_university(session, code, role, rows["profile"])
                elif family == "registry":
                    await self._merge_registry(session, code, role, rows["registry"])
                elif family != "kpi":
                    await self._replace(session, figures.TABLES[family], code, role, rows[family])
            if read.extras is not None and "kpi" not in newer:
                kpi_month = day.replace(day=1)
                await self._write_kpi(session, code, role, day, read.extras)
                if totals:
                    await self._write_kpi_totals(session, kpi_month)
            await self._stamp(session, code, role, {f: oldest[f] for f in stale - newer}, seconds, read.as_of)
            await session.commit()
        return sorted(stale & newer), kpi_month

    async def _read_retried(
        self, tenant: TenantRef, day: date, *, full: bool, results: bool, fetch: bool = False
    ) -> Read:
        for attempt in range(1, SERIALISATION_RETRIES + 1):
            try:
                return await self._read(tenant, day, full=full, results=results, fetch=fetch)
            except DBAPIError as error:  # another refresh took the same stale students first
                failed = getattr(error.orig, "sqlstate", None) in RETRIED
                if not failed or attempt == SERIALISATION_RETRIES:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _read(
        self, tenant: TenantRef, day: date, *, full: bool, results: bool, fetch: bool = False
    ) -> Read:
        """Step 1: in one REPEATABLE READ snapshot of the university, as its own role, the outbox
        rows present and the figures of the families they make stale. The performance family
        first resolves the students the triggers listed stale (committed with the snapshot's
        reads: they are the only writes here, and the stale rows taken go with them)."""
        async with tenant_session(self.maker, tenant) as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            # The snapshot's own moment, and settings for reading whole tables: no JIT compilation
            # (the estimated costs of these aggregates switch it on, and compiling took longer than
            # running them), and memory for their hashes (a large university's ledger per contract
            # spilled to disk at the default 4 MB). Local to this transaction.
            setting = func.set_config  # lint-skip: planner settings, not a role or search_path
            moment = select(func.now(), setting("jit", "off", True), setting("work_mem", "64MB", True))
            as_of = (await session.execute(moment)).one()[0]
            taken = (
                await session.execute(select(RollupOutbox.id, RollupOutbox.source, RollupOutbox.at))
            ).all()
            stale = set(figures.FAMILIES) if full else figures.families_of({r.source for r in taken})
            read = Read(as_of, taken, stale)
            resolved = 0
            if stale:  # performance and the KPIs read the students' kept results
                with read.timed("results"):
                    resolved = await ResultService(session, actor="rollups").refresh_performance(
                        everyone=results
                    )
            if stale - {"kpi", "profile"}:  # when the national rows compared were last written
                found = await session.execute(
                    _freshness_statement(), {"code": tenant.code, "families": sorted(stale)}
                )
                read.stamps = {family: at for family, at, _ in found.all()}
            for family in sorted(stale - {"kpi", "registry"}):
                with read.timed(family):
                    if family == "profile":
                        read.rows[family] = await figures.profile(session, day)
                    elif fetch:  # after Moved: every family, compared with nothing
                        read.rows[family] = await figures.fetch(session, family, day)
                    else:  # compared where they are: equal, nothing of them travels
                        changed = await figures.changes(session, family, tenant.code, day)
                        if changed is None:
                            read.unchanged.add(family)
                        else:
                            read.rows[family] = changed
            if "registry" in stale:
                with read.timed("registry"):
                    role = naming.tenant_role(tenant.code, self.prefix)
                    read.registry_digest, national = await figures.registry_digests(
                        session, tenant.code, role
                    )
                    # The same rows nationally (most rounds, nearly every university in a full
                    # recompute): not read, not written; _write checks they still are.
                    if read.registry_digest == national and not fetch:
                        read.unchanged.add("registry")
                    else:
                        read.rows["registry"] = await figures.registry(session, day)
            if "kpi" in stale:
                with read.timed("kpi"):
                    read.extras = await figures.kpi_extras(session, day)
            if resolved:
                await session.commit()
            else:
                await session.rollback()  # read only
        return read

    async def _replace(
        self, session: AsyncSession, model: Any, code: str, role: str, rows: figures.FamilyRows
    ) -> None:
        """This university's rows of `model` replaced by `rows` where they differ
        (_replace_statement): a full recompute mostly finds its figures unchanged, so it writes
        nothing and leaves no dead rows."""
        incoming = Incoming.params(rows)
        if incoming is None:
            await session.execute(_delete_statement(model), {"code": code})
            return
        columns, params = incoming
        await session.execute(_replace_statement(model, columns), {"code": code, "role": role, **params})

    async def _merge_registry(
        self, session: AsyncSession, code: str, role: str, rows: figures.FamilyRows
    ) -> None:
        """The registry changes by a few students at a time, and has tens of thousands of rows
        per university: rows that differ from `rows` are deleted and the missing ones inserted,
        so an unchanged student costs a comparison instead of a delete, an insert and four index
        entries (_registry_statements). Called only when the digests differed."""
        incoming = Incoming.params(rows)
        if incoming is None:
            await session.execute(_delete_statement(StudentRegistry), {"code": code})
            return
        columns, params = incoming
        for statement in _registry_statements(columns):
            await session.execute(statement, {"code": code, "role": role, **params})

    async def _write_university(
        self, session: AsyncSession, code: str, role: str, rows: figures.FamilyRows
    ) -> None:
        if not rows or not isinstance(rows, list):
            return
        await _upsert(
            session, University, {**rows[0], "tenant_code": code, "tenant_role": role}, ("tenant_code",)
        )

    async def _write_kpi(
        self, session: AsyncSession, code: str, role: str, day: date, extras: dict[str, int]
    ) -> None:
        """This month's KPI row, from the university's national rows just written and `extras`."""
        year = academic_year_of(day)
        sums_row: Any = (await session.execute(_kpi_sums_statement(), {"code": code, "year": year})).one()
        score_sum, scored, with_e_course, teachers, planned, missed, paid_online, paid, region = sums_row
        values = {
            "tenant_code": code,
            "tenant_role": role,
            "month": day.replace(day=1),
            "region_code": region or "",
            "score_sum": Decimal(score_sum),
            "scored": int(scored),
            "teachers_with_e_course": int(with_e_course),
            "teachers": int(teachers),
            "attended_hours": max(0, int(planned) - int(missed)),
            "planned_hours": int(planned),
            "paid_online": int(paid_online),
            "paid": int(paid),
            **extras,
        }
        await _upsert(session, Kpi, values, ("tenant_code", "month"))

    async def _write_kpi_totals(self, session: AsyncSession, month: date) -> None:
        """The country's ('*') and each region's ('r:<code>') KPI row of `month`: sums of the
        universities' latest rows, readable by every university (tenant_role '') for its dashboard's
        comparison, while no university's own row is. Serialised, so two universities refreshed
        at once cannot each sum without the other's new row."""
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("rollup:kpi-totals"))))
        await session.execute(delete(Kpi).where(Kpi.month == month, Kpi.tenant_role == ""))
        # Each university's latest row up to `month`: one with no change this month yet still
        # counts, with the figures it closed its last month with.
        universities = (
            select(Kpi)
            .where(Kpi.month <= month, Kpi.tenant_role != "")
            .ext(distinct_on(Kpi.tenant_code))
            .order_by(Kpi.tenant_code, Kpi.month.desc())
            .subquery()
        )
        sums = [func.sum(universities.c[c]) for c in KPI_SUMS]
        columns = ["tenant_code", "tenant_role", "month", "region_code", *KPI_SUMS]
        country = select(literal("*"), literal(""), literal(month), literal(""), *sums)
        regions = select(
            literal("r:") + universities.c.region_code,
            literal(""),
            literal(month),
            universities.c.region_code,
            *sums,
        ).group_by(universities.c.region_code)
        for query in (country.having(func.count() > 0), regions):
            await session.execute(insert(Kpi).from_select(columns, query))
        # Stamped where every university can see it: a university's dashboard keeps its answers
        # until the totals it shows beside its own figures change (hemis.reporting.service).
        await self._stamp(session, TOTALS[0], "", {TOTALS[1]: None}, 0.0, datetime.now(UTC))

    async def _stamp(
        self,
        session: AsyncSession,
        code: str,
        role: str,
        oldest: dict[str, datetime | None],
        seconds: float,
        as_of: datetime,
    ) -> None:
        """Freshness rows of `code`'s families (each with its oldest change taken), one statement."""
        if not oldest:
            return
        families = sorted(oldest)
        params = {
            "code": code,
            "role": role,
            "stamps_family": families,
            "stamps_oldest_change_at": [oldest[f] for f in families],
            "seconds": Decimal(f"{seconds:.3f}"),
            "as_of": as_of,
        }
        await session.execute(_stamp_statement(), params)

    async def run_once(self, *, parallel: int = 2) -> list[Refresh]:
        """One round over every university: what its outbox makes stale. A round that went
        through every university is stamped (family 'round'): every change committed before it
        began is in the figures, which is what a dashboard says about its freshness."""
        started, clock = await self._clock(), time.perf_counter()
        done, failed = await self._round(await self.universities(), parallel=parallel, full=False)
        if not failed:
            await self._stamp_round(started, time.perf_counter() - clock)
        return done

    async def _clock(self) -> datetime:
        async with national_session(self.maker) as session:
            return await session.scalar(select(func.now())) or datetime.now(UTC)

    async def _stamp_round(self, started: datetime, seconds: float) -> None:
        async with national_session(self.maker) as session:
            await self._stamp(session, ROUND[0], "", {ROUND[1]: None}, seconds, started)
            await session.commit()

    async def _round(
        self,
        tenants: Sequence[TenantRef],
        *,
        parallel: int,
        full: bool,
        results: bool = False,
        today: date | None = None,
    ) -> tuple[list[Refresh], list[str]]:
        """Each university in its own transactions, `parallel` at a time; what was done, and
        which universities failed."""
        gate = asyncio.Semaphore(parallel)
        done: list[Refresh] = []
        failed: list[str] = []

        async def one(tenant: TenantRef) -> None:
            async with gate:
                try:
                    result = await self.refresh(tenant, full=full, results=results, totals=False, today=today)
                except Exception:  # one university's failure must not stop the country's figures
                    log.exception("roll-up of %s failed", tenant.code)
                    failed.append(tenant.code)
                    if full:
                        raise
                    return
                if result.families:
                    done.append(result)

        try:
            await asyncio.gather(*(one(t) for t in tenants))
        finally:  # also after a failure (full): the universities done have their totals
            # Every month a KPI row was written for (a round may cross a month's end), in a commit
            # that waits for the disk: the refreshes' commits before it did not.
            async with national_session(self.maker) as session:
                for month in sorted({r.kpi_month for r in done if r.kpi_month is not None}):
                    await self._write_kpi_totals(session, month)
                await session.commit()
        return done, failed

    async def recompute(
        self,
        *,
        codes: Sequence[str] = (),
        parallel: int = 2,
        results: bool = False,
        today: date | None = None,
    ) -> list[Refresh]:
        """Every figure of the named universities (all when none) from their own data; with
        `results`, every student's summed results resolved again from the marks first (their
        repair: otherwise only the students listed stale are)."""
        started, clock = await self._clock(), time.perf_counter()
        tenants = [t for t in await self.universities() if not codes or t.code in codes]
        missing = set(codes) - {t.code for t in tenants}
        if missing:
            raise LookupError(f"no university {', '.join(sorted(missing))}")
        done, _ = await self._round(
            tenants, parallel=parallel, full=True, results=results, today=today
        )  # full: a failure raised
        if not codes:
            await self._stamp_round(started, time.perf_counter() - clock)
        return done

    async def tick(self, *, parallel: int = 2, today: date | None = None) -> list[Refresh]:
        """One round of the loop: the first of each day (UTC) a full recompute, since some figures
        move with the date alone (the attendance planned so far, the students' and staff's ages)
        and no change would make them stale; cheap, as unchanged figures are neither fetched nor
        written. Every other round: what the outboxes make stale."""
        day = today or _today()
        if self.recomputed_on == day:
            return await self.run_once(parallel=parallel)
        self.recomputed_on = day  # also after a failure: tomorrow again, not every few seconds
        try:
            return await self.recompute(parallel=parallel, today=day)
        except Exception:  # the loop goes on with the outboxes; the failure is in the log
            log.exception("the daily full recompute failed")
            return await self.run_once(parallel=parallel)

    async def run_forever(self, *, interval: float = 5.0, parallel: int = 2) -> None:
        """Poll every `interval` seconds: a change is national well within a minute."""
        while True:
            started = time.perf_counter()
            for result in await self.tick(parallel=parallel):
                log.info(
                    "rolled up %s: %s (%d changes, %.2f s)",
                    result.tenant,
                    ",".join(result.families),
                    result.changes,
                    result.seconds,
                )
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
