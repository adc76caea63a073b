"""Rating sheets and marks: who may write what, when sheets lock, and the verified history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import func, select, text, update  # noqa: TID251 - the chain verifier is SQL by design
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from hemis.attendance.service import AttendanceService
from hemis.core.audit import bind_context, context_of
from hemis.core.auth import Principal
from hemis.core.batch import Write, all_or_nothing
from hemis.core.clock import local_today
from hemis.core.crud import BadReference, CrudService, Duplicate
from hemis.core.errors import HemisError, NotFound, OutOfRange, TooPrecise
from hemis.curriculum.models import Curriculum, CurriculumSubject
from hemis.grading import chain
from hemis.grading.models import GradeEvent, Mark, MarkSheet
from hemis.grading.rules import ControlType
from hemis.grading.scales import scale_for
from hemis.identity.scope import check_group_subject
from hemis.results.rules import SubjectStatus
from hemis.results.service import ResultService
from hemis.students.models import AcademicGroup, Student
from hemis.trajectory.service import check_takes_subject


class SheetLocked(HemisError):
    status_code = 409
    message_key = "grading.sheet_locked"


class NotInGroup(HemisError):
    status_code = 422
    message_key = "grading.not_in_group"


class SubjectOutsideCurriculum(HemisError):
    status_code = 422
    message_key = "curriculum.subject_outside"


class BarredFromFinal(HemisError):
    status_code = 409
    message_key = "grading.barred"


class NotADebtor(HemisError):
    status_code = 409
    message_key = "grading.not_a_debtor"


class RetakeRefused(HemisError):
    status_code = 422
    message_key = "grading.retake"


class StaleMark(HemisError):
    status_code = 409
    message_key = "grading.stale"


class MarkRequired(HemisError):
    """Marks are corrected, never taken away: an emptied input of a student with a mark."""

    status_code = 422
    message_key = "journal.mark_required"


def lock_date(sheet: MarkSheet) -> date:
    """The last day marks may be entered or corrected directly."""
    return sheet.held_on + timedelta(days=sheet.lock_after_days)


def is_locked(sheet: MarkSheet, today: date | None = None) -> bool:
    """A sheet locks `lock_after_days` days after the day the control was held (HEMIS: 2)."""
    return (today or local_today()) > lock_date(sheet)


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """What a teacher sent for one student of a sheet: the points (None: left empty) and the
    version of the mark they saw (None: there was no mark yet)."""

    student_id: int
    points: Decimal | None
    version: int | None


MAX_FIELD = {
    ControlType.CURRENT: "max_current",
    ControlType.MIDTERM: "max_midterm",
    ControlType.FINAL: "max_final",
}


class SheetService(CrudService[MarkSheet]):
    model = MarkSheet

    async def check(self, values: dict[str, Any], current: MarkSheet | None, changed: frozenset[str]) -> None:
        if "held_on" in changed:
            today = local_today()
            earliest, latest = today - timedelta(days=366), today + timedelta(days=31)
            if not earliest <= values["held_on"] <= latest:
                raise OutOfRange(field="held_on", low=earliest.isoformat(), high=latest.isoformat())
        line = await self.session.get(CurriculumSubject, values["curriculum_subject_id"])
        if line is None:
            raise BadReference(field="curriculum_subject_id")
        group = await self.session.get(AcademicGroup, values["group_id"])
        if group is None:
            raise BadReference(field="group_id")
        await check_group_subject(self.session, self.principal, group.id, line.id, field="group_id")
        # A group is examined only in the subjects of the curriculum it studies by.
        if group.curriculum_id is not None and line.curriculum_id != group.curriculum_id:
            raise SubjectOutsideCurriculum(field="curriculum_subject_id")
        if values.get("attempt", 1) > 1:
            await self._check_retake(values, line)

    async def _check_retake(self, values: dict[str, Any], line: CurriculumSubject) -> None:
        """Retakes are further sittings of the final, within the scale's attempts, after the one before."""
        attempt = values["attempt"]
        if values["control_type"] != ControlType.FINAL:
            raise RetakeRefused(field="attempt", attempts=1)
        curriculum = await self.session.get(Curriculum, line.curriculum_id)
        assert curriculum is not None  # the foreign key is RESTRICT
        scale = await scale_for(self.session, curriculum.marking_system, curriculum.grading_scale_id)
        if attempt > scale.final_attempts:
            raise RetakeRefused(field="attempt", attempts=scale.final_attempts)
        earlier = await self.session.scalar(
            select(MarkSheet.id).where(
                MarkSheet.curriculum_subject_id == line.id,
                MarkSheet.group_id == values["group_id"],
                MarkSheet.control_type == ControlType.FINAL,
                MarkSheet.attempt == attempt - 1,
            )
        )
        if earlier is None:
            raise RetakeRefused(field="attempt", attempts=attempt - 1)


