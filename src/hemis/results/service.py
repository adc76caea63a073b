"""A student's results per subject and per study year, and ratings of many students.

One student's results go through the pure rules (hemis.results.rules). Ratings rank
thousands of students at once, so the same rules run in one SQL statement there; a test
holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Numeric,
    Row,
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.attendance.models import Absence
from hemis.attendance.rules import DEFAULT_BAR, AttendanceSummary, summarise
from hemis.core.arrays import Columns, any_of, bound_rows, bound_values
from hemis.core.auth import Principal
from hemis.core.db import table_of
from hemis.core.errors import NotFound
from hemis.curriculum.models import Curriculum, CurriculumSubject, Subject
from hemis.grading.models import Mark, MarkSheet
from hemis.grading.rules import DEFAULT_SCALES, ControlType, GradingScale, MarkingSystem
from hemis.grading.scales import scale_for, scales_for
from hemis.identity.scope import check_student
from hemis.results.models import StudentPerformance, StudentPerformanceStale
from hemis.results.rules import (
    SessionOutcome,
    SubjectOutcome,
    YearOutcome,
    semesters_of_year,
    session_outcome,
    subject_outcome,
    year_outcome,
)
from hemis.students.models import AcademicGroup, Student
from hemis.trajectory.service import join_taken_lines, taken_lines

STUDYING = "11"


# Built once: the hottest read of all (students check their grades), so neither the statement
# nor its cache key is rebuilt per request.
SEMESTER_MARKS = (
    select(
        CurriculumSubject.id.label("curriculum_subject_id"),
        Subject.name.label("subject_name"),
        MarkSheet.control_type,
        MarkSheet.attempt,
        MarkSheet.held_on,
        Mark.points,
    )
    .join(MarkSheet, MarkSheet.id == Mark.sheet_id)
    .join(CurriculumSubject, CurriculumSubject.id == MarkSheet.curriculum_subject_id)
    .join(Subject, Subject.id == CurriculumSubject.subject_id)
    .where(Mark.student_id == bindparam("student_id"), CurriculumSubject.semester == bindparam("semester"))
    .order_by(Subject.name, MarkSheet.control_type, MarkSheet.attempt)
)


@dataclass(frozen=True, slots=True)
class SubjectResult:
    curriculum_subject_id: int
    subject_id: int
    subject_name: str
    semester: str
    credit: Decimal
    marks: dict[ControlType, Decimal]
    attempts: int  # sittings of the final so far
    attendance: AttendanceSummary  # the same figures as AttendanceService.summary
    outcome: SubjectOutcome

    @property
    def unexcused_share(self) -> Decimal:
        return self.attendance.unexcused_share


class ResultService:
    def __init__(self, session: AsyncSession, *, actor: str, principal: Principal | None = None) -> None:
        self.session = session
        self.actor = actor
        self.principal = principal  # a signed-in student reads only their own results

    async def student_and_group(self, student_id: int) -> tuple[Student, AcademicGroup]:
        """The student (whom the caller may read: scope checked) and their group."""
        await check_student(self.session, self.principal, student_id, guardians=True)
        row = (
            await self.session.execute(
                select(Student, AcademicGroup)
                .join(AcademicGroup, AcademicGroup.id == Student.group_id)
                .where(Student.id == student_id)
            )
        ).first()
        if row is None:
            raise NotFound(field="student_id")
        return row[0], row[1]

    async def _scale(self, group: AcademicGroup) -> GradingScale | None:
        if group.curriculum_id is None:
            return None
        curriculum = await self.session.get(Curriculum, group.curriculum_id)
        assert curriculum is not None  # the foreign key is RESTRICT
        return await scale_for(self.session, curriculum.marking_system, curriculum.grading_scale_id)

    async def subjects(
        self, student_id: int, semesters: Sequence[str] | None = None
    ) -> tuple[GradingScale | None, list[SubjectResult]]:
        """The student's subjects (of the group's curriculum and chosen electives) with their results.
        A group without a curriculum has no subjects yet: (None, [])."""
        student, group = await self.student_and_group(student_id)
        scale = await self._scale(group)
        if scale is None:
            return None, []
        lines_query = (
            select(CurriculumSubject, Subject.name)
            .join(Subject, Subject.id == CurriculumSubject.subject_id)
            .where(taken_lines(student.id, group.curriculum_id))
            .order_by(CurriculumSubject.semester, Subject.name)
        )
        if semesters is not None:
            lines_query = lines_query.where(CurriculumSubject.semester.in_(semesters))
        lines = (await self.session.execute(lines_query)).all()
        line_ids = [line.id for line, _ in lines]
        marks = await self.session.execute(
            select(MarkSheet.curriculum_subject_id, MarkSheet.control_type, MarkSheet.attempt, Mark.points)
            .join(Mark, Mark.sheet_id == MarkSheet.id)
            .where(Mark.student_id == student.id, MarkSheet.curriculum_subject_id.in_(line_ids))
            .order_by(MarkSheet.attempt, Mark.id)  # later attempts (and marks) overwrite earlier ones below
        )
        latest: dict[int, dict[ControlType, Decimal]] = {i: {} for i in line_ids}
        attempts: dict[int, int] = dict.fromkeys(line_ids, 0)
        for line_id, control, attempt, points in marks:
            latest[line_id][ControlType(control)] = points
            if control == ControlType.FINAL:
                attempts[line_id] = max(attempts[line_id], attempt)
        absences = {
            line_id: (int(absent), int(excused))
            for line_id, absent, excused in await self.session.execute(
                select(
                    Absence.curriculum_subject_id,
                    func.sum(Absence.hours),
                    func.coalesce(func.sum(Absence.hours).filter(Absence.excuse_document.is_not(None)), 0),
                )
                .where(Absence.student_id == student.id, Absence.curriculum_subject_id.in_(line_ids))
                .group_by(Absence.curriculum_subject_id)
            )
        }
        results = []
        for line, name in lines:
            classroom = line.classroom_hours
            attendance = summarise(classroom, *absences.get(line.id, (0, 0)))
            results.append(
                SubjectResult(
                    curriculum_subject_id=line.id,
                    subject_id=line.subject_id,
                    subject_name=name,
                    semester=line.semester,
                    credit=line.credit,
                    marks=latest[line.id],
                    attempts=attempts[line.id],
                    attendance=attendance,
                    outcome=subject_outcome(latest[line.id], attendance.barred_from_final, scale),
                )
            )
        return scale, results

    async def semester_marks(self, student_id: int, semester: str) -> list[Any]:
        """Every mark of the student in a semester's subjects, every attempt ("my grades"): one
        indexed query, rows not ORM objects, because students open this most of all."""
        await check_student(self.session, self.principal, student_id, guardians=True)
        connection = await self.session.connection()  # plain rows: no ORM result processing
        rows = await connection.execute(SEMESTER_MARKS, {"student_id": student_id, "semester": semester})
        found = rows.all()
        if not found and await self.session.get(Student, student_id) is None:
            raise NotFound(field="student_id")
        return list(found)

    async def year(self, student_id: int, year: int) -> YearOutcome:
        """GPA, debts and whether the student may move on, for study year `year` (1..6)."""
        scale, results = await self.subjects(student_id, semesters_of_year(year))
        return year_outcome(
            ((r.credit, r.outcome) for r in results), scale or DEFAULT_SCALES[MarkingSystem.CREDIT]
        )

    async def session_result(self, student_id: int, semester: str) -> SessionOutcome:
        """How the student came out of one semester's session (lowest grade, debts, pending)."""
        _, results = await self.subjects(student_id, [semester])
        return session_outcome(r.outcome for r in results)

    async def session_results(self, group_semesters: Mapping[int, str]) -> dict[int, SessionOutcome]:
        """session_result() of every student of these groups (group id → its semester), any status, in one
        SQL statement: a payroll decides for tens of thousands at once. Students of groups without a
        curriculum are left out (they have no subjects)."""
        scales = await self._scales_by_curriculum()
        if not scales or not group_semesters:
            return {}
        semester_of = bound_rows("term", TERM_COLUMNS)
        scope = (
            select(Student.id.label("student_id"), AcademicGroup.curriculum_id, semester_of.c.semester)
            .join(AcademicGroup, AcademicGroup.id == Student.group_id)
            .join(semester_of, semester_of.c.group_id == AcademicGroup.id)
            .where(AcademicGroup.curriculum_id.is_not(None))
            .cte("scope")
        )
        term = _term_results(scope, CurriculumSubject.semester == scope.c.semester)
        params = scale_params(scales) | bound_values("term", TERM_COLUMNS, list(group_semesters.items()))
        taken = (
            select(term.lines.c.student_id, func.count().label("subjects"))
            .group_by(term.lines.c.student_id)
            .cte("taken")
        )
        per_student = (
            select(
                term.graded.c.student_id,
                func.count().label("graded"),
                func.min(term.graded.c.grade).label("lowest_grade"),
                func.count().filter(term.graded.c.debt).label("debts"),
            )
            .group_by(term.graded.c.student_id)
            .cte("per_student")
        )
        graded = func.coalesce(per_student.c.graded, literal(0))
        barred = func.coalesce(term.barred.c.barred, literal(0))
        async with whole_term_plan(self.session):
            rows = await self.session.execute(
                select(
                    taken.c.student_id,
                    taken.c.subjects,
                    per_student.c.lowest_grade,
                    func.coalesce(per_student.c.debts, literal(0)) + barred,
                    taken.c.subjects - graded - barred,
                )
                .outerjoin(per_student, per_student.c.student_id == taken.c.student_id)
                .outerjoin(term.barred, term.barred.c.student_id == taken.c.student_id),
                params,
            )
        return {
            student_id: SessionOutcome(subjects, lowest, debts, pending)
            for student_id, subjects, lowest, debts, pending in rows
        }

    async def rating(
        self,
        year: int,
        *,
        group_id: int | None,
        faculty_id: int | None,
        course: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Row[Any]], int]:
        """Studying students ranked by the year's GPA, then by average points (ties share a rank).

        The SQL follows hemis.results.rules: latest attempt per control, graded once the final is
        marked, grade from the curriculum's scale, GPA = Σ(credit × grade) / Σ credit to one decimal.
        """
        params = await self._rating_params(year, group_id=group_id, faculty_id=faculty_id, course=course)
        if params is None:
            return [], 0
        ranked, scope = _rating_statement(group_id is not None, faculty_id is not None, course is not None)
        ranked = ranked.order_by("rank", scope.c.last_name, scope.c.first_name, scope.c.student_id)
        ranked = ranked.limit(limit).offset(offset)
        if group_id is None:  # a faculty, a course or the university: the whole term's marks
            async with whole_term_plan(self.session):
                rows = (await self.session.execute(ranked, params)).all()
        else:
            rows = (await self.session.execute(ranked, params)).all()
        total = rows[0].total_rows if rows else await self._count(scope, params)
        # Rows of rank, student_id, last_name, first_name, group_id, group_name, gpa,
        # average_points, debts (and total_rows, the count before paging).
        return list(rows), total

    async def standing(
        self, student_id: int, year: int, *, group_id: int | None, faculty_id: int | None, course: str | None
    ) -> tuple[int, int] | None:
        """One student's place in a rating (the same ranking as `rating`) and how many are ranked:
        (rank, total), or None when the student is not in it (not studying, no curriculum)."""
        await check_student(self.session, self.principal, student_id)
        params = await self._rating_params(year, group_id=group_id, faculty_id=faculty_id, course=course)
        if params is None:
            return None
        query = _standing_statement(group_id is not None, faculty_id is not None, course is not None)
        params["student_id"] = student_id
        if group_id is None:
            async with whole_term_plan(self.session):
                row = (await self.session.execute(query, params)).first()
        else:
            row = (await self.session.execute(query, params)).first()
        return None if row is None else (int(row.rank), int(row.total_rows))

    async def _rating_params(
        self, year: int, *, group_id: int | None, faculty_id: int | None, course: str | None
    ) -> dict[str, Any] | None:
        """The parameters of the rating's statement; None when no group of the university has a
        curriculum yet."""
        scales = await self._scales_by_curriculum()
        if not scales:
            return None
        params = scale_params(scales) | {"semesters": semesters_of_year(year)}
        filters = {"group_id": group_id, "faculty_id": faculty_id, "course": course}
        return params | {name: value for name, value in filters.items() if value is not None}

    async def refresh_performance(self, *, everyone: bool = False) -> int:
        """Resolve again the summed results (StudentPerformance) of the students the triggers
        listed stale, or of every student when a NULL row is listed or `everyone` (repair),
        and take those stale rows; how many students were listed (-1: everyone).

        The worker runs this in its REPEATABLE READ snapshot: two refreshes at once cannot both
        take a row, the later one fails to serialise and is retried (hemis.rollups.worker)."""
        taken = (
            await self.session.execute(select(StudentPerformanceStale.id, StudentPerformanceStale.student_id))
        ).all()
        if not taken and not everyone:
            return 0
        # The rows taken go first: a refresh from an older snapshot that took one of them too then
        # fails here to serialise (40001), before its sums could collide with newer ones.
        await self.session.execute(
            delete(StudentPerformanceStale).where(StudentPerformanceStale.id == any_of("taken")),
            {"taken": [r.id for r in taken]},
        )
        listed = {r.student_id for r in taken}
        ids = None if everyone or None in listed else sorted(i for i in listed if i is not None)
        scales = await self._scales_by_curriculum()
        params: dict[str, Any] = {
            **scale_params(scales),
            "on_100": [cid for cid, scale in scales.items() if scale.max_points == 100],
        }
        if ids is None:
            await self.session.execute(delete(StudentPerformance))
        else:
            params["ids"] = ids
            await self.session.execute(
                delete(StudentPerformance).where(StudentPerformance.student_id == any_of("ids")),
                {"ids": ids},
            )
        if scales:
            statement = _performance_statement(everyone=ids is None)
            if ids is None or len(ids) > MANY_STUDENTS:
                async with whole_term_plan(self.session):
                    await self.session.execute(statement, params)
            else:  # a few students: index lookups, which whole_term_plan's hashes would forbid
                await self.session.execute(statement, params)
        return -1 if ids is None else len(ids)

    async def _count(self, scope: Any, params: dict[str, Any]) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(scope), params) or 0)

    async def _scales_by_curriculum(self) -> dict[int, GradingScale]:
        curricula = (
            await self.session.execute(
                select(Curriculum.id, Curriculum.marking_system, Curriculum.grading_scale_id).where(
                    Curriculum.id.in_(select(AcademicGroup.curriculum_id))
                )
            )
        ).all()
        return await scales_for(self.session, [(cid, system, own) for cid, system, own in curricula])


