"""The timetable's services on two real connections: the advisory lock serialises clashing saves;
every write names the groups it concerns; day() is one date of week()."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.audit import AuditEvent
from hemis.timetable.service import Clash, LessonService, TimetableService
from tenants.context import TenantRef
from tenants.session import tenant_session
from tests.timetable.conftest import World


def values(world: World, **overrides: Any) -> dict[str, Any]:
    body = world.lesson(**overrides)
    body["valid_from"] = date.fromisoformat(body["valid_from"])
    body["valid_to"] = date.fromisoformat(body["valid_to"])
    body.setdefault("parity", "all")
    return body


class TestConcurrentSaves:
    async def test_the_second_save_waits_for_the_first_and_then_sees_its_clash(
        self, world: World, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        """Two connections, the same teacher in one slot: the second blocks on the slot's lock
        while the first is open, and once the first commits it is refused with the first's lesson."""
        alpha = tenants["alpha"]
        async with tenant_session(maker, alpha) as first, tenant_session(maker, alpha) as second:
            change = await LessonService(first, actor="tests").create_lesson(values(world))
            assert change.lesson is not None
            other = values(world, auditorium_id=world.rooms[1]["id"], group_ids=[world.groups[1]["id"]])
            waiting = asyncio.create_task(LessonService(second, actor="tests").create_lesson(other))
            await asyncio.sleep(0.5)
            assert not waiting.done(), "the second save did not wait for the first"
            await first.commit()
            with pytest.raises(Clash) as refused:
                await waiting
            assert refused.value.field == "employee_id"
            assert refused.value.extra["conflict"]["lesson_id"] == change.lesson.id
            await second.rollback()

    async def test_saves_into_other_slots_do_not_wait(
        self, world: World, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        alpha = tenants["alpha"]
        async with tenant_session(maker, alpha) as first, tenant_session(maker, alpha) as second:
            await LessonService(first, actor="tests").create_lesson(values(world))
            elsewhere = LessonService(second, actor="tests").create_lesson(values(world, pair=2))
            change = await asyncio.wait_for(elsewhere, timeout=5)
            assert change.lesson is not None and change.lesson.pair == 2
            await first.rollback()
            await second.rollback()


class TestScheduleChanges:
    async def test_each_write_names_the_groups_it_concerns_and_is_audited(
        self, world: World, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
    ) -> None:
        g0, g1 = (g["id"] for g in world.groups)
        async with tenant_session(maker, tenants["alpha"]) as session:
            lessons = LessonService(session, actor="tests")
            created = await lessons.create_lesson(values(world, group_ids=[g0]))
            assert created.lesson is not None and created.affected_group_ids == {g0}
            moved = await lessons.update_lesson(created.lesson.id, {"version": 1, "group_ids": [g1]})
            assert moved.group_ids == [g1] and moved.affected_group_ids == {g0, g1}
            gone = await lessons.delete_lesson(created.lesson.id)
            assert gone.lesson is None and gone.affected_group_ids == {g1}
            actions = list(
                await session.scalars(
                    select(AuditEvent.action)
                    .where(AuditEvent.entity == "lesson", AuditEvent.entity_id == str(created.lesson.id))
                    .order_by(AuditEvent.id)
                )
            )
            assert actions == ["lesson.created", "lesson.updated", "lesson.deleted"]
            await session.rollback()


class TestDay:
    async def test_a_day_is_that_date_of_the_week(
        self,
        client: httpx.AsyncClient,
        world: World,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        async with tenant_session(maker, tenants["alpha"]) as session:
            lessons = LessonService(session, actor="tests")
            await lessons.create_lesson(values(world, weekday=2, pair=1))
            await lessons.create_lesson(values(world, weekday=2, pair=3))
            await lessons.create_lesson(values(world, weekday=4, pair=2))
            reader = TimetableService(session, language="en")
            tuesday = date(2027, 3, 9)
            day = await reader.day(tuesday, group_id=world.groups[0]["id"])
            assert [(x.day, x.pair, x.training_type_name) for x in day] == [
                (tuesday, 1, "Lecture"),
                (tuesday, 3, "Lecture"),
            ]
            assert await reader.day(date(2027, 3, 14), group_id=world.groups[0]["id"]) == []  # a Sunday
            week = await reader.week(tuesday, employee_id=world.teachers[0]["id"])
            assert [x.day for x in week.lessons] == [tuesday, tuesday, date(2027, 3, 11)]
            await session.rollback()
