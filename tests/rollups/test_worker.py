"""The roll-up outbox and worker: a change reaches schema national, nothing else is read or
written across universities, and the database itself keeps each university to its own rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.config import Settings
from hemis.core.auth import Role
from hemis.platform import create_tenant, drop_tenant
from hemis.rollups import figures
from hemis.rollups.models import (
    Contingent,
    Freshness,
    Kpi,
    RollupOutbox,
    Stipend,
    StudentRegistry,
    University,
)
from hemis.rollups.worker import RollupWorker
from hemis.stipends.models import StipendLine, StipendRun
from hemis.students.models import Student
from tenants.context import TenantRef
from tenants.provision import TenantSpec
from tenants.session import national_session, tenant_session
from tests.conftest import TokenFactory
from tests.students.conftest import admin, group, new_group, student_body  # noqa: F401  (fixtures reused)

T = "/t/alpha/api/v1"


@pytest.fixture
def worker(app_db: AsyncEngine, settings: Settings) -> RollupWorker:
    # The app's own fail-closed login: the worker needs no more rights than the roles it switches to.
    return RollupWorker(app_db, settings.tenancy.role_prefix)


async def studying(maker: async_sessionmaker[AsyncSession], reader: TenantRef, code: str = "alpha") -> int:
    """What `reader`'s role reads as university `code`'s studying students."""
    async with tenant_session(maker, reader) as session:
        return int(
            await session.scalar(
                select(func.coalesce(func.sum(Contingent.students), 0)).where(
                    Contingent.tenant_code == code, Contingent.status == "11"
                )
            )
            or 0
        )


async def outbox(maker: async_sessionmaker[AsyncSession], tenant: TenantRef) -> list[str]:
    async with tenant_session(maker, tenant) as session:
        return list((await session.scalars(select(RollupOutbox.source))).all())


async def triggered(maker: async_sessionmaker[AsyncSession], tenant: TenantRef, name: str) -> set[str]:
    """The tables of the university's schema with a trigger named `name` (or `name`_<event>)."""
    async with tenant_session(maker, tenant) as session:
        return set(
            (
                await session.scalars(
                    text(  # lint-skip: a catalog read, no tenant data
                        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE (t.tgname = :name OR t.tgname LIKE :name || '\\_%') "
                        "AND c.relnamespace = current_schema()::regnamespace"
                    ),
                    {"name": name},
                )
            ).all()
        )


