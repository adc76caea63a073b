"""What a student's pages show, read through the same services as the API (results, attendance,
finance, stipends) in the request's own transaction.

Every read is for the signed-in student's own id, taken from their session, never from the URL
(a guardian's pages pass a linked child's id, checked first, hemis.portal.guardian_pages); the
services check it again against the principal (hemis.identity.scope)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hemis.attendance.rules import AttendanceSummary
from hemis.core.auth import Principal
from hemis.core.clock import UNIVERSITY_TZ
from hemis.core.errors import NotFound
from hemis.finance.models import Contract
from hemis.finance.payments import provider_account
from hemis.finance.providers.stripe import PROVIDER as STRIPE
from hemis.finance.rules import instalment_outstanding
from hemis.finance.service import ContractService
from hemis.grading.rules import DEFAULT_SCALES, GradingScale, MarkingSystem
from hemis.notifications.models import Notification
from hemis.notifications.rules import texts
from hemis.notifications.service import NotificationService
from hemis.results.rules import SubjectStatus, YearOutcome, semesters_of_year, year_outcome
from hemis.results.service import ResultService, SubjectResult
from hemis.rollups.figures import running_semester_offset
from hemis.stipends.service import PayrollService
from hemis.students.models import AcademicGroup, Student
from hemis.timetable.service import TimetableService, Week, WeekLesson

DEBTS = (SubjectStatus.DEBT, SubjectStatus.BARRED)


@dataclass(frozen=True)
class Me:
    student: Student
    group: AcademicGroup

    @property
    def study_year(self) -> int:
        return max(1, min(6, int(self.group.course) - 10))

    def running_semester(self, today: date) -> str:
        """The h_semester code the group studies now: a course's autumn or spring semester."""
        return str(10 + 2 * self.study_year - 1 + running_semester_offset(today))

    def semester_shown(self, today: date, semesters: Sequence[str], asked: str | None) -> str:
        """The marks page's semester: the one asked for, else the running one if it has subjects,
        else the latest with subjects."""
        running = self.running_semester(today)
        return asked or (running if running in semesters else (semesters[-1] if semesters else running))


@dataclass(frozen=True)
class Schedule:
    week: Week
    today: list[WeekLesson]
    days: list[tuple[date, list[WeekLesson]]]  # the week's days with lessons, in order


@dataclass(frozen=True)
class Notice:
    id: int
    kind: str  # mark | schedule
    created_at: datetime
    title: str
    body: str
    read: bool = False


def _notice(row: Notification, language: str) -> Notice:
    title, body = texts(row.message_key, row.params, language)
    # Stored in UTC; shown at the university's time (a mark at 09:00 in Tashkent says 09:00).
    at = row.created_at.astimezone(UNIVERSITY_TZ)
    return Notice(row.id, row.kind, at, title, body, row.read_at is not None)


@dataclass(frozen=True)
class Standing:
    year: int
    outcome: YearOutcome
    group_rank: tuple[int, int] | None  # (rank, ranked students)
    course_rank: tuple[int, int] | None
    with_course: bool = True  # the home page leaves the course's rank to the marks page


@dataclass
class Instalment:
    number: int
    due_on: date
    amount: int
    outstanding: int


@dataclass
class ContractView:
    contract: Contract
    balance: int  # tiyin still owed (negative: paid ahead)
    instalments: list[Instalment] = field(default_factory=list)

    @property
    def payable(self) -> Instalment | None:
        """The earliest instalment with something unpaid: what the pay button pays."""
        if self.contract.status != "active":
            return None
        return next((i for i in self.instalments if i.outstanding > 0), None)


@dataclass(frozen=True)
class AttendanceLine:
    subject: SubjectResult
    summary: AttendanceSummary

    @property
    def missed_share(self) -> Decimal:
        """Every missed hour (excused or not) over the classroom hours, 0..1."""
        hours = self.summary.classroom_hours
        return Decimal(0) if hours == 0 else Decimal(self.summary.absent_hours) / hours


