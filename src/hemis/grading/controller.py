"""/api/v1/grading: rating sheets, marks, corrections, history and its verification."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from hemis.core.auth import Forbidden, Principal, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import ListParams, PathId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read
from hemis.grading.approvals import ApprovalService
from hemis.grading.models import MarkSheet
from hemis.grading.rules import ControlType
from hemis.grading.scales import ScaleService
from hemis.grading.schemas import (
    ChainReport,
    ChangeRequestCreate,
    ChangeRequestRead,
    DecisionCreate,
    GradeEventRead,
    MarkCorrection,
    MarkCreate,
    MarkRead,
    ScaleCreate,
    ScaleRead,
    ScaleUpdate,
    SheetCreate,
    SheetRead,
)
from hemis.grading.service import MarkService, SheetService, is_locked

MARKERS = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.TEACHER)
READERS = requires_role(Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.TEACHER, Role.INTEGRATION)
AUDITORS = requires_role(Role.ADMIN)
SCALE_WRITERS = requires_role(Role.ADMIN, Role.REGISTRAR)
OFFICES = frozenset({Role.ADMIN, Role.REGISTRAR, Role.DEAN})
APPROVERS = requires_role(*OFFICES)
RequestStatus = Annotated[str | None, QueryParameter(pattern=r"^(pending|approved|rejected)$")]


def sheet_view(sheet: MarkSheet) -> SheetRead:
    return SheetRead(
        id=sheet.id,
        curriculum_subject_id=sheet.curriculum_subject_id,
        group_id=sheet.group_id,
        control_type=ControlType(sheet.control_type),
        attempt=sheet.attempt,
        held_on=sheet.held_on,
        lock_after_days=sheet.lock_after_days,
        locked=is_locked(sheet),
    )


class GradingController(Controller):
    path = "/api/v1/grading"
    tags = ["Grading"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "scales": provide_service(ScaleService),
        "sheets": provide_service(SheetService),
        "marks": provide_service(MarkService),
        "approvals": provide_service(ApprovalService),
    }

    @get("/scales", operation_id="ListGradingScales", guards=[READERS])
    async def list_scales(
        self, scales: NamedDependency[ScaleService], params: NamedDependency[ListParams]
    ) -> Page[ScaleRead]:
        """This university's own grading scales (HEMIS's built-in scales apply where none is set)."""
        rows, total = await scales.page(params)
        return page_of(rows, total, params.limit, params.offset, ScaleRead)

    @get("/scales/{item_id:int}", operation_id="GetGradingScale", guards=[READERS])
    async def get_scale(self, scales: NamedDependency[ScaleService], item_id: PathId) -> ScaleRead:
        """One grading scale."""
        return to_read(await scales.get(item_id), ScaleRead)

    @post("/scales", operation_id="CreateGradingScale", guards=[SCALE_WRITERS])
    async def create_scale(
        self, scales: NamedDependency[ScaleService], data: JSONBody[ScaleCreate]
    ) -> ScaleRead:
        """Add a scale: the least points of grades 5, 4 and 3, the pass mark, attempts, GPA limit."""
        return to_read(await scales.create(changes(data)), ScaleRead)

    @patch("/scales/{item_id:int}", operation_id="UpdateGradingScale", guards=[SCALE_WRITERS])
    async def update_scale(
        self, scales: NamedDependency[ScaleService], item_id: PathId, data: JSONBody[ScaleUpdate]
    ) -> ScaleRead:
        """Change a scale; its maximum stays while curricula use it (409)."""
        return to_read(await scales.update(item_id, changes(data)), ScaleRead)

    @post("/sheets", operation_id="CreateMarkSheet", guards=[MARKERS])
    async def create_sheet(
        self,
        sheets: NamedDependency[SheetService],
        principal: NamedDependency[Principal],
        data: JSONBody[SheetCreate],
    ) -> SheetRead:
        """Open a rating sheet (JN, ON or YN) of a curriculum subject for a group; finals and
        retakes (attempt > 1) only by the registrar's or dean's office."""
        if data.control_type is ControlType.FINAL and not principal.has_any(OFFICES):
            raise Forbidden("grading.final_by_office", field="control_type")
        return sheet_view(await sheets.create(changes(data)))

    @get("/sheets/{sheet_id:int}", operation_id="GetMarkSheet", guards=[READERS])
    async def get_sheet(self, marks: NamedDependency[MarkService], sheet_id: PathId) -> SheetRead:
        """One sheet, with whether it is locked."""
        return sheet_view(await marks.sheet(sheet_id))

    @get("/sheets/{sheet_id:int}/marks", operation_id="ListSheetMarks", guards=[READERS])
    async def list_marks(self, marks: NamedDependency[MarkService], sheet_id: PathId) -> list[MarkRead]:
        """The marks of a sheet."""
        return [to_read(m, MarkRead) for m in await marks.marks(sheet_id)]

    @post("/sheets/{sheet_id:int}/marks", operation_id="RecordMark", guards=[MARKERS])
    async def record_mark(
        self, marks: NamedDependency[MarkService], sheet_id: PathId, data: JSONBody[MarkCreate]
    ) -> MarkRead:
        """Record a student's points on an open sheet (the student must be in the sheet's group)."""
        return to_read(await marks.record(sheet_id, data.student_id, data.points), MarkRead)

    @patch("/marks/{mark_id:int}", operation_id="CorrectMark", guards=[MARKERS])
    async def correct_mark(
        self, marks: NamedDependency[MarkService], mark_id: PathId, data: JSONBody[MarkCorrection]
    ) -> MarkRead:
        """Correct a mark: send the version you saw and a reason; a stale version is a 409."""
        return to_read(await marks.correct(mark_id, data.points, data.version, data.reason), MarkRead)

    @post("/marks/{mark_id:int}/change-requests", operation_id="RequestMarkChange", guards=[MARKERS])
    async def request_change(
        self,
        approvals: NamedDependency[ApprovalService],
        mark_id: PathId,
        data: JSONBody[ChangeRequestCreate],
    ) -> ChangeRequestRead:
        """Ask to change a mark on a locked sheet: a second person (dean's or registrar's office) decides."""
        change = await approvals.request(mark_id, data.points, data.version, data.reason)
        return to_read(change, ChangeRequestRead)

    @get("/change-requests", operation_id="ListMarkChangeRequests", guards=[READERS])
    async def list_change_requests(
        self,
        approvals: NamedDependency[ApprovalService],
        params: NamedDependency[ListParams],
        status: RequestStatus = None,
    ) -> Page[ChangeRequestRead]:
        """Requests to change locked marks, newest first; filter by status."""
        rows, total = await approvals.page(params, status=status)
        return page_of(rows, total, params.limit, params.offset, ChangeRequestRead)

    @post("/change-requests/{request_id:int}/approve", operation_id="ApproveMarkChange", guards=[APPROVERS])
    async def approve_change(
        self, approvals: NamedDependency[ApprovalService], request_id: PathId, data: JSONBody[DecisionCreate]
    ) -> ChangeRequestRead:
        """Approve another person's request: the mark changes now, in its history with both names."""
        return to_read(await approvals.decide(request_id, approve=True, note=data.note), ChangeRequestRead)

    @post("/change-requests/{request_id:int}/reject", operation_id="RejectMarkChange", guards=[APPROVERS])
    async def reject_change(
        self, approvals: NamedDependency[ApprovalService], request_id: PathId, data: JSONBody[DecisionCreate]
    ) -> ChangeRequestRead:
        """Reject a request; the mark stays."""
        return to_read(await approvals.decide(request_id, approve=False, note=data.note), ChangeRequestRead)

    @get("/marks/{mark_id:int}/history", operation_id="ListMarkHistory", guards=[READERS])
    async def mark_history(
        self, marks: NamedDependency[MarkService], mark_id: PathId
    ) -> list[GradeEventRead]:
        """Every value the mark has had: who, when, why."""
        return [to_read(e, GradeEventRead) for e in await marks.history(mark_id)]

    @get("/history/verify", operation_id="VerifyGradeHistory", guards=[AUDITORS])
    async def verify_history(self, marks: NamedDependency[MarkService]) -> ChainReport:
        """Recompute the hash chain of this university's grade history; any broken row is listed."""
        events, broken, mismatched = await marks.verify()
        return ChainReport(
            events=events,
            broken_ids=broken,
            mismatched_mark_ids=mismatched,
            intact=not broken and not mismatched,
        )