@cache
def _rating_statement(by_group: bool, by_faculty: bool, by_course: bool) -> tuple[Any, Any]:
    """The rating's statement (unordered, unpaged) and its scope of students, built once per
    shape of filter: its values (the group, faculty, course, the year's semesters and the grading
    scales) are parameters (see `_rating_params`). Building it is most of a rank's cost in
    Python (~13 ms), and a student's home page shows two ranks."""
    students = select(
        Student.id.label("student_id"),
        Student.last_name,
        Student.first_name,
        AcademicGroup.id.label("group_id"),
        AcademicGroup.name.label("group_name"),
        AcademicGroup.curriculum_id,
    ).join(AcademicGroup, AcademicGroup.id == Student.group_id)
    students = students.where(Student.status == STUDYING, AcademicGroup.curriculum_id.is_not(None))
    if by_group:
        students = students.where(AcademicGroup.id == bindparam("group_id"))
    if by_faculty:
        students = students.where(AcademicGroup.department_id == bindparam("faculty_id"))
    if by_course:
        students = students.where(AcademicGroup.course == bindparam("course"))
    scope = students.cte("scope")
    term = _term_results(scope, CurriculumSubject.semester.in_(bindparam("semesters", expanding=True)))
    graded, barred = term.graded, term.barred
    per_student = (
        select(
            graded.c.student_id,
            func.round(
                func.sum(graded.c.credit * graded.c.grade) / func.nullif(func.sum(graded.c.credit), 0), 1
            ).label("gpa"),
            func.round(func.avg(graded.c.total), 2).label("average_points"),
            func.count().filter(graded.c.debt).label("debts"),
        )
        .group_by(graded.c.student_id)
        .cte("per_student")
    )
    ranked = (
        select(
            func.rank()
            .over(
                order_by=(
                    per_student.c.gpa.desc().nulls_last(),
                    per_student.c.average_points.desc().nulls_last(),
                )
            )
            .label("rank"),
            scope.c.student_id,
            scope.c.last_name,
            scope.c.first_name,
            scope.c.group_id,
            scope.c.group_name,
            per_student.c.gpa,
            per_student.c.average_points,
            (
                func.coalesce(per_student.c.debts, literal(0)) + func.coalesce(barred.c.barred, literal(0))
            ).label("debts"),
            func.count().over().label("total_rows"),
        )
        .select_from(scope)
        .outerjoin(per_student, per_student.c.student_id == scope.c.student_id)
        .outerjoin(barred, barred.c.student_id == scope.c.student_id)
    )
    return ranked, scope


