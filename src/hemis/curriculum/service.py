"""Curriculum rules: references exist, semesters fit the curriculum, control maxima add up to the scale."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from hemis.core.crud import BadReference, CrudService, Duplicate
from hemis.core.errors import Conflict, HemisError, NotFound, OutOfRange, TooPrecise
from hemis.core.listing import ListParams, fetch_page
from hemis.core.refs import check_sent_codes
from hemis.curriculum.models import Curriculum, CurriculumSubject, CurriculumWeek, Specialty, Subject
from hemis.grading.models import GradingScaleConfig, Mark, MarkSheet
from hemis.grading.scales import scale_for
from hemis.structure.models import Department, StructureType

MAX_FIELDS = ("max_current", "max_midterm", "max_final")


class SemesterOutsideCurriculum(HemisError):
    status_code = 422
    message_key = "curriculum.semester_outside"


class ScaleMismatch(HemisError):
    status_code = 422
    message_key = "curriculum.scale_mismatch"


class MarksAboveMaximum(HemisError):
    status_code = 409
    message_key = "curriculum.marks_above_maximum"


class NotMonday(HemisError):
    status_code = 422
    message_key = "curriculum.not_monday"


class MaxPointsSum(HemisError):
    status_code = 422
    message_key = "curriculum.max_points_sum"


class SpecialtyService(CrudService[Specialty]):
    model = Specialty

    async def check(self, values: dict[str, Any], current: Specialty | None, changed: frozenset[str]) -> None:
        await check_sent_codes(self.session, values, changed, {"education_type": "h_education_type"})

    async def page(self, params: ListParams) -> tuple[list[Specialty], int]:
        return await fetch_page(
            self.session,
            select(Specialty),
            params,
            sortable={"code": Specialty.code, "name": Specialty.name},
            default_sort="code",
            searchable=[Specialty.code, Specialty.name],
        )


class SubjectService(CrudService[Subject]):
    model = Subject

    async def check(self, values: dict[str, Any], current: Subject | None, changed: frozenset[str]) -> None:
        department_id = values.get("department_id")
        if (
            "department_id" in changed
            and department_id is not None
            and not await self.exists(Department, department_id)
        ):
            raise BadReference(field="department_id")

    async def page(self, params: ListParams) -> tuple[list[Subject], int]:
        return await fetch_page(
            self.session,
            select(Subject),
            params,
            sortable={"code": Subject.code, "name": Subject.name},
            default_sort="name",
            searchable=[Subject.code, Subject.name],
        )


class CurriculumService(CrudService[Curriculum]):
    model = Curriculum

    async def check(
        self, values: dict[str, Any], current: Curriculum | None, changed: frozenset[str]
    ) -> None:
        if "specialty_id" in changed and not await self.exists(Specialty, values["specialty_id"]):
            raise BadReference(field="specialty_id")
        if "department_id" in changed:
            faculty = await self.session.get(Department, values["department_id"])
            if faculty is None or faculty.structure_type != StructureType.FACULTY:
                raise BadReference(field="department_id")
        codes = {"education_form": "h_education_form", "marking_system": "h_marking_system"}
        await check_sent_codes(self.session, values, changed, codes)
        if values.get("grading_scale_id") is not None and changed & {"grading_scale_id", "marking_system"}:
            scale = await self.session.get(GradingScaleConfig, values["grading_scale_id"])
            if scale is None:
                raise BadReference(field="grading_scale_id")
            if scale.marking_system != values["marking_system"]:
                raise ScaleMismatch(field="grading_scale_id")
        if current is not None and "grading_scale_id" in changed:
            await self._keep_maxima(current, values)

    async def _keep_maxima(self, current: Curriculum, values: dict[str, Any]) -> None:
        """A new scale with another maximum would leave the subjects' JN/ON/YN maxima adding up wrong."""
        scale = await scale_for(self.session, values["marking_system"], values["grading_scale_id"])
        expected = scale.max_points
        total = CurriculumSubject.max_current + CurriculumSubject.max_midterm + CurriculumSubject.max_final
        wrong = await self.session.scalar(
            select(CurriculumSubject.id)
            .where(CurriculumSubject.curriculum_id == current.id, total != expected)
            .limit(1)
        )
        if wrong is not None:
            raise Conflict(field="grading_scale_id")

    async def page(self, params: ListParams, *, specialty_id: int | None) -> tuple[list[Curriculum], int]:
        query = select(Curriculum)
        if specialty_id is not None:
            query = query.where(Curriculum.specialty_id == specialty_id)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"name": Curriculum.name, "admission_year": Curriculum.admission_year},
            default_sort="name",
            searchable=[Curriculum.name],
        )


