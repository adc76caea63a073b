"""/api/v1/timetable: lesson pairs, lessons (clash-checked), and the week of a group, teacher or room."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.auth import MEMBERS, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.errors import HemisError
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import Page, changes, to_read
from hemis.timetable.models import Lesson
from hemis.timetable.schemas import (
    LessonCreate,
    LessonRead,
    LessonUpdate,
    PairRead,
    PairUpdate,
    WeekLessonRead,
    WeekRead,
    clock_time,
)
from hemis.timetable.service import LessonService, PairService, TimetableService, Week, WeekLesson

# Everyone of the university reads the timetable: students and teachers first of all.
READERS = requires_role(*MEMBERS)
PLANNERS = requires_role(Role.ADMIN, Role.REGISTRAR)
SCHEDULERS = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN)  # a dean: their faculty's groups
Day = Annotated[date, QueryParameter(name="date")]
Weekday = Annotated[int | None, QueryParameter(ge=1, le=6)]


class OneSubject(HemisError):
    status_code = 422
    message_key = "timetable.one_subject"


async def provide_timetable(
    db_session: NamedDependency[AsyncSession], language: NamedDependency[str]
) -> TimetableService:
    return TimetableService(db_session, language=language)


def lesson_view(lesson: Lesson, group_ids: list[int]) -> LessonRead:
    return LessonRead(
        id=lesson.id,
        curriculum_subject_id=lesson.curriculum_subject_id,
        training_type=lesson.training_type,
        employee_id=lesson.employee_id,
        auditorium_id=lesson.auditorium_id,
        weekday=lesson.weekday,
        pair=lesson.pair,
        parity=lesson.parity,
        valid_from=lesson.valid_from,
        valid_to=lesson.valid_to,
        group_ids=group_ids,
        version=lesson.version,
    )


def week_lesson_view(x: WeekLesson) -> WeekLessonRead:
    assert x.day is not None  # a week's lessons have their date
    return WeekLessonRead(
        lesson_id=x.lesson_id,
        date=x.day,
        weekday=x.weekday,
        pair=x.pair,
        starts_at=x.starts_at,
        ends_at=x.ends_at,
        curriculum_subject_id=x.curriculum_subject_id,
        subject_name=x.subject_name,
        training_type=x.training_type,
        training_type_name=x.training_type_name,
        employee_id=x.employee_id,
        teacher_name=x.teacher_name,
        auditorium_id=x.auditorium_id,
        auditorium_code=x.auditorium_code,
        group_ids=x.group_ids,
        group_names=x.group_names,
        parity=x.parity,
    )


def week_view(week: Week) -> WeekRead:
    return WeekRead(
        monday=week.monday,
        saturday=week.saturday,
        week_parity=week.parity,
        lessons=[week_lesson_view(x) for x in week.lessons],
    )


def whose(group_id: int | None, employee_id: int | None, auditorium_id: int | None) -> dict[str, int]:
    """Exactly one of group, teacher or room: the week of whom (422 naming group_id otherwise)."""
    chosen = {
        k: v
        for k, v in (("group_id", group_id), ("employee_id", employee_id), ("auditorium_id", auditorium_id))
        if v is not None
    }
    if len(chosen) != 1:
        raise OneSubject(field="group_id")
    return chosen


class TimetableController(Controller):
    path = "/api/v1/timetable"
    tags = ["Timetable"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "pairs": provide_service(PairService),
        "lessons": provide_service(LessonService),
        "timetable": Provide(provide_timetable),
    }

    @get("/pairs", operation_id="ListLessonPairs", guards=[READERS])
    async def list_pairs(self, pairs: NamedDependency[PairService]) -> list[PairRead]:
        """The university's pairs of the day (number, start and end)."""
        return [to_read(p, PairRead) for p in await pairs.all()]

    @put("/pairs/{number:int}", operation_id="SetLessonPair", guards=[PLANNERS])
    async def set_pair(
        self,
        pairs: NamedDependency[PairService],
        number: Annotated[int, PathParameter(ge=1, le=8)],
        data: JSONBody[PairUpdate],
    ) -> PairRead:
        """Set the times of a pair; pairs keep their order and never overlap."""
        return to_read(
            await pairs.put(number, clock_time(data.starts_at), clock_time(data.ends_at)), PairRead
        )

    @get("/lessons", operation_id="ListLessons", guards=[READERS])
    async def list_lessons(
        self,
        lessons: NamedDependency[LessonService],
        params: NamedDependency[ListParams],
        group_id: QueryId = None,
        employee_id: QueryId = None,
        auditorium_id: QueryId = None,
        weekday: Weekday = None,
    ) -> Page[LessonRead]:
        """Weekly lessons; filter by group, teacher, room or weekday."""
        rows, total = await lessons.page(
            params, group_id=group_id, employee_id=employee_id, auditorium_id=auditorium_id, weekday=weekday
        )
        return Page(
            items=[lesson_view(r, g) for r, g in rows], total=total, limit=params.limit, offset=params.offset
        )

    @get("/lessons/{lesson_id:int}", operation_id="GetLesson", guards=[READERS])
    async def get_lesson(self, lessons: NamedDependency[LessonService], lesson_id: PathId) -> LessonRead:
        """One lesson."""
        return lesson_view(*await lessons.read(lesson_id))

    @post("/lessons", operation_id="CreateLesson", guards=[SCHEDULERS])
    async def create_lesson(
        self, lessons: NamedDependency[LessonService], data: JSONBody[LessonCreate]
    ) -> LessonRead:
        """Schedule a lesson for one or more groups; a teacher, room or group booked twice is a 409."""
        change = await lessons.create_lesson(changes(data))
        assert change.lesson is not None
        return lesson_view(change.lesson, change.group_ids)

    @patch("/lessons/{lesson_id:int}", operation_id="UpdateLesson", guards=[SCHEDULERS])
    async def update_lesson(
        self, lessons: NamedDependency[LessonService], lesson_id: PathId, data: JSONBody[LessonUpdate]
    ) -> LessonRead:
        """Change a lesson at the version the caller saw; a move into a clash is a 409."""
        change = await lessons.update_lesson(lesson_id, changes(data))
        assert change.lesson is not None
        return lesson_view(change.lesson, change.group_ids)

    @delete("/lessons/{lesson_id:int}", operation_id="DeleteLesson", guards=[SCHEDULERS])
    async def delete_lesson(self, lessons: NamedDependency[LessonService], lesson_id: PathId) -> None:
        """Take a lesson off the timetable."""
        await lessons.delete_lesson(lesson_id)

    @get("/week", operation_id="GetTimetableWeek", guards=[READERS])
    async def week(
        self,
        timetable: NamedDependency[TimetableService],
        day: Day,
        group_id: QueryId = None,
        employee_id: QueryId = None,
        auditorium_id: QueryId = None,
    ) -> WeekRead:
        """The lessons of the ISO week of `date` (Monday … Saturday) of one group, teacher or room."""
        return week_view(await timetable.week(day, **whose(group_id, employee_id, auditorium_id)))