@cache
def _standing_statement(by_group: bool, by_faculty: bool, by_course: bool) -> Any:
    """One student's (`student_id`) rank and the number ranked, in the rating of that shape."""
    ranked = _rating_statement(by_group, by_faculty, by_course)[0].subquery("ranked")
    return select(ranked.c.rank, ranked.c.total_rows).where(ranked.c.student_id == bindparam("student_id"))


@asynccontextmanager
async def whole_term_plan(session: AsyncSession) -> AsyncIterator[None]:
    """Planner settings for one statement over a whole term's marks, in this transaction only.

    PostgreSQL keeps no statistics on CTEs: it guesses a few rows for the term's lines where
    there are hundreds of thousands, and its nested loops over CTE scans then go quadratic
    (10 s for 800 students; 0.4 s with hash joins). The hashes of 40,000 students' marks (over
    100 MB) spill to disk at the default work_mem, and with a few rows guessed it sorts to group
    what a hash groups in a third of the time. Its cost estimates (millions, from guessed row
    counts) switch JIT compilation on, which took longer than the query itself (1.3 s of
    6 s for a university of 23,000 students). On an error the transaction is lost anyway,
    and with it these local settings."""
    previous = (
        await session.execute(
            select(
                func.current_setting("enable_nestloop"),
                func.current_setting("work_mem"),
                func.current_setting("enable_sort"),
                func.current_setting("jit"),
            )
        )
    ).one()
    plan = func.set_config  # lint-skip: planner settings, not a role or search_path
    await session.execute(
        select(
            plan("enable_nestloop", "off", True),
            plan("work_mem", "256MB", True),
            plan("enable_sort", "off", True),
            plan("jit", "off", True),
        )
    )
    yield
    await session.execute(
        select(
            plan("enable_nestloop", previous[0], True),
            plan("work_mem", previous[1], True),
            plan("enable_sort", previous[2], True),
            plan("jit", previous[3], True),
        )
    )