class TestOutbox:
    async def test_every_table_the_figures_read_has_the_trigger(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        assert await triggered(maker, tenants["alpha"], "rollup_outbox") == figures.WATCHED_TABLES

    async def test_a_change_is_recorded_in_its_own_transaction_and_only_then(
        self,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        client: httpx.AsyncClient,
        admin: dict[str, str],  # noqa: F811
        group: dict[str, Any],  # noqa: F811
    ) -> None:
        alpha = tenants["alpha"]
        created = await client.post(f"{T}/students", json=student_body(group), headers=admin)
        assert created.status_code == 201, created.text
        before = len(await outbox(maker, alpha))
        assert "student" in await outbox(maker, alpha)
        async with tenant_session(maker, alpha) as session:
            await session.execute(update(Student).where(Student.id == created.json()["id"]).values(phone=""))
            await session.rollback()
        assert len(await outbox(maker, alpha)) == before  # rolled back with the change


class TestWorker:
    async def test_a_new_student_reaches_the_national_figures(
        self,
        worker: RollupWorker,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        client: httpx.AsyncClient,
        admin: dict[str, str],  # noqa: F811
        group: dict[str, Any],  # noqa: F811
    ) -> None:
        alpha, national = tenants["alpha"], tenants["national"]
        await worker.recompute()
        assert await outbox(maker, alpha) == []
        counted = await studying(maker, national)
        body = student_body(group)
        assert (await client.post(f"{T}/students", json=body, headers=admin)).status_code == 201
        assert await studying(maker, national) == counted  # not before the worker ran

        done = await worker.run_once()
        assert [(r.tenant, "contingent" in r.families, "registry" in r.families) for r in done] == [
            ("alpha", True, True)
        ]
        assert await studying(maker, national) == counted + 1
        assert await outbox(maker, alpha) == []
        async with tenant_session(maker, national) as session:
            registered = (
                await session.execute(
                    select(StudentRegistry.tenant_code, StudentRegistry.status).where(
                        StudentRegistry.pinfl == body["pinfl"]
                    )
                )
            ).all()
            fresh = await session.scalar(
                select(Freshness.computed_at).where(
                    Freshness.tenant_code == "alpha", Freshness.family == "contingent"
                )
            )
        assert [tuple(r) for r in registered] == [("alpha", "11")]
        assert fresh is not None and datetime.now(UTC) - fresh < timedelta(minutes=1)

    async def test_nothing_to_do_touches_nothing(self, worker: RollupWorker) -> None:
        await worker.recompute()
        assert await worker.run_once() == []

    async def test_a_person_studying_at_two_universities_is_visible_to_the_ministry(
        self,
        worker: RollupWorker,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        client: httpx.AsyncClient,
        admin: dict[str, str],  # noqa: F811
        group: dict[str, Any],  # noqa: F811
        token_for: TokenFactory,
    ) -> None:
        body = student_body(group)
        assert (await client.post(f"{T}/students", json=body, headers=admin)).status_code == 201
        beta_admin = await token_for("beta", Role.REGISTRAR)
        beta_group = await new_group(client, beta_admin, "beta", "Iqtisodiyot fakulteti")
        again = student_body(beta_group, pinfl=body["pinfl"])
        assert (
            await client.post("/t/beta/api/v1/students", json=again, headers=beta_admin)
        ).status_code == 201
        await worker.run_once()
        async with tenant_session(maker, tenants["national"]) as session:
            places = (
                await session.scalars(
                    select(StudentRegistry.tenant_code)
                    .where(StudentRegistry.pinfl == body["pinfl"], StudentRegistry.status == "11")
                    .order_by(StudentRegistry.tenant_code)
                )
            ).all()
        assert places == ["alpha", "beta"]

    async def test_an_older_computation_never_overwrites_a_newer_one(
        self, worker: RollupWorker, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        await worker.recompute(codes=["alpha"])
        later = datetime.now(UTC) + timedelta(hours=1)
        async with national_session(maker) as session:
            await session.execute(
                update(Freshness)
                .where(Freshness.tenant_code == "alpha", Freshness.family == "contingent")
                .values(as_of=later)
            )
            await session.commit()
        try:
            done = await worker.recompute(codes=["alpha"])
            assert done[0].skipped == ["contingent"]
        finally:
            async with national_session(maker) as session:
                await session.execute(
                    update(Freshness).where(Freshness.tenant_code == "alpha").values(as_of=func.now())
                )
                await session.commit()

    async def test_unchanged_figures_are_not_rewritten_and_changed_ones_are(
        self,
        worker: RollupWorker,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        client: httpx.AsyncClient,
        admin: dict[str, str],  # noqa: F811
        group: dict[str, Any],  # noqa: F811
    ) -> None:
        """A recompute compares each family's rows with the stored ones and writes only where they
        differ: the stored rows keep their ids (no delete, no insert) until alpha changes."""

        async def stored() -> tuple[set[int], set[int], int]:
            async with national_session(maker) as session:
                contingent = set(
                    (
                        await session.scalars(select(Contingent.id).where(Contingent.tenant_code == "alpha"))
                    ).all()
                )
                registry = set(
                    (
                        await session.scalars(
                            select(StudentRegistry.id).where(StudentRegistry.tenant_code == "alpha")
                        )
                    ).all()
                )
            return contingent, registry, await studying(maker, tenants["national"])

        await worker.recompute(codes=["alpha", "beta"])
        before = await stored()
        beta_before = await studying(maker, tenants["national"], "beta")
        await worker.recompute(codes=["alpha", "beta"])
        assert await stored() == before
        body = student_body(group)
        assert (await client.post(f"{T}/students", json=body, headers=admin)).status_code == 201
        await worker.recompute(codes=["alpha", "beta"])
        contingent, registry, counted = await stored()
        assert counted == before[2] + 1
        assert contingent.isdisjoint(before[0])  # alpha's contingent replaced as a whole
        assert len(registry - before[1]) == 1 and before[1] <= registry  # one registry row added
        assert await studying(maker, tenants["national"], "beta") == beta_before

    async def test_a_familys_rows_come_only_when_they_differ_nationally(
        self, worker: RollupWorker, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        """figures.changes runs a family's statement once: None when alpha's national rows are
        its figures already; its rows (as fetch reads them) when they differ; {} when alpha has
        none of them now but national rows remain (which the write must then delete)."""
        today = datetime.now(UTC).date()
        await worker.recompute(codes=["alpha"])
        async with national_session(maker) as session:  # a payroll alpha never approved
            role = await session.scalar(
                select(University.tenant_role).where(University.tenant_code == "alpha")
            )
            session.add(
                Stipend(tenant_code="alpha", tenant_role=role, month=date(1990, 1, 1), students=1, total=1)
            )
            await session.commit()
        async with tenant_session(maker, tenants["alpha"]) as session:
            assert await figures.changes(session, "contingent", "alpha", today) is None
            mine = await figures.fetch(session, "contingent", today)
            assert mine["students"]
            # beta's national rows are out of alpha's sight: alpha's figures differ from "none"
            assert await figures.changes(session, "contingent", "beta", today) == mine
            assert await figures.changes(session, "stipends", "alpha", today) == await figures.fetch(
                session, "stipends", today
            )
            await session.execute(delete(StipendLine))
            await session.execute(delete(StipendRun))
            assert await figures.changes(session, "stipends", "alpha", today) == {}
            await session.rollback()
        await worker.recompute(codes=["alpha"])  # the stray payroll goes
        async with national_session(maker) as session:
            months = await session.scalars(select(Stipend.month).where(Stipend.tenant_code == "alpha"))
            assert date(1990, 1, 1) not in set(months)

    async def test_a_recompute_repairs_national_rows_that_differ(
        self, worker: RollupWorker, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        """Unchanged means equal to the rows stored nationally, not to what was last written: a
        recompute puts back what went missing there (here a contingent row and a registry row)."""

        async def stored() -> tuple[int, int]:
            async with national_session(maker) as session:
                contingent = await session.scalar(
                    select(func.coalesce(func.sum(Contingent.students), 0)).where(
                        Contingent.tenant_code == "alpha"
                    )
                )
                registry = await session.scalar(
                    select(func.count())
                    .select_from(StudentRegistry)
                    .where(StudentRegistry.tenant_code == "alpha")
                )
            return int(contingent or 0), int(registry or 0)

        await worker.recompute(codes=["alpha"])
        before = await stored()
        async with national_session(maker) as session:
            for model in (Contingent, StudentRegistry):
                victim = select(func.min(model.id)).where(model.tenant_code == "alpha").scalar_subquery()
                await session.execute(delete(model).where(model.id == victim))
            await session.commit()
        assert await stored() != before
        await worker.recompute(codes=["alpha"])
        assert await stored() == before

    async def test_a_registry_rewritten_between_read_and_write_is_read_again(
        self,
        app_db: AsyncEngine,
        settings: Settings,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        """A refresh that found alpha's national registry equal to its own does not read the
        rows; if another refresh rewrites them before its write (which its freshness stamp
        tells), it reads them after all rather than stamp rows it has not checked."""

        class Interrupted(RollupWorker):
            writes = 0

            async def _write(self, tenant: TenantRef, read: Any, *args: Any, **kwargs: Any) -> Any:
                self.writes += 1
                if self.writes == 1:  # between this refresh's read and its write: a row goes
                    assert "registry" not in read.rows  # found equal, not read
                    async with national_session(self.maker) as session:
                        victim = select(func.min(StudentRegistry.id)).where(
                            StudentRegistry.tenant_code == "alpha"
                        )
                        await session.execute(
                            delete(StudentRegistry).where(StudentRegistry.id == victim.scalar_subquery())
                        )
                        # stamped, as every write of the registry is (in the same transaction)
                        await session.execute(
                            update(Freshness)
                            .where(Freshness.tenant_code == "alpha", Freshness.family == "registry")
                            .values(computed_at=func.clock_timestamp())
                        )
                        await session.commit()
                return await super()._write(tenant, read, *args, **kwargs)

        async def registered() -> int:
            async with national_session(maker) as session:
                return int(
                    await session.scalar(
                        select(func.count())
                        .select_from(StudentRegistry)
                        .where(StudentRegistry.tenant_code == "alpha")
                    )
                    or 0
                )

        await RollupWorker(app_db, settings.tenancy.role_prefix).recompute(codes=["alpha"])
        complete = await registered()
        assert complete > 0
        interrupted = Interrupted(app_db, settings.tenancy.role_prefix)
        await interrupted.recompute(codes=["alpha"])
        assert interrupted.writes == 2  # the first write refused, the second with the rows
        assert await registered() == complete

    async def test_the_loop_recomputes_everything_once_a_day(self, worker: RollupWorker) -> None:
        """Figures that move with the date alone (attendance planned so far, ages) are
        recomputed by the first round of each day; the other rounds follow the outboxes."""
        today = datetime.now(UTC).date()
        await worker.recompute()
        first = await worker.tick(today=today)
        assert {r.tenant for r in first} >= {"alpha", "beta"}
        assert all("demography" in r.families and "attendance" in r.families for r in first)
        assert await worker.tick(today=today) == []  # nothing in the outboxes
        again = await worker.tick(today=today + timedelta(days=1))
        assert {r.tenant for r in again} == {r.tenant for r in first}

    async def test_an_unknown_university_is_refused(self, worker: RollupWorker) -> None:
        with pytest.raises(LookupError):
            await worker.recompute(codes=["nosuch"])


class TestIsolation:
    async def test_a_university_reads_only_its_own_national_rows(
        self,
        worker: RollupWorker,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
        client: httpx.AsyncClient,
        token_for: TokenFactory,
    ) -> None:
        for code in ("alpha", "beta"):  # each has a student of its own, whatever ran before
            auth = await token_for(code, Role.REGISTRAR)
            body = student_body(await new_group(client, auth, code))
            assert (
                await client.post(f"/t/{code}/api/v1/students", json=body, headers=auth)
            ).status_code == 201
        await worker.recompute()
        for code in ("alpha", "beta"):
            async with tenant_session(maker, tenants[code]) as session:
                seen = set((await session.scalars(select(Contingent.tenant_code).distinct())).all())
                registry = set((await session.scalars(select(StudentRegistry.tenant_code).distinct())).all())
            assert seen <= {code} and registry <= {code}, (code, seen, registry)
        async with tenant_session(maker, tenants["national"]) as session:
            everyone = set((await session.scalars(select(Contingent.tenant_code).distinct())).all())
        assert {"alpha", "beta"} <= everyone

    async def test_kpi_totals_are_shared_and_universities_rows_are_not(
        self, worker: RollupWorker, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        await worker.recompute()
        async with tenant_session(maker, tenants["national"]) as session:
            rows = (await session.execute(select(Kpi.tenant_code, Kpi.students, Kpi.month))).all()
        month = max(r.month for r in rows)
        current = {r.tenant_code: r.students for r in rows if r.month == month}
        assert current["*"] == current["alpha"] + current["beta"]
        async with tenant_session(maker, tenants["alpha"]) as session:
            seen = set((await session.scalars(select(Kpi.tenant_code).where(Kpi.month == month))).all())
        assert "alpha" in seen and "*" in seen and "beta" not in seen

    async def test_a_university_cannot_write_national_rows(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        for tenant in (tenants["alpha"], tenants["national"]):
            async with tenant_session(maker, tenant) as session:
                with pytest.raises(DBAPIError, match=r"permission denied|row-level security"):
                    await session.execute(
                        update(Contingent).where(Contingent.tenant_code == "beta").values(students=0)
                    )
                await session.rollback()


class TestTotals:
    async def test_a_university_without_a_row_this_month_counts_with_its_last_one(
        self, worker: RollupWorker, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        await worker.recompute()
        async with national_session(maker) as session:
            month = await session.scalar(select(func.max(Kpi.month)))
            assert month is not None
            earlier = month.replace(year=month.year - 1)
            # beta's figures as if it had changed nothing since a year ago
            await session.execute(
                update(Kpi)
                .where(Kpi.tenant_code == "beta", Kpi.month == month)
                .values(month=earlier, students=Kpi.students + 1000)
            )
            await session.commit()
        try:
            await worker.recompute(codes=["alpha"])  # rewrites this month's totals
            async with national_session(maker) as session:
                rows = dict(
                    (
                        await session.execute(
                            select(Kpi.tenant_code, Kpi.students).where(
                                Kpi.month.in_([month, earlier]), Kpi.tenant_code.in_(["alpha", "beta", "*"])
                            )
                        )
                    ).all()
                )
                country = await session.scalar(
                    select(Kpi.students).where(Kpi.tenant_code == "*", Kpi.month == month)
                )
            assert rows["beta"] >= 1000 and country == rows["alpha"] + rows["beta"]
        finally:
            async with national_session(maker) as session:
                await session.execute(delete(Kpi).where(Kpi.tenant_code == "beta", Kpi.month == earlier))
                await session.commit()
            await worker.recompute()

    async def test_a_complete_round_is_stamped_for_every_reader(
        self, worker: RollupWorker, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        await worker.run_once()
        for code in ("alpha", "national"):
            async with tenant_session(maker, tenants[code]) as session:
                stamped = await session.scalar(
                    select(Freshness.as_of).where(Freshness.tenant_code == "*", Freshness.family == "round")
                )
            assert stamped is not None and datetime.now(UTC) - stamped < timedelta(minutes=1)


class TestDrop:
    async def test_a_dropped_university_leaves_no_national_figures(
        self,
        worker: RollupWorker,
        maker: async_sessionmaker[AsyncSession],
        owner: AsyncEngine,
        settings: Settings,
    ) -> None:
        await create_tenant(owner, settings, TenantSpec(code="gamma", name_uz="Gamma universiteti"))
        try:
            await worker.recompute(codes=["gamma"])
            async with national_session(maker) as session:
                assert await session.scalar(select(func.count()).where(Kpi.tenant_code == "gamma")) == 1
                assert (
                    await session.scalar(select(func.count()).where(University.tenant_code == "gamma")) == 1
                )
        finally:
            await drop_tenant(owner, settings, "gamma")
        async with national_session(maker) as session:
            for table in (Kpi, University, Freshness, Contingent):
                assert await session.scalar(select(func.count()).where(table.tenant_code == "gamma")) == 0
