"""/api/v1/finance: fee structures, discounts, instalment plans, contracts, their ledger and PDF,
students' balances, the debtors report; /verify/contracts/{token}: the public check of a contract."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.auth import Principal, Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.errors import NotFound
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read, without
from hemis.finance.documents import ContractDocument, contract_pdf, verification_page
from hemis.finance.fees import DiscountService, FeeStructureService, PlanService, base_amounts
from hemis.finance.models import Contract
from hemis.finance.rules import EntryKind, format_som, mask_name
from hemis.finance.schemas import (
    BaseAmountRead,
    BulkResult,
    ContractBulkCreate,
    ContractCancel,
    ContractCreate,
    ContractRead,
    ContractVerification,
    DebtorRead,
    DiscountApply,
    DiscountCreate,
    DiscountRead,
    DiscountUpdate,
    FeeStructureCreate,
    FeeStructureRead,
    FeeStructureUpdate,
    InstalmentRead,
    LedgerEntryRead,
    PaymentCreate,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    RefundCreate,
    SkippedStudent,
    StudentBalanceRead,
)
from hemis.finance.service import ContractService, may_see_names
from hemis.institution.service import InstitutionService
from hemis.students.models import AcademicGroup, Student

ACCOUNTS = requires_role(Role.ADMIN, Role.ACCOUNTANT)  # fees, contracts and money
STAFF_ROLES = frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.REGISTRAR, Role.DEAN, Role.INTEGRATION})
STAFF = requires_role(*STAFF_ROLES)
# The student too, for their own contracts only (ContractService checks whose it is).
OWN_OR_STAFF = requires_role(*STAFF_ROLES, Role.STUDENT)
OFFICE_ONLY = frozenset({"actor", "external_id"})  # ledger fields a student does not get
Course = Annotated[str | None, QueryParameter(pattern=r"^\d{2}$")]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2100)]
Status = Annotated[str | None, QueryParameter(pattern=r"^(active|cancelled)$")]
Token = Annotated[str, PathParameter(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
VERIFY_PATH = "/verify/contracts"


def verify_url(request: Request[Any, Any, Any], token: str) -> str:
    """The public page of a contract on this university's host (with /t/<code> in dev)."""
    root = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}{VERIFY_PATH}/{token}"


async def contract_view(
    contracts: ContractService, contract: Contract, request: Request[Any, Any, Any], *, detail: bool = False
) -> ContractRead:
    balance = (await contracts.ledger.balances([contract.id]))[contract.id]
    schedule = await contracts.schedule(contract.id) if detail else []
    return ContractRead(
        id=contract.id,
        number=contract.number,
        academic_year=contract.academic_year,
        student_id=contract.student_id,
        fee_structure_id=contract.fee_structure_id,
        contract_type=contract.contract_type,
        signed_on=contract.signed_on,
        amount=contract.amount,
        base_amount=contract.base_amount,
        status=contract.status,
        balance=balance,
        instalments=[InstalmentRead(number=i.number, due_on=i.due_on, amount=i.amount) for i in schedule],
        verify_url=verify_url(request, contract.verify_token),
        cancelled_at=contract.cancelled_at,
        cancel_reason=contract.cancel_reason,
    )


async def contract_views(
    contracts: ContractService, rows: list[Contract], request: Request[Any, Any, Any]
) -> list[ContractRead]:
    balances = await contracts.ledger.balances([c.id for c in rows])
    return [
        ContractRead(
            id=c.id,
            number=c.number,
            academic_year=c.academic_year,
            student_id=c.student_id,
            fee_structure_id=c.fee_structure_id,
            contract_type=c.contract_type,
            signed_on=c.signed_on,
            amount=c.amount,
            base_amount=c.base_amount,
            status=c.status,
            balance=balances[c.id],
            verify_url=verify_url(request, c.verify_token),
            cancelled_at=c.cancelled_at,
            cancel_reason=c.cancel_reason,
        )
        for c in rows
    ]


