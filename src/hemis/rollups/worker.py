"""The roll-up worker: each university's outbox → its figures in schema national.

Per university and round, three transactions, none touching two universities:
1. in the university's own (its role, REPEATABLE READ, read only): the outbox rows present,
   and the figures of every family those rows make stale, all from one snapshot;
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.finance.rules import academic_year_of
from hemis.rollups import figures
from hemis.rollups.models import (
    KPI_SUMS,
    Attendance,
    Contingent,
    Finance,
    Freshness,
    Kpi,
    Performance,
    RollupOutbox,
    Staff,
    Stipend,
    StudentRegistry,
    University,
)
from tenants import naming, registry
from tenants.context import TenantKind, TenantRef
from tenants.session import make_sessionmaker, national_session, shared_session, tenant_session

log = logging.getLogger("hemis.rollups")

TABLES: dict[str, Any] = {
    "contingent": Contingent,
    "registry": StudentRegistry,
    "performance": Performance,
    "attendance": Attendance,
    "finance": Finance,
    "stipends": Stipend,
    "staff": Staff,
}
# The freshness row (tenant_code, family) of the worker's last complete round; tenant_role '' lets
# every university read it, as it reads the KPI totals.
ROUND = ("*", "round")
TOTALS = ("*", "totals")  # when the region and country KPI totals were last rewritten
# asyncpg binds at most 32,767 parameters per statement.
INSERT_BATCH = 2_000


@dataclass(slots=True)
class Refresh:
    """What one round did for one university."""

    tenant: str
    families: list[str]
    changes: int
    seconds: float
    skipped: list[str] = field(default_factory=list)  # families a newer computation already wrote


def _today() -> date:
    return datetime.now(UTC).date()


async def _upsert(session: AsyncSession, model: Any, values: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Insert `values`, or overwrite the other columns of the row with the same `keys`."""
    statement = pg_insert(model).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[getattr(model, k) for k in keys],
            set_={k: statement.excluded[k] for k in values if k not in keys},
        )
    )


