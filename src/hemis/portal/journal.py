"""What the teacher's journal pages show, read through the same services as the API (timetable,
attendance, grading) in the request's own transaction.

Ids come from the URL, so every page first asks the owning service, which checks them against the
teacher's scope (hemis.identity.scope: only assigned groups and subjects); the reads here that
take no scope check (the roster, names) run only after one of those checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.attendance.rules import DEFAULT_BAR, AttendanceSummary
from hemis.attendance.service import AttendanceService
from hemis.core.auth import Principal, Role
from hemis.core.errors import NotFound
from hemis.curriculum.models import CurriculumSubject, Subject
from hemis.grading.models import MarkSheet
from hemis.grading.rules import ControlType
from hemis.grading.service import MAX_FIELD, MarkService, is_locked, lock_date
from hemis.reporting.labels import classifier_name
from hemis.staff.models import TeachingAssignment
from hemis.students.models import AcademicGroup, Student
from hemis.timetable.service import TimetableService
from hemis.trajectory.service import STUDYING, taken_lines


def is_teacher(principal: Principal) -> bool:
    return Role.TEACHER in principal.roles and principal.employee_id is not None


@dataclass(frozen=True)
class Assignment:
    """A group and subject the teacher teaches (one line per training type)."""

    group_id: int
    group_name: str
    curriculum_subject_id: int
    subject_name: str
    semester: str
    training_type: str
    training_type_name: str


@dataclass(frozen=True)
class TodayLesson:
    pair: int
    starts_at: time | None
    ends_at: time | None
    group_id: int
    group_name: str
    curriculum_subject_id: int
    subject_name: str
    training_type: str
    training_type_name: str
    room: str


@dataclass(frozen=True)
class RollLine:
    """A student of the group in a subject, with their attendance summary in it."""

    student: Student
    summary: AttendanceSummary | None  # None: never absent

    @property
    def name(self) -> str:
        s = self.student
        return " ".join(part for part in (s.last_name, s.first_name, s.patronymic) if part)

    @property
    def over_bar(self) -> bool:
        """At or over the bar (hemis.attendance.rules): barred from the final."""
        return self.summary is not None and self.summary.barred_from_final

    @property
    def share(self) -> Decimal:
        return Decimal(0) if self.summary is None else self.summary.unexcused_share


@dataclass(frozen=True)
class SheetLine:
    sheet: MarkSheet
    group_name: str
    subject_name: str
    max_points: Decimal

    @property
    def lock_date(self) -> date:
        return lock_date(self.sheet)

    @property
    def locked(self) -> bool:
        return is_locked(self.sheet)


class Journal:
    """The signed-in teacher's groups, lessons, rolls and sheets."""

    bar = DEFAULT_BAR

    def __init__(self, session: AsyncSession, principal: Principal, language: str) -> None:
        if principal.employee_id is None:
            raise NotFound(field="employee_id")
        self.session = session
        self.principal = principal
        self.employee_id = principal.employee_id
        self.language = language

    def attendance(self) -> AttendanceService:
        return AttendanceService(self.session, actor=self.principal.subject, principal=self.principal)

    def marks(self) -> MarkService:
        return MarkService(self.session, actor=self.principal.subject, principal=self.principal)

    def training_name(self, code: str) -> str:
        return classifier_name("h_training_type", code, self.language)

    async def assignments(self) -> list[Assignment]:
        """The teacher's own teaching assignments, by group and subject."""
        rows = await self.session.execute(
            select(TeachingAssignment, AcademicGroup.name, Subject.name, CurriculumSubject.semester)
            .join(AcademicGroup, AcademicGroup.id == TeachingAssignment.group_id)
            .join(CurriculumSubject, CurriculumSubject.id == TeachingAssignment.curriculum_subject_id)
            .join(Subject, Subject.id == CurriculumSubject.subject_id)
            .where(TeachingAssignment.employee_id == self.employee_id)
            .order_by(AcademicGroup.name, Subject.name, TeachingAssignment.training_type)
        )
        return [
            Assignment(
                a.group_id,
                group,
                a.curriculum_subject_id,
                subject,
                semester,
                a.training_type,
                self.training_name(a.training_type),
            )
            for a, group, subject, semester in rows
        ]

    async def lessons_on(self, day: date) -> list[TodayLesson]:
        """The teacher's lessons of the day from the timetable, one line per group of a stream."""
        held = await TimetableService(self.session, language=self.language).day(
            day, employee_id=self.employee_id
        )
        return [
            TodayLesson(
                lesson.pair,
                lesson.starts_at,
                lesson.ends_at,
                group_id,
                group_name,
                lesson.curriculum_subject_id,
                lesson.subject_name,
                lesson.training_type,
                lesson.training_type_name,
                lesson.auditorium_code,
            )
            for lesson in held
            for group_id, group_name in zip(lesson.group_ids, lesson.group_names, strict=True)
        ]

    async def names(self, group_id: int, curriculum_subject_id: int) -> tuple[str, str]:
        """(group, subject) names for a page's heading."""
        group = await self.session.scalar(select(AcademicGroup.name).where(AcademicGroup.id == group_id))
        subject = await self.session.scalar(
            select(Subject.name)
            .join(CurriculumSubject, CurriculumSubject.subject_id == Subject.id)
            .where(CurriculumSubject.id == curriculum_subject_id)
        )
        if group is None or subject is None:
            raise NotFound(field="group_id" if group is None else "curriculum_subject_id")
        return group, subject

    async def roll(self, group_id: int, curriculum_subject_id: int) -> list[RollLine]:
        """The group's studying students who take the subject (hemis.trajectory's rule: every
        mandatory line, the electives chosen), by name, with their attendance in it; the summary
        read checks the caller's scope."""
        summaries = await self.attendance().group_summary(group_id, curriculum_subject_id)
        group = await self.session.get(AcademicGroup, group_id)
        if group is None:
            raise NotFound(field="group_id")
        query = select(Student).where(Student.group_id == group_id, Student.status == STUDYING)
        if group.curriculum_id is not None:
            takes = exists().where(
                CurriculumSubject.id == curriculum_subject_id, taken_lines(Student.id, group.curriculum_id)
            )
            query = query.where(takes)
        students = await self.session.scalars(
            query.order_by(Student.last_name, Student.first_name, Student.id)
        )
        return [RollLine(s, summaries.get(s.id)) for s in students]

    async def sheets(
        self, group_id: int | None = None, curriculum_subject_id: int | None = None
    ) -> list[SheetLine]:
        """The rating sheets of the teacher's groups and subjects (their assignments), newest first."""
        mine = exists().where(
            TeachingAssignment.employee_id == self.employee_id,
            TeachingAssignment.group_id == MarkSheet.group_id,
            TeachingAssignment.curriculum_subject_id == MarkSheet.curriculum_subject_id,
        )
        query = (
            select(MarkSheet, AcademicGroup.name, Subject.name, CurriculumSubject)
            .join(AcademicGroup, AcademicGroup.id == MarkSheet.group_id)
            .join(CurriculumSubject, CurriculumSubject.id == MarkSheet.curriculum_subject_id)
            .join(Subject, Subject.id == CurriculumSubject.subject_id)
            .where(mine)
            .order_by(MarkSheet.held_on.desc(), AcademicGroup.name, MarkSheet.id)
        )
        if group_id is not None:
            query = query.where(MarkSheet.group_id == group_id)
        if curriculum_subject_id is not None:
            query = query.where(MarkSheet.curriculum_subject_id == curriculum_subject_id)
        rows = await self.session.execute(query)
        return [
            SheetLine(sheet, group, subject, max_points(sheet, line)) for sheet, group, subject, line in rows
        ]

    async def sheet(self, sheet_id: int) -> SheetLine:
        """One sheet, through the grading service's scope check."""
        sheet = await self.marks().sheet(sheet_id)
        line = await self.session.get(CurriculumSubject, sheet.curriculum_subject_id)
        assert line is not None  # the foreign key is RESTRICT
        group, subject = await self.names(sheet.group_id, sheet.curriculum_subject_id)
        return SheetLine(sheet, group, subject, max_points(sheet, line))


def max_points(sheet: MarkSheet, line: CurriculumSubject) -> Decimal:
    """The sheet's control's maximum on its curriculum line (what MarkService.check_points allows)."""
    return Decimal(getattr(line, MAX_FIELD[ControlType(sheet.control_type)]))
