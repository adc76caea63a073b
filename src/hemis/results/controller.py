"""/api/v1/results: a student's results per subject and year, and ratings."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter

from hemis.core.auth import Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import to_read
from hemis.grading.rules import ControlType
from hemis.results.schemas import (
    MarkRowRead,
    RatingPage,
    RatingRowRead,
    StudentResultsRead,
    SubjectResultRead,
    YearResultRead,
)
from hemis.results.service import ResultService, SubjectResult

# Students too: their own results (hemis.identity.scope), and the open rating.
READER_ROLES = (
    Role.ADMIN,
    Role.REGISTRAR,
    Role.DEAN,
    Role.TEACHER,
    Role.TUTOR,
    Role.INTEGRATION,
    Role.STUDENT,
)
READERS = requires_role(*READER_ROLES)
# One student's results: their guardians too (linked students only, hemis.identity.scope); never
# the rating, which lists students.
STUDENT_READERS = requires_role(*READER_ROLES, Role.GUARDIAN)
Semester = Annotated[str | None, QueryParameter(pattern=r"^(1[1-9]|2[0-2])$")]
RequiredSemester = Annotated[str, QueryParameter(pattern=r"^(1[1-9]|2[0-2])$")]
Year = Annotated[int, QueryParameter(ge=1, le=6)]
StudyYear = Annotated[int, PathParameter(ge=1, le=6)]
Course = Annotated[str | None, QueryParameter(pattern=r"^1[1-6]$")]


def subject_view(result: SubjectResult) -> SubjectResultRead:
    outcome = result.outcome
    return SubjectResultRead(
        curriculum_subject_id=result.curriculum_subject_id,
        subject_id=result.subject_id,
        subject_name=result.subject_name,
        semester=result.semester,
        credit=result.credit,
        current=result.marks.get(ControlType.CURRENT),
        midterm=result.marks.get(ControlType.MIDTERM),
        final=result.marks.get(ControlType.FINAL),
        total=outcome.total,
        grade=outcome.grade,
        letter=outcome.letter,
        status=outcome.status,
        final_attempts=result.attempts,
        unexcused_share=result.unexcused_share,
    )


class ResultController(Controller):
    path = "/api/v1/results"
    tags = ["Results"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "results": provide_service(ResultService),
    }

    @get("/students/{student_id:int}", operation_id="GetStudentResults", guards=[STUDENT_READERS])
    async def student_results(
        self, results: NamedDependency[ResultService], student_id: PathId, semester: Semester = None
    ) -> StudentResultsRead:
        """A student's subjects with JN/ON/YN points (latest attempt), total, grade, status; by semester."""
        scale, items = await results.subjects(student_id, None if semester is None else [semester])
        return StudentResultsRead(
            student_id=student_id,
            marking_system=None if scale is None else scale.system.value,
            items=[subject_view(r) for r in items],
        )

    @get("/students/{student_id:int}/marks", operation_id="GetStudentSemesterMarks", guards=[STUDENT_READERS])
    async def semester_marks(
        self, results: NamedDependency[ResultService], student_id: PathId, semester: RequiredSemester
    ) -> list[MarkRowRead]:
        """Every mark (JN/ON/YN, every attempt) of a student's subjects in one semester."""
        rows = await results.semester_marks(student_id, semester)
        return [
            MarkRowRead(
                curriculum_subject_id=r.curriculum_subject_id,
                subject_name=r.subject_name,
                control_type=r.control_type,
                attempt=r.attempt,
                held_on=r.held_on,
                points=r.points,
            )
            for r in rows
        ]

    @get(
        "/students/{student_id:int}/years/{year:int}", operation_id="GetStudentYear", guards=[STUDENT_READERS]
    )
    async def student_year(
        self, results: NamedDependency[ResultService], student_id: PathId, year: StudyYear
    ) -> YearResultRead:
        """The study year's GPA (Σ credit × grade / Σ credit), debts, and whether the student moves on."""
        outcome = await results.year(student_id, year)
        return YearResultRead(
            student_id=student_id,
            year=year,
            gpa=outcome.gpa,
            credits=outcome.credits,
            earned_credits=outcome.earned_credits,
            debts=outcome.debts,
            pending=outcome.pending,
            can_move_on=outcome.can_move_on,
        )

    @get("/rating", operation_id="GetRating", guards=[READERS])
    async def rating(
        self,
        results: NamedDependency[ResultService],
        params: NamedDependency[ListParams],
        year: Year,
        group_id: QueryId = None,
        faculty_id: QueryId = None,
        course: Course = None,
    ) -> RatingPage:
        """Students ranked by the year's GPA, for a group, a course, a faculty or the whole university."""
        rows, total = await results.rating(
            year,
            group_id=group_id,
            faculty_id=faculty_id,
            course=course,
            limit=params.limit,
            offset=params.offset,
        )
        items = [to_read(r, RatingRowRead) for r in rows]
        return RatingPage(items=items, total=total, limit=params.limit, offset=params.offset)
