"""/portal/teacher and /portal/journal/…: the teacher's electronic journal (issue 8), in the
portal's layout: my lessons today, a lesson's attendance in one screen, a sheet's marks for the
whole group from the keyboard, who is over the absence limit, and the rating sheets with their
lock dates.

Writes go through the attendance and grading services, all of a form in the request's one
transaction: a refused student is named on the page and the answer is a 4xx, so the request's
transaction rolls back and nothing of the form is kept (hemis.core.batch)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.attendance.models import Absence
from hemis.attendance.service import LessonKey
from hemis.core.batch import BatchRefused
from hemis.core.errors import HemisError
from hemis.core.i18n import catalog, translate
from hemis.core.listing import PathId
from hemis.core.schemas import MAX_ID
from hemis.grading.models import Mark
from hemis.grading.service import SheetEntry, StaleMark
from hemis.portal.journal import Journal, RollLine, SheetLine, is_teacher
from hemis.portal.web import (
    HEADERS,
    PageView,
    Refusal,
    digits,
    frame,
    page,
    refuse,
)

TEACHER_NAV = ("journal.lessons", "journal.sheets", "journal.absences")
Id = Annotated[int, QueryParameter(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
Pair = Annotated[int | None, QueryParameter(ge=1, le=8)]
TrainingType = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,8}$")]
DEFAULT_HOURS = 2  # one pair
REASON = "journal"  # the history's reason for a correction made on an open sheet in the journal


@dataclass(frozen=True)
class RollEntry:
    """A student's line of the attendance form."""

    line: RollLine
    absence: Absence | None
    absent: bool
    hours: int | str
    error: str | None

    @property
    def excused(self) -> bool:
        return self.absence is not None and self.absence.excuse_document is not None


@dataclass(frozen=True)
class MarkEntry:
    """A student's line of the sheet form: what the input shows, and the mark as stored."""

    line: RollLine
    mark: Mark | None
    value: str
    stored: str
    error: str | None


def say(v: PageView, error: HemisError) -> str:
    """A refusal in the page's language, its field named with the journal's own words."""
    if isinstance(error, StaleMark):
        return v.t("journal.changed")
    field = error.field or ""
    label = catalog(v.language).get(f"portal.journal.field.{field}") or field
    return translate(error.message_key, v.language, **{**error.params, "field": label})


def problem_of(v: PageView, error: HemisError | None) -> str | None:
    return None if error is None else say(v, error)


def parse_int(raw: str | None, default: int) -> int:
    """A whole number from a form field; empty is `default`, anything else unreadable is -1 (out of range)."""
    text = (raw or "").strip()
    if not text:
        return default
    return int(text) if digits(text) and len(text) < 6 else -1


def parse_points(raw: str | None) -> Decimal | None:
    """Points as typed (a decimal comma too); empty is None, unreadable is NaN, which the grading
    service refuses as out of range naming the field."""
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text) if len(text) <= 12 else Decimal("NaN")
    except InvalidOperation:
        return Decimal("NaN")