class RollupWorker:
    def __init__(self, engine: AsyncEngine, role_prefix: str) -> None:
        self.prefix = role_prefix
        self.maker: async_sessionmaker[AsyncSession] = make_sessionmaker(engine, role_prefix)

    async def universities(self) -> list[TenantRef]:
        async with shared_session(self.maker) as session:
            conn = await session.connection()
            refs = [await registry.tenant_ref(conn, code) for code in await registry.tenant_codes(conn)]
        return [r for r in refs if r is not None and r.kind == TenantKind.UNIVERSITY]

    async def pending(self, tenant: TenantRef) -> int:
        async with tenant_session(self.maker, tenant) as session:
            return int(await session.scalar(select(func.count()).select_from(RollupOutbox)) or 0)

    async def refresh(self, tenant: TenantRef, *, full: bool = False, today: date | None = None) -> Refresh:
        """Recompute what this university's outbox makes stale (everything when `full`)."""
        started = time.perf_counter()
        day = today or _today()
        async with tenant_session(self.maker, tenant) as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            as_of = datetime.now(UTC)  # replaced by the snapshot's own moment, next line
            as_of = await session.scalar(select(func.now())) or as_of
            taken = (
                await session.execute(select(RollupOutbox.id, RollupOutbox.source, RollupOutbox.at))
            ).all()
            stale = set(figures.FAMILIES) if full else figures.families_of({r.source for r in taken})
            if not stale:
                return Refresh(tenant.code, [], 0, time.perf_counter() - started)
            rows = {f: await figures.FAMILY_FUNCTIONS[f](session, day) for f in stale if f != "kpi"}
            extras = await figures.kpi_extras(session, day) if "kpi" in stale else None
            await session.rollback()  # read only
        oldest: dict[str, datetime | None] = {
            f: min((r.at for r in taken if r.source in figures.SOURCES[f]), default=None) for f in stale
        }
        seconds = time.perf_counter() - started
        role = naming.tenant_role(tenant.code, self.prefix)
        skipped: list[str] = []
        async with national_session(self.maker) as session:
            # One writer per university at a time; the as_of check below needs it.
            await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("rollup:" + tenant.code))))
            newer = set(
                (
                    await session.scalars(
                        select(Freshness.family).where(
                            Freshness.tenant_code == tenant.code,
                            Freshness.family.in_(stale),
                            Freshness.as_of > as_of,
                        )
                    )
                ).all()
            )
            for family in sorted(stale):
                if family in newer:
                    skipped.append(family)
                    continue
                if family == "profile":
                    await self._write_university(session, tenant.code, role, rows["profile"])
                elif family != "kpi":
                    await self._replace(session, TABLES[family], tenant.code, role, rows[family])
            if extras is not None and "kpi" not in newer:
                await self._write_kpi(session, tenant.code, role, day, extras)
                await self._write_kpi_totals(session, day.replace(day=1))
            for family in stale - newer:
                await self._stamp(session, tenant.code, role, family, oldest[family], seconds, as_of)
            await session.commit()
        if taken:
            async with tenant_session(self.maker, tenant) as session:
                ids = [r.id for r in taken]
                for start in range(0, len(ids), 10_000):
                    await session.execute(
                        delete(RollupOutbox).where(RollupOutbox.id.in_(ids[start : start + 10_000]))
                    )
                await session.commit()
        return Refresh(tenant.code, sorted(stale), len(taken), time.perf_counter() - started, skipped)

    async def _replace(
        self, session: AsyncSession, table: Any, code: str, role: str, rows: Sequence[dict[str, Any]]
    ) -> None:
        await session.execute(delete(table).where(table.tenant_code == code))
        stamped = [{**r, "tenant_code": code, "tenant_role": role} for r in rows]
        for start in range(0, len(stamped), INSERT_BATCH):
            await session.execute(insert(table), stamped[start : start + INSERT_BATCH])

    async def _write_university(
        self, session: AsyncSession, code: str, role: str, rows: Sequence[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        await _upsert(
            session, University, {**rows[0], "tenant_code": code, "tenant_role": role}, ("tenant_code",)
        )

    async def _write_kpi(
        self, session: AsyncSession, code: str, role: str, day: date, extras: dict[str, int]
    ) -> None:
        """This month's KPI row, from the university's national rows just written and `extras`."""
        year = academic_year_of(day)
        mine = {"tenant_code": code}

        async def sums(table: Any, *columns: str, **where: Any) -> list[Any]:
            query = select(*(func.coalesce(func.sum(getattr(table, c)), 0) for c in columns)).filter_by(
                **mine, **where
            )
            return list((await session.execute(query)).one())

        score_sum, scored = await sums(Performance, "points_sum", "points_100")
        with_e_course, teachers = await sums(Staff, "with_e_course", "teachers")
        planned, missed = await sums(Attendance, "planned_hours", "missed_hours", academic_year=year)
        paid_online, paid = await sums(Finance, "paid_online", "paid", academic_year=year)
        region = await session.scalar(select(University.region_code).filter_by(**mine))
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
        await self._stamp(session, TOTALS[0], "", TOTALS[1], None, 0.0, datetime.now(UTC))

    async def _stamp(
        self,
        session: AsyncSession,
        code: str,
        role: str,
        family: str,
        oldest: datetime | None,
        seconds: float,
        as_of: datetime,
    ) -> None:
        values = {
            "tenant_code": code,
            "family": family,
            "tenant_role": role,
            "computed_at": func.now(),
            "oldest_change_at": oldest,
            "seconds": Decimal(f"{seconds:.3f}"),
            "as_of": as_of,
        }
        await _upsert(session, Freshness, values, ("tenant_code", "family"))

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
            await self._stamp(session, ROUND[0], "", ROUND[1], None, seconds, started)
            await session.commit()

    async def _round(
        self, tenants: Sequence[TenantRef], *, parallel: int, full: bool
    ) -> tuple[list[Refresh], list[str]]:
        """Each university in its own transactions, `parallel` at a time; what was done, and
        which universities failed."""
        gate = asyncio.Semaphore(parallel)
        done: list[Refresh] = []
        failed: list[str] = []

        async def one(tenant: TenantRef) -> None:
            async with gate:
                try:
                    result = await self.refresh(tenant, full=full)
                except Exception:  # one university's failure must not stop the country's figures
                    log.exception("roll-up of %s failed", tenant.code)
                    failed.append(tenant.code)
                    if full:
                        raise
                    return
                if result.families:
                    done.append(result)

        await asyncio.gather(*(one(t) for t in tenants))
        return done, failed

    async def recompute(self, *, codes: Sequence[str] = (), parallel: int = 2) -> list[Refresh]:
        """Every figure of the named universities (all when none) from their own data."""
        started, clock = await self._clock(), time.perf_counter()
        tenants = [t for t in await self.universities() if not codes or t.code in codes]
        missing = set(codes) - {t.code for t in tenants}
        if missing:
            raise LookupError(f"no university {', '.join(sorted(missing))}")
        done, _ = await self._round(tenants, parallel=parallel, full=True)  # full: a failure raised
        if not codes:
            await self._stamp_round(started, time.perf_counter() - clock)
        return done

    async def run_forever(self, *, interval: float = 5.0, parallel: int = 2) -> None:
        """Poll every `interval` seconds: a change is national well within a minute."""
        while True:
            started = time.perf_counter()
            for result in await self.run_once(parallel=parallel):
                log.info(
                    "rolled up %s: %s (%d changes, %.2f s)",
                    result.tenant,
                    ",".join(result.families),
                    result.changes,
                    result.seconds,
                )
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
