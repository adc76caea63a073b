"""The demo timetable (hemis.timetable.demo, seeded with the demo term): every group gets a week
from its teaching assignments, and no two lessons clash by the timetable's own rule."""

from __future__ import annotations

from datetime import date
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hemis.config import Settings
from hemis.platform import create_tenant, drop_tenant
from hemis.staff.models import TeachingAssignment
from hemis.students.models import AcademicGroup
from hemis.term_demo import TermSize, seed_term
from hemis.timetable import rules
from hemis.timetable.models import Lesson, LessonGroup
from hemis.timetable.service import TimetableService
from tenants.provision import TenantSpec
from tenants.session import tenant_session

TODAY = date(2027, 3, 10)


class TestSeedTimetable:
    async def test_every_group_gets_a_clash_free_week_of_its_assignments(
        self, owner: AsyncEngine, settings: Settings, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        ref = await create_tenant(owner, settings, TenantSpec(code="ttdemo", name_uz="Jadval universiteti"))
        try:
            async with tenant_session(maker, ref) as session:
                size = TermSize(groups_per_course=3, students_per_group=2, teachers_per_kafedra=8)
                counts = await seed_term(session, seed=11, size=size, today=TODAY)
                await session.commit()
            assert counts.lessons > 0
            async with tenant_session(maker, ref) as session:
                lessons = list(await session.scalars(select(Lesson)))
                groups: dict[int, set[int]] = {}
                for lesson_id, group_id in await session.execute(
                    select(LessonGroup.lesson_id, LessonGroup.group_id)
                ):
                    groups.setdefault(lesson_id, set()).add(group_id)
                assert len(lessons) == counts.lessons
                slots = [
                    rules.Slot(
                        x.weekday,
                        x.pair,
                        x.parity,
                        x.valid_from,
                        x.valid_to,
                        x.employee_id,
                        x.auditorium_id,
                        frozenset(groups[x.id]),
                    )
                    for x in lessons
                ]
                clashes = [(a, b) for a, b in combinations(slots, 2) if rules.clash_field(a, b)]
                assert clashes == []
                assert {(x.valid_from, x.valid_to) for x in lessons} == {
                    (date(2027, 2, 1), date(2027, 6, 30))
                }
                # Every assignment is taught, by its teacher, and nothing else is.
                taught = {
                    (x.employee_id, x.curriculum_subject_id, g, x.training_type)
                    for x in lessons
                    for g in groups[x.id]
                }
                assigned = set(
                    await session.execute(
                        select(
                            TeachingAssignment.employee_id,
                            TeachingAssignment.curriculum_subject_id,
                            TeachingAssignment.group_id,
                            TeachingAssignment.training_type,
                        )
                    )
                )
                assert taught == {tuple(a) for a in assigned}
                assert any(len(g) > 1 for g in groups.values()), "no lecture stream"
                every_group = set(await session.scalars(select(AcademicGroup.id)))
                assert {g for gs in groups.values() for g in gs} == every_group
                # The week view reads it: a group's week has its lessons on their dates.
                some_group = min(every_group)
                week = await TimetableService(session).week(TODAY, group_id=some_group)
                assert week.lessons and all(
                    x.day is not None and x.day.isoweekday() == x.weekday for x in week.lessons
                )
        finally:
            await drop_tenant(owner, settings, "ttdemo")