class MarkService:
    """Marks are written through here only: the trigger on mark chains every change into grade_event."""

    def __init__(self, session: AsyncSession, *, actor: str, principal: Principal | None = None) -> None:
        self.session = session
        self.actor = actor
        self.principal = principal  # scopes a signed-in teacher or dean (hemis.identity.scope)

    async def sheet(self, sheet_id: int) -> MarkSheet:
        """The sheet, if the caller's scope reaches its group and subject."""
        sheet = await self.session.get(MarkSheet, sheet_id)
        if sheet is None:
            raise NotFound(field="sheet_id")
        await check_group_subject(
            self.session, self.principal, sheet.group_id, sheet.curriculum_subject_id, field="sheet_id"
        )
        return sheet

    async def record(self, sheet_id: int, student_id: int, points: Decimal) -> Mark:
        sheet = await self.sheet(sheet_id)
        if is_locked(sheet):
            raise SheetLocked(field="sheet_id")
        student = await self.session.get(Student, student_id)
        if student is None or student.group_id != sheet.group_id:
            raise NotInGroup(field="student_id")
        # KEY SHARE on the line: lowering its maximum (FOR UPDATE, then "no mark above?") waits for us.
        line = await self.session.get(
            CurriculumSubject, sheet.curriculum_subject_id, with_for_update={"read": True, "key_share": True}
        )
        assert line is not None  # the foreign key is RESTRICT
        await check_takes_subject(self.session, student, line)
        self.check_points(points, sheet, line)
        if sheet.control_type == ControlType.FINAL:
            await self._check_may_sit_final(sheet, student_id)
        await bind_context(self.session, actor=self.actor, reason="recorded")
        mark = Mark(sheet_id=sheet_id, student_id=student_id, points=points)
        self.session.add(mark)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Duplicate(field="student_id") from exc
        return mark

    async def save_sheet(self, sheet_id: int, entries: Sequence[SheetEntry], reason: str) -> None:
        """Record or correct the marks of many students of a sheet at once, each against the version
        its sender saw (a mark written meanwhile by someone else is a StaleMark); every student's
        refusal is named (BatchRefused) and then nothing at all is written."""
        sheet = await self.sheet(sheet_id)
        if is_locked(sheet):
            raise SheetLocked(field="sheet_id")
        current = {m.student_id: m for m in await self.marks(sheet_id)}
        writes: list[tuple[int, Write]] = []
        for entry in entries:
            writes.append(
                (
                    entry.student_id,
                    partial(self._save, sheet_id, entry, current.get(entry.student_id), reason),
                )
            )
        await all_or_nothing(self.session, writes)

    async def _save(self, sheet_id: int, entry: SheetEntry, mark: Mark | None, reason: str) -> None:
        if mark is None and entry.version is not None:
            raise StaleMark(field="version", current="-")  # marks are never deleted: not this sheet's
        if mark is not None and entry.version is None:
            raise StaleMark(field="version", current=mark.version)  # recorded meanwhile by someone else
        if entry.points is None:
            if mark is not None:
                raise MarkRequired(field="points")
            return
        if mark is None:
            try:
                await self.record(sheet_id, entry.student_id, entry.points)
            except Duplicate as exc:  # recorded by someone else since we looked
                raise StaleMark(field="version", current=1) from exc
        else:
            assert entry.version is not None
            await self.correct(mark.id, entry.points, entry.version, reason)

    async def _check_may_sit_final(self, sheet: MarkSheet, student_id: int) -> None:
        """Too many unexcused absences bar the final; a retake is only for a student who has not passed."""
        attendance = AttendanceService(self.session, actor=self.actor)
        if (await attendance.summary(student_id, sheet.curriculum_subject_id)).barred_from_final:
            raise BarredFromFinal(field="student_id")
        if sheet.attempt > 1:
            # One retake mark per student at a time: two sittings entered at once must not both
            # pass the "has not passed yet" check below.
            await self.session.execute(select(Student.id).where(Student.id == student_id).with_for_update())
            line = await self.session.get(CurriculumSubject, sheet.curriculum_subject_id)
            assert line is not None
            _, results = await ResultService(self.session, actor=self.actor).subjects(
                student_id, [line.semester]
            )
            mine = next((r for r in results if r.curriculum_subject_id == line.id), None)
            if mine is not None and mine.outcome.status is SubjectStatus.PASSED:
                raise NotADebtor(field="student_id")

    async def correct(
        self, mark_id: int, points: Decimal, version: int, reason: str, *, approved: bool = False
    ) -> Mark:
        """Change a mark the caller saw at `version`. On a locked sheet only an `approved` change
        (hemis.grading.approvals: asked by one person, approved by another) goes through."""
        mark, sheet, line = await self.load(mark_id)
        await check_group_subject(self.session, self.principal, sheet.group_id, line.id, field="id")
        if mark.version != version:
            raise StaleMark(field="version", current=mark.version)
        if is_locked(sheet) and not approved:
            raise SheetLocked(field="sheet_id")
        self.check_points(points, sheet, line)
        if points == mark.points:
            return mark  # nothing changes, so nothing is written or chained
        # One round trip: the audit context for the history trigger, and the UPDATE that only
        # matches the version the caller saw (exam days write here more than anywhere).
        context = context_of(self.actor, reason).scalar_subquery()  # runs once, before any row changes
        written = await self.session.scalar(
            update(Mark)
            .where(Mark.id == mark_id, Mark.version == version, context.is_not(None))
            .values(points=points, version=Mark.version + 1)
            .returning(Mark.version)
            .execution_options(synchronize_session=False)
        )
        if written is None:  # somebody else's write got there first
            raise StaleMark(field="version", current=version + 1)
        set_committed_value(mark, "points", points)
        set_committed_value(mark, "version", written)
        return mark

    @staticmethod
    def check_points(points: Decimal, sheet: MarkSheet, line: CurriculumSubject) -> None:
        maximum = Decimal(getattr(line, MAX_FIELD[ControlType(sheet.control_type)]))
        OutOfRange.check({"points": points}, "points", Decimal(0), maximum)
        TooPrecise.check({"points": points}, "points", 2)

    async def load(self, mark_id: int) -> tuple[Mark, MarkSheet, CurriculumSubject]:
        """The mark, its sheet and its curriculum line in one round trip (the hot path of exam days)."""
        row = (
            await self.session.execute(
                select(Mark, MarkSheet, CurriculumSubject)
                .join(MarkSheet, MarkSheet.id == Mark.sheet_id)
                .join(CurriculumSubject, CurriculumSubject.id == MarkSheet.curriculum_subject_id)
                .where(Mark.id == mark_id)
                # KEY SHARE on the line: its maximum cannot drop below this mark while we write it.
                .with_for_update(of=CurriculumSubject, read=True, key_share=True)
            )
        ).first()
        if row is None:
            raise NotFound(field="id")
        return row[0], row[1], row[2]

    async def marks(self, sheet_id: int) -> list[Mark]:
        await self.sheet(sheet_id)
        return list(
            await self.session.scalars(select(Mark).where(Mark.sheet_id == sheet_id).order_by(Mark.id))
        )

    async def history(self, mark_id: int) -> list[GradeEvent]:
        mark = await self.session.get(Mark, mark_id)
        if mark is None:
            raise NotFound(field="id")
        await self.sheet(mark.sheet_id)  # the caller's scope must reach the sheet; a read takes no lock
        rows = await self.session.scalars(
            select(GradeEvent).where(GradeEvent.mark_id == mark_id).order_by(GradeEvent.id)
        )
        return list(rows)

    async def verify(self) -> tuple[int, list[int], list[int]]:
        """(events, ids of events that do not verify, ids of marks their history disagrees with)."""
        total = await self.session.scalar(select(func.count()).select_from(GradeEvent)) or 0
        broken = list(await self.session.scalars(text(chain.VERIFY)))
        marks = list(await self.session.scalars(text(chain.VERIFY_MARKS)))
        return int(total), broken, marks
