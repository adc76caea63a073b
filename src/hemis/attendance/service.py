"""Recording absences, excusing them, and each student's share of missed classroom hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hemis.attendance.models import Absence
from hemis.attendance.rules import AttendanceSummary, summarise
from hemis.core.clock import local_today
from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import Conflict, OutOfRange
from hemis.core.refs import check_sent_codes
from hemis.curriculum.models import CurriculumSubject
from hemis.identity.scope import check_group_subject, check_student
from hemis.students.models import Student
from hemis.trajectory.service import check_takes_subject


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
        line = await self.session.get(CurriculumSubject, curriculum_subject_id)
        if line is None:
            raise BadReference(field="curriculum_subject_id")
        if not await self.exists(Student, student_id):
            raise BadReference(field="student_id")
        await check_student(self.session, self.principal, student_id, guardians=True)
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
