"""Stipend rates, a university's rules and assignments, and the monthly payroll run.

A payroll is set-based: one statement for every student's last session (ResultService), one
for students, one for assignments, the pure rules in memory, and one INSERT of every line
(arrays through unnest); never a query per student.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    SmallInteger,
    String,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, distinct_on, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.auth import Principal
from hemis.core.clock import UNIVERSITY_TZ
from hemis.core.crud import CrudService, Duplicate
from hemis.core.errors import HemisError, NotFound
from hemis.core.listing import ListParams, fetch_page
from hemis.identity.scope import check_student, group_filter
from hemis.results.service import ResultService
from hemis.stipends.models import StipendAssignment, StipendLine, StipendRate, StipendRule, StipendRun
from hemis.stipends.rules import (
    DEFAULT_RULES,
    Candidate,
    Rate,
    RateCode,
    Rule,
    decide,
    last_session_semester,
    monthly_amounts,
    rates_in_force,
)
from hemis.students.models import CURRENT_STATUSES, AcademicGroup, Student, StudentStatusChange

DRAFT, APPROVED = "draft", "approved"
REGULAR, CORRECTION = "regular", "correction"


class MonthApproved(HemisError):
    status_code = 409
    message_key = "stipends.month_approved"


class AlreadyApproved(HemisError):
    status_code = 409
    message_key = "stipends.already_approved"


class NotApproved(HemisError):
    status_code = 409
    message_key = "stipends.not_approved"


class SamePerson(HemisError):
    status_code = 403
    message_key = "stipends.same_person"


class MonthNotApproved(HemisError):
    status_code = 409
    message_key = "stipends.month_not_approved"


class NoBaseRate(HemisError):
    status_code = 409
    message_key = "stipends.no_base_rate"


class AutomaticType(HemisError):
    status_code = 422
    message_key = "stipends.automatic_type"


class BadPeriod(HemisError):
    status_code = 422
    message_key = "stipends.period"


@dataclass(frozen=True, slots=True)
class Line:
    """One student's decided line of a run, before it is stored."""

    student_id: int
    group_id: int
    semester: str | None
    lowest_grade: int | None
    debts: int | None
    rate_code: str | None
    amount_tiyin: int
    reasons: str  # comma-separated (stored as an array)
    previous_tiyin: int = 0

    def correcting(self, given: int) -> Line:
        """This decision as a correction of `given` tiyin already paid: the difference."""
        return Line(
            self.student_id, self.group_id, self.semester, self.lowest_grade, self.debts,
            self.rate_code, self.amount_tiyin - given, self.reasons, given,
        )  # fmt: skip


def month_start(month: str) -> date:
    """ "2026-03" → 2026-03-01 (the schema has checked the form)."""
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


async def rates_on(session: AsyncSession, day: date) -> tuple[dict[str, Rate], dict[str, int]]:
    """The national rates in force on `day` and each type's monthly amount in tiyin."""
    rows = await session.scalars(select(StipendRate).where(StipendRate.valid_from <= day))
    in_force = rates_in_force((Rate(r.code, r.valid_from, r.amount_tiyin, r.base_percent) for r in rows), day)
    return in_force, monthly_amounts(in_force)


class RuleService:
    def __init__(self, session: AsyncSession, *, actor: str) -> None:
        self.session = session
        self.actor = actor

    async def effective(self) -> dict[str, tuple[Rule, bool]]:
        """Every type's rule and whether it is the national default (no row of this university)."""
        own = {
            row.rate_code: Rule(
                row.rate_code,
                enabled=row.enabled,
                by_assignment=row.by_assignment,
                state_grant_only=row.state_grant_only,
                min_grade=row.min_grade,
                first_semester=row.first_semester,
            )
            for row in await self.session.scalars(select(StipendRule))
        }
        return {
            code: (own[code], False) if code in own else (rule, True) for code, rule in DEFAULT_RULES.items()
        }

    async def put(self, rate_code: str, values: dict[str, Any]) -> Rule:
        """Set this university's rule for one type (insert or replace), audited."""
        before = (await self.effective())[rate_code][0]
        await self.session.execute(
            insert(StipendRule)
            .values(rate_code=rate_code, **values, created_at=func.now(), updated_at=func.now())
            .on_conflict_do_update(
                index_elements=[StipendRule.rate_code], set_={**values, "updated_at": func.now()}
            )
        )
        await audit.record(
            self.session,
            "stipend_rule.set",
            entity="stipend_rule",
            entity_id=rate_code,
            actor=self.actor,
            data={"before": _rule_data(before), "after": values},
        )
        return Rule(rate_code, **values)


