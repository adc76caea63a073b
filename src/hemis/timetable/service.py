"""The timetable: lesson pairs, lessons checked for clashes on every save, and the week every page reads.

Every write of a lesson goes through one method (`create_lesson`, `update_lesson`,
`delete_lesson`), each answering a `ScheduleChange` that names the groups whose schedule
changed: the hook for "the schedule changed" notifications.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.classifiers.models import ClassifierItem
from hemis.core.auth import Forbidden
from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import HemisError, NotFound, OutOfRange
from hemis.core.i18n import LANGUAGES
from hemis.core.listing import ListParams, fetch_page
from hemis.core.refs import check_sent_codes
from hemis.curriculum.models import CurriculumSubject, Subject
from hemis.grading.service import SubjectOutsideCurriculum
from hemis.identity.scope import faculty_filter
from hemis.notifications.service import notify_groups
from hemis.staff.models import Employee, TeachingAssignment
from hemis.structure.models import Auditorium
from hemis.students.models import AcademicGroup
from hemis.timetable import rules
from hemis.timetable.models import Lesson, LessonGroup, LessonPair
from tenants.context import TenantRef, current_tenant_or_none
from tenants.session import TENANT_KEY

# The fields whose change re-runs the checks that tie subject, teacher, training type and groups.
TEACHING = frozenset({"curriculum_subject_id", "employee_id", "training_type", "group_ids"})
SLOT = frozenset({"weekday", "pair", "parity", "valid_from", "valid_to"})


class PairsOverlap(HemisError):
    status_code = 422
    message_key = "timetable.pairs_overlap"


class EndsBeforeStart(HemisError):
    status_code = 422
    message_key = "timetable.ends_before_start"


class NoAssignment(HemisError):
    status_code = 422
    message_key = "timetable.no_assignment"


class StaleLesson(HemisError):
    status_code = 409
    message_key = "timetable.stale"


class Clash(HemisError):
    """A teacher, a room or a group booked twice; the problem names the lesson it clashes with."""

    status_code = 409
    message_key = "timetable.clash"

    def __init__(self, field: str, lesson: WeekLesson) -> None:
        super().__init__(
            f"timetable.clash_{field.removesuffix('_id').removesuffix('_ids')}",
            field=field,
            lesson_id=lesson.lesson_id,
            subject=lesson.subject_name,
            groups=", ".join(lesson.group_names),
            teacher=lesson.teacher_name,
            room=lesson.auditorium_code,
            weekday=lesson.weekday,
            pair=lesson.pair,
        )
        self.extra = {
            "conflict": {
                "lesson_id": lesson.lesson_id,
                "subject_name": lesson.subject_name,
                "training_type": lesson.training_type,
                "group_ids": lesson.group_ids,
                "group_names": lesson.group_names,
                "employee_id": lesson.employee_id,
                "teacher_name": lesson.teacher_name,
                "auditorium_id": lesson.auditorium_id,
                "auditorium_code": lesson.auditorium_code,
                "weekday": lesson.weekday,
                "pair": lesson.pair,
                "parity": lesson.parity,
                "valid_from": lesson.valid_from.isoformat(),
                "valid_to": lesson.valid_to.isoformat(),
            }
        }


@dataclass(frozen=True, slots=True)
class WeekLesson:
    """A lesson with the names a page shows; `day` is its date in a week view (None otherwise)."""

    lesson_id: int
    weekday: int
    pair: int
    parity: str
    valid_from: date
    valid_to: date
    starts_at: time | None
    ends_at: time | None
    curriculum_subject_id: int
    subject_name: str
    training_type: str
    training_type_name: str
    employee_id: int
    teacher_name: str
    auditorium_id: int
    auditorium_code: str
    group_ids: list[int]
    group_names: list[str]
    day: date | None = None


@dataclass(frozen=True, slots=True)
class Week:
    monday: date
    saturday: date
    parity: str
    lessons: list[WeekLesson]  # by date, then pair


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """What a write did: the lesson as stored (None once deleted), its groups, and every group whose
    schedule changed (before and after: a lesson moved from one group to another concerns both)."""

    lesson: Lesson | None
    group_ids: list[int]
    affected_group_ids: frozenset[int]


def teacher_name(last: str, first: str, patronymic: str) -> str:
    """'Karimov J.A.', as timetables print a teacher."""
    initials = "".join(f"{part[0]}." for part in (first, patronymic) if part)
    return f"{last} {initials}".strip()


class PairService(CrudService[LessonPair]):
    model = LessonPair

    async def all(self) -> list[LessonPair]:
        return list(await self.session.scalars(select(LessonPair).order_by(LessonPair.number)))

    async def put(self, number: int, starts_at: time, ends_at: time) -> LessonPair:
        """Set the times of pair `number` (created if the university has no such pair yet)."""
        current = await self.session.scalar(select(LessonPair.id).where(LessonPair.number == number))
        values = {"starts_at": starts_at, "ends_at": ends_at}
        if current is None:
            return await self.create({"number": number, **values})
        return await self.update(current, values)

    async def check(
        self, values: dict[str, Any], current: LessonPair | None, changed: frozenset[str]
    ) -> None:
        if values["ends_at"] <= values["starts_at"]:
            raise EndsBeforeStart(field="ends_at")
        # Every pair, locked: two edits at once cannot each pass against the other's old times.
        others = await self.session.scalars(select(LessonPair).order_by(LessonPair.number).with_for_update())
        for other in others:
            if other.number < values["number"] and other.ends_at > values["starts_at"]:
                raise PairsOverlap(field="starts_at", number=other.number)
            if other.number > values["number"] and other.starts_at < values["ends_at"]:
                raise PairsOverlap(field="ends_at", number=other.number)


class TimetableService:
    """Reads of the timetable for the API, the printable page and the portal: a handful of
    statements per answer, never one per lesson."""

    def __init__(self, session: AsyncSession, *, actor: str = "", language: str = "uz") -> None:
        self.session = session
        self.actor = actor
        self.language = language if language in LANGUAGES else "uz"

    async def week(
        self,
        day: date,
        *,
        group_id: int | None = None,
        employee_id: int | None = None,
        auditorium_id: int | None = None,
    ) -> Week:
        """The lessons held in the ISO week of `day` (Monday … Saturday) of one group, teacher or room."""
        try:
            monday, saturday = rules.week_of(day)
        except rules.DayOutOfRange:
            raise OutOfRange(
                field="date", low=rules.FIRST_DAY.isoformat(), high=rules.LAST_DAY.isoformat()
            ) from None
        return Week(
            monday,
            saturday,
            rules.week_parity(monday),
            await self._held(monday, saturday, group_id, employee_id, auditorium_id),
        )

    async def day(
        self,
        day: date,
        *,
        group_id: int | None = None,
        employee_id: int | None = None,
        auditorium_id: int | None = None,
    ) -> list[WeekLesson]:
        """The lessons of one date (none on Sunday), by pair."""
        if day.isoweekday() == 7:
            return []
        return await self._held(day, day, group_id, employee_id, auditorium_id)

    async def _held(
        self,
        first: date,
        last: date,
        group_id: int | None,
        employee_id: int | None,
        auditorium_id: int | None,
    ) -> list[WeekLesson]:
        conditions: list[ColumnElement[bool]] = [
            Lesson.valid_from <= last,
            Lesson.valid_to >= first,
            Lesson.weekday.between(first.isoweekday(), last.isoweekday()),
        ]
        if group_id is not None:
            conditions.append(
                exists().where(LessonGroup.lesson_id == Lesson.id, LessonGroup.group_id == group_id)
            )
        if employee_id is not None:
            conditions.append(Lesson.employee_id == employee_id)
        if auditorium_id is not None:
            conditions.append(Lesson.auditorium_id == auditorium_id)
        held = []
        for lesson in await self.describe(and_(*conditions)):
            on = first + timedelta(days=lesson.weekday - first.isoweekday())
            if rules.held_on(lesson.weekday, lesson.parity, lesson.valid_from, lesson.valid_to, on):
                held.append(replace(lesson, day=on))
        return sorted(held, key=lambda x: (x.day or first, x.pair, x.lesson_id))

    async def pair_times(self) -> list[tuple[int, time, time]]:
        """(number, start, end) of the university's pairs."""
        rows = await self.session.execute(
            select(LessonPair.number, LessonPair.starts_at, LessonPair.ends_at).order_by(LessonPair.number)
        )
        return [(n, s, e) for n, s, e in rows]

    async def name_of(
        self, *, group_id: int | None = None, employee_id: int | None = None, auditorium_id: int | None = None
    ) -> str:
        """The group's name, the teacher's or the room's code: whose timetable a page shows."""
        if group_id is not None:
            found = await self.session.scalar(select(AcademicGroup.name).where(AcademicGroup.id == group_id))
        elif employee_id is not None:
            row = (
                await self.session.execute(
                    select(Employee.last_name, Employee.first_name, Employee.patronymic).where(
                        Employee.id == employee_id
                    )
                )
            ).first()
            found = teacher_name(*row) if row is not None else None
        else:
            found = await self.session.scalar(select(Auditorium.code).where(Auditorium.id == auditorium_id))
        if found is None:
            field = "group_id" if group_id else "employee_id" if employee_id else "auditorium_id"
            raise NotFound(field=field)
        return found

    async def describe(self, where: ColumnElement[bool]) -> list[WeekLesson]:
        """The lessons matching `where` with their names: two statements, whatever their number."""
        name = getattr(ClassifierItem, f"name_{self.language}")
        rows = (
            await self.session.execute(
                select(
                    Lesson,
                    LessonPair.starts_at,
                    LessonPair.ends_at,
                    Subject.name,
                    func.coalesce(name, Lesson.training_type),
                    Employee.last_name,
                    Employee.first_name,
                    Employee.patronymic,
                    Auditorium.code,
                )
                .join(CurriculumSubject, CurriculumSubject.id == Lesson.curriculum_subject_id)
                .join(Subject, Subject.id == CurriculumSubject.subject_id)
                .join(Employee, Employee.id == Lesson.employee_id)
                .join(Auditorium, Auditorium.id == Lesson.auditorium_id)
                .outerjoin(LessonPair, LessonPair.number == Lesson.pair)
                .outerjoin(
                    ClassifierItem,
                    and_(
                        ClassifierItem.classifier_code == "h_training_type",
                        ClassifierItem.code == Lesson.training_type,
                    ),
                )
                .where(where)
                .order_by(Lesson.weekday, Lesson.pair, Lesson.id)
            )
        ).all()
        groups = await self.groups_of([row[0].id for row in rows])
        return [
            WeekLesson(
                lesson_id=lesson.id,
                weekday=lesson.weekday,
                pair=lesson.pair,
                parity=lesson.parity,
                valid_from=lesson.valid_from,
                valid_to=lesson.valid_to,
                starts_at=starts,
                ends_at=ends,
                curriculum_subject_id=lesson.curriculum_subject_id,
                subject_name=subject,
                training_type=lesson.training_type,
                training_type_name=training,
                employee_id=lesson.employee_id,
                teacher_name=teacher_name(last, first, patronymic),
                auditorium_id=lesson.auditorium_id,
                auditorium_code=room,
                group_ids=[g for g, _ in groups.get(lesson.id, [])],
                group_names=[n for _, n in groups.get(lesson.id, [])],
            )
            for lesson, starts, ends, subject, training, last, first, patronymic, room in rows
        ]

    async def groups_of(self, lesson_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        """Each lesson's (group id, group name), by name."""
        out: dict[int, list[tuple[int, str]]] = defaultdict(list)
        if not lesson_ids:
            return out
        rows = await self.session.execute(
            select(LessonGroup.lesson_id, AcademicGroup.id, AcademicGroup.name)
            .join(AcademicGroup, AcademicGroup.id == LessonGroup.group_id)
            .where(LessonGroup.lesson_id.in_(lesson_ids))
            .order_by(AcademicGroup.name)
        )
        for lesson_id, group_id, name in rows:
            out[lesson_id].append((group_id, name))
        return out


class LessonService(CrudService[Lesson]):
    """Lessons are written through `create_lesson`, `update_lesson` and `delete_lesson` only: each
    checks the rules, serialises the clash check of its (weekday, pair) and is audited."""

    model = Lesson

    async def page(
        self,
        params: ListParams,
        *,
        group_id: int | None,
        employee_id: int | None,
        auditorium_id: int | None,
        weekday: int | None,
    ) -> tuple[list[tuple[Lesson, list[int]]], int]:
        query: Select[Any] = select(Lesson)
        if group_id is not None:
            query = query.where(
                exists().where(LessonGroup.lesson_id == Lesson.id, LessonGroup.group_id == group_id)
            )
        if employee_id is not None:
            query = query.where(Lesson.employee_id == employee_id)
        if auditorium_id is not None:
            query = query.where(Lesson.auditorium_id == auditorium_id)
        if weekday is not None:
            query = query.where(Lesson.weekday == weekday)
        rows, total = await fetch_page(
            self.session,
            query,
            params,
            sortable={
                "id": Lesson.id,
                "weekday": Lesson.weekday,
                "pair": Lesson.pair,
                "valid_from": Lesson.valid_from,
                "employee_id": Lesson.employee_id,
                "auditorium_id": Lesson.auditorium_id,
            },
            default_sort="id",
        )
        groups = await self.group_ids([row.id for row in rows])
        return [(row, groups.get(row.id, [])) for row in rows], total

    async def read(self, lesson_id: int) -> tuple[Lesson, list[int]]:
        lesson = await self.get(lesson_id)
        return lesson, (await self.group_ids([lesson_id])).get(lesson_id, [])

    async def group_ids(self, lesson_ids: Sequence[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        if lesson_ids:
            rows = await self.session.execute(
                select(LessonGroup.lesson_id, LessonGroup.group_id)
                .where(LessonGroup.lesson_id.in_(lesson_ids))
                .order_by(LessonGroup.group_id)
            )
            for lesson_id, group_id in rows:
                out[lesson_id].append(group_id)
        return out

    async def create_lesson(self, values: dict[str, Any]) -> ScheduleChange:
        """Schedule a lesson: checked, refused on a clash, audited."""
        groups = sorted(set(values.pop("group_ids")))
        await self._check(values, groups, None, frozenset(values) | {"group_ids"})
        await self._refuse_clash(values, groups, None)
        lesson = Lesson(**values)
        self.session.add(lesson)
        await self._flush(values)
        await self._link(lesson.id, groups)
        await self.session.refresh(lesson)
        await self._audit("created", lesson.id, self._auditable(values) | {"group_ids": groups})
        return await self._tell(ScheduleChange(lesson, groups, frozenset(groups)), lesson)

    async def update_lesson(self, lesson_id: int, changes: dict[str, Any]) -> ScheduleChange:
        """Change a lesson the caller saw at `changes["version"]`; a move into a clash is refused."""
        version = changes.pop("version")
        lesson = await self.get(lesson_id, for_update=True)
        if lesson.version != version:
            raise StaleLesson(field="version", current=lesson.version)
        before_groups = (await self.group_ids([lesson_id])).get(lesson_id, [])
        await self._check_scope(before_groups, field="id")  # a dean moves only their faculty's lessons
        groups = sorted(set(changes.pop("group_ids", before_groups)))
        changed = frozenset(changes) | ({"group_ids"} if groups != before_groups else frozenset())
        values = {c.key: getattr(lesson, c.key) for c in Lesson.__table__.columns} | changes
        await self._check(values, groups, lesson, changed)
        await self._refuse_clash(values, groups, lesson_id)
        before = {k: getattr(lesson, k) for k in changes}
        for key, value in changes.items():
            setattr(lesson, key, value)
        lesson.version = version + 1  # a change of groups alone is a new version too
        await self._flush(changes)
        if groups != before_groups:
            await self.session.execute(delete(LessonGroup).where(LessonGroup.lesson_id == lesson_id))
            await self._link(lesson_id, groups)
        await self._audit(
            "updated",
            lesson_id,
            {
                "before": self._auditable(before) | {"group_ids": before_groups},
                "after": self._auditable(changes) | {"group_ids": groups},
            },
        )
        return await self._tell(
            ScheduleChange(lesson, groups, frozenset(before_groups) | frozenset(groups)), lesson
        )

    async def delete_lesson(self, lesson_id: int) -> ScheduleChange:
        """Take a lesson off the timetable."""
        lesson = await self.get(lesson_id, for_update=True)
        groups = (await self.group_ids([lesson_id])).get(lesson_id, [])
        await self._check_scope(groups, field="id")
        await self.session.delete(lesson)  # its lesson_group rows go with it (ON DELETE CASCADE)
        await self.session.flush()
        columns = {c.key: getattr(lesson, c.key) for c in Lesson.__table__.columns}
        await self._audit("deleted", lesson_id, self._auditable(columns) | {"group_ids": groups})
        return await self._tell(ScheduleChange(None, groups, frozenset(groups)), lesson)

    async def _tell(self, change: ScheduleChange, lesson: Lesson) -> ScheduleChange:
        """The students of every group concerned learn of it, in the change's own transaction
        (a refused or rolled-back change tells nobody). The lesson's place is kept as numbers, so
        each reader gets the weekday in their own language."""
        subject = await self.session.scalar(
            select(Subject.name)
            .join(CurriculumSubject, CurriculumSubject.subject_id == Subject.id)
            .where(CurriculumSubject.id == lesson.curriculum_subject_id)
        )
        params = {"subject": subject or "", "weekday": lesson.weekday, "pair": lesson.pair}
        await notify_groups(
            self.session, sorted(change.affected_group_ids), "notification.schedule", params, actor=self.actor
        )
        return change

    async def _link(self, lesson_id: int, groups: Iterable[int]) -> None:
        await self.session.execute(
            insert(LessonGroup), [{"lesson_id": lesson_id, "group_id": g} for g in groups]
        )

    async def _check(
        self, values: dict[str, Any], groups: list[int], current: Lesson | None, changed: frozenset[str]
    ) -> None:
        if changed & {"valid_from", "valid_to"} and values["valid_to"] < values["valid_from"]:
            raise EndsBeforeStart(field="valid_to")
        for field, model in (("employee_id", Employee), ("auditorium_id", Auditorium)):
            if field in changed and not await self.exists(model, values[field]):
                raise BadReference(field=field)
        await check_sent_codes(self.session, values, changed, {"training_type": "h_training_type"})
        if not changed & TEACHING:
            return
        line = await self.session.get(CurriculumSubject, values["curriculum_subject_id"])
        if line is None:
            raise BadReference(field="curriculum_subject_id")
        curricula = dict(
            (
                await self.session.execute(
                    select(AcademicGroup.id, AcademicGroup.curriculum_id).where(AcademicGroup.id.in_(groups))
                )
            ).all()
        )
        if len(curricula) != len(groups):
            raise BadReference(field="group_ids")
        if "group_ids" in changed:
            await self._check_scope(groups, field="group_ids")
        # Each group studies the subject: it is a line of the group's own curriculum.
        if any(curriculum != line.curriculum_id for curriculum in curricula.values()):
            raise SubjectOutsideCurriculum(field="curriculum_subject_id")
        # The teacher is assigned to teach it, in this training type, to every group of the lesson.
        assigned = set(
            await self.session.scalars(
                select(TeachingAssignment.group_id).where(
                    TeachingAssignment.employee_id == values["employee_id"],
                    TeachingAssignment.curriculum_subject_id == line.id,
                    TeachingAssignment.training_type == values["training_type"],
                    TeachingAssignment.group_id.in_(groups),
                )
            )
        )
        if assigned != set(groups):
            raise NoAssignment(field="employee_id")

    async def _check_scope(self, groups: list[int], *, field: str) -> None:
        """A dean schedules only their faculty's groups, even when they also teach or tutor
        others (identity.scope.faculty_filter); admins and the registrar the whole university."""
        visible = faculty_filter(self.principal, AcademicGroup.id)
        if visible is None or not groups:
            return
        count = await self.session.scalar(
            select(func.count()).select_from(AcademicGroup).where(AcademicGroup.id.in_(groups), visible)
        )
        if count != len(groups):
            raise Forbidden(field=field)

    async def _refuse_clash(self, values: dict[str, Any], groups: list[int], own_id: int | None) -> None:
        """Refuse the first lesson this one would clash with.

        Two saves into one (weekday, pair) at once would each see the other's lesson not yet
        committed and both get in; a transaction-level advisory lock per university and
        (weekday, pair) makes the second wait until the first commits (or rolls back), and READ
        COMMITTED then shows it the first one's lesson. Saves into other slots never wait."""
        tenant = _tenant_of(self.session)
        key = rules.lock_key(tenant.id, values["weekday"], values["pair"])
        await self.session.execute(select(func.pg_advisory_xact_lock(key)))
        mine = rules.Slot(
            values["weekday"],
            values["pair"],
            values["parity"],
            values["valid_from"],
            values["valid_to"],
            values["employee_id"],
            values["auditorium_id"],
            frozenset(groups),
        )
        meets = or_(Lesson.parity == "all", Lesson.parity == mine.parity) if mine.parity != "all" else None
        conditions = [
            Lesson.weekday == mine.weekday,
            Lesson.pair == mine.pair,
            Lesson.valid_from <= mine.valid_to,
            Lesson.valid_to >= mine.valid_from,
            or_(
                Lesson.employee_id == mine.employee_id,
                Lesson.auditorium_id == mine.auditorium_id,
                exists().where(LessonGroup.lesson_id == Lesson.id, LessonGroup.group_id.in_(groups)),
            ),
        ]
        if meets is not None:
            conditions.append(meets)
        if own_id is not None:
            conditions.append(Lesson.id != own_id)
        reader = TimetableService(self.session, actor=self.actor)
        found = await reader.describe(and_(*conditions))
        others = [
            rules.Slot(
                x.weekday,
                x.pair,
                x.parity,
                x.valid_from,
                x.valid_to,
                x.employee_id,
                x.auditorium_id,
                frozenset(x.group_ids),
            )
            for x in found
        ]
        if (hit := rules.first_clash(mine, others)) is not None:
            index, field = hit
            raise Clash(field, found[index])


def _tenant_of(session: AsyncSession) -> TenantRef:
    """The university this session serves (pinned at its first transaction, which has begun)."""
    tenant: TenantRef | None = session.info.get(TENANT_KEY) or current_tenant_or_none()
    if tenant is None:
        raise NotFound(field="tenant")
    return tenant
