"""Choosing electives: only electives of the student's own curriculum, one per semester and block
(the block's electives are alternatives), and a choice stays once the student has marks in it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.crud import BadReference, CrudService, Duplicate
from hemis.core.errors import Conflict, HemisError, NotFound
from hemis.curriculum.models import CurriculumSubject
from hemis.grading.models import Mark, MarkSheet
from hemis.students.models import AcademicGroup, Student
from hemis.trajectory.models import ElectiveChoice

ELECTIVE = "12"  # h_subject_type
STUDYING = "11"  # h_student_status


class NotAnElective(HemisError):
    status_code = 422
    message_key = "trajectory.not_elective"


class BlockTaken(HemisError):
    status_code = 409
    message_key = "trajectory.block_taken"


def taken_lines(student_id: Any, curriculum_id: Any) -> Any:
    """The curriculum lines a student takes: every non-elective line, and the electives chosen.
    Both arguments may be SQL expressions, so ratings use the same rule for many students."""
    chosen = select(ElectiveChoice.curriculum_subject_id).where(ElectiveChoice.student_id == student_id)
    return (CurriculumSubject.curriculum_id == curriculum_id) & (
        (CurriculumSubject.subject_type != ELECTIVE) | CurriculumSubject.id.in_(chosen)
    )


def join_taken_lines(query: Any, student_id: Any, curriculum_id: Any) -> Any:
    """`query` joined to the lines each of its students takes: taken_lines() as joins, for
    whole-university statements. The correlated subquery runs once per line and student, which
    for a university costs more than all its marks; a choice is unique per line and student."""
    return (
        query.join(CurriculumSubject, CurriculumSubject.curriculum_id == curriculum_id)
        .outerjoin(
            ElectiveChoice,
            (ElectiveChoice.student_id == student_id)
            & (ElectiveChoice.curriculum_subject_id == CurriculumSubject.id),
        )
        .where((CurriculumSubject.subject_type != ELECTIVE) | ElectiveChoice.id.is_not(None))
    )


class NotTakingSubject(HemisError):
    status_code = 422
    message_key = "trajectory.not_taking"


class NotStudying(HemisError):
    status_code = 409
    message_key = "trajectory.not_studying"


async def check_takes_subject(session: AsyncSession, student: Student, line: CurriculumSubject) -> None:
    """Marks and absences are only for a studying student who takes the subject: it is in the
    group's curriculum and, if elective, chosen. A group without a curriculum cannot be checked."""
    if student.status != STUDYING:
        raise NotStudying(field="student_id", current=student.status)
    group = await session.get(AcademicGroup, student.group_id)
    if group is None or group.curriculum_id is None:
        return
    taken = line.curriculum_id == group.curriculum_id
    if taken and line.subject_type == ELECTIVE:
        # KEY SHARE: a concurrent drop of this choice (FOR UPDATE, then "no marks?") waits for us.
        choice = await session.scalar(
            select(ElectiveChoice.id)
            .where(ElectiveChoice.student_id == student.id, ElectiveChoice.curriculum_subject_id == line.id)
            .with_for_update(read=True, key_share=True)
        )
        taken = choice is not None
    if not taken:
        raise NotTakingSubject(field="student_id")


class TrajectoryService(CrudService[ElectiveChoice]):
    model = ElectiveChoice

    async def choices(self, student_id: int) -> list[ElectiveChoice]:
        if not await self.exists(Student, student_id):
            raise NotFound(field="student_id")
        rows = await self.session.scalars(
            select(ElectiveChoice).where(ElectiveChoice.student_id == student_id).order_by(ElectiveChoice.id)
        )
        return list(rows)

    async def check(
        self, values: dict[str, Any], current: ElectiveChoice | None, changed: frozenset[str]
    ) -> None:
        student = await self.session.get(Student, values["student_id"], with_for_update=True)
        if student is None:
            raise NotFound(field="student_id")
        group = await self.session.get(AcademicGroup, student.group_id)
        line = await self.session.get(CurriculumSubject, values["curriculum_subject_id"])
        if line is None:
            raise BadReference(field="curriculum_subject_id")
        if group is None or line.curriculum_id != group.curriculum_id or line.subject_type != ELECTIVE:
            raise NotAnElective(field="curriculum_subject_id")
        chosen = select(ElectiveChoice.curriculum_subject_id).where(ElectiveChoice.student_id == student.id)
        if line.id in set(await self.session.scalars(chosen)):
            raise Duplicate(field="curriculum_subject_id")
        other_in_block = await self.session.scalar(
            select(
                exists()
                .where(ElectiveChoice.student_id == student.id)
                .where(ElectiveChoice.curriculum_subject_id == CurriculumSubject.id)
                .where(CurriculumSubject.id != line.id)
                .where(CurriculumSubject.semester == line.semester)
                .where(CurriculumSubject.subject_block == line.subject_block)
            )
        )
        if other_in_block:
            raise BlockTaken(field="curriculum_subject_id", semester=line.semester, block=line.subject_block)

    async def drop(self, student_id: int, choice_id: int) -> None:
        choice = await self.get(choice_id, for_update=True)
        if choice.student_id != student_id:
            raise NotFound(field="choice_id")
        marked = await self.session.scalar(
            select(
                exists()
                .where(Mark.student_id == student_id)
                .where(Mark.sheet_id == MarkSheet.id)
                .where(MarkSheet.curriculum_subject_id == choice.curriculum_subject_id)
            )
        )
        if marked:
            raise Conflict(field="choice_id")  # the marks would lose their subject
        await self.delete(choice_id)
