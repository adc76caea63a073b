"""A clash-free week for every demo group, from its teaching assignments of the running semester.

Bulk inserts as the tenant's role, like the demo term (hemis.term_demo): a handful of statements
per university whatever its size, since the benchmarks seed 225 of them. Lectures of one subject
given by one teacher to several groups become one lesson for them all (a lecture stream)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.curriculum.models import CurriculumSubject
from hemis.staff.models import TeachingAssignment
from hemis.structure.models import Auditorium, AuditoriumType, Building
from hemis.timetable import rules
from hemis.timetable.models import Lesson, LessonGroup

LECTURE = "11"  # h_training_type
DAY_PAIRS = 6  # demo lessons keep to pairs 1-6 (08:30 to 17:50)
DEMO_BUILDING = "Darslar binosi"


@dataclass
class Planned:
    curriculum_subject_id: int
    training_type: str
    employee_id: int
    group_ids: list[int]
    weekday: int = 0
    pair: int = 0
    auditorium_id: int = 0


@dataclass
class Board:
    """Who and what is busy in each (weekday, pair) while the week is laid out."""

    busy: dict[tuple[int, int], set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))

    def free(self, slot: tuple[int, int], lesson: Planned) -> bool:
        taken = self.busy[slot]
        return ("t", lesson.employee_id) not in taken and not any(("g", g) in taken for g in lesson.group_ids)

    def book(self, slot: tuple[int, int], lesson: Planned, room: int) -> None:
        self.busy[slot] |= {("t", lesson.employee_id), ("r", room), *(("g", g) for g in lesson.group_ids)}

    def room(self, slot: tuple[int, int], rooms: list[int]) -> int | None:
        return next((r for r in rooms if ("r", r) not in self.busy[slot]), None)


def plan(assignments: list[tuple[int, int, int, str]], rooms: list[int]) -> list[Planned]:
    """Lay out (employee, line, group, training type) assignments over Monday … Saturday, pairs 1-6:
    every lesson weekly, no teacher, room or group twice in a slot. Pair-major order fills the first
    pairs of every day before later ones, so a group's lessons spread over the week. A lesson that
    finds no free slot is left out rather than booked twice (the demo sizes leave room for all)."""
    streams: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    singles: list[Planned] = []
    for employee, line, group, training in sorted(assignments):
        if training == LECTURE:
            streams[(line, training, employee)].append(group)
        else:
            singles.append(Planned(line, training, employee, [group]))
    lessons = [Planned(line, t, e, groups) for (line, t, e), groups in sorted(streams.items())] + singles
    slots = [(day, pair) for pair in range(1, DAY_PAIRS + 1) for day in rules.WEEKDAYS]
    board, placed = Board(), []
    for index, lesson in enumerate(lessons):
        start = index % len(slots)  # start each lesson elsewhere: rooms and teachers fill evenly
        for slot in slots[start:] + slots[:start]:
            if board.free(slot, lesson) and (room := board.room(slot, rooms)) is not None:
                board.book(slot, lesson, room)
                lesson.weekday, lesson.pair, lesson.auditorium_id = slot[0], slot[1], room
                placed.append(lesson)
                break
    return placed


async def seed_timetable(session: AsyncSession, *, today: date | None = None) -> int:
    """Give every group a week of lessons for the semester running on `today`, from its teaching
    assignments of that semester (each group's latest one); returns how many lessons. The caller commits."""
    today = today or date.today()
    latest = (
        select(TeachingAssignment.group_id, func.max(CurriculumSubject.semester).label("semester"))
        .join(CurriculumSubject, CurriculumSubject.id == TeachingAssignment.curriculum_subject_id)
        .group_by(TeachingAssignment.group_id)
        .subquery()
    )
    assignments = [
        (employee, line, group, training)
        for employee, line, group, training in await session.execute(
            select(
                TeachingAssignment.employee_id,
                TeachingAssignment.curriculum_subject_id,
                TeachingAssignment.group_id,
                TeachingAssignment.training_type,
            )
            .join(CurriculumSubject, CurriculumSubject.id == TeachingAssignment.curriculum_subject_id)
            .join(
                latest,
                (latest.c.group_id == TeachingAssignment.group_id)
                & (latest.c.semester == CurriculumSubject.semester),
            )
        )
    ]
    if not assignments:
        return 0
    slots = DAY_PAIRS * len(rules.WEEKDAYS)
    rooms = await _rooms(session, needed=math.ceil(len(assignments) / slots) + 4)
    lessons = plan(assignments, rooms)
    valid_from, valid_to = rules.semester_span(today)
    result = await session.execute(
        insert(Lesson).returning(Lesson.id, sort_by_parameter_order=True),
        [
            {
                "curriculum_subject_id": x.curriculum_subject_id,
                "training_type": x.training_type,
                "employee_id": x.employee_id,
                "auditorium_id": x.auditorium_id,
                "weekday": x.weekday,
                "pair": x.pair,
                "parity": "all",
                "valid_from": valid_from,
                "valid_to": valid_to,
                "version": 1,
            }
            for x in lessons
        ],
    )
    ids = [row[0] for row in result]
    await session.execute(
        insert(LessonGroup),
        [{"lesson_id": i, "group_id": g} for i, x in zip(ids, lessons, strict=True) for g in x.group_ids],
    )
    return len(ids)


async def _rooms(session: AsyncSession, *, needed: int) -> list[int]:
    """The university's active rooms, with demo classrooms added when they are too few."""
    rooms = list(
        await session.scalars(
            select(Auditorium.id).where(Auditorium.active.is_(True)).order_by(Auditorium.id)
        )
    )
    if len(rooms) >= needed:
        return rooms
    building = await session.scalar(select(Building.id).where(Building.name == DEMO_BUILDING))
    if building is None:
        building = await session.scalar(
            insert(Building).values(name=DEMO_BUILDING, address="").returning(Building.id)
        )
    start = len(rooms)
    added = await session.scalars(
        insert(Auditorium).returning(Auditorium.id, sort_by_parameter_order=True),
        [
            {
                "code": f"D-{number:03d}",
                "name": "O'quv xonasi",
                "building_id": building,
                "auditorium_type": AuditoriumType.SEMINAR,
                "capacity": 30,
            }
            for number in range(start + 1, needed + 1)
        ],
    )
    return rooms + list(added)
