"""Tuition contracts: generated from the fee structure, numbered per academic year without gaps,
debts carried over from earlier years, read by staff, the student and (by its QR token) anyone."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.auth import Principal, Role
from hemis.core.clock import local_today
from hemis.core.crud import BadReference, Duplicate
from hemis.core.errors import Conflict, HemisError, NotFound
from hemis.core.listing import ListParams, fetch_page, fetch_row_page
from hemis.curriculum.models import Curriculum
from hemis.finance.fees import NoBaseAmount, base_amount_on, plan_parts
from hemis.finance.ledger import ContractCancelled, LedgerService
from hemis.finance.models import (
    Contract,
    ContractCounter,
    ContractInstalment,
    FeeDiscount,
    FeeStructure,
    InstalmentPlan,
    LedgerEntry,
)
from hemis.finance.rules import (
    ContractType,
    DiscountKind,
    EntryKind,
    Instalment,
    academic_year_of,
    contract_number,
    discount_amount,
    fee_amount,
    instalments,
)
from hemis.identity.scope import check_student, group_filter
from hemis.students.models import AcademicGroup, Student

STUDYING = "11"  # h_student_status
STATE_GRANT_FORM, FEE_PAYING_FORM = "11", "12"  # h_payment_form
MAX_BULK = 2000


@dataclass(frozen=True)
class BulkOutcome:
    made: list[Contract]
    skipped: list[Skipped]
    remaining: int  # students still without a contract beyond this call's MAX_BULK


class SignedOutsideYear(HemisError):
    status_code = 422
    message_key = "finance.signed_outside_year"


class NotStudying(HemisError):
    status_code = 409
    message_key = "finance.not_studying"


class NoCurriculum(HemisError):
    status_code = 422
    message_key = "finance.no_curriculum"


class NoFeeStructure(HemisError):
    status_code = 422
    message_key = "finance.no_fee_structure"


class DiscountTwice(HemisError):
    status_code = 409
    message_key = "finance.discount_twice"


class BulkTarget(HemisError):
    status_code = 422
    message_key = "finance.bulk_target"


class AlreadyCancelled(HemisError):
    status_code = 409
    message_key = "finance.already_cancelled"


class CarriedOver(HemisError):
    status_code = 409
    message_key = "finance.cancel_carried_over"


@dataclass(frozen=True, slots=True)
class Skipped:
    student_id: int
    code: str
    field: str | None


class ContractService:
    def __init__(self, session: AsyncSession, *, actor: str, principal: Principal | None = None) -> None:
        self.session = session
        self.actor = actor
        self.principal = principal  # a student reads their own; a dean their faculty's
        self.ledger = LedgerService(session, actor=actor)

    # Generation

    async def generate(
        self,
        student_id: int,
        *,
        academic_year: int | None = None,
        contract_type: ContractType = ContractType.BASE,
        signed_on: date | None = None,
        discount_id: int | None = None,
    ) -> Contract:
        """One student's contract for the year, with its charge, discount, schedule and the
        balances of earlier years carried into it; one row lock on the student first."""
        # FOR NO KEY UPDATE, not FOR UPDATE: inserts that reference the student (a payment's
        # ledger row, a mark) take KEY SHARE on it and must not wait for contract generation.
        student = await self.session.get(Student, student_id, with_for_update={"key_share": True})
        if student is None:
            raise BadReference(field="student_id")
        return await self._generate(
            student, academic_year, contract_type, signed_on or _signing_day(academic_year), discount_id
        )

    async def generate_bulk(
        self,
        *,
        group_id: int | None,
        specialty_id: int | None,
        academic_year: int | None,
        contract_type: ContractType,
        signed_on: date | None,
    ) -> BulkOutcome:
        """Contracts for every studying student of a group or specialty whose payment form fits the
        contract type and who has none this year, at most MAX_BULK a call (`remaining` says how
        many wait for the next one). A student who cannot get one is skipped with the reason; the
        others are made, all in this one transaction."""
        if (group_id is None) == (specialty_id is None):
            raise BulkTarget(field="group_id")
        year = academic_year or academic_year_of(signed_on or local_today())
        form = STATE_GRANT_FORM if contract_type is ContractType.STATE_GRANT else FEE_PAYING_FORM
        has_one = select(Contract.id).where(
            Contract.student_id == Student.id, Contract.academic_year == year, Contract.status == "active"
        )
        query = select(Student).where(
            Student.status == STUDYING, Student.payment_form == form, ~has_one.exists()
        )
        if group_id is not None:
            if await self.session.get(AcademicGroup, group_id) is None:
                raise BadReference(field="group_id")
            query = query.where(Student.group_id == group_id)
        else:
            in_specialty = (
                select(AcademicGroup.id)
                .join(Curriculum, Curriculum.id == AcademicGroup.curriculum_id)
                .where(Curriculum.specialty_id == specialty_id)
            )
            query = query.where(Student.group_id.in_(in_specialty))
        # Every student's lock before the first number: the number counter is always the last
        # lock anyone takes, so two bulk runs (or a bulk and a single one) cannot deadlock.
        students = list(
            await self.session.scalars(
                query.order_by(Student.id).limit(MAX_BULK).with_for_update(key_share=True)
            )
        )
        made, skipped = [], []
        for student in students:
            try:
                async with self.session.begin_nested():  # a refused student undoes only their own rows
                    made.append(
                        await self._generate(
                            student, year, contract_type, signed_on or _signing_day(year), None
                        )
                    )
            except HemisError as error:
                skipped.append(Skipped(student.id, error.message_key, error.field))
        # Past MAX_BULK the rest is left for another call, and said so: the students made now
        # have contracts and drop out of the query; the skipped ones stay in it.
        left = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        return BulkOutcome(made, skipped, int(left or 0) - len(skipped))

    async def _generate(
        self,
        student: Student,
        academic_year: int | None,
        contract_type: ContractType,
        signed_on: date,
        discount_id: int | None,
    ) -> Contract:
        year = academic_year or academic_year_of(signed_on)
        # A contract is signed in its academic year or in the summer before it: a date far off
        # would pick a base amount (BHM) of another time and due dates nobody could meet.
        if not _in_signing_window(year, signed_on):
            raise SignedOutsideYear(field="signed_on", year=f"{year}/{year + 1}")
        if student.status != STUDYING:
            raise NotStudying(field="student_id", current=student.status)
        if await self._active_contract(student.id, year) is not None:
            raise Duplicate(field="student_id")
        # Earlier years' contracts (and this year's cancelled ones) are locked now, before their
        # balances are summed for the carry-over and before the number counter (always the last
        # lock taken): a payment on one of them either lands before the sum or waits for this
        # contract.
        await self.session.scalars(
            select(Contract.id)
            .where(Contract.student_id == student.id, _carried_from(year))
            .order_by(Contract.id)
            .with_for_update()
        )
        group = await self.session.get(AcademicGroup, student.group_id)
        assert group is not None  # RESTRICT foreign key
        curriculum = await self.session.get(Curriculum, group.curriculum_id) if group.curriculum_id else None
        if curriculum is None:
            raise NoCurriculum(field="student_id", group=group.name)
        fee = await self.session.scalar(
            select(FeeStructure).where(
                FeeStructure.academic_year == year,
                FeeStructure.specialty_id == curriculum.specialty_id,
                FeeStructure.education_form == group.education_form,
                FeeStructure.course == group.course,
                FeeStructure.payment_form == student.payment_form,
                FeeStructure.contract_type == contract_type.value,
                FeeStructure.active.is_(True),
            )
        )
        if fee is None:
            raise NoFeeStructure(
                field="contract_type", year=year, course=group.course, contract_type=contract_type.value
            )
        base = None
        if fee.bhm_coefficient is not None:
            in_force = await base_amount_on(self.session, signed_on)
            if in_force is None:
                raise NoBaseAmount(field="signed_on", day=signed_on.isoformat())
            base = in_force.amount
        amount = fee_amount(fixed=fee.amount, coefficient=fee.bhm_coefficient, base_amount=base)
        discount = await self._discount(discount_id) if discount_id is not None else None
        off = _discount_of(amount, discount)

        seq = await self._next_number(year)
        contract = Contract(
            academic_year=year,
            seq=seq,
            number=contract_number(year, seq),
            student_id=student.id,
            fee_structure_id=fee.id,
            contract_type=contract_type.value,
            signed_on=signed_on,
            amount=amount,
            base_amount=base,
            status="active",
            verify_token=secrets.token_urlsafe(32),
        )
        self.session.add(contract)
        await self.session.flush()
        plan = (
            await self.session.get(InstalmentPlan, fee.instalment_plan_id) if fee.instalment_plan_id else None
        )
        for part in self._schedule(amount - off, plan, year, signed_on):
            self.session.add(
                ContractInstalment(
                    contract_id=contract.id, number=part.number, due_on=part.due_on, amount=part.amount
                )
            )
        await audit.record(
            self.session,
            "contract.created",
            entity="contract",
            entity_id=contract.id,
            actor=self.actor,
            data={
                "number": contract.number,
                "student_id": student.id,
                "fee_structure_id": fee.id,
                "amount": amount,
                "base_amount": base,
                "discount_id": discount_id,
            },
        )
        await self.ledger.add(contract, EntryKind.CHARGE, amount, booked_on=signed_on, note=contract.number)
        if discount is not None and off > 0:
            await self.ledger.add(
                contract,
                EntryKind.DISCOUNT,
                -off,
                booked_on=signed_on,
                note=discount.reason,
                discount_id=discount.id,
            )
        await self._carry_over(contract, signed_on)
        return contract

    @staticmethod
    def _schedule(total: int, plan: InstalmentPlan | None, year: int, signed_on: date) -> list[Instalment]:
        """By the fee's plan; without one, the whole amount is due the day the contract is signed."""
        if plan is None or not plan.parts:
            return [Instalment(1, signed_on, total)]
        return instalments(total, plan_parts(plan.parts), year)

    async def _next_number(self, year: int) -> int:
        """The next number of the year, taken under the counter row's lock (see ContractCounter)."""
        upsert = (
            insert(ContractCounter)
            .values(academic_year=year, last_seq=1)
            .on_conflict_do_update(
                index_elements=[ContractCounter.academic_year],
                set_={"last_seq": ContractCounter.last_seq + 1},
            )
            .returning(ContractCounter.last_seq)
        )
        return int((await self.session.execute(upsert)).scalar_one())

    async def _carry_over(self, contract: Contract, booked_on: date) -> None:
        """Move what earlier years' contracts still hold (debt or overpayment) into this one: each
        old contract is closed by one entry, the new one opens with its twin. A cancelled contract
        of the same year counts as earlier: the money paid on it, and any debt carried into it,
        move into the contract that replaces it. The student's total does not change."""
        earlier = (
            select(LedgerEntry.contract_id, func.sum(LedgerEntry.amount).label("balance"))
            .join(Contract, Contract.id == LedgerEntry.contract_id)
            .where(LedgerEntry.student_id == contract.student_id, _carried_from(contract.academic_year))
            .group_by(LedgerEntry.contract_id)
            .having(func.sum(LedgerEntry.amount) != 0)
            .order_by(LedgerEntry.contract_id)
        )
        for old_id, balance in (await self.session.execute(earlier)).all():
            old = await self.session.get(Contract, old_id)  # locked by _generate
            assert old is not None
            await self.ledger.add(
                old, EntryKind.CARRY_OVER, -int(balance), booked_on=booked_on,
                note=f"→ {contract.number}", related_contract_id=contract.id,
            )  # fmt: skip
            await self.ledger.add(
                contract, EntryKind.CARRY_OVER, int(balance), booked_on=booked_on,
                note=f"← {old.number}", related_contract_id=old.id,
            )  # fmt: skip

    async def _discount(self, discount_id: int) -> FeeDiscount:
        discount = await self.session.get(FeeDiscount, discount_id)
        if discount is None or not discount.active:
            raise BadReference(field="discount_id")
        return discount

    async def _active_contract(self, student_id: int, year: int) -> Contract | None:
        return await self.session.scalar(
            select(Contract).where(
                Contract.student_id == student_id, Contract.academic_year == year, Contract.status == "active"
            )
        )

    # Money commands on one contract

    async def apply_discount(self, contract_id: int, discount_id: int) -> LedgerEntry:
        """Grant a discount after the contract was made: off its charge, at most once per discount."""
        contract = await self.get(contract_id, for_update=True)
        if contract.status != "active":
            raise ContractCancelled(field="contract_id")
        discount = await self._discount(discount_id)
        given = await self.session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.contract_id == contract.id, LedgerEntry.discount_id == discount.id
            )
        )
        if given is not None:
            raise DiscountTwice(field="discount_id")
        # Discounts stack on the charge, never past it: otherwise a credit nobody paid in could
        # be refunded as cash.
        given_off = -await self.ledger.balance(contract.id, EntryKind.DISCOUNT)
        off = min(_discount_of(contract.amount, discount), contract.amount - given_off)
        if off <= 0:
            raise Conflict(field="discount_id")
        await self._lower_schedule(contract.id, off)
        return await self.ledger.add(
            contract, EntryKind.DISCOUNT, -off, note=discount.reason, discount_id=discount.id
        )

    async def _lower_schedule(self, contract_id: int, off: int) -> None:
        """A discount given later comes off the last instalments first, so the schedule still adds
        up to the charge less the discounts (the debtors report counts what is not yet due from
        it, and the PDF prints it)."""
        rows = await self.session.scalars(
            select(ContractInstalment)
            .where(ContractInstalment.contract_id == contract_id)
            .order_by(ContractInstalment.number.desc())
        )
        for instalment in rows:
            cut = min(instalment.amount, off)
            instalment.amount -= cut
            off -= cut
            if off == 0:
                break
        await self.session.flush()

    async def pay(
        self,
        contract_id: int,
        amount: int,
        *,
        provider: str,
        external_id: str | None,
        booked_on: date | None,
        note: str,
    ) -> LedgerEntry:
        contract = await self.get(contract_id, for_update=True)
        return await self.ledger.record_payment(
            contract, amount, provider=provider, external_id=external_id, booked_on=booked_on, note=note
        )

    async def refund(
        self,
        contract_id: int,
        amount: int,
        *,
        provider: str,
        external_id: str | None,
        booked_on: date | None,
        note: str,
    ) -> LedgerEntry:
        contract = await self.get(contract_id, for_update=True)
        return await self.ledger.record_refund(
            contract, amount, provider=provider, external_id=external_id, booked_on=booked_on, note=note
        )

    async def cancel(self, contract_id: int, reason: str) -> Contract:
        """Cancel a contract: its charge less its discounts is written off by one `cancellation`
        entry, so nothing of it is owed any more; what the student paid stays theirs as a credit
        on this contract (refunded from it, or carried into their next contract, a replacement of
        the same year included); a debt carried into it from an earlier year stays owed. Refused
        for a contract whose balance already moved into a later year's contract (correct that
        one instead), and a second time."""
        contract = await self.get(contract_id, for_update=True)
        if contract.status != "active":
            raise AlreadyCancelled(field="contract_id")
        later = await self.session.scalar(
            select(Contract.number)
            .join(LedgerEntry, LedgerEntry.related_contract_id == Contract.id)
            .where(
                LedgerEntry.contract_id == contract.id,
                LedgerEntry.kind == EntryKind.CARRY_OVER,
                Contract.academic_year > contract.academic_year,
            )
            .limit(1)
        )
        if later is not None:
            raise CarriedOver(field="contract_id", number=later)
        charged = await self.ledger.balance(contract.id, EntryKind.CHARGE)
        discounted = await self.ledger.balance(contract.id, EntryKind.DISCOUNT)
        written_off = charged + discounted  # discounts never pass the charge: >= 0
        if written_off > 0:
            await self.ledger.add(contract, EntryKind.CANCELLATION, -written_off, note=reason)
        contract.status, contract.cancelled_at, contract.cancel_reason = (
            "cancelled",
            datetime.now(UTC),
            reason,
        )
        await self.session.flush()
        await audit.record(
            self.session,
            "contract.cancelled",
            entity="contract",
            entity_id=contract.id,
            actor=self.actor,
            data={
                "number": contract.number,
                "reason": reason,
                "written_off": written_off,
                "balance": await self.ledger.balance(contract.id),
            },
        )
        return contract

    # Reads

    async def get(self, contract_id: int, *, for_update: bool = False) -> Contract:
        """A contract the caller may see (a student only their own, a dean their faculty's)."""
        contract = await self.session.get(Contract, contract_id, with_for_update=for_update)
        if contract is None:
            raise NotFound(field="contract_id")
        await check_student(self.session, self.principal, contract.student_id)
        return contract

    async def schedule(self, contract_id: int) -> list[ContractInstalment]:
        query = select(ContractInstalment).where(ContractInstalment.contract_id == contract_id)
        return list(await self.session.scalars(query.order_by(ContractInstalment.number)))

    async def entries(self, contract_id: int) -> list[LedgerEntry]:
        await self.get(contract_id)
        return await self.ledger.entries(contract_id)

    async def page(
        self,
        params: ListParams,
        *,
        academic_year: int | None,
        student_id: int | None,
        group_id: int | None,
        status: str | None,
    ) -> tuple[list[Contract], int]:
        query = select(Contract).join(Student, Student.id == Contract.student_id)
        if (mine := group_filter(self.principal, Student.group_id)) is not None:
            query = query.where(mine)
        if academic_year is not None:
            query = query.where(Contract.academic_year == academic_year)
        if student_id is not None:
            query = query.where(Contract.student_id == student_id)
        if group_id is not None:
            query = query.where(Student.group_id == group_id)
        if status is not None:
            query = query.where(Contract.status == status)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={"number": Contract.number, "signed_on": Contract.signed_on, "amount": Contract.amount},
            default_sort="number",
            searchable=[Contract.number],
        )

    async def of_student(self, student_id: int) -> list[Contract]:
        await check_student(self.session, self.principal, student_id)
        if await self.session.get(Student, student_id) is None:
            raise NotFound(field="student_id")
        query = select(Contract).where(Contract.student_id == student_id)
        return list(await self.session.scalars(query.order_by(Contract.academic_year, Contract.id)))

    async def by_token(self, token: str) -> tuple[Contract, Student, str] | None:
        """The contract a QR code names, its student and its standing; None for any unknown token.
        Standing: cancelled; paid (its own charge settled); carried_over (a debt moved into a later
        year's contract: closed here, not paid); active."""
        contract = await self.session.scalar(select(Contract).where(Contract.verify_token == token))
        if contract is None:
            return None
        student = await self.session.get(Student, contract.student_id)
        assert student is not None
        later = select(Contract.id).where(
            Contract.student_id == contract.student_id, Contract.academic_year > contract.academic_year
        )
        moved_out = (LedgerEntry.kind == EntryKind.CARRY_OVER) & LedgerEntry.related_contract_id.in_(later)
        own, carried = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(case((~moved_out, LedgerEntry.amount), else_=0)), 0),
                    func.count().filter(moved_out),
                ).where(LedgerEntry.contract_id == contract.id)
            )
        ).one()
        if contract.status == "cancelled":
            return contract, student, "cancelled"
        if int(own) <= 0:
            return contract, student, "paid"
        return contract, student, "carried_over" if carried else "active"

    async def debtors(
        self,
        params: ListParams,
        *,
        faculty_id: int | None,
        group_id: int | None,
        course: str | None,
        today: date | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Students who owe (debt > 0 over all their contracts), with what is already overdue: the
        debt less the instalments of their contracts not yet due. One query, paged in the database."""
        day = today or local_today()
        not_due = (
            select(Contract.student_id, func.sum(ContractInstalment.amount).label("later"))
            .join(ContractInstalment, ContractInstalment.contract_id == Contract.id)
            .where(Contract.status == "active", ContractInstalment.due_on > day)
            .group_by(Contract.student_id)
            .subquery()
        )
        debts = (
            select(LedgerEntry.student_id, func.sum(LedgerEntry.amount).label("debt"))
            .group_by(LedgerEntry.student_id)
            .having(func.sum(LedgerEntry.amount) > 0)
            .subquery()
        )
        later = func.coalesce(not_due.c.later, 0)
        overdue = case((debts.c.debt > later, debts.c.debt - later), else_=literal(0))
        query = (
            select(
                Student.id.label("student_id"),
                Student.student_id_number,
                Student.last_name,
                Student.first_name,
                Student.patronymic,
                AcademicGroup.id.label("group_id"),
                AcademicGroup.name.label("group_name"),
                AcademicGroup.course,
                AcademicGroup.department_id.label("faculty_id"),
                debts.c.debt,
                overdue.label("overdue"),
            )
            .select_from(debts)
            .join(Student, Student.id == debts.c.student_id)
            .join(AcademicGroup, AcademicGroup.id == Student.group_id)
            .outerjoin(not_due, not_due.c.student_id == debts.c.student_id)
        )
        if (mine := group_filter(self.principal, Student.group_id)) is not None:
            query = query.where(mine)
        if faculty_id is not None:
            query = query.where(AcademicGroup.department_id == faculty_id)
        if group_id is not None:
            query = query.where(AcademicGroup.id == group_id)
        if course is not None:
            query = query.where(AcademicGroup.course == course)
        sortable = {"debt": debts.c.debt, "overdue": overdue, "last_name": Student.last_name}
        return await fetch_row_page(
            self.session,
            query,
            params,
            sortable=sortable,
            default_sort="-debt",
            tiebreak=Student.id,
            searchable=[Student.last_name, Student.student_id_number],
        )


def _carried_from(year: int) -> ColumnElement[bool]:
    """The contracts whose balance a new contract of `year` takes over: earlier years' and this
    year's cancelled ones."""
    return or_(
        Contract.academic_year < year, and_(Contract.academic_year == year, Contract.status == "cancelled")
    )


def _discount_of(charge: int, discount: FeeDiscount | None) -> int:
    if discount is None:
        return 0
    return discount_amount(
        charge, DiscountKind(discount.kind), percent=discount.percent, amount=discount.amount
    )


PERSONAL_READERS = frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.REGISTRAR, Role.DEAN})


def may_see_names(principal: Principal) -> bool:
    return principal.has_any(PERSONAL_READERS)


def _in_signing_window(year: int, day: date) -> bool:
    """A contract of academic year `year` is signed in that year or in the summer before it."""
    return date(year, 6, 1) <= day <= date(year + 1, 8, 31)


def _signing_day(year: int | None) -> date:
    """The date of a contract made without one: today, or the first day of its academic year
    when today is outside it (a contract made now for an earlier or later year)."""
    today = local_today()
    return today if year is None or _in_signing_window(year, today) else date(year, 9, 1)
