"""/api/v1/specialties, /api/v1/subjects, /api/v1/curricula and a curriculum's subjects."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from hemis.core.auth import MEMBERS, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.errors import NotFound
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read
from hemis.curriculum.schemas import (
    CurriculumCreate,
    CurriculumRead,
    CurriculumSubjectCreate,
    CurriculumSubjectRead,
    CurriculumSubjectUpdate,
    CurriculumUpdate,
    SemesterPlan,
    SpecialtyCreate,
    SpecialtyRead,
    SubjectCreate,
    SubjectRead,
    WeekCreate,
    WeekRead,
)
from hemis.curriculum.service import (
    CurriculumService,
    CurriculumSubjectService,
    CurriculumWeekService,
    SpecialtyService,
    SubjectService,
)

READ = requires_role(*MEMBERS)
SemesterFilter = Annotated[str | None, QueryParameter(pattern=r"^\d{2}$")]
WRITE = requires_role(Role.ADMIN, Role.REGISTRAR)


class _CurriculumController(Controller):
    tags = ["Curricula"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "specialties": provide_service(SpecialtyService),
        "subjects": provide_service(SubjectService),
        "curricula": provide_service(CurriculumService),
        "lines": provide_service(CurriculumSubjectService),
        "weeks": provide_service(CurriculumWeekService),
    }


class SpecialtyController(_CurriculumController):
    path = "/api/v1/specialties"

    @get(operation_id="ListSpecialties", guards=[READ])
    async def list_specialties(
        self, specialties: NamedDependency[SpecialtyService], params: NamedDependency[ListParams]
    ) -> Page[SpecialtyRead]:
        """Specialties (bachelor's directions and master's specialities) taught here."""
        rows, total = await specialties.page(params)
        return page_of(rows, total, params.limit, params.offset, SpecialtyRead)

    @post(operation_id="CreateSpecialty", guards=[WRITE])
    async def create_specialty(
        self, specialties: NamedDependency[SpecialtyService], data: JSONBody[SpecialtyCreate]
    ) -> SpecialtyRead:
        """Add a specialty."""
        return to_read(await specialties.create(changes(data)), SpecialtyRead)


class SubjectController(_CurriculumController):
    path = "/api/v1/subjects"

    @get(operation_id="ListSubjects", guards=[READ])
    async def list_subjects(
        self, subjects: NamedDependency[SubjectService], params: NamedDependency[ListParams]
    ) -> Page[SubjectRead]:
        """Subjects (fanlar) of this university."""
        rows, total = await subjects.page(params)
        return page_of(rows, total, params.limit, params.offset, SubjectRead)

    @post(operation_id="CreateSubject", guards=[WRITE])
    async def create_subject(
        self, subjects: NamedDependency[SubjectService], data: JSONBody[SubjectCreate]
    ) -> SubjectRead:
        """Add a subject, optionally owned by a kafedra."""
        return to_read(await subjects.create(changes(data)), SubjectRead)


class CurriculumController(_CurriculumController):
    path = "/api/v1/curricula"

    @get(operation_id="ListCurricula", guards=[READ])
    async def list_curricula(
        self,
        curricula: NamedDependency[CurriculumService],
        params: NamedDependency[ListParams],
        specialty_id: QueryId = None,
    ) -> Page[CurriculumRead]:
        """Curricula, by specialty."""
        rows, total = await curricula.page(params, specialty_id=specialty_id)
        return page_of(rows, total, params.limit, params.offset, CurriculumRead)

    @get("/{item_id:int}", operation_id="GetCurriculum", guards=[READ])
    async def get_curriculum(
        self, curricula: NamedDependency[CurriculumService], item_id: PathId
    ) -> CurriculumRead:
        """One curriculum."""
        return to_read(await curricula.get(item_id), CurriculumRead)

    @post(operation_id="CreateCurriculum", guards=[WRITE])
    async def create_curriculum(
        self, curricula: NamedDependency[CurriculumService], data: JSONBody[CurriculumCreate]
    ) -> CurriculumRead:
        """Add a curriculum for a specialty, form of study and admission year."""
        return to_read(await curricula.create(changes(data)), CurriculumRead)

    @patch("/{item_id:int}", operation_id="UpdateCurriculum", guards=[WRITE])
    async def update_curriculum(
        self, curricula: NamedDependency[CurriculumService], item_id: PathId, data: JSONBody[CurriculumUpdate]
    ) -> CurriculumRead:
        """Rename, retire, or give the curriculum its own grading scale."""
        return to_read(await curricula.update(item_id, changes(data)), CurriculumRead)

    @get("/{item_id:int}/subjects", operation_id="ListCurriculumSubjects", guards=[READ])
    async def list_lines(
        self,
        lines: NamedDependency[CurriculumSubjectService],
        item_id: PathId,
        semester: Annotated[str | None, QueryParameter(pattern=r"^\d{2}$")] = None,
    ) -> list[CurriculumSubjectRead]:
        """The curriculum's subjects with credits, hours and control maxima, by semester."""
        return [to_read(r, CurriculumSubjectRead) for r in await lines.for_curriculum(item_id, semester)]

    @post("/{item_id:int}/subjects", operation_id="AddCurriculumSubject", guards=[WRITE])
    async def add_line(
        self,
        lines: NamedDependency[CurriculumSubjectService],
        item_id: PathId,
        data: JSONBody[CurriculumSubjectCreate],
    ) -> CurriculumSubjectRead:
        """Put a subject into a semester of the curriculum."""
        return to_read(await lines.create({**changes(data), "curriculum_id": item_id}), CurriculumSubjectRead)

    @patch("/{item_id:int}/subjects/{line_id:int}", operation_id="UpdateCurriculumSubject", guards=[WRITE])
    async def update_line(
        self,
        lines: NamedDependency[CurriculumSubjectService],
        item_id: PathId,
        line_id: PathId,
        data: JSONBody[CurriculumSubjectUpdate],
    ) -> CurriculumSubjectRead:
        """Change a subject's credit, hours or control maxima."""
        line = await lines.get(line_id)
        if line.curriculum_id != item_id:
            raise NotFound(field="line_id")
        return to_read(await lines.update(line_id, changes(data)), CurriculumSubjectRead)

    @get("/{item_id:int}/weeks", operation_id="ListCurriculumWeeks", guards=[READ])
    async def list_weeks(
        self, weeks: NamedDependency[CurriculumWeekService], item_id: PathId, semester: SemesterFilter = None
    ) -> list[WeekRead]:
        """The curriculum's week calendar (by semester): week number, its Monday, and its type."""
        return [to_read(w, WeekRead) for w in await weeks.calendar(item_id, semester)]

    @post("/{item_id:int}/weeks", operation_id="AddCurriculumWeek", guards=[WRITE])
    async def add_week(
        self, weeks: NamedDependency[CurriculumWeekService], item_id: PathId, data: JSONBody[WeekCreate]
    ) -> WeekRead:
        """Add one week to the calendar."""
        return to_read(await weeks.create({**changes(data), "curriculum_id": item_id}), WeekRead)

    @post(
        "/{item_id:int}/semesters/{semester:str}/plan", operation_id="PlanCurriculumSemester", guards=[WRITE]
    )
    async def plan_semester(
        self,
        weeks: NamedDependency[CurriculumWeekService],
        item_id: PathId,
        semester: Annotated[str, PathParameter(pattern=r"^(1[1-9]|2[0-2])$")],
        data: JSONBody[SemesterPlan],
    ) -> list[WeekRead]:
        """Lay out a semester's weeks from its first Monday: e.g. 15 theory, 3 exam, 2 vacation."""
        blocks = [(b.week_type, b.count) for b in data.blocks]
        return [
            to_read(w, WeekRead)
            for w in await weeks.plan_semester(item_id, semester, data.start_date, blocks)
        ]

    @delete("/{item_id:int}/weeks/{week_id:int}", operation_id="DeleteCurriculumWeek", guards=[WRITE])
    async def delete_week(
        self, weeks: NamedDependency[CurriculumWeekService], item_id: PathId, week_id: PathId
    ) -> None:
        """Remove one week from the calendar."""
        week = await weeks.get(week_id)
        if week.curriculum_id != item_id:
            raise NotFound(field="week_id")
        await weeks.delete(week_id)