class CurriculumSubjectService(CrudService[CurriculumSubject]):
    model = CurriculumSubject

    async def check(
        self, values: dict[str, Any], current: CurriculumSubject | None, changed: frozenset[str]
    ) -> None:
        OutOfRange.check(values, "credit", Decimal(0), Decimal(30), low_open=True)
        TooPrecise.check(values, "credit", 1)
        for field in MAX_FIELDS:
            OutOfRange.check(values, field, Decimal(0), Decimal(100))
            TooPrecise.check(values, field, 2)
        curriculum = await self.session.get(Curriculum, values["curriculum_id"])
        if curriculum is None:
            raise BadReference(field="curriculum_id")
        if not await self.exists(Subject, values["subject_id"]):
            raise BadReference(field="subject_id")
        codes = {
            "semester": "h_semester",
            "subject_type": "h_subject_type",
            "subject_block": "h_subject_block",
        }
        await check_sent_codes(self.session, values, changed, codes)
        if int(values["semester"]) - 10 > curriculum.semester_count:
            raise SemesterOutsideCurriculum(field="semester", count=curriculum.semester_count)
        if current is not None:
            await self._keep_marks_within(current, values, changed)
        scale = await scale_for(self.session, curriculum.marking_system, curriculum.grading_scale_id)
        total = values["max_current"] + values["max_midterm"] + values["max_final"]
        if total != scale.max_points:
            sent = [f for f in MAX_FIELDS if f in changed] or ["max_final"]
            raise MaxPointsSum(field=sent[0], total=total, expected=scale.max_points)

    async def _keep_marks_within(
        self, current: CurriculumSubject, values: dict[str, Any], changed: frozenset[str]
    ) -> None:
        """A lowered maximum must still hold every mark already given for that control."""
        for field, control in zip(MAX_FIELDS, ("JN", "ON", "YN"), strict=True):
            if field not in changed or values[field] >= getattr(current, field):
                continue
            highest = await self.session.scalar(
                select(func.max(Mark.points))
                .join(MarkSheet, MarkSheet.id == Mark.sheet_id)
                .where(MarkSheet.curriculum_subject_id == current.id, MarkSheet.control_type == control)
            )
            if highest is not None and highest > values[field]:
                raise MarksAboveMaximum(field=field, highest=highest)

    async def for_curriculum(self, curriculum_id: int, semester: str | None) -> list[CurriculumSubject]:
        if not await self.exists(Curriculum, curriculum_id):
            raise BadReference(field="curriculum_id")
        query = select(CurriculumSubject).where(CurriculumSubject.curriculum_id == curriculum_id)
        if semester is not None:
            query = query.where(CurriculumSubject.semester == semester)
        return list(
            await self.session.scalars(query.order_by(CurriculumSubject.semester, CurriculumSubject.id))
        )


class CurriculumWeekService(CrudService[CurriculumWeek]):
    """The week calendar of a curriculum, semester by semester."""

    model = CurriculumWeek

    async def check(
        self, values: dict[str, Any], current: CurriculumWeek | None, changed: frozenset[str]
    ) -> None:
        curriculum = await self.session.get(Curriculum, values["curriculum_id"])
        if curriculum is None:
            raise NotFound(field="curriculum_id")
        await check_sent_codes(
            self.session, values, changed, {"semester": "h_semester", "week_type": "h_education_week_type"}
        )
        if int(values["semester"]) - 10 > curriculum.semester_count:
            raise SemesterOutsideCurriculum(field="semester", count=curriculum.semester_count)
        if values["start_date"].isoweekday() != 1:
            raise NotMonday(field="start_date")
        same = select(CurriculumWeek.semester, CurriculumWeek.number, CurriculumWeek.start_date).where(
            CurriculumWeek.curriculum_id == values["curriculum_id"],
            (CurriculumWeek.start_date == values["start_date"])
            | ((CurriculumWeek.semester == values["semester"]) & (CurriculumWeek.number == values["number"])),
        )
        if current is not None:
            same = same.where(CurriculumWeek.id != current.id)
        for _, _, start in (await self.session.execute(same)).all():
            raise Duplicate(field="start_date" if start == values["start_date"] else "number")

    async def calendar(self, curriculum_id: int, semester: str | None) -> list[CurriculumWeek]:
        if not await self.exists(Curriculum, curriculum_id):
            raise NotFound(field="curriculum_id")
        query = select(CurriculumWeek).where(CurriculumWeek.curriculum_id == curriculum_id)
        if semester is not None:
            query = query.where(CurriculumWeek.semester == semester)
        return list(await self.session.scalars(query.order_by(CurriculumWeek.start_date)))

    async def plan_semester(
        self, curriculum_id: int, semester: str, start: date, blocks: Sequence[tuple[str, int]]
    ) -> list[CurriculumWeek]:
        """Lay out a semester from its first Monday: (week type, how many weeks) in order,
        e.g. 15 theory weeks, 3 exam weeks, 2 weeks of vacation."""
        OutOfRange.check({"blocks": sum(count for _, count in blocks)}, "blocks", 1, 30)
        if await self.calendar(curriculum_id, semester):
            raise Conflict(field="semester")  # an existing calendar is edited week by week
        weeks = []
        for number, week_type in enumerate((t for t, count in blocks for _ in range(count)), start=1):
            values = {
                "curriculum_id": curriculum_id,
                "semester": semester,
                "number": number,
                "start_date": start + timedelta(weeks=number - 1),
                "week_type": week_type,
            }
            weeks.append(await self.create(values))
        return weeks
