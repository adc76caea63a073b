"""/portal/timetable: the registrar's (and admins' and deans') timetable of a group, in the portal's
layout: the week as weekdays × pairs with a delete button per lesson, a link to the printable week,
and a form that adds a lesson.

Every write goes through hemis.timetable's LessonService in the request's one transaction, so the
same rules hold as for the API: the subject is a line of the group's curriculum, the teacher is
assigned to it, a dean schedules only their faculty's groups, and a teacher, room or group booked
twice is refused naming the lesson it clashes with. A refusal answers the page again with a 4xx
(the form as typed, the error box naming the field), so the transaction rolls back and nothing of
it is kept; a success is a 303 back to the week."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.classifiers.models import ClassifierItem
from hemis.core.auth import Forbidden, Principal, Role
from hemis.core.errors import HemisError, NotFound
from hemis.core.i18n import catalog, translate
from hemis.core.listing import PathId, QueryId
from hemis.core.schemas import MAX_ID
from hemis.curriculum.models import CurriculumSubject, Subject
from hemis.identity.scope import faculty_filter
from hemis.portal.web import (
    HEADERS,
    PageView,
    Refusal,
    digits,
    frame,
    is_scheduler,
    page,
    refuse,
)
from hemis.reporting.labels import classifier_name
from hemis.staff.models import Employee, TeachingAssignment
from hemis.structure.models import Auditorium
from hemis.students.models import AcademicGroup
from hemis.timetable import rules
from hemis.timetable.pages import Grid, build_grid
from hemis.timetable.service import Clash, LessonService, TimetableService, teacher_name

NAV = ("timetable.week",)
Day = Annotated[date | None, QueryParameter(name="date")]
# A lecture stream rarely spans more than a handful of groups (hemis.timetable.schemas.GroupIds).
MAX_GROUPS = 20
# The form's controls, in the order a refusal of several would be reported; each is also the id of
# its control, so a refusal naming a field marks that control.
FIELDS = (
    "curriculum_subject_id",
    "training_type",
    "employee_id",
    "auditorium_id",
    "weekday",
    "pair",
    "parity",
    "valid_from",
    "valid_to",
    "group_ids",
)


class Missing(HemisError):
    status_code = 422
    message_key = "error.field_required"


class Unreadable(HemisError):
    status_code = 422
    message_key = "portal.timetable.unreadable"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    section: str = ""  # the <optgroup> it belongs to (a subject's semester), if any


@dataclass
class LessonForm:
    """What the add form shows: the defaults, or what the person typed (kept after a refusal)."""

    curriculum_subject_id: str = ""
    training_type: str = "11"  # a lecture
    employee_id: str = ""
    auditorium_id: str = ""
    weekday: str = "1"
    pair: str = "1"
    parity: str = "all"
    valid_from: str = ""
    valid_to: str = ""
    group_ids: list[str] = field(default_factory=list)  # the other groups of a lecture stream

    @classmethod
    def of(cls, form: FormMultiDict) -> LessonForm:
        typed = {
            f.name: str(form.get(f.name) or "").strip()[:40] for f in fields(cls) if f.name != "group_ids"
        }
        return cls(**typed, group_ids=[str(g)[:20] for g in form.getall("group_ids", [])])

    def values(self, group_id: int) -> dict[str, Any]:
        """The lesson for LessonService.create_lesson; a field left empty or unreadable is refused
        naming it, in the form's order."""
        out: dict[str, Any] = {}
        for name, low, high in (
            ("curriculum_subject_id", 1, MAX_ID),
            ("employee_id", 1, MAX_ID),
            ("auditorium_id", 1, MAX_ID),
            ("weekday", 1, 6),
            ("pair", 1, 8),
        ):
            out[name] = _whole(name, getattr(self, name), low, high)
        if not self.training_type:
            raise Missing(field="training_type")
        if not (digits(self.training_type) and len(self.training_type) <= 8):
            raise Unreadable(field="training_type")
        out["training_type"] = self.training_type
        if self.parity not in rules.PARITIES:
            raise Unreadable(field="parity")
        out["parity"] = self.parity
        for name in ("valid_from", "valid_to"):
            out[name] = _day(name, getattr(self, name))
        extra = [_whole("group_ids", g, 1, MAX_ID) for g in self.group_ids]
        groups = sorted({group_id, *extra})
        if len(groups) > MAX_GROUPS:
            raise Unreadable(field="group_ids")
        return out | {"group_ids": groups}