LATEST_ID = 10**5  # see _term_results: the key's points part
LATEST_ATTEMPT = 10**15  # and its mark id part below the attempt


@dataclass(frozen=True, slots=True)
class TermCtes:
    """The SQL form of hemis.results.rules for many students at once (see _term_results)."""

    lines: Any  # student_id, line_id, credit, classroom: the subjects each student takes in the term
    graded: Any  # student_id, line_id, total, credit, grade, debt: subjects whose final is marked
    barred: Any  # student_id, barred: subjects without a final, barred by unexcused absences
    latest: Any  # student_id, line_id, control_type, points (latest attempt), marks, on_time


def _term_results(scope: Any, in_term: Any) -> TermCtes:
    """Results of the students of `scope` (a CTE with student_id and curriculum_id) in the subjects
    `in_term` selects (a condition on CurriculumSubject, which may name `scope`'s columns).

    It follows hemis.results.rules: latest attempt per control, graded once the final is marked,
    grade from the curriculum's scale, a debt below grade 3 or the pass mark, and subjects
    without a final whose unexcused absences bar it are debts too (rules.SubjectStatus.BARRED).
    """
    scale_table = bound_rows("scale", SCALE_COLUMNS)  # the curricula's grades: scale_params()
    classroom = CurriculumSubject.classroom_hours
    lines = (
        join_taken_lines(
            select(
                scope.c.student_id,
                CurriculumSubject.id.label("line_id"),
                CurriculumSubject.credit,
                classroom.label("classroom"),
            ),
            scope.c.student_id,
            scope.c.curriculum_id,
        )
        .where(in_term)
        .cte("lines")
    )
    # Marks are matched to sheets first and to the students' lines last: joined by student alone,
    # every mark would meet every line of its student (13 million rows for 40,000 students).
    # The latest attempt's points per control come from one hashed max() instead of sorting
    # every mark (DISTINCT ON): the key orders by attempt, then mark id (two groups' sheets of
    # one attempt after a transfer: the later mark), and carries the points in its last five
    # digits. Bounds: attempt < 9,000, mark id < 10^10, points < 1,000.00.
    key = (
        cast(MarkSheet.attempt, BigInteger) * LATEST_ATTEMPT
        + Mark.id * LATEST_ID
        + cast(Mark.points * 100, BigInteger)
    )
    latest = (
        select(
            Mark.student_id,
            MarkSheet.curriculum_subject_id.label("line_id"),
            MarkSheet.control_type,
            (cast(func.max(key) % LATEST_ID, Numeric) / 100).label("points"),
            # Every attempt's marks, and those entered before their sheet locked (the KPIs').
            func.count().label("marks"),
            func.count()
            .filter(cast(Mark.created_at, Date) <= MarkSheet.held_on + MarkSheet.lock_after_days)
            .label("on_time"),
        )
        .join(MarkSheet, MarkSheet.id == Mark.sheet_id)
        .where(
            MarkSheet.curriculum_subject_id.in_(select(lines.c.line_id)),
            Mark.student_id.in_(select(scope.c.student_id)),
        )
        .group_by(Mark.student_id, MarkSheet.curriculum_subject_id, MarkSheet.control_type)
        .cte("latest")
    )
    # Not joined to `lines` here: `graded` joins them, and `barred` starts from them, so a
    # total of a line the student does not take goes nowhere; joining before grouping cost
    # a hash join of every latest mark.
    totals = (
        select(latest.c.student_id, latest.c.line_id, func.sum(latest.c.points).label("total"))
        .group_by(latest.c.student_id, latest.c.line_id)
        .having(func.bool_or(latest.c.control_type == ControlType.FINAL.value))
        .cte("totals")
    )
    grade = case(
        (totals.c.total >= scale_table.c.min5, 5),
        (totals.c.total >= scale_table.c.min4, 4),
        (totals.c.total >= scale_table.c.min3, 3),
        else_=2,
    )
    graded = (
        select(
            totals.c.student_id,
            totals.c.line_id,
            totals.c.total,
            lines.c.credit,
            grade.label("grade"),
            ((grade < 3) | (totals.c.total < scale_table.c.pass_points)).label("debt"),
        )
        .join(lines, (lines.c.student_id == totals.c.student_id) & (lines.c.line_id == totals.c.line_id))
        .join(scope, scope.c.student_id == totals.c.student_id)
        .join(scale_table, scale_table.c.curriculum_id == scope.c.curriculum_id)
        .cte("graded")
    )
    unexcused = (
        select(
            Absence.student_id,
            Absence.curriculum_subject_id.label("line_id"),
            func.sum(Absence.hours).filter(Absence.excuse_document.is_(None)).label("hours"),
        )
        .where(Absence.student_id.in_(select(scope.c.student_id)))
        .group_by(Absence.student_id, Absence.curriculum_subject_id)
        .cte("unexcused")
    )
    share = func.round(cast(unexcused.c.hours, Numeric) / lines.c.classroom, 4)
    barred = (
        select(lines.c.student_id, func.count().label("barred"))
        .join(
            unexcused,
            (unexcused.c.student_id == lines.c.student_id) & (unexcused.c.line_id == lines.c.line_id),
        )
        .outerjoin(
            totals, (totals.c.student_id == lines.c.student_id) & (totals.c.line_id == lines.c.line_id)
        )
        .where(totals.c.line_id.is_(None), lines.c.classroom > 0, share >= DEFAULT_BAR)
        .group_by(lines.c.student_id)
        .cte("barred")
    )
    return TermCtes(lines, graded, barred, latest)


