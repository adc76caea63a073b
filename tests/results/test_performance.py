"""Each student's summed results (StudentPerformance), kept for the national roll-ups: they agree
with the student's own results, triggers list exactly the students a change touches (in the
changing transaction only), a refresh resolves only those and ends where a rebuild would, two
refreshes at once cannot both take the same students, and each university keeps its own."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.core.clock import local_today
from hemis.curriculum.models import Curriculum
from hemis.grading.models import MarkSheet
from hemis.results.models import StudentPerformance, StudentPerformanceStale
from hemis.results.service import ResultService
from hemis.rollups import figures
from hemis.students.models import AcademicGroup, Student
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.results.conftest import Term
from tests.results.test_results import results, year
from tests.rollups.test_worker import triggered

T = "/t/alpha/api/v1"
KEPT = [c.key for c in StudentPerformance.__table__.columns]


async def refresh(
    maker: async_sessionmaker[AsyncSession], tenant: TenantRef, *, everyone: bool = False
) -> int:
    async with tenant_session(maker, tenant) as session:
        resolved = await ResultService(session, actor="test").refresh_performance(everyone=everyone)
        await session.commit()
    return resolved


async def kept(maker: async_sessionmaker[AsyncSession], tenant: TenantRef) -> dict[int, dict[str, Any]]:
    async with tenant_session(maker, tenant) as session:
        rows = (await session.execute(select(StudentPerformance))).scalars().all()
    return {r.student_id: {k: getattr(r, k) for k in KEPT} for r in rows}


async def listed(maker: async_sessionmaker[AsyncSession], tenant: TenantRef) -> list[int | None]:
    async with tenant_session(maker, tenant) as session:
        return list((await session.scalars(select(StudentPerformanceStale.student_id))).all())


async def marked_term(term: Term, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` students with random marks (some finals missing), one chose an elective, and a
    last one barred from C's final by absences."""
    rng = random.Random(seed)
    students = [await term.student() for _ in range(count)]
    chosen = await term.client.post(
        f"{T}/students/{students[0]['id']}/electives",
        json={"curriculum_subject_id": term.lines["E1"]["id"]},
        headers=term.headers,
    )
    assert chosen.status_code == 201, chosen.text
    for i, student in enumerate(students):
        for key in ("A", "B", "E1") if i == 0 else ("A", "B"):
            if rng.random() < 0.8:
                await term.marks(
                    student, key, str(rng.randint(0, 30)), str(rng.randint(0, 20)), str(rng.randint(0, 50))
                )
    barred = await term.student()
    await term.absent(barred, "C", 8)
    return [*students, barred]


