"""/portal/children and /portal/children/{student_id}: a guardian's (parent's) pages (issue 8).

A guardian is an account with the guardian role that the registrar's office linked to students
(hemis.guardians). They see those students and, of each, the marks and attendance only: no rank,
money, stipends or notifications. The student's pages' own reads (hemis.portal.student) serve
them, in the request's transaction and under the guardian's principal, so the services check
the link again (hemis.identity.scope, `guardians=True`). A student id in the URL that is not
linked to the account answers 404 before anything of that student is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.attendance.rules import DEFAULT_BAR
from hemis.core.auth import Principal, Role
from hemis.core.errors import HemisError
from hemis.core.i18n import LANGUAGES
from hemis.core.listing import PathId
from hemis.guardians.models import GuardianLink
from hemis.portal.pages import CONTROLS
from hemis.portal.student import Me, StudentPortal
from hemis.portal.web import (
    HEADERS,
    PageView,
    Refusal,
    frame,
    page,
    refuse,
)
from hemis.students.models import AcademicGroup, Student

GUARDIAN_NAV = ("guardian.children",)
Semester = Annotated[str | None, QueryParameter(pattern=r"^1[1-9]$|^2[0-9]$")]  # as the marks page's


@dataclass(frozen=True)
class Child:
    """A student linked to the guardian, as the list shows them."""

    me: Me
    relation: str


async def children(session: AsyncSession, principal: Principal, student_id: int | None = None) -> list[Child]:
    """The students linked to this account (or just `student_id`, if it is one of them), by name.
    The account's own links only: the user id comes from the session, never from the URL."""
    query = (
        select(Student, AcademicGroup, GuardianLink.relation)
        .join(GuardianLink, GuardianLink.student_id == Student.id)
        .join(AcademicGroup, AcademicGroup.id == Student.group_id)
        .where(GuardianLink.user_id == principal.user_id)
        .order_by(Student.last_name, Student.first_name, Student.id)
    )
    if student_id is not None:
        query = query.where(Student.id == student_id)
    return [Child(Me(student, group), relation) for student, group, relation in await session.execute(query)]


class GuardianPages(Controller):
    path = "/portal/children"
    include_in_schema = False
    opt = {"tenant_kinds": {"university"}}

    async def _gate(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, title: str
    ) -> tuple[PageView, Principal] | Refusal:
        """The signed-in guardian and the page's frame, or the answer for anybody else: the sign-in
        page for nobody (or another university's cookie), a plain 403 for students and staff."""
        framed = await frame(
            request, db_session, section="guardian.children", title=title, nav_keys=GUARDIAN_NAV
        )
        if isinstance(framed, Refusal):
            return framed
        v, who = framed
        if Role.GUARDIAN not in who.roles or who.user_id is None:
            return refuse(request, v, "guardian.not_guardian")
        return v, who

    @get("/", media_type=MediaType.HTML)
    async def list_children(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Any:
        """The students linked to the account; with only one, straight to that child's page."""
        gate = await self._gate(request, db_session, "guardian.children.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, who = gate
        found = await children(db_session, who)
        if len(found) == 1:
            chosen = request.query_params.get("l")  # carried along, so the child's page remembers it
            query = f"?{urlencode({'l': chosen})}" if chosen in LANGUAGES else ""
            target = f"{v.portal}/children/{found[0].me.student.id}{query}"
            return Redirect(target, status_code=303, headers=HEADERS)
        return page(request, "guardian/children.html", v, children=found)

    @get("/{student_id:int}", media_type=MediaType.HTML)
    async def child(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        student_id: PathId,
        semester: Semester = None,
    ) -> Any:
        """A linked child's marks of a semester (JN/ON/YN, total, grade, status), the study year's
        GPA, academic debts, and the semester's missed hours per subject against the bar."""
        gate = await self._gate(request, db_session, "guardian.children.title")
        if isinstance(gate, Refusal):
            return gate.answer
        v, who = gate
        linked = await children(db_session, who, student_id)
        if not linked:  # not linked to this account (or no such student): nothing of them is read
            return page(request, "message.html", v, 404, message=v.t("guardian.not_linked"))
        me = linked[0].me
        records = StudentPortal(db_session, who, student_id)
        try:
            scale, subjects = await records.subjects()
            semesters = sorted({s.semester for s in subjects})
            shown = me.semester_shown(v.today, semesters, semester)
            of_semester = [s for s in subjects if s.semester == shown]
            lines = records.attendance(of_semester)
        except HemisError as refused:  # the services' own scope check; cannot differ from the link above
            return page(request, "message.html", v, refused.status_code, message=v.t("guardian.not_linked"))
        v.title = v.t("guardian.child.title", name=f"{me.student.last_name} {me.student.first_name}")
        return page(
            request,
            "guardian/child.html",
            v,
            me=me,
            relation=linked[0].relation,
            semester=shown,
            semesters=semesters,
            subjects=of_semester,
            outcome=records.year_outcome(me, scale, subjects),
            debts=records.debts(subjects),
            controls=CONTROLS,
            lines=lines,
            bar=DEFAULT_BAR,
        )