class FinanceController(Controller):
    path = "/api/v1/finance"
    tags = ["Finance"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "fees": provide_service(FeeStructureService),
        "discounts": provide_service(DiscountService),
        "plans": provide_service(PlanService),
        "contracts": provide_service(ContractService),
    }

    @get("/base-amounts", operation_id="ListBaseAmounts", guards=[STAFF])
    async def list_base_amounts(self, db_session: NamedDependency[AsyncSession]) -> list[BaseAmountRead]:
        """The national base calculation amount (BHM) by the day it took effect (tiyin)."""
        return [to_read(r, BaseAmountRead) for r in await base_amounts(db_session)]

    # Fee structures, discounts, instalment plans

    @get("/fee-structures", operation_id="ListFeeStructures", guards=[STAFF])
    async def list_fees(
        self,
        fees: NamedDependency[FeeStructureService],
        params: NamedDependency[ListParams],
        academic_year: Year = None,
        specialty_id: QueryId = None,
    ) -> Page[FeeStructureRead]:
        """Yearly fees by academic year, specialty, form of study, course, payment form and contract type."""
        rows, total = await fees.page(params, academic_year=academic_year, specialty_id=specialty_id)
        return page_of(rows, total, params.limit, params.offset, FeeStructureRead)

    @get("/fee-structures/{item_id:int}", operation_id="GetFeeStructure", guards=[STAFF])
    async def get_fee(self, fees: NamedDependency[FeeStructureService], item_id: PathId) -> FeeStructureRead:
        """One fee structure."""
        return to_read(await fees.get(item_id), FeeStructureRead)

    @post("/fee-structures", operation_id="CreateFeeStructure", guards=[ACCOUNTS])
    async def create_fee(
        self, fees: NamedDependency[FeeStructureService], data: JSONBody[FeeStructureCreate]
    ) -> FeeStructureRead:
        """Set a yearly fee: a fixed amount in tiyin, or a coefficient of the BHM (not both)."""
        return to_read(await fees.create(changes(data)), FeeStructureRead)

    @patch("/fee-structures/{item_id:int}", operation_id="UpdateFeeStructure", guards=[ACCOUNTS])
    async def update_fee(
        self, fees: NamedDependency[FeeStructureService], item_id: PathId, data: JSONBody[FeeStructureUpdate]
    ) -> FeeStructureRead:
        """Change a fee; contracts already made keep their amount."""
        return to_read(await fees.update(item_id, changes(data)), FeeStructureRead)

    @get("/discounts", operation_id="ListDiscounts", guards=[STAFF])
    async def list_discounts(
        self, discounts: NamedDependency[DiscountService], params: NamedDependency[ListParams]
    ) -> Page[DiscountRead]:
        """The university's discounts (percent or sum, with the reason)."""
        rows, total = await discounts.page(params)
        return page_of(rows, total, params.limit, params.offset, DiscountRead)

    @get("/discounts/{item_id:int}", operation_id="GetDiscount", guards=[STAFF])
    async def get_discount(
        self, discounts: NamedDependency[DiscountService], item_id: PathId
    ) -> DiscountRead:
        """One discount."""
        return to_read(await discounts.get(item_id), DiscountRead)

    @post("/discounts", operation_id="CreateDiscount", guards=[ACCOUNTS])
    async def create_discount(
        self, discounts: NamedDependency[DiscountService], data: JSONBody[DiscountCreate]
    ) -> DiscountRead:
        """Add a discount: `percent` for kind percent, `amount` (tiyin) for kind sum."""
        return to_read(await discounts.create(changes(data)), DiscountRead)

    @patch("/discounts/{item_id:int}", operation_id="UpdateDiscount", guards=[ACCOUNTS])
    async def update_discount(
        self, discounts: NamedDependency[DiscountService], item_id: PathId, data: JSONBody[DiscountUpdate]
    ) -> DiscountRead:
        """Reword or retire a discount (its value stays: contracts were computed with it)."""
        return to_read(await discounts.update(item_id, changes(data)), DiscountRead)

    @get("/instalment-plans", operation_id="ListInstalmentPlans", guards=[STAFF])
    async def list_plans(
        self, plans: NamedDependency[PlanService], params: NamedDependency[ListParams]
    ) -> Page[PlanRead]:
        """Instalment plans: shares of the year's fee and their due days."""
        rows, total = await plans.page(params)
        return page_of(rows, total, params.limit, params.offset, PlanRead)

    @get("/instalment-plans/{item_id:int}", operation_id="GetInstalmentPlan", guards=[STAFF])
    async def get_plan(self, plans: NamedDependency[PlanService], item_id: PathId) -> PlanRead:
        """One plan."""
        return to_read(await plans.get(item_id), PlanRead)

    @post("/instalment-plans", operation_id="CreateInstalmentPlan", guards=[ACCOUNTS])
    async def create_plan(self, plans: NamedDependency[PlanService], data: JSONBody[PlanCreate]) -> PlanRead:
        """Add a plan: shares (percent, adding up to 100) due on days in order through the year."""
        return to_read(await plans.create(changes(data)), PlanRead)

    @patch("/instalment-plans/{item_id:int}", operation_id="UpdateInstalmentPlan", guards=[ACCOUNTS])
    async def update_plan(
        self, plans: NamedDependency[PlanService], item_id: PathId, data: JSONBody[PlanUpdate]
    ) -> PlanRead:
        """Change a plan; contracts already made keep their schedule."""
        return to_read(await plans.update(item_id, changes(data)), PlanRead)

    # Contracts

    @post("/contracts", operation_id="CreateContract", guards=[ACCOUNTS])
    async def create_contract(
        self,
        contracts: NamedDependency[ContractService],
        request: Request[Any, Any, Any],
        data: JSONBody[ContractCreate],
    ) -> ContractRead:
        """Make a student's contract for the year from the fee structure that fits them."""
        contract = await contracts.generate(
            data.student_id,
            academic_year=data.academic_year,
            contract_type=data.contract_type,
            signed_on=data.signed_on,
            discount_id=data.discount_id,
        )
        return await contract_view(contracts, contract, request, detail=True)

    @post("/contracts/bulk", operation_id="CreateContracts", guards=[ACCOUNTS])
    async def create_contracts(
        self,
        contracts: NamedDependency[ContractService],
        request: Request[Any, Any, Any],
        data: JSONBody[ContractBulkCreate],
    ) -> BulkResult:
        """Contracts for every studying student of a group or a specialty who has none this year;
        the students who cannot get one are listed with the reason. At most 2,000 a call:
        `remaining` > 0 means call again."""
        outcome = await contracts.generate_bulk(
            group_id=data.group_id,
            specialty_id=data.specialty_id,
            academic_year=data.academic_year,
            contract_type=data.contract_type,
            signed_on=data.signed_on,
        )
        return BulkResult(
            created=await contract_views(contracts, outcome.made, request),
            skipped=[
                SkippedStudent(student_id=s.student_id, code=s.code, field=s.field) for s in outcome.skipped
            ],
            remaining=outcome.remaining,
        )

    @get("/contracts", operation_id="ListContracts", guards=[STAFF])
    async def list_contracts(
        self,
        contracts: NamedDependency[ContractService],
        params: NamedDependency[ListParams],
        request: Request[Any, Any, Any],
        academic_year: Year = None,
        student_id: QueryId = None,
        group_id: QueryId = None,
        status: Status = None,
    ) -> Page[ContractRead]:
        """Contracts with their balances; filter by year, student, group or status; search by number."""
        rows, total = await contracts.page(
            params, academic_year=academic_year, student_id=student_id, group_id=group_id, status=status
        )
        items = await contract_views(contracts, rows, request)
        return Page(items=items, total=total, limit=params.limit, offset=params.offset)

    @get("/contracts/{contract_id:int}", operation_id="GetContract", guards=[OWN_OR_STAFF])
    async def get_contract(
        self,
        contracts: NamedDependency[ContractService],
        request: Request[Any, Any, Any],
        contract_id: PathId,
    ) -> ContractRead:
        """One contract with its balance and schedule (a student: their own only)."""
        return await contract_view(contracts, await contracts.get(contract_id), request, detail=True)

    @get("/contracts/{contract_id:int}/ledger", operation_id="ListContractLedger", guards=[OWN_OR_STAFF])
    async def contract_ledger(
        self, contracts: NamedDependency[ContractService], contract_id: PathId
    ) -> list[LedgerEntryRead]:
        """Every money entry of the contract, oldest first; their sum is the balance. A student
        sees their own entries without who booked them and the provider's own ids (staff names
        and bank references are the office's, not the student's)."""
        entries = [to_read(e, LedgerEntryRead) for e in await contracts.entries(contract_id)]
        if contracts.principal is not None and not contracts.principal.has_any(STAFF_ROLES):
            entries = [without(e, OFFICE_ONLY) for e in entries]
        return entries

    @get(
        "/contracts/{contract_id:int}/pdf",
        operation_id="GetContractPdf",
        guards=[OWN_OR_STAFF],
        media_type="application/pdf",
    )
    async def contract_document(
        self,
        contracts: NamedDependency[ContractService],
        db_session: NamedDependency[AsyncSession],
        request: Request[Any, Any, Any],
        language: NamedDependency[str],
        contract_id: PathId,
    ) -> Response[bytes]:
        """The printable contract (PDF) with a QR code that opens its public verification page."""
        contract = await contracts.get(contract_id)
        student = await db_session.get(Student, contract.student_id)
        assert student is not None
        group = await db_session.get(AcademicGroup, student.group_id)
        entries = await contracts.ledger.entries(contract.id)
        discounts = [
            (e.note, -e.amount) for e in entries if e.kind == EntryKind.DISCOUNT and e.discount_id is not None
        ]
        university = (await InstitutionService(session=db_session).profile(language)).name
        doc = ContractDocument(
            university=university,
            number=contract.number,
            academic_year=contract.academic_year,
            signed_on=contract.signed_on,
            contract_type=contract.contract_type,
            student_name=" ".join(filter(None, (student.last_name, student.first_name, student.patronymic))),
            student_id_number=student.student_id_number,
            group_name=group.name if group else "",
            amount=contract.amount,
            base_amount=contract.base_amount,
            discounts=discounts,
            schedule=[(i.number, i.due_on, i.amount) for i in await contracts.schedule(contract.id)],
            verify_url=verify_url(request, contract.verify_token),
        )
        return Response(
            contract_pdf(doc, language),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="contract-{contract.number}.pdf"'},
        )

    @post("/contracts/{contract_id:int}/discounts", operation_id="ApplyDiscount", guards=[ACCOUNTS])
    async def apply_discount(
        self, contracts: NamedDependency[ContractService], contract_id: PathId, data: JSONBody[DiscountApply]
    ) -> LedgerEntryRead:
        """Grant one of the university's discounts on a contract (once per discount)."""
        return to_read(await contracts.apply_discount(contract_id, data.discount_id), LedgerEntryRead)

    @post("/contracts/{contract_id:int}/payments", operation_id="RecordPayment", guards=[ACCOUNTS])
    async def record_payment(
        self, contracts: NamedDependency[ContractService], contract_id: PathId, data: JSONBody[PaymentCreate]
    ) -> LedgerEntryRead:
        """Record money received (tiyin). The same provider and external id again returns the
        first entry; `manual` entries (from paper documents) need no external id."""
        entry = await contracts.pay(
            contract_id,
            data.amount,
            provider=data.provider,
            external_id=data.external_id,
            booked_on=data.booked_on,
            note=data.note,
        )
        return to_read(entry, LedgerEntryRead)

    @post(
        "/contracts/{contract_id:int}/cancel",
        operation_id="CancelContract",
        guards=[ACCOUNTS],
        status_code=200,
    )
    async def cancel_contract(
        self,
        contracts: NamedDependency[ContractService],
        request: Request[Any, Any, Any],
        contract_id: PathId,
        data: JSONBody[ContractCancel],
    ) -> ContractRead:
        """Cancel a contract with the reason: its charge less discounts is written off in the
        ledger, the money paid stays the student's credit (refund it, or it moves into their next
        contract). A contract is cancelled once (409); one whose balance already moved into a
        later year's contract is not cancelled (409)."""
        contract = await contracts.cancel(contract_id, data.reason)
        return await contract_view(contracts, contract, request, detail=True)

    @post("/contracts/{contract_id:int}/refunds", operation_id="RecordRefund", guards=[ACCOUNTS])
    async def record_refund(
        self, contracts: NamedDependency[ContractService], contract_id: PathId, data: JSONBody[RefundCreate]
    ) -> LedgerEntryRead:
        """Record money paid back: at most what the contract holds in the student's favour."""
        entry = await contracts.refund(
            contract_id,
            data.amount,
            provider=data.provider,
            external_id=data.external_id,
            booked_on=data.booked_on,
            note=data.note,
        )
        return to_read(entry, LedgerEntryRead)

    @get("/students/{student_id:int}/balance", operation_id="GetStudentBalance", guards=[OWN_OR_STAFF])
    async def student_balance(
        self, contracts: NamedDependency[ContractService], request: Request[Any, Any, Any], student_id: PathId
    ) -> StudentBalanceRead:
        """A student's contracts and total debt (a student: their own only)."""
        rows = await contracts.of_student(student_id)
        return StudentBalanceRead(
            student_id=student_id,
            debt=await contracts.ledger.student_debt(student_id),
            contracts=await contract_views(contracts, rows, request),
        )

    @get("/debtors", operation_id="ListDebtors", guards=[STAFF])
    async def debtors(
        self,
        contracts: NamedDependency[ContractService],
        principal: NamedDependency[Principal],
        params: NamedDependency[ListParams],
        faculty_id: QueryId = None,
        group_id: QueryId = None,
        course: Course = None,
    ) -> Page[DebtorRead]:
        """Students who owe, largest debt first (sort: debt, overdue, last_name); filter by
        faculty, group or course; search by last name or student id number."""
        rows, total = await contracts.debtors(params, faculty_id=faculty_id, group_id=group_id, course=course)
        named = may_see_names(principal)
        items = [
            DebtorRead(
                student_id=r["student_id"],
                student_id_number=r["student_id_number"],
                full_name=" ".join(filter(None, (r["last_name"], r["first_name"], r["patronymic"])))
                if named
                else mask_name(r["last_name"], r["first_name"]),
                group_id=r["group_id"],
                group_name=r["group_name"],
                course=r["course"],
                faculty_id=r["faculty_id"],
                debt=int(r["debt"]),
                overdue=int(r["overdue"]),
            )
            for r in rows
        ]
        return Page(items=items, total=total, limit=params.limit, offset=params.offset)