def _rule_data(rule: Rule) -> dict[str, Any]:
    return {
        "enabled": rule.enabled,
        "by_assignment": rule.by_assignment,
        "state_grant_only": rule.state_grant_only,
        "min_grade": rule.min_grade,
        "first_semester": rule.first_semester,
    }


class AssignmentService(CrudService[StipendAssignment]):
    """Types given to a student by order or documents (privileged, presidential, named)."""

    model = StipendAssignment

    async def check(
        self, values: dict[str, Any], current: StipendAssignment | None, changed: frozenset[str]
    ) -> None:
        if "rate_code" in changed:
            rule, _ = (await RuleService(self.session, actor=self.actor).effective())[values["rate_code"]]
            if not rule.by_assignment:
                raise AutomaticType(field="rate_code", code=values["rate_code"])
        if values.get("valid_to") is not None and values["valid_to"] < values["valid_from"]:
            raise BadPeriod(field="valid_to")
        if "student_id" in changed and not await self.exists(Student, values["student_id"]):
            raise NotFound(field="student_id")

    async def get(self, item_id: int, *, for_update: bool = False) -> StipendAssignment:
        """One assignment, if the caller may read its student (a dean: their faculty's)."""
        row = await super().get(item_id, for_update=for_update)
        await check_student(self.session, self.principal, row.student_id)
        return row

    async def page(
        self, params: ListParams, *, student_id: int | None
    ) -> tuple[list[StipendAssignment], int]:
        """Assignments of the students the caller may read (a dean: their faculty's; the reasons
        are personal: a disability, orphanhood)."""
        query = select(StipendAssignment)
        if (mine := group_filter(self.principal, Student.group_id)) is not None:
            query = query.join(Student, Student.id == StipendAssignment.student_id).where(mine)
        if student_id is not None:
            query = query.where(StipendAssignment.student_id == student_id)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"valid_from": StipendAssignment.valid_from, "id": StipendAssignment.id},
            default_sort="-valid_from",
            searchable=[StipendAssignment.reason, StipendAssignment.order_number],
        )