class JournalPages(Controller):
    path = "/portal"
    include_in_schema = False
    opt = {"tenant_kinds": {"university"}}

    async def _gate(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, section: str, title: str
    ) -> tuple[PageView, Journal] | Refusal:
        """The signed-in teacher and the page's frame, or the answer for anybody else: the sign-in
        page for nobody (or another university's cookie), a plain 403 for students and staff who
        teach nothing."""
        framed = await frame(request, db_session, section=section, title=title, nav_keys=TEACHER_NAV)
        if isinstance(framed, Refusal):
            return framed
        v, who = framed
        if not is_teacher(who):
            return refuse(request, v, "journal.not_teacher")
        return v, Journal(db_session, who, v.language)

    @staticmethod
    def _refused(request: Request[Any, Any, Any], v: PageView, error: HemisError) -> Any:
        """Ids outside the teacher's scope (403) or of nothing (404): a plain page saying so."""
        return page(request, "message.html", v, error.status_code, message=say(v, error))

    # --- my lessons today -------------------------------------------------------------------

    @get("/teacher", media_type=MediaType.HTML)
    async def home(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Any:
        """Today's lessons from the timetable, each with its attendance and marks, and every group
        and subject the teacher is assigned."""
        gate = await self._gate(request, db_session, "journal.lessons", "journal.home.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, journal = gate
        return page(
            request,
            "journal/home.html",
            v,
            lessons=await journal.lessons_on(v.today),
            assignments=await journal.assignments(),
            employee_id=journal.principal.employee_id,  # the printable week of the teacher's lessons
        )

    # --- attendance of one lesson ---------------------------------------------------------------

    @get("/journal/attendance", media_type=MediaType.HTML)
    async def attendance(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        group_id: Id,
        curriculum_subject_id: Id,
        day: Annotated[date | None, QueryParameter(name="date")] = None,
        pair: Pair = None,
        training_type: TrainingType = None,
    ) -> Any:
        """The group's students in one list, each with an "absent" box and hours; what is already
        recorded for the lesson is ticked."""
        gate = await self._gate(request, db_session, "journal.lessons", "journal.attendance.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, journal = gate
        key = await self._lesson(journal, v, group_id, curriculum_subject_id, day, pair, training_type)
        try:
            return await self._attendance_page(request, v, journal, key)
        except HemisError as error:
            return self._refused(request, v, error)

    @post("/journal/attendance", media_type=MediaType.HTML, status_code=303)
    async def save_attendance(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        group_id: Id,
        curriculum_subject_id: Id,
        day: Annotated[date | None, QueryParameter(name="date")] = None,
        pair: Pair = None,
        training_type: TrainingType = None,
    ) -> Any:
        """Save the whole lesson at once: ticked students absent for their hours, unticked ones
        present (an unexcused absence recorded before is removed, an excused one kept)."""
        gate = await self._gate(request, db_session, "journal.lessons", "journal.attendance.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, journal = gate
        key = await self._lesson(journal, v, group_id, curriculum_subject_id, day, pair, training_type)
        form = await request.form()
        absent: dict[int, int] = {}
        for raw in form.getall("absent", []):
            if digits(str(raw)) and int(raw) <= MAX_ID:
                absent[int(raw)] = parse_int(form.get(f"h{raw}"), DEFAULT_HOURS)
        try:
            await journal.attendance().record_lesson(key, absent)
        except BatchRefused as refused:
            return await self._attendance_page(request, v, journal, key, refused.status_code, absent, refused)
        except HemisError as error:
            if error.status_code in (403, 404):
                return self._refused(request, v, error)
            return await self._attendance_page(
                request, v, journal, key, error.status_code, absent, error=error
            )
        return Redirect(self._lesson_url(v, key, saved=1), status_code=303, headers=HEADERS)

    @staticmethod
    def _lesson_url(v: PageView, key: LessonKey, **extra: Any) -> str:
        return v.url(
            group_id=key.group_id,
            curriculum_subject_id=key.curriculum_subject_id,
            date=key.lesson_date.isoformat(),
            pair=key.lesson_pair,
            training_type=key.training_type,
            **extra,
        )

    @staticmethod
    async def _lesson(
        journal: Journal,
        v: PageView,
        group_id: int,
        line_id: int,
        day: date | None,
        pair: int | None,
        training_type: str | None,
    ) -> LessonKey:
        """The lesson the URL names; what it leaves out comes from today's timetable (the pair and
        training type of the teacher's lesson with this group and subject), else pair 1 and the
        training type of the teacher's assignment."""
        day = day or v.today
        if pair is None or training_type is None:
            held = [
                lesson
                for lesson in await journal.lessons_on(day)
                if lesson.group_id == group_id and lesson.curriculum_subject_id == line_id
            ]
            assigned = [
                a.training_type
                for a in await journal.assignments()
                if a.group_id == group_id and a.curriculum_subject_id == line_id
            ]
            pair = pair or (held[0].pair if held else 1)
            training_type = training_type or (
                held[0].training_type if held else (assigned[0] if assigned else "11")
            )
        return LessonKey(group_id, line_id, day, pair, training_type)

    async def _attendance_page(
        self,
        request: Request[Any, Any, Any],
        v: PageView,
        journal: Journal,
        key: LessonKey,
        status_code: int = 200,
        typed: dict[int, int] | None = None,
        refused: BatchRefused | None = None,
        error: HemisError | None = None,
    ) -> Any:
        recorded = await journal.attendance().lesson(key)  # checks the teacher's scope first
        group, subject = await journal.names(key.group_id, key.curriculum_subject_id)
        entries = []
        for line in await journal.roll(key.group_id, key.curriculum_subject_id):
            sid = line.student.id
            absence = recorded.get(sid)
            wrong = refused.of(sid) if refused else None
            if typed is not None and not (absence is not None and absence.excuse_document is not None):
                absent, hours = sid in typed, typed.get(sid, DEFAULT_HOURS)
            else:
                absent, hours = absence is not None, absence.hours if absence is not None else DEFAULT_HOURS
            shown: int | str = hours if 1 <= hours <= 8 else ""
            entries.append(RollEntry(line, absence, absent, shown, say(v, wrong) if wrong else None))
        types = {a.training_type: a.training_type_name for a in await journal.assignments()
                 if a.group_id == key.group_id and a.curriculum_subject_id == key.curriculum_subject_id}  # fmt: skip
        types.setdefault(key.training_type, journal.training_name(key.training_type))
        return page(
            request,
            "journal/attendance.html",
            v,
            status_code,
            key=key,
            group=group,
            subject=subject,
            training_types=types,
            entries=entries,
            bar=journal.bar,
            action=self._lesson_url(v, key, saved=None),
            saved=status_code == 200 and "saved" in v.query,
            error=problem_of(v, refused or error),
        )

    # --- rating sheets ----------------------------------------------------------------------

    @get("/journal/sheets", media_type=MediaType.HTML)
    async def sheets(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        group_id: OptionalId = None,
        curriculum_subject_id: OptionalId = None,
    ) -> Any:
        """The rating sheets of the teacher's groups and subjects: control, dates, lock date, status."""
        gate = await self._gate(request, db_session, "journal.sheets", "journal.sheets.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, journal = gate
        return page(
            request,
            "journal/sheets.html",
            v,
            sheets=await journal.sheets(group_id, curriculum_subject_id),
            filtered=group_id is not None or curriculum_subject_id is not None,
        )

    @get("/journal/sheets/{sheet_id:int}", media_type=MediaType.HTML)
    async def sheet(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], sheet_id: PathId
    ) -> Any:
        """One sheet's marks for the whole group: one input per student, the maximum shown; a
        locked sheet is read-only."""
        gate = await self._gate(request, db_session, "journal.sheets", "journal.sheet.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, journal = gate
        try:
            return await self._sheet_page(request, v, journal, sheet_id)
        except HemisError as error:
            return self._refused(request, v, error)

    @post("/journal/sheets/{sheet_id:int}", media_type=MediaType.HTML, status_code=303)
    async def save_sheet(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], sheet_id: PathId
    ) -> Any:
        """Save every mark the teacher changed, each against the version they saw."""
        gate = await self._gate(request, db_session, "journal.sheets", "journal.sheet.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, journal = gate
        form = await request.form()
        typed: dict[int, str] = {}
        entries = []
        for name in form:
            sid = name[1:]
            if not (name.startswith("p") and digits(sid) and int(sid) <= MAX_ID):
                continue
            text = str(form.get(name) or "")
            typed[int(sid)] = text
            points, before = parse_points(text), parse_points(str(form.get(f"o{sid}") or ""))
            if points == before:
                continue  # unchanged by the teacher: not written, whatever happened to it meanwhile
            seen = str(form.get(f"v{sid}") or "")
            entries.append(SheetEntry(int(sid), points, int(seen) if digits(seen) else None))
        try:
            await journal.marks().save_sheet(sheet_id, entries, REASON)
        except BatchRefused as refused:
            return await self._sheet_page(request, v, journal, sheet_id, refused.status_code, typed, refused)
        except HemisError as error:
            if error.status_code in (403, 404):
                return self._refused(request, v, error)
            return await self._sheet_page(
                request, v, journal, sheet_id, error.status_code, typed, error=error
            )
        return Redirect(f"{v.path}?saved=1", status_code=303, headers=HEADERS)

    async def _sheet_page(
        self,
        request: Request[Any, Any, Any],
        v: PageView,
        journal: Journal,
        sheet_id: int,
        status_code: int = 200,
        typed: dict[int, str] | None = None,
        refused: BatchRefused | None = None,
        error: HemisError | None = None,
    ) -> Any:
        sheet: SheetLine = await journal.sheet(sheet_id)  # checks the teacher's scope first
        marks = {m.student_id: m for m in await journal.marks().marks(sheet_id)}
        entries = []
        for line in await journal.roll(sheet.sheet.group_id, sheet.sheet.curriculum_subject_id):
            sid = line.student.id
            mark = marks.get(sid)
            stored = v.num(mark.points) if mark is not None else ""
            wrong = refused.of(sid) if refused else None
            # After a refusal the teacher's typing stays, except where someone else's change won:
            # there the page shows what is stored now.
            value = stored if typed is None or isinstance(wrong, StaleMark) else typed.get(sid, stored)
            entries.append(MarkEntry(line, mark, value, stored, say(v, wrong) if wrong else None))
        return page(
            request,
            "journal/sheet.html",
            v,
            status_code,
            sheet=sheet,
            entries=entries,
            bar=journal.bar,
            saved=status_code == 200 and "saved" in v.query,
            error=problem_of(v, refused or error),
        )

    # --- over the absence limit -------------------------------------------------------------

    @get("/journal/absences", media_type=MediaType.HTML)
    async def absences(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        group_id: OptionalId = None,
        curriculum_subject_id: OptionalId = None,
    ) -> Any:
        """A group's students in a subject by their share of unexcused absence, those at or over
        the bar first and highlighted; without a group and subject, the teacher's to choose from."""
        gate = await self._gate(request, db_session, "journal.absences", "journal.absences.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, journal = gate
        if group_id is None or curriculum_subject_id is None:
            return page(
                request, "journal/absences.html", v, assignments=await journal.assignments(), lines=None
            )
        try:
            roll = await journal.roll(group_id, curriculum_subject_id)  # the summary checks the scope
            group, subject = await journal.names(group_id, curriculum_subject_id)
        except HemisError as error:
            return self._refused(request, v, error)
        lines = sorted(roll, key=lambda line: (-line.share, line.name))
        return page(
            request,
            "journal/absences.html",
            v,
            lines=lines,
            over=[line for line in lines if line.over_bar],
            group=group,
            subject=subject,
            group_id=group_id,
            curriculum_subject_id=curriculum_subject_id,
            bar=journal.bar,
        )
