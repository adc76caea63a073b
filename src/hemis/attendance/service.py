"""Recording absences (one at a time, or a whole lesson at once), excusing them, and each
student's share of missed classroom hours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import func, select

from hemis.attendance.models import Absence
from hemis.attendance.rules import AttendanceSummary, summarise
from hemis.core.batch import Write, all_or_nothing
from hemis.core.clock import local_today
from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import Conflict, HemisError, OutOfRange
from hemis.core.refs import check_sent_codes
from hemis.curriculum.models import CurriculumSubject
from hemis.identity.scope import check_group_subject, check_student
from hemis.students.models import Student
from hemis.trajectory.service import check_takes_subject

MAX_HOURS = 8  # the absence table's check: a day has at most eight pairs' worth


class NotInGroup(HemisError):
    status_code = 422
    message_key = "journal.not_in_group"


class ExcusedAbsence(HemisError):
    """An excused absence is the dean's office's record: a teacher neither removes nor changes it."""

    status_code = 409
    message_key = "journal.excused"


@dataclass(frozen=True, slots=True)
class LessonKey:
    """One lesson of a group in a subject: the key of its absences."""

    group_id: int
    curriculum_subject_id: int
    lesson_date: date
    lesson_pair: int
    training_type: str


class AttendanceService(CrudService[Absence]):
    model = Absence

    async def check(self, values: dict[str, Any], current: Absence | None, changed: frozenset[str]) -> None:
        student = await self.session.get(Student, values["student_id"])
        if student is None:
            raise BadReference(field="student_id")
        line = await self.session.get(CurriculumSubject, values["curriculum_subject_id"])
        if line is None:
            raise BadReference(field="curriculum_subject_id")
        if changed & {"student_id", "curriculum_subject_id"}:
            await check_group_subject(
                self.session, self.principal, student.group_id, line.id, field="student_id"
            )
            await check_takes_subject(self.session, student, line)
        if "lesson_date" in changed and values["lesson_date"] > local_today():
            raise OutOfRange(field="lesson_date", low="-", high=local_today().isoformat())
        await check_sent_codes(self.session, values, changed, {"training_type": "h_training_type"})

    async def excuse(self, absence_id: int, document: str) -> Absence:
        absence = await self.get(absence_id, for_update=True)
        student = await self.session.get(Student, absence.student_id)
        assert student is not None  # the foreign key is RESTRICT
        await check_group_subject(
            self.session, self.principal, student.group_id, absence.curriculum_subject_id, field="absence_id"
        )
        if absence.excuse_document is not None:
            raise Conflict(field="document")
        return await self.update(absence_id, {"excuse_document": document, "excused_by": self.actor})

    async def summary(self, student_id: int, curriculum_subject_id: int) -> AttendanceSummary:
        # Whose it is first: a guardian or student probing ids learns nothing of other students.
        await check_student(self.session, self.principal, student_id, guardians=True)
        line = await self.session.get(CurriculumSubject, curriculum_subject_id)
        if line is None:
            raise BadReference(field="curriculum_subject_id")
        if not await self.exists(Student, student_id):
            raise BadReference(field="student_id")
        absent, excused = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(Absence.hours), 0),
                    func.coalesce(func.sum(Absence.hours).filter(Absence.excuse_document.is_not(None)), 0),
                ).where(
                    Absence.student_id == student_id, Absence.curriculum_subject_id == curriculum_subject_id
                )
            )
        ).one()
        classroom = line.classroom_hours
        return summarise(classroom, int(absent), int(excused))

    async def lesson(self, lesson: LessonKey) -> dict[int, Absence]:
        """The absences recorded for a lesson, by student, if the caller's scope reaches it."""
        await check_group_subject(
            self.session, self.principal, lesson.group_id, lesson.curriculum_subject_id, field="group_id"
        )
        rows = await self.session.scalars(
            select(Absence)
            .join(Student, Student.id == Absence.student_id)
            .where(
                Student.group_id == lesson.group_id,
                Absence.curriculum_subject_id == lesson.curriculum_subject_id,
                Absence.lesson_date == lesson.lesson_date,
                Absence.lesson_pair == lesson.lesson_pair,
            )
        )
        return {row.student_id: row for row in rows}

    async def record_lesson(self, lesson: LessonKey, absent: Mapping[int, int]) -> None:
        """Make the lesson's absences what the teacher sent: `absent` maps each absent student of
        the group to the hours missed; an unexcused absence of a student not in it is removed. An
        excused one is kept as it is (only the dean's office changes it). Every student's refusal
        is named (BatchRefused) and then nothing at all is written."""
        existing = await self.lesson(lesson)  # checks the caller's scope
        if lesson.lesson_date > local_today():
            raise OutOfRange(field="lesson_date", low="-", high=local_today().isoformat())
        await check_sent_codes(
            self.session,
            {"training_type": lesson.training_type},
            frozenset({"training_type"}),
            {"training_type": "h_training_type"},
        )
        members = set(
            await self.session.scalars(select(Student.id).where(Student.group_id == lesson.group_id))
        )
        writes: list[tuple[int, Write]] = []
        for student_id, hours in sorted(absent.items()):
            row = existing.get(student_id)
            if row is not None and row.hours == hours:
                continue
            writes.append((student_id, partial(self._mark_absent, lesson, student_id, hours, row, members)))
        for student_id, row in sorted(existing.items()):
            if student_id not in absent and row.excuse_document is None:
                writes.append((student_id, partial(self.remove, row.id)))
        await all_or_nothing(self.session, writes)

    async def _mark_absent(
        self, lesson: LessonKey, student_id: int, hours: int, row: Absence | None, members: set[int]
    ) -> None:
        if student_id not in members:
            raise NotInGroup(field="student_id")
        if not 1 <= hours <= MAX_HOURS:
            raise OutOfRange(field="hours", low=1, high=MAX_HOURS)
        if row is None:
            await self.create(
                {
                    "student_id": student_id,
                    "curriculum_subject_id": lesson.curriculum_subject_id,
                    "lesson_date": lesson.lesson_date,
                    "lesson_pair": lesson.lesson_pair,
                    "training_type": lesson.training_type,
                    "hours": hours,
                }
            )
        elif row.excuse_document is not None:
            raise ExcusedAbsence(field="hours")
        else:
            await self.update(row.id, {"hours": hours})

    async def remove(self, absence_id: int) -> None:
        """Take back an absence recorded by mistake (audited); never an excused one."""
        absence = await self.get(absence_id, for_update=True)
        student = await self.session.get(Student, absence.student_id)
        assert student is not None  # the foreign key is RESTRICT
        await check_group_subject(
            self.session, self.principal, student.group_id, absence.curriculum_subject_id, field="absence_id"
        )
        if absence.excuse_document is not None:
            raise ExcusedAbsence(field="absence_id")
        await self.delete(absence_id)

    async def group_summary(self, group_id: int, curriculum_subject_id: int) -> dict[int, AttendanceSummary]:
        """Every student's summary in the subject (by student id; none absent: no entry), in one
        statement, for the teachers of the group's subject and its dean's office."""
        await check_group_subject(
            self.session, self.principal, group_id, curriculum_subject_id, field="group_id"
        )
        line = await self.session.get(CurriculumSubject, curriculum_subject_id)
        if line is None:
            raise BadReference(field="curriculum_subject_id")
        rows = await self.session.execute(
            select(
                Absence.student_id,
                func.sum(Absence.hours),
                func.coalesce(func.sum(Absence.hours).filter(Absence.excuse_document.is_not(None)), 0),
            )
            .join(Student, Student.id == Absence.student_id)
            .where(Student.group_id == group_id, Absence.curriculum_subject_id == curriculum_subject_id)
            .group_by(Absence.student_id)
        )
        classroom = line.classroom_hours
        return {student: summarise(classroom, int(absent), int(excused)) for student, absent, excused in rows}