class TestSums:
    async def test_each_students_sums_agree_with_their_own_results(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        students = await marked_term(term, 6, seed=7)
        await refresh(maker, tenants["alpha"])
        rows = await kept(maker, tenants["alpha"])
        for student in students:
            own = [r for r in (await results(term, student)).values() if r["grade"] is not None]
            their_year = await year(term, student)
            barred = [r for r in (await results(term, student)).values() if r["status"] == "barred"]
            if not own and not barred:
                assert student["id"] not in rows  # no result yet: no row
                continue
            row = rows[student["id"]]
            assert row["graded"] == row["points_100"] == len(own)  # a 100-point curriculum
            assert row["points_sum"] == sum((Decimal(r["total"]) for r in own), Decimal(0))
            for grade in (5, 4, 3, 2):
                assert row[f"grade_{grade}"] == sum(1 for r in own if r["grade"] == grade)
            assert (row["debts"], row["barred"]) == (their_year["debts"], len(barred))
            gpa = their_year["gpa"] if own else None
            assert row["gpa"] == (Decimal(gpa) if gpa is not None else None)
        assert rows[students[-1]["id"]]["barred"] == 1  # a barred subject is a debt, with no grade
        assert rows[students[-1]["id"]]["debts"] == 1

    async def test_a_student_who_left_has_no_row(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        student = await term.student()
        await term.marks(student, "A", "20", "15", "40")
        await refresh(maker, tenants["alpha"])
        assert student["id"] in await kept(maker, tenants["alpha"])
        async with tenant_session(maker, tenants["alpha"]) as session:
            await session.execute(update(Student).where(Student.id == student["id"]).values(status="13"))
            await session.commit()
        assert student["id"] in await listed(maker, tenants["alpha"])
        await refresh(maker, tenants["alpha"])
        assert student["id"] not in await kept(maker, tenants["alpha"])

    async def test_marks_and_those_entered_before_their_sheet_locked(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        student = await term.student()
        await term.marks(student, "A", "20", "15", "40")
        assert (await term.mark(student, "B", "JN", "25")).status_code == 201
        assert (await term.mark(student, "C", "JN", "10")).status_code == 201
        await refresh(maker, tenants["alpha"])
        assert (await kept(maker, tenants["alpha"]))[student["id"]]["marks_on_time"] == 5
        # Its sheet re-dated to ten days ago, locking after two: that mark went in late. The
        # sheet's change lists the students with marks on it.
        sheet = term.sheets[("C", "JN", 1)]["id"]
        async with tenant_session(maker, tenants["alpha"]) as session:
            await session.execute(
                update(MarkSheet)
                .where(MarkSheet.id == sheet)
                .values(held_on=date.today() - timedelta(days=10))
            )
            await session.commit()
        assert student["id"] in await listed(maker, tenants["alpha"])
        await refresh(maker, tenants["alpha"])
        row = (await kept(maker, tenants["alpha"]))[student["id"]]
        assert (row["marks"], row["marks_on_time"], row["graded"]) == (5, 4, 1)


class TestStale:
    async def test_every_table_the_performance_family_reads_lists_students(
        self, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        stale = "student_performance_stale"
        assert await triggered(maker, tenants["alpha"], stale) == figures.SOURCES["performance"]

    async def test_a_mark_lists_its_student_and_a_refresh_resolves_only_them(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        alpha = tenants["alpha"]
        students = await marked_term(term, 3, seed=11)
        await refresh(maker, alpha)
        assert await listed(maker, alpha) == []
        before = await kept(maker, alpha)
        changed = students[1]
        response = await term.mark(changed, "C", "JN", "25")
        assert response.status_code == 201, response.text
        response = await term.mark(changed, "C", "YN", "45")
        assert response.status_code == 201, response.text
        assert set(await listed(maker, alpha)) == {changed["id"]}
        assert await refresh(maker, alpha) == 1
        after = await kept(maker, alpha)
        assert after[changed["id"]]["graded"] == before.get(changed["id"], {"graded": 0})["graded"] + 1
        assert {k: v for k, v in after.items() if k != changed["id"]} == {
            k: v for k, v in before.items() if k != changed["id"]
        }
        # A correction too: the corrected total moves the sum.
        mark = response.json()
        corrected = await term.client.patch(
            f"{T}/grading/marks/{mark['id']}",
            json={"points": "5", "version": mark["version"], "reason": "Xato kiritilgan"},
            headers=term.headers,
        )
        assert corrected.status_code == 200, corrected.text
        assert set(await listed(maker, alpha)) == {changed["id"]}
        await refresh(maker, alpha)
        assert (await kept(maker, alpha))[changed["id"]]["points_sum"] == after[changed["id"]][
            "points_sum"
        ] - 40

    async def test_a_rolled_back_change_lists_nobody(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        alpha = tenants["alpha"]
        student = await term.student()
        await refresh(maker, alpha)
        async with tenant_session(maker, alpha) as session:
            await session.execute(update(Student).where(Student.id == student["id"]).values(status="13"))
            assert student["id"] in await session.scalars(select(StudentPerformanceStale.student_id))
            await session.rollback()
        assert await listed(maker, alpha) == []

    async def test_a_groups_course_lists_its_students_and_a_curriculum_everyone(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        alpha = tenants["alpha"]
        students = [await term.student() for _ in range(3)]
        await refresh(maker, alpha)
        async with tenant_session(maker, alpha) as session:
            await session.execute(
                update(AcademicGroup).where(AcademicGroup.id == term.group["id"]).values(course="12")
            )
            in_group = set(
                (await session.scalars(select(Student.id).where(Student.group_id == term.group["id"]))).all()
            )
            await session.commit()
        assert {s["id"] for s in students} <= in_group
        assert set(await listed(maker, alpha)) == in_group
        await refresh(maker, alpha)
        curriculum = update(Curriculum).where(Curriculum.id == term.curriculum["id"])
        async with tenant_session(maker, alpha) as session:
            await session.execute(curriculum.values(name="DI 2025 (yangi)"))  # results read no name
            await session.commit()
        assert await listed(maker, alpha) == []
        async with tenant_session(maker, alpha) as session:
            await session.execute(curriculum.values(marking_system=term.curriculum["marking_system"]))
            await session.commit()
        assert await listed(maker, alpha) == [None]

    async def test_a_mark_moved_to_another_student_lists_both(
        self,
        term: Term,
        owner: AsyncEngine,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        """No API moves a mark; a data fix in SQL may, and both students' sums change."""
        alpha = tenants["alpha"]
        first, second = await term.student(), await term.student()
        response = await term.mark(first, "A", "JN", "20")
        assert response.status_code == 201, response.text
        await refresh(maker, alpha)
        async with owner.begin() as conn:  # the university's own role may not: the owner's fix
            await conn.execute(
                text("UPDATE t_alpha.mark SET student_id = :to WHERE id = :id"),  # lint-skip: a data fix
                {"to": second["id"], "id": response.json()["id"]},
            )
        assert set(await listed(maker, alpha)) == {first["id"], second["id"]}

    async def test_a_refresh_ends_where_a_rebuild_does(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        alpha = tenants["alpha"]
        students = await marked_term(term, 5, seed=23)
        await refresh(maker, alpha)
        rng = random.Random(5)
        for student in rng.sample(students[:-1], 3):  # finals of the next semester (the last is barred)
            await term.marks(
                student, "C", str(rng.randint(0, 30)), str(rng.randint(0, 20)), str(rng.randint(0, 50))
            )
        await term.absent(students[0], "B", 8)
        assert await refresh(maker, alpha) == 4
        incremental = await kept(maker, alpha)
        assert await refresh(maker, alpha, everyone=True) == -1
        assert await kept(maker, alpha) == incremental


async def older_refresh_fails(
    maker: async_sessionmaker[AsyncSession], tenant: TenantRef, meanwhile: Callable[[], Awaitable[object]]
) -> None:
    """A refresh whose snapshot was taken before `meanwhile` and a newer refresh fails to
    serialise (40001), which the worker retries, rather than write its older sums."""
    async with tenant_session(maker, tenant) as older:
        await older.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        await older.scalar(select(func.count()).select_from(StudentPerformanceStale))  # the snapshot
        await meanwhile()
        await refresh(maker, tenant)
        with pytest.raises(DBAPIError) as raised:
            await ResultService(older, actor="test").refresh_performance()
        assert getattr(raised.value.orig, "sqlstate", None) == "40001"


class TestConcurrency:
    async def test_an_older_snapshot_cannot_write_over_a_newer_refresh(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        alpha = tenants["alpha"]
        student = await term.student()
        await term.marks(student, "A", "20", "15", "40")
        await refresh(maker, alpha)  # the student has a kept row the older snapshot sees
        assert (await term.mark(student, "B", "JN", "25")).status_code == 201  # in the older snapshot

        async def final() -> None:  # after it: only the newer refresh sees B graded
            for control, points in (("ON", "15"), ("YN", "45")):
                assert (await term.mark(student, "B", control, points)).status_code == 201

        await older_refresh_fails(maker, alpha, final)
        assert (await kept(maker, alpha))[student["id"]]["graded"] == 2

    async def test_a_new_students_first_row_too(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        """The older snapshot has no row of the student to delete: it must still fail (on the
        stale row both took), not insert a duplicate."""
        alpha = tenants["alpha"]
        await refresh(maker, alpha)
        student = await term.student()
        await term.marks(student, "A", "20", "15", "40")
        await older_refresh_fails(maker, alpha, lambda: refresh(maker, alpha))
        assert (await kept(maker, alpha))[student["id"]]["graded"] == 1


class TestIsolation:
    async def test_the_trigger_lists_in_its_own_schema_whatever_the_search_path(
        self,
        term: Term,
        owner: AsyncEngine,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        """A bulk load or a fix run under another search_path still lists the university's own
        students, in its own schema (the functions keep the schema they were made in)."""
        alpha, beta = tenants["alpha"], tenants["beta"]
        student = await term.student()
        await refresh(maker, alpha)
        await refresh(maker, beta)
        async with owner.begin() as conn:
            await conn.execute(text("SET LOCAL search_path TO t_beta"))  # lint-skip: the probe
            await conn.execute(
                text("UPDATE t_alpha.student SET phone = phone WHERE id = :id"),  # lint-skip: the probe
                {"id": student["id"]},
            )
        assert await listed(maker, alpha) == [student["id"]]
        assert await listed(maker, beta) == []

    async def test_a_change_lists_students_in_its_own_university_only(
        self,
        term: Term,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        alpha, beta = tenants["alpha"], tenants["beta"]
        await refresh(maker, alpha)
        await refresh(maker, beta)
        student = await term.student()
        await term.marks(student, "A", "20", "15", "40")
        assert await listed(maker, beta) == []
        assert student["id"] in await listed(maker, alpha)
        await refresh(maker, alpha)
        ours = await kept(maker, alpha)
        # Beta's role reads neither of alpha's tables, and beta's rebuild leaves alpha's rows be.
        async with tenant_session(maker, beta) as session:
            for table in ("student_performance", "student_performance_stale"):
                with pytest.raises(DBAPIError, match="permission denied"):
                    async with session.begin_nested():
                        await session.execute(text(f"SELECT 1 FROM t_alpha.{table}"))  # lint-skip: the probe
        await refresh(maker, beta, everyone=True)
        assert await kept(maker, alpha) == ours
        assert student["id"] in ours


class TestAttendanceFigure:
    async def test_a_students_planned_and_missed_hours_reach_the_national_figure(
        self, term: Term, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        """The roll-ups' attendance: the running semester's classroom hours times the share of it
        begun, for each subject a studying student takes (electives once chosen), and the hours
        missed, which come from the student's kept results."""
        alpha, today = tenants["alpha"], local_today()
        autumn = figures.running_semester_offset(today) == 0
        cohort = (term.group["education_form"], term.group["course"])

        async def figure() -> dict[str, int]:
            await refresh(maker, alpha)
            async with tenant_session(maker, alpha) as session:
                columns = await figures.fetch(session, "attendance", today)
            rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
            row = next((r for r in rows if (r["education_form"], r["course"]) == cohort), {})
            return {k: int(row.get(k, 0)) for k in ("planned_hours", "missed_hours", "excused_hours")}

        before = await figure()
        student = await term.student()
        one_line = round(60 * figures.fallback_share(today))  # 30 + 30 classroom hours, no calendar
        mandatory = ("A", "B") if autumn else ("C",)
        assert (await figure())["planned_hours"] == before["planned_hours"] + len(mandatory) * one_line
        if autumn:  # an elective counts once chosen
            chosen = await term.client.post(
                f"{T}/students/{student['id']}/electives",
                json={"curriculum_subject_id": term.lines["E1"]["id"]},
                headers=term.headers,
            )
            assert chosen.status_code == 201, chosen.text
        await term.absent(student, mandatory[0], 3)  # three pairs of two hours
        after = await figure()
        assert after == {
            "planned_hours": before["planned_hours"] + (len(mandatory) + autumn) * one_line,
            "missed_hours": before["missed_hours"] + 6,
            "excused_hours": before["excused_hours"],
        }