class StudentPortal:
    """The signed-in student's own records, one service call per section."""

    def __init__(self, session: AsyncSession, principal: Principal, student_id: int | None = None) -> None:
        """`student_id`: whose records, when not the principal's own (a guardian's linked child:
        the services check the link against the principal, hemis.identity.scope)."""
        student_id = student_id if student_id is not None else principal.student_id
        if student_id is None:
            raise NotFound(field="student_id")
        self.session = session
        self.principal = principal
        self.student_id = student_id
        self.results = ResultService(session, actor=principal.subject, principal=principal)

    async def me(self) -> Me:
        return Me(*await self.results.student_and_group(self.student_id))

    async def subjects(
        self, semesters: Sequence[str] | None = None
    ) -> tuple[GradingScale, list[SubjectResult]]:
        scale, found = await self.results.subjects(self.student_id, semesters)
        return scale or DEFAULT_SCALES[MarkingSystem.CREDIT], found

    async def standing(
        self, me: Me, scale: GradingScale, subjects: Sequence[SubjectResult], *, course: bool = True
    ) -> Standing:
        """The study year's GPA (from the year's subjects already read) and the place in the
        group's and (with `course`) the course's ratings (the course within the student's faculty).
        The course's rank grades every student of the course, the costliest read of the portal:
        the home page, opened most, leaves it to the marks page."""
        year = me.study_year
        outcome = self.year_outcome(me, scale, subjects)
        group_rank = await self.results.standing(
            self.student_id, year, group_id=me.group.id, faculty_id=None, course=None
        )
        if not course:
            return Standing(year, outcome, group_rank, None, with_course=False)
        course_rank = await self.results.standing(
            self.student_id, year, group_id=None, faculty_id=me.group.department_id, course=me.group.course
        )
        return Standing(year, outcome, group_rank, course_rank)

    @staticmethod
    def year_outcome(me: Me, scale: GradingScale, subjects: Sequence[SubjectResult]) -> YearOutcome:
        """The study year's GPA and credits from the year's subjects already read (no rank: a
        guardian may read those without the ratings)."""
        semesters = semesters_of_year(me.study_year)
        return year_outcome(((s.credit, s.outcome) for s in subjects if s.semester in semesters), scale)

    @staticmethod
    def debts(subjects: Sequence[SubjectResult]) -> list[SubjectResult]:
        return [s for s in subjects if s.outcome.status in DEBTS]

    @staticmethod
    def attendance(subjects: Sequence[SubjectResult]) -> list[AttendanceLine]:
        """Each subject's missed hours, as read with its results (no statement per subject)."""
        return [AttendanceLine(s, s.attendance) for s in subjects]

    async def contracts(self) -> list[ContractView]:
        """The student's contracts (the latest year first) with what is still owed of each instalment."""
        service = self.contract_service()
        rows = list(reversed(await service.of_student(self.student_id)))
        balances = await service.ledger.balances([c.id for c in rows])
        views = []
        for contract in rows:
            schedule = await service.schedule(contract.id)
            amounts = [line.amount for line in schedule]
            balance = balances[contract.id]
            instalments = [
                Instalment(
                    line.number,
                    line.due_on,
                    line.amount,
                    instalment_outstanding(amounts, line.number, balance),
                )
                for line in schedule
            ]
            views.append(ContractView(contract, balance, instalments))
        return views

    def contract_service(self) -> ContractService:
        return ContractService(self.session, actor=self.principal.subject, principal=self.principal)

    async def can_pay_online(self) -> bool:
        account = await provider_account(self.session, STRIPE)
        return account is not None and bool(account.api_key)

    async def stipends(self) -> list[Any]:
        payroll = PayrollService(self.session, actor=self.principal.subject, principal=self.principal)
        return await payroll.history(self.student_id)

    async def schedule(self, me: Me, today: date, language: str) -> Schedule:
        """Today's and this week's lessons of the student's group (hemis.timetable)."""
        week = await TimetableService(self.session, language=language).week(today, group_id=me.group.id)
        days: dict[date, list[WeekLesson]] = {}
        for lesson in week.lessons:
            days.setdefault(lesson.day or week.monday, []).append(lesson)
        return Schedule(week, days.get(today, []), sorted(days.items()))

    def notices(self) -> NotificationService:
        return NotificationService(self.session, actor=self.principal.subject, principal=self.principal)

    async def notifications(self, language: str, limit: int = 5) -> list[Notice]:
        """The student's latest unread notifications, their texts in the page's language."""
        rows, _ = await self.notices().page(unread=True, after_id=None, limit=limit, offset=0)
        return [_notice(row, language) for row in rows]

    async def notice_page(self, language: str, limit: int, offset: int) -> tuple[list[Notice], int]:
        """A page of all the student's notifications, newest first, and how many there are."""
        rows, total = await self.notices().page(unread=False, after_id=None, limit=limit, offset=offset)
        return [_notice(row, language) for row in rows], total