def _whole(name: str, raw: str, low: int, high: int) -> int:
    if not raw:
        raise Missing(field=name)
    if not (digits(raw) and low <= int(raw) <= high):
        raise Unreadable(field=name)
    return int(raw)


def _day(name: str, raw: str) -> date:
    if not raw:
        raise Missing(field=name)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Unreadable(field=name) from None


def default_span(today: date) -> tuple[date, date]:
    """The semester's span (hemis.timetable.rules) a new lesson runs for: the one running today, or
    in the summer the autumn one ahead."""
    first, last = rules.semester_span(today)
    return rules.semester_span(date(today.year, 9, 1)) if last < today else (first, last)


@dataclass(frozen=True)
class Refused:
    """A refusal as the page shows it: the sentence, and the control it is about (if it is one)."""

    text: str
    field: str | None
    conflict_id: int | None = None


class Planner:
    """What the page offers to choose from, read in the request's transaction. Reading a group's
    timetable is open to everyone of the university (as the API's week); what a person may change
    is the LessonService's to decide."""

    def __init__(self, session: AsyncSession, principal: Principal, language: str) -> None:
        self.session = session
        self.principal = principal
        self.language = language

    def lessons(self) -> LessonService:
        return LessonService(self.session, actor=self.principal.subject, principal=self.principal)

    def timetable(self) -> TimetableService:
        return TimetableService(self.session, actor=self.principal.subject, language=self.language)

    async def groups(self) -> list[Option]:
        """The groups the person schedules: the university's, a dean's faculty's only."""
        query = select(AcademicGroup.id, AcademicGroup.name).where(AcademicGroup.active.is_(True))
        if (visible := faculty_filter(self.principal, AcademicGroup.id)) is not None:
            query = query.where(visible)
        rows = await self.session.execute(query.order_by(AcademicGroup.name))
        return [Option(str(i), name) for i, name in rows]

    async def group(self, group_id: int) -> AcademicGroup:
        found = await self.session.get(AcademicGroup, group_id)
        if found is None:
            raise NotFound(field="group_id")
        return found

    async def stream(self, group: AcademicGroup) -> list[Option]:
        """Groups that may share a lecture with `group`: the same curriculum (the service's rule)."""
        if group.curriculum_id is None:
            return []
        query = select(AcademicGroup.id, AcademicGroup.name).where(
            AcademicGroup.curriculum_id == group.curriculum_id,
            AcademicGroup.id != group.id,
            AcademicGroup.active.is_(True),
        )
        if (visible := faculty_filter(self.principal, AcademicGroup.id)) is not None:
            query = query.where(visible)
        rows = await self.session.execute(query.order_by(AcademicGroup.name))
        return [Option(str(i), name) for i, name in rows]

    async def subjects(self, group: AcademicGroup) -> list[Option]:
        """The lines of the group's curriculum, by semester."""
        if group.curriculum_id is None:
            return []
        rows = await self.session.execute(
            select(CurriculumSubject.id, Subject.name, CurriculumSubject.semester)
            .join(Subject, Subject.id == CurriculumSubject.subject_id)
            .where(CurriculumSubject.curriculum_id == group.curriculum_id)
            .order_by(CurriculumSubject.semester, Subject.name, CurriculumSubject.id)
        )
        return [
            Option(str(i), name, classifier_name("h_semester", semester, self.language))
            for i, name, semester in rows
        ]

    async def training_types(self) -> list[Option]:
        name = getattr(ClassifierItem, f"name_{self.language}")
        rows = await self.session.execute(
            select(ClassifierItem.code, name)
            .where(
                ClassifierItem.classifier_code == "h_training_type", ClassifierItem.retired_version.is_(None)
            )
            .order_by(ClassifierItem.position, ClassifierItem.code)
        )
        return [Option(code, text) for code, text in rows]

    async def teachers(self, group_id: int) -> list[Option]:
        """Teachers with a teaching assignment for the group (the service refuses anybody else)."""
        rows = await self.session.execute(
            select(Employee.id, Employee.last_name, Employee.first_name, Employee.patronymic)
            .where(
                Employee.id.in_(
                    select(TeachingAssignment.employee_id).where(TeachingAssignment.group_id == group_id)
                )
            )
            .order_by(Employee.last_name, Employee.first_name, Employee.id)
        )
        return [Option(str(i), teacher_name(last, first, patronymic)) for i, last, first, patronymic in rows]

    async def rooms(self) -> list[Option]:
        rows = await self.session.execute(
            select(Auditorium.id, Auditorium.code, Auditorium.name, Auditorium.capacity)
            .where(Auditorium.active.is_(True))
            .order_by(Auditorium.code)
        )
        return [Option(str(i), f"{code} · {name} ({capacity})") for i, code, name, capacity in rows]

    async def pairs(self) -> list[Option]:
        return [
            Option(str(n), translate("portal.timetable.pair_option", self.language, n=n, times=_times(s, e)))
            for n, s, e in await self.timetable().pair_times()
        ]