# Above this many stale students a refresh resolves them with whole-term hashes, not lookups.
MANY_STUDENTS = 2_000


@cache
def cohort_performance_query() -> Any:
    """The summed results of studying students (as last refreshed: refresh_performance), added
    up by education type, form and course: what the ministry's roll-ups report (hemis.rollups).
    Rows: education_type, education_form, course, students, graded, points_100, points_sum,
    grade_5 … grade_2, debts, debtors, gpa_sum, gpa_students. Built once."""
    kept = StudentPerformance
    cohort = (AcademicGroup.education_type, AcademicGroup.education_form, AcademicGroup.course)
    query = (
        select(
            *cohort,
            func.count().filter((kept.graded > 0) | (kept.barred > 0)).label("students"),
            func.sum(kept.graded).label("graded"),
            func.sum(kept.points_100).label("points_100"),
            func.sum(kept.points_sum).label("points_sum"),
            *(func.sum(getattr(kept, f"grade_{g}")).label(f"grade_{g}") for g in (5, 4, 3, 2)),
            func.sum(kept.debts).label("debts"),
            func.count().filter(kept.debts > 0).label("debtors"),
            func.coalesce(func.sum(kept.gpa), 0).label("gpa_sum"),
            func.count(kept.gpa).label("gpa_students"),
        )
        .join(Student, Student.id == kept.student_id)
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .where(Student.status == STUDYING, AcademicGroup.curriculum_id.is_not(None))
        .group_by(*cohort)
    )
    return query


