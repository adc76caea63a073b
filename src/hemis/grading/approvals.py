"""Changing a mark on a locked sheet: one person asks with a reason, a second person decides.

The request records the mark's version the requester saw; approving applies the change
through MarkService (bounds, optimistic locking, the hash-chained history) as the approver,
with a reason naming both people, so the history shows who asked and who approved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hemis.core import audit
from hemis.core.crud import Duplicate
from hemis.core.errors import Conflict, HemisError, NotFound
from hemis.core.listing import ListParams, fetch_page
from hemis.grading.models import Mark, MarkChangeRequest, MarkSheet
from hemis.grading.service import MarkService, StaleMark, is_locked
from hemis.identity.scope import check_group_subject, group_filter

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class NotLocked(HemisError):
    status_code = 409
    message_key = "grading.not_locked"


class SamePerson(HemisError):
    status_code = 403
    message_key = "grading.same_person"


class ApprovalService(MarkService):
    async def request(self, mark_id: int, points: Decimal, version: int, reason: str) -> MarkChangeRequest:
        mark, sheet, line = await self.load(mark_id)
        await check_group_subject(self.session, self.principal, sheet.group_id, line.id, field="mark_id")
        if not is_locked(sheet):
            raise NotLocked(field="sheet_id")  # an open sheet is corrected directly
        if mark.version != version:
            raise StaleMark(field="version", current=mark.version)
        self.check_points(points, sheet, line)
        change = MarkChangeRequest(
            mark_id=mark_id, points=points, version=version, reason=reason, requested_by=self.actor
        )
        self.session.add(change)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Duplicate(field="mark_id") from exc  # another request for this mark is still open
        await self._audit(change, "requested")
        return change

    async def decide(self, request_id: int, *, approve: bool, note: str) -> MarkChangeRequest:
        change = await self.session.get(MarkChangeRequest, request_id, with_for_update=True)
        if change is None:
            raise NotFound(field="id")
        if change.status != PENDING:
            raise Conflict(field="id")
        if change.requested_by == self.actor:
            raise SamePerson(field="id")  # the second pair of eyes must be another person's
        _, sheet, line = await self.load(change.mark_id)
        await check_group_subject(self.session, self.principal, sheet.group_id, line.id, field="id")
        if approve:
            reason = f"{change.reason} (#{change.id}: {change.requested_by} → {self.actor})"
            await self.correct(change.mark_id, change.points, change.version, reason[:500], approved=True)
        change.status = APPROVED if approve else REJECTED
        change.decided_by = self.actor
        change.decided_at = datetime.now(UTC)
        change.decision_note = note
        await self.session.flush()
        await self._audit(change, change.status)
        return change

    async def page(self, params: ListParams, *, status: str | None) -> tuple[list[MarkChangeRequest], int]:
        query = select(MarkChangeRequest)
        mine = group_filter(self.principal, MarkSheet.group_id)
        if mine is not None:  # a teacher or dean lists the requests of their own groups
            query = (
                query.join(Mark, Mark.id == MarkChangeRequest.mark_id)
                .join(MarkSheet, MarkSheet.id == Mark.sheet_id)
                .where(mine)
            )
        if status is not None:
            query = query.where(MarkChangeRequest.status == status)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"created_at": MarkChangeRequest.created_at, "id": MarkChangeRequest.id},
            default_sort="-id",
        )

    async def _audit(self, change: MarkChangeRequest, verb: str) -> None:
        await audit.record(
            self.session,
            f"mark_change_request.{verb}",
            entity="mark_change_request",
            entity_id=change.id,
            actor=self.actor,
            data={"mark_id": change.mark_id, "points": str(change.points), "reason": change.reason},
        )