class PayrollService:
    def __init__(self, session: AsyncSession, *, actor: str, principal: Principal | None = None) -> None:
        self.session = session
        self.actor = actor
        self.principal = principal  # a dean reads the lines of their faculty, a student their own

    async def rates(self, day: date) -> tuple[dict[str, Rate], dict[str, int]]:
        return await rates_on(self.session, day)

    async def prepare(self, month: str) -> StipendRun:
        """Compute the month's regular run as a draft (a draft of the month is recomputed; once one
        of the month's runs is approved the month is closed to it: 409, corrections take over).
        Prepared by the caller, who then may not approve it."""
        first = month_start(month)
        runs = await self._month_runs(first)
        if any(run.status == APPROVED for run in runs):
            raise MonthApproved(field="month", month=month)
        amounts = await self._amounts(first, month)
        run = runs[0] if runs else None
        decided = await self._decide(first, amounts)
        return await self._store(run, first, REGULAR, 0, list(decided.values()))

    async def prepare_correction(self, month: str) -> StipendRun:
        """Compute the month's correction run as a draft (recomputed while it is one): each student
        decided again as the regular run did, by the session its lines were decided by, and a
        line for every student whose stipend changed against what the month's approved runs gave
        (amount: the difference, < 0 to recover). Needs an approved run of the month (409)."""
        first = month_start(month)
        runs = await self._month_runs(first)
        approved = [run for run in runs if run.status == APPROVED]
        if not approved:
            raise MonthNotApproved(field="month", month=month)
        draft = next((run for run in runs if run.status == DRAFT), None)
        amounts = await self._amounts(first, month)
        ids = [run.id for run in approved]
        before = await self._approved_lines(ids)
        decided = await self._decide(
            first, amounts, semesters=await self._decided_semesters(ids), kept_from=ids
        )
        lines = []
        for student_id, line in decided.items():
            given, code = before.get(student_id, (0, None))
            if (line.amount_tiyin, line.rate_code) == (given, code):
                continue  # unchanged: nothing to pay or recover
            lines.append(line.correcting(given))
        sequence = draft.sequence if draft is not None else max(run.sequence for run in runs) + 1
        return await self._store(draft, first, CORRECTION, sequence, lines)

    async def _month_runs(self, first: date) -> list[StipendRun]:
        """The month's runs, locked: a second preparation of the month waits for this one."""
        query = select(StipendRun).where(StipendRun.month == first).order_by(StipendRun.sequence)
        return list(await self.session.scalars(query.with_for_update()))

    async def _amounts(self, first: date, month: str) -> dict[str, int]:
        _, amounts = await rates_on(self.session, first)
        if RateCode.BASE not in amounts:
            raise NoBaseRate(field="month", month=month)
        return amounts

    async def _store(
        self, run: StipendRun | None, first: date, kind: str, sequence: int, lines: list[Line]
    ) -> StipendRun:
        """Write the draft (new, or its lines replaced), its lines and totals, audited."""
        now = datetime.now(UTC)
        if run is None:
            run = StipendRun(
                month=first,
                kind=kind,
                sequence=sequence,
                status=DRAFT,
                prepared_by=self.actor,
                prepared_at=now,
            )
            self.session.add(run)
            try:
                await self.session.flush()
            except IntegrityError as exc:
                raise Duplicate(field="month") from exc  # prepared at the same moment by someone else
        else:
            await self.session.execute(delete(StipendLine).where(StipendLine.run_id == run.id))
            run.prepared_by, run.prepared_at = self.actor, now
        await self._insert_lines(run.id, lines)
        run.students = len(lines)
        run.paid = sum(
            line.amount_tiyin > 0 if kind == CORRECTION else line.rate_code is not None for line in lines
        )
        run.total_tiyin = sum(line.amount_tiyin for line in lines)
        await self.session.flush()
        await self._audit(run, "prepared")
        return run

    async def _approved_lines(self, run_ids: list[int]) -> dict[int, tuple[int, str | None]]:
        """Per student, what the approved runs gave them this month and the latest decision's type."""
        latest = func.array_agg(aggregate_order_by(StipendLine.rate_code, StipendRun.sequence.desc()))[1]
        rows = await self.session.execute(
            select(StipendLine.student_id, func.sum(StipendLine.amount_tiyin), latest)
            .join(StipendRun, StipendRun.id == StipendLine.run_id)
            .where(StipendLine.run_id.in_(run_ids))
            .group_by(StipendLine.student_id)
        )
        return {student_id: (int(given), code) for student_id, given, code in rows}

    async def _decided_semesters(self, run_ids: list[int]) -> dict[int, str | None]:
        """The session each group was decided by in the month's regular run: groups move up a
        course in September, so a later correction must not take the course they have now."""
        rows = await self.session.execute(
            select(StipendLine.group_id, StipendLine.semester)
            .join(StipendRun, StipendRun.id == StipendLine.run_id)
            .where(StipendLine.run_id.in_(run_ids), StipendRun.kind == REGULAR)
            .distinct()
        )
        return {group_id: semester for group_id, semester in rows}

    async def _statuses_at(self, cutoff: datetime) -> dict[int, str]:
        """The status of every student whose status changed after `cutoff`, as it was then (the
        old status of their first change since). Students created since are not in it."""
        rows = await self.session.execute(
            select(StudentStatusChange.student_id, StudentStatusChange.old_status)
            .where(StudentStatusChange.at >= cutoff, StudentStatusChange.old_status.is_not(None))
            .order_by(StudentStatusChange.student_id, StudentStatusChange.at, StudentStatusChange.id)
            .ext(distinct_on(StudentStatusChange.student_id))
        )
        return {student_id: status for student_id, status in rows if status is not None}

    async def _decide(
        self,
        first: date,
        amounts: dict[str, int],
        *,
        semesters: dict[int, str | None] | None = None,
        kept_from: Sequence[int] = (),
    ) -> dict[int, Line]:
        """Every student's line for the month: those studying at the month's end (a change of
        status recorded later does not count), and whoever has a line in the runs `kept_from`
        (a correction must decide again for them, whatever became of them). `semesters`: the
        session each group was decided by before (a correction); else its last one by course."""
        rules = {
            code: rule
            for code, (rule, _) in (await RuleService(self.session, actor=self.actor).effective()).items()
        }
        groups = await self.session.execute(select(AcademicGroup.id, AcademicGroup.course))
        semester_of = {group_id: last_session_semester(course, first) for group_id, course in groups}
        semester_of.update(semesters or {})
        examined = {g: s for g, s in semester_of.items() if s is not None}
        sessions = await ResultService(self.session, actor=self.actor).session_results(examined)
        assigned: dict[int, set[str]] = {}
        for student_id, code in await self.session.execute(
            select(StipendAssignment.student_id, StipendAssignment.rate_code).where(
                StipendAssignment.valid_from <= month_end(first),
                or_(StipendAssignment.valid_to.is_(None), StipendAssignment.valid_to >= first),
            )
        ):
            assigned.setdefault(student_id, set()).add(code)
        cutoff = datetime.combine(month_end(first) + timedelta(days=1), time(), tzinfo=UNIVERSITY_TZ)
        then = await self._statuses_at(cutoff)
        changed = select(StudentStatusChange.student_id).where(StudentStatusChange.at >= cutoff)
        kept = Student.id.in_(select(StipendLine.student_id).where(StipendLine.run_id.in_(kept_from)))
        students = await self.session.execute(
            select(Student.id, Student.group_id, Student.status, Student.payment_form, kept)
            .where(or_(Student.status.in_(CURRENT_STATUSES), Student.id.in_(changed), kept))
            .order_by(Student.id)
        )
        lines: dict[int, Line] = {}
        for student_id, group_id, status, payment_form, has_line in students:
            status = then.get(student_id, status)
            if status not in CURRENT_STATUSES and not has_line:
                continue
            semester = semester_of.get(group_id)
            session = sessions.get(student_id) if semester is not None else None
            decision = decide(
                Candidate(
                    status=status,
                    payment_form=payment_form,
                    session=session,
                    first_semester=semester is None,
                    assigned=frozenset(assigned.get(student_id, ())),
                ),
                rules,
                amounts,
            )
            lines[student_id] = Line(
                student_id=student_id,
                group_id=group_id,
                semester=semester,
                lowest_grade=session.lowest_grade if session else None,
                debts=session.debts if session else None,
                rate_code=decision.rate_code,
                amount_tiyin=decision.amount_tiyin,
                reasons=",".join(decision.reasons),
            )
        return lines

    async def _insert_lines(self, run_id: int, lines: list[Line]) -> None:
        """Every line in one statement: parallel arrays unnested into rows."""
        if not lines:
            return
        types = {
            "student_id": BigInteger, "group_id": BigInteger, "semester": String, "lowest_grade": SmallInteger,
            "debts": SmallInteger, "rate_code": String, "amount_tiyin": BigInteger, "reasons": String,
            "previous_tiyin": BigInteger,
        }  # fmt: skip
        arrays: list[Any] = [
            bindparam(key, [getattr(line, key) for line in lines], type_=ARRAY(types[key])) for key in types
        ]
        rows = func.unnest(*arrays).table_valued(*types).render_derived(name="line")
        source = select(
            bindparam("run_id", run_id, type_=BigInteger),
            *(
                rows.c[key] if key != "reasons" else func.string_to_array(rows.c.reasons, ",")
                for key in types
            ),
        )
        await self.session.execute(insert(StipendLine).from_select(["run_id", *types], source))

    async def approve(self, run_id: int) -> StipendRun:
        """The second person's approval: the run and its lines are frozen from now on."""
        run = await self.get(run_id, for_update=True)
        if run.status == APPROVED:
            raise AlreadyApproved(field="run_id")
        if run.prepared_by == self.actor:
            raise SamePerson(field="run_id")  # the second pair of eyes must be another person's
        run.status, run.approved_by, run.approved_at = APPROVED, self.actor, datetime.now(UTC)
        await self.session.flush()
        await self._audit(run, "approved")
        return run

    async def get(self, run_id: int, *, for_update: bool = False) -> StipendRun:
        run = await self.session.get(StipendRun, run_id, with_for_update=for_update)
        if run is None:
            raise NotFound(field="run_id")
        return run

    async def page(
        self, params: ListParams, *, status: str | None, kind: str | None = None
    ) -> tuple[list[StipendRun], int]:
        query = select(StipendRun)
        if status is not None:
            query = query.where(StipendRun.status == status)
        if kind is not None:
            query = query.where(StipendRun.kind == kind)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"month": StipendRun.month, "id": StipendRun.id},
            default_sort="-month",
        )

    async def lines(
        self, run_id: int, params: ListParams, *, paid: bool | None, group_id: int | None
    ) -> tuple[list[StipendLine], int]:
        await self.get(run_id)
        query = select(StipendLine).where(StipendLine.run_id == run_id)
        mine = group_filter(self.principal, StipendLine.group_id)  # a dean: their faculty's groups
        if mine is not None:
            query = query.where(mine)
        if paid is not None:
            query = query.where(
                StipendLine.rate_code.is_not(None) if paid else StipendLine.rate_code.is_(None)
            )
        if group_id is not None:
            query = query.where(StipendLine.group_id == group_id)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"id": StipendLine.id, "amount_tiyin": StipendLine.amount_tiyin},
            default_sort="id",
        )

    async def payments(self, run_id: int) -> tuple[StipendRun, Sequence[Any]]:
        """An approved run's paid lines (a correction's: every line that moves money) with the
        student's identity, for the bank's file; audited."""
        run = await self.get(run_id)
        if run.status != APPROVED:
            raise NotApproved(field="run_id")
        # A correction's file has the recoveries too (negative amounts: withheld or reclaimed).
        paying = StipendLine.amount_tiyin != 0 if run.kind == CORRECTION else StipendLine.amount_tiyin > 0
        rows = (
            await self.session.execute(
                select(
                    Student.student_id_number,
                    Student.pinfl,
                    Student.last_name,
                    Student.first_name,
                    Student.patronymic,
                    AcademicGroup.name.label("group_name"),
                    StipendLine.rate_code,
                    StipendLine.amount_tiyin,
                )
                .join(Student, Student.id == StipendLine.student_id)
                .join(AcademicGroup, AcademicGroup.id == StipendLine.group_id)
                .where(StipendLine.run_id == run_id, paying)
                .order_by(AcademicGroup.name, Student.last_name, Student.first_name, Student.id)
            )
        ).all()
        await self._audit(run, "exported")
        return run, rows

    async def history(self, student_id: int) -> list[Any]:
        """A student's lines in approved runs, the latest month first; a month's corrections
        after its regular line (their amounts are the differences paid or recovered)."""
        await check_student(self.session, self.principal, student_id)
        rows = (
            await self.session.execute(
                select(
                    StipendRun.id.label("run_id"),
                    StipendRun.month,
                    StipendRun.kind,
                    StipendLine.rate_code,
                    StipendLine.amount_tiyin,
                    StipendLine.reasons,
                )
                .join(StipendRun, StipendRun.id == StipendLine.run_id)
                .where(and_(StipendLine.student_id == student_id, StipendRun.status == APPROVED))
                .order_by(StipendRun.month.desc(), StipendRun.sequence.desc())
            )
        ).all()
        if not rows and await self.session.get(Student, student_id) is None:
            raise NotFound(field="student_id")
        return list(rows)

    async def _audit(self, run: StipendRun, verb: str) -> None:
        await audit.record(
            self.session,
            f"stipend_run.{verb}",
            entity="stipend_run",
            entity_id=run.id,
            actor=self.actor,
            data={
                "month": run.month.isoformat(),
                "kind": run.kind,
                "sequence": run.sequence,
                "status": run.status,
                "students": run.students,
                "paid": run.paid,
                "total_tiyin": run.total_tiyin,
            },
        )