def _times(starts: time | None, ends: time | None) -> str:
    return f"{starts:%H:%M}–{ends:%H:%M}" if starts is not None and ends is not None else ""


def label(v: PageView, name: str) -> str:
    return catalog(v.language).get(f"portal.timetable.field.{name}") or name


def refused(v: PageView, principal: Principal, error: HemisError) -> Refused:
    """A refusal in the page's language, its field named with the form's own words; a clash names
    the lesson it is with, its weekday and pair in words."""
    if isinstance(error, Clash):
        c = error.extra["conflict"]
        text = v.t(
            f"timetable.clash.{error.field}",
            subject=c["subject_name"],
            groups=", ".join(c["group_names"]),
            teacher=c["teacher_name"],
            room=c["auditorium_code"],
            weekday=translate(f"timetable.page.weekday_{c['weekday']}", v.language),
            pair=c["pair"],
            dates=f"{date.fromisoformat(c['valid_from']):%d.%m.%Y}–{date.fromisoformat(c['valid_to']):%d.%m.%Y}",
        )
        return Refused(text, error.field, c["lesson_id"])
    if isinstance(error, Forbidden) and Role.DEAN in principal.roles and error.field in ("group_ids", "id"):
        return Refused(v.t("timetable.not_your_faculty"), error.field)
    params = {**error.params, "field": label(v, error.field or "")}
    return Refused(translate(error.message_key, v.language, **params), error.field)


def week_query(group_id: int, day: date, **notice: int) -> str:
    """The query string naming a group's week (and a notice to show on it)."""
    return urlencode({"group_id": group_id, "date": day.isoformat(), **notice})


