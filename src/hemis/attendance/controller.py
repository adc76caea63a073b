"""/api/v1/attendance: absences, excuses (dean's office) and a student's summary per subject."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from hemis.attendance.models import Absence
from hemis.attendance.schemas import AbsenceCreate, AbsenceRead, AttendanceSummaryRead, ExcuseCreate
from hemis.attendance.service import AttendanceService
from hemis.core.auth import Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import PathId
from hemis.core.schemas import MAX_ID, changes

TEACHERS = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.TEACHER)
DEANS = requires_role(Role.ADMIN, Role.DEAN)
# Guardians too: their linked students' summaries only (hemis.identity.scope).
READERS = requires_role(
    Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.TEACHER, Role.TUTOR, Role.INTEGRATION, Role.GUARDIAN
)
RequiredId = Annotated[int, QueryParameter(ge=1, le=MAX_ID)]


def absence_view(row: Absence) -> AbsenceRead:
    return AbsenceRead(
        id=row.id,
        student_id=row.student_id,
        curriculum_subject_id=row.curriculum_subject_id,
        lesson_date=row.lesson_date,
        lesson_pair=row.lesson_pair,
        training_type=row.training_type,
        hours=row.hours,
        excused=row.excuse_document is not None,
        excuse_document=row.excuse_document,
    )


class AttendanceController(Controller):
    path = "/api/v1/attendance"
    tags = ["Attendance"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {"principal": Provide(provide_principal), "attendance": provide_service(AttendanceService)}

    @post("/absences", operation_id="RecordAbsence", guards=[TEACHERS])
    async def record(
        self, attendance: NamedDependency[AttendanceService], data: JSONBody[AbsenceCreate]
    ) -> AbsenceRead:
        """Record hours a student missed of one lesson."""
        return absence_view(await attendance.create(changes(data)))

    @post("/absences/{absence_id:int}/excuse", operation_id="ExcuseAbsence", guards=[DEANS])
    async def excuse(
        self, attendance: NamedDependency[AttendanceService], absence_id: PathId, data: JSONBody[ExcuseCreate]
    ) -> AbsenceRead:
        """Excuse an absence with the document that justifies it (dean's office)."""
        return absence_view(await attendance.excuse(absence_id, data.document))

    @get("/summary", operation_id="GetAttendanceSummary", guards=[READERS])
    async def summary(
        self,
        attendance: NamedDependency[AttendanceService],
        student_id: RequiredId,
        curriculum_subject_id: RequiredId,
    ) -> AttendanceSummaryRead:
        """Missed and unexcused hours of a student in a subject, and whether they bar the final."""
        s = await attendance.summary(student_id, curriculum_subject_id)
        return AttendanceSummaryRead(
            student_id=student_id,
            curriculum_subject_id=curriculum_subject_id,
            classroom_hours=s.classroom_hours,
            absent_hours=s.absent_hours,
            unexcused_hours=s.unexcused_hours,
            unexcused_share=s.unexcused_share,
            barred_from_final=s.barred_from_final,
        )