async def _verification(db_session: AsyncSession, token: str, language: str) -> ContractVerification | None:
    found = await ContractService(db_session, actor="public").by_token(token)
    if found is None:
        return None
    contract, student, status = found
    university = (await InstitutionService(session=db_session).profile(language)).name
    return ContractVerification(
        university=university,
        number=contract.number,
        academic_year=f"{contract.academic_year}/{contract.academic_year + 1}",
        student=mask_name(student.last_name, student.first_name),
        amount=contract.amount,
        amount_text=format_som(contract.amount),
        status=status,
    )


class ContractVerificationController(Controller):
    """Public, no sign-in: what a QR code on a printed contract opens. The token is 256 random
    bits, so contracts cannot be enumerated; the page shows initials, never the name."""

    tags = ["Finance"]
    opt = {"tenant_kinds": {"university"}}

    @get("/api/v1/finance/verify/{token:str}", operation_id="VerifyContract")
    async def verify_json(
        self, db_session: NamedDependency[AsyncSession], language: NamedDependency[str], token: Token
    ) -> ContractVerification:
        """Check a contract by the token of its QR code."""
        found = await _verification(db_session, token, language)
        if found is None:
            raise NotFound(field="token")
        return found

    @get(f"{VERIFY_PATH}/{{token:str}}", operation_id="VerifyContractPage", media_type=MediaType.HTML)
    async def verify_page(
        self, db_session: NamedDependency[AsyncSession], language: NamedDependency[str], token: Token
    ) -> Response[str]:
        """The page the QR code opens (HTML, in the caller's language)."""
        found = await _verification(db_session, token, language)
        if found is None:
            return Response(
                verification_page(language=language, found=False), status_code=404, media_type=MediaType.HTML
            )
        page = verification_page(
            language=language,
            found=True,
            number=found.number,
            academic_year=found.academic_year,
            student=found.student,
            amount=found.amount,
            status=found.status,
            university=found.university,
        )
        return Response(page, media_type=MediaType.HTML)