class TimetableEditorPages(Controller):
    path = "/portal/timetable"
    include_in_schema = False
    opt = {"tenant_kinds": {"university"}}

    async def _gate(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, *, writes: bool = False
    ) -> tuple[PageView, Planner] | Refusal:
        """The signed-in scheduler and the page's frame, or the answer for anybody else: the sign-in
        page for nobody (or another university's cookie), a plain 403 for students and teachers
        (and for support staff's read-only sessions when they would write)."""
        framed = await frame(
            request, db_session, section="timetable.week", title="timetable.title", nav_keys=NAV
        )
        if isinstance(framed, Refusal):
            return framed
        v, who = framed
        if not is_scheduler(who) or (writes and who.read_only):
            return refuse(request, v, "timetable.not_scheduler")
        return v, Planner(db_session, who, v.language)

    @get("", media_type=MediaType.HTML)
    async def week(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        group_id: QueryId = None,
        day: Day = None,
    ) -> Any:
        """Pick a group; its week as weekdays × pairs, and the form that adds a lesson."""
        gate = await self._gate(request, db_session)
        if isinstance(gate, Refusal):
            return gate.answer
        v, planner = gate
        return await self._page(request, v, planner, group_id, day or v.today)

    @post("/lessons", media_type=MediaType.HTML, status_code=303)
    async def add(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        group_id: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
        day: Day = None,
    ) -> Any:
        """Add the lesson; a clash or any other refusal shows the page again with the form as typed."""
        gate = await self._gate(request, db_session, writes=True)
        if isinstance(gate, Refusal):
            return gate.answer
        v, planner = gate
        day = day or v.today
        typed = LessonForm.of(await request.form())
        try:
            # A savepoint: whatever the service or the database refused leaves the session usable
            # for drawing the page again (the 4xx then rolls the whole request back).
            async with db_session.begin_nested():
                change = await planner.lessons().create_lesson(typed.values(group_id))
        except HemisError as error:
            return await self._page(request, v, planner, group_id, day, typed, error)
        assert change.lesson is not None
        return self._back(v, group_id, day, added=change.lesson.id)

    @get("/lessons/{lesson_id:int}/delete", media_type=MediaType.HTML)
    async def confirm_remove(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        lesson_id: PathId,
        group_id: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
        day: Day = None,
    ) -> Any:
        """Ask before a lesson leaves the timetable (it leaves every group of its stream): the
        lesson as the week shows it, the button that deletes it and the way back."""
        gate = await self._gate(request, db_session, writes=True)
        if isinstance(gate, Refusal):
            return gate.answer
        v, planner = gate
        day = day or v.today
        week = await self._group_week(request, v, planner, group_id, day)
        if isinstance(week, Refusal):
            return week.answer
        group, grid = week
        lesson = next((x for x in grid.week.lessons if x.lesson_id == lesson_id), None)
        if lesson is None:  # not this group's lesson in this week (or gone already)
            return page(request, "message.html", v, 404, message=v.t("timetable.no_such_lesson"))
        here = week_query(group.id, day)
        return page(
            request,
            "timetable/delete.html",
            v,
            grid=grid,
            lesson=lesson,
            weekday=grid.t(f"weekday_{lesson.weekday}"),
            action=f"{v.portal}/timetable/lessons/{lesson.lesson_id}/delete?{here}",
            back=f"{v.portal}/timetable?{here}",
        )

    @post("/lessons/{lesson_id:int}/delete", media_type=MediaType.HTML, status_code=303)
    async def remove(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        lesson_id: PathId,
        group_id: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
        day: Day = None,
    ) -> Any:
        """Take a lesson off the timetable (off every group of its stream), all in this transaction."""
        gate = await self._gate(request, db_session, writes=True)
        if isinstance(gate, Refusal):
            return gate.answer
        v, planner = gate
        day = day or v.today
        try:
            async with db_session.begin_nested():
                await planner.lessons().delete_lesson(lesson_id)
        except HemisError as error:
            return await self._page(request, v, planner, group_id, day, error=error)
        return self._back(v, group_id, day, deleted=1)

    @staticmethod
    def _back(v: PageView, group_id: int, day: date, **notice: int) -> Redirect:
        query = week_query(group_id, day, **notice)
        return Redirect(f"{v.portal}/timetable?{query}", status_code=303, headers=HEADERS)

    @staticmethod
    async def _group_week(
        request: Request[Any, Any, Any], v: PageView, planner: Planner, group_id: int, day: date
    ) -> tuple[AcademicGroup, Grid] | Refusal:
        """The group (one the person may read) and its week as the grid draws it, or a 404 page."""
        try:
            group = await planner.group(group_id)
        except NotFound as missing:
            return Refusal(
                page(request, "message.html", v, 404, message=refused(v, planner.principal, missing).text)
            )
        timetable = planner.timetable()
        title = translate("timetable.page.title_group", v.language, name=group.name)
        week = await timetable.week(day, group_id=group.id)
        return group, await build_grid(timetable, v.language, title, week, "group_id")

    async def _page(
        self,
        request: Request[Any, Any, Any],
        v: PageView,
        planner: Planner,
        group_id: int | None,
        day: date,
        typed: LessonForm | None = None,
        error: HemisError | None = None,
    ) -> Any:
        groups = await planner.groups()
        if group_id is None:
            return page(request, "timetable/week.html", v, groups=groups, group=None, day=day)
        week = await self._group_week(request, v, planner, group_id, day)
        if isinstance(week, Refusal):
            return week.answer
        group, grid = week
        if all(o.value != str(group.id) for o in groups):  # a group the person may read, not schedule
            groups.append(Option(str(group.id), group.name))
        teachers = await planner.teachers(group.id)
        form = typed or self._defaults(v, teachers)
        lesson_id = int(v.query["added"]) if digits(v.query.get("added", "")[:18]) else None
        added = next((x for x in grid.week.lessons if x.lesson_id == lesson_id), None)
        return page(
            request,
            "timetable/week.html",
            v,
            error.status_code if error is not None else 200,
            groups=groups,
            group=group,
            day=day,
            grid=grid,
            form=form,
            error=refused(v, planner.principal, error) if error is not None else None,
            added=added,
            saved=error is None and lesson_id is not None,
            deleted=error is None and "deleted" in v.query,
            subjects=await planner.subjects(group),
            training_types=await planner.training_types(),
            teachers=teachers,
            rooms=await planner.rooms(),
            pairs=await planner.pairs(),
            stream=await planner.stream(group),
            action=f"{v.portal}/timetable/lessons?{week_query(group.id, day)}",
            here=week_query(group.id, day),
            previous=(day - timedelta(days=7)).isoformat(),
            following=(day + timedelta(days=7)).isoformat(),
        )

    @staticmethod
    def _defaults(v: PageView, teachers: list[Option]) -> LessonForm:
        first, last = default_span(v.today)
        return LessonForm(
            employee_id=teachers[0].value if len(teachers) == 1 else "",
            valid_from=first.isoformat(),
            valid_to=last.isoformat(),
        )