@cache
def _performance_statement(*, everyone: bool) -> Any:
    """INSERT of StudentPerformance rows for the studying students of the `ids` parameter (all
    when `everyone`): their results of the current and previous study year (h_course 10 + y has
    h_semester codes 2y + 9 and 2y + 10, so the two years are 2y + 7 to 2y + 10), summed.
    Parameters: scale_params(), `on_100` (curricula on a 100-point total: average points mean
    nothing on the 5-point system) and `ids`. Built once per shape, as the rating statement."""
    scope_query = (
        select(
            Student.id.label("student_id"),
            AcademicGroup.curriculum_id,
            AcademicGroup.course,
        )
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .where(Student.status == STUDYING, AcademicGroup.curriculum_id.is_not(None))
    )
    if not everyone:
        scope_query = scope_query.where(Student.id == any_of("ids"))
    scope = scope_query.cte("scope")
    year = cast(scope.c.course, Integer) - 10
    term = _term_results(
        scope, cast(CurriculumSubject.semester, Integer).between(2 * year + 7, 2 * year + 10)
    )
    graded = term.graded
    on_100 = scope.c.curriculum_id == any_of("on_100")
    per_student = (
        select(
            graded.c.student_id,
            func.count().label("graded"),
            func.count().filter(on_100).label("points_100"),
            func.coalesce(func.sum(graded.c.total).filter(on_100), 0).label("points_sum"),
            *(func.count().filter(graded.c.grade == g).label(f"grade_{g}") for g in (5, 4, 3, 2)),
            func.count().filter(graded.c.debt).label("debts"),
            func.round(
                func.sum(graded.c.credit * graded.c.grade) / func.nullif(func.sum(graded.c.credit), 0), 1
            ).label("gpa"),
        )
        .join(scope, scope.c.student_id == graded.c.student_id)
        .group_by(graded.c.student_id)
        .cte("per_student")
    )
    # `latest` holds marks of any line some student of the scope takes: only each student's own
    # lines count, or the figure would depend on who else is refreshed at the same time.
    latest, lines = term.latest, term.lines
    marked = (
        select(
            latest.c.student_id,
            func.sum(latest.c.marks).label("marks"),
            func.sum(latest.c.on_time).label("on_time"),
        )
        .join(lines, (lines.c.student_id == latest.c.student_id) & (lines.c.line_id == latest.c.line_id))
        .group_by(latest.c.student_id)
        .cte("marked")
    )
    # Hours missed in each semester of the running study year (2y + 9 autumn, 2y + 10 spring), on
    # the lines the student takes: the roll-ups' attendance takes the running one.
    line_semester = cast(CurriculumSubject.semester, Integer)
    excused = Absence.excuse_document.is_not(None)
    absent = (
        select(
            Absence.student_id,
            *(
                func.coalesce(
                    func.sum(Absence.hours).filter(line_semester == 2 * year + 9 + i, *when), 0
                ).label(name)
                for i, season in enumerate(("autumn", "spring"))
                for name, when in ((f"missed_{season}", ()), (f"excused_{season}", (excused,)))
            ),
        )
        .join(scope, scope.c.student_id == Absence.student_id)
        # Lines the student takes: an elective dropped after absences keeps them, unplanned.
        .join(
            lines,
            (lines.c.student_id == Absence.student_id) & (lines.c.line_id == Absence.curriculum_subject_id),
        )
        .join(CurriculumSubject, CurriculumSubject.id == Absence.curriculum_subject_id)
        .where(line_semester.between(2 * year + 9, 2 * year + 10))
        .group_by(Absence.student_id)
        .cte("absent")
    )
    barred = term.barred
    zero = literal(0)
    rows = (
        select(
            scope.c.student_id,
            func.coalesce(per_student.c.graded, zero),
            func.coalesce(per_student.c.points_100, zero),
            func.coalesce(per_student.c.points_sum, zero),
            *(func.coalesce(per_student.c[f"grade_{g}"], zero) for g in (5, 4, 3, 2)),
            func.coalesce(per_student.c.debts, zero) + func.coalesce(barred.c.barred, zero),
            func.coalesce(barred.c.barred, zero),
            per_student.c.gpa,
            func.coalesce(marked.c.marks, zero),
            func.coalesce(marked.c.on_time, zero),
            *(
                func.coalesce(absent.c[f"{kind}_{season}"], zero)
                for season in ("autumn", "spring")
                for kind in ("missed", "excused")
            ),
        )
        .outerjoin(per_student, per_student.c.student_id == scope.c.student_id)
        .outerjoin(barred, barred.c.student_id == scope.c.student_id)
        .outerjoin(marked, marked.c.student_id == scope.c.student_id)
        .outerjoin(absent, absent.c.student_id == scope.c.student_id)
        .where(
            per_student.c.student_id.is_not(None)
            | barred.c.student_id.is_not(None)
            | marked.c.student_id.is_not(None)
            | absent.c.student_id.is_not(None)
        )
    )
    # The Core table, not the class: an ORM insert would read the parameters as rows to insert.
    kept = table_of(StudentPerformance)
    return insert(kept).from_select([c.name for c in kept.columns], rows)


SCALE_COLUMNS: Columns = (
    ("curriculum_id", BigInteger()),
    *((name, Numeric()) for name in ("min5", "min4", "min3", "pass_points")),
)
TERM_COLUMNS: Columns = (("group_id", BigInteger()), ("semester", String()))


def scale_params(scales: Mapping[int, GradingScale]) -> dict[str, list[Any]]:
    """Each curriculum's grade borders and pass mark: the `scale` table of `_term_results`."""
    return bound_values("scale", SCALE_COLUMNS, [(cid, *_borders(s)) for cid, s in scales.items()])


def _borders(scale: GradingScale) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    least = {b.grade: b.minimum for b in scale.borders}
    return least[5], least[4], least[3], scale.pass_points
