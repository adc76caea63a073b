"""/api/v1/stipends: national rates, the university's rules and assignments, monthly payroll runs
(prepared by one person, approved by another, exported), and a student's stipend history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Response, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from hemis.core.auth import Role, provide_principal, requires_role
from hemis.core.deps import provide_service
from hemis.core.listing import ListParams, PathId, QueryId, provide_list_params
from hemis.core.schemas import Page, changes, page_of, to_read
from hemis.stipends import export
from hemis.stipends.rules import Rule
from hemis.stipends.schemas import (
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
    LineRead,
    RateRead,
    RuleRead,
    RuleUpdate,
    RunCreate,
    RunRead,
    StudentLineRead,
)
from hemis.stipends.service import AssignmentService, PayrollService, RuleService

# Accounting prepares and approves payrolls (two different people); the admin may stand in.
PAYROLL = requires_role(Role.ACCOUNTANT, Role.ADMIN)
# Who gives a student a privileged or awarded stipend: accounting and the registrar's office.
ASSIGNERS = requires_role(Role.ACCOUNTANT, Role.ADMIN, Role.REGISTRAR)
READERS = requires_role(Role.ACCOUNTANT, Role.ADMIN, Role.REGISTRAR, Role.DEAN)
HISTORY_READERS = requires_role(Role.ACCOUNTANT, Role.ADMIN, Role.REGISTRAR, Role.DEAN, Role.STUDENT)
RateCodePath = Annotated[str, PathParameter(pattern=r"^1[1-5]$")]
RunStatus = Annotated[str | None, QueryParameter(pattern=r"^(draft|approved)$")]
RunKind = Annotated[str | None, QueryParameter(pattern=r"^(regular|correction)$")]
ExportFormat = Annotated[Literal["csv", "xlsx"], QueryParameter()]
Day = Annotated[date | None, QueryParameter()]
Paid = Annotated[bool | None, QueryParameter()]


def rule_view(rule: Rule, default: bool) -> RuleRead:
    return RuleRead(
        rate_code=rule.rate_code,
        enabled=rule.enabled,
        by_assignment=rule.by_assignment,
        state_grant_only=rule.state_grant_only,
        min_grade=rule.min_grade,
        first_semester=rule.first_semester,
        default=default,
    )


class StipendController(Controller):
    path = "/api/v1/stipends"
    tags = ["Stipends"]
    opt = {"tenant_kinds": {"university"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "rules": provide_service(RuleService),
        "assignments": provide_service(AssignmentService),
        "payroll": provide_service(PayrollService),
    }

    @get("/rates", operation_id="ListStipendRates", guards=[READERS])
    async def list_rates(self, payroll: NamedDependency[PayrollService], on: Day = None) -> list[RateRead]:
        """The national stipend rates in force on a day (today by default), with monthly amounts in tiyin."""
        in_force, amounts = await payroll.rates(on or date.today())
        return [
            RateRead(
                code=code,
                valid_from=rate.valid_from,
                amount_tiyin=rate.amount_tiyin,
                base_percent=rate.base_percent,
                monthly_tiyin=amounts.get(code),
            )
            for code, rate in sorted(in_force.items())
        ]

    @get("/rules", operation_id="ListStipendRules", guards=[READERS])
    async def list_rules(self, rules: NamedDependency[RuleService]) -> list[RuleRead]:
        """Which types this university pays and to whom (the national defaults where it set none)."""
        return [rule_view(rule, default) for rule, default in (await rules.effective()).values()]

    @put("/rules/{rate_code:str}", operation_id="SetStipendRule", guards=[PAYROLL])
    async def set_rule(
        self, rules: NamedDependency[RuleService], rate_code: RateCodePath, data: JSONBody[RuleUpdate]
    ) -> RuleRead:
        """Set this university's rule for one type (thresholds, automatic or by assignment)."""
        return rule_view(await rules.put(rate_code, changes(data)), default=False)

    @get("/assignments", operation_id="ListStipendAssignments", guards=[READERS])
    async def list_assignments(
        self,
        assignments: NamedDependency[AssignmentService],
        params: NamedDependency[ListParams],
        student_id: QueryId = None,
    ) -> Page[AssignmentRead]:
        """Stipend types given to students by order or documents."""
        rows, total = await assignments.page(params, student_id=student_id)
        return page_of(rows, total, params.limit, params.offset, AssignmentRead)

    @get("/assignments/{item_id:int}", operation_id="GetStipendAssignment", guards=[READERS])
    async def get_assignment(
        self, assignments: NamedDependency[AssignmentService], item_id: PathId
    ) -> AssignmentRead:
        """One assignment."""
        return to_read(await assignments.get(item_id), AssignmentRead)

    @post("/assignments", operation_id="CreateStipendAssignment", guards=[ASSIGNERS])
    async def create_assignment(
        self, assignments: NamedDependency[AssignmentService], data: JSONBody[AssignmentCreate]
    ) -> AssignmentRead:
        """Give a student a type paid by assignment (privileged, presidential, named) for a period."""
        return to_read(await assignments.create(changes(data)), AssignmentRead)

    @patch("/assignments/{item_id:int}", operation_id="UpdateStipendAssignment", guards=[ASSIGNERS])
    async def update_assignment(
        self,
        assignments: NamedDependency[AssignmentService],
        item_id: PathId,
        data: JSONBody[AssignmentUpdate],
    ) -> AssignmentRead:
        """End an assignment (or move its end), with the reason."""
        return to_read(await assignments.update(item_id, changes(data)), AssignmentRead)

    @get("/runs", operation_id="ListStipendRuns", guards=[READERS])
    async def list_runs(
        self,
        payroll: NamedDependency[PayrollService],
        params: NamedDependency[ListParams],
        status: RunStatus = None,
        kind: RunKind = None,
    ) -> Page[RunRead]:
        """Every payroll run, the latest month first (a month's corrections after its regular
        run): who prepared and approved it, and when."""
        rows, total = await payroll.page(params, status=status, kind=kind)
        return page_of(rows, total, params.limit, params.offset, RunRead)

    @post("/runs", operation_id="PrepareStipendRun", guards=[PAYROLL])
    async def prepare_run(
        self, payroll: NamedDependency[PayrollService], data: JSONBody[RunCreate]
    ) -> RunRead:
        """Compute the month's payroll as a draft (again: recomputed); an approved month is closed."""
        return to_read(await payroll.prepare(data.month), RunRead)

    @post("/corrections", operation_id="PrepareStipendCorrection", guards=[PAYROLL])
    async def prepare_correction(
        self, payroll: NamedDependency[PayrollService], data: JSONBody[RunCreate]
    ) -> RunRead:
        """Compute a correction of an approved month as a draft (again: recomputed): the students
        whose stipend changed since, each with the difference to pay or (negative) to recover.
        It is approved by a second person and exported like any run; approved runs stay as they are."""
        return to_read(await payroll.prepare_correction(data.month), RunRead)

    @get("/runs/{run_id:int}", operation_id="GetStipendRun", guards=[READERS])
    async def get_run(self, payroll: NamedDependency[PayrollService], run_id: PathId) -> RunRead:
        """One run with its totals."""
        return to_read(await payroll.get(run_id), RunRead)

    @get("/runs/{run_id:int}/lines", operation_id="ListStipendRunLines", guards=[READERS])
    async def list_lines(
        self,
        payroll: NamedDependency[PayrollService],
        params: NamedDependency[ListParams],
        run_id: PathId,
        paid: Paid = None,
        group_id: QueryId = None,
    ) -> Page[LineRead]:
        """A run's lines: each student's stipend and amount, or the reasons for none."""
        rows, total = await payroll.lines(run_id, params, paid=paid, group_id=group_id)
        return page_of(rows, total, params.limit, params.offset, LineRead)

    @post("/runs/{run_id:int}/approve", operation_id="ApproveStipendRun", guards=[PAYROLL], status_code=200)
    async def approve_run(self, payroll: NamedDependency[PayrollService], run_id: PathId) -> RunRead:
        """Approve a draft (not the person who prepared it); the run never changes afterwards."""
        return to_read(await payroll.approve(run_id), RunRead)

    @get("/runs/{run_id:int}/export", operation_id="ExportStipendRun", guards=[PAYROLL])
    async def export_run(
        self, payroll: NamedDependency[PayrollService], run_id: PathId, format: ExportFormat = "csv"
    ) -> Response[bytes]:
        """An approved run's payment file (CSV or XLSX): the paid students and amounts; a
        correction's has its recoveries too, as negative amounts."""
        run, rows = await payroll.payments(run_id)
        name = f"stipendiya-{run.month:%Y-%m}" + (f"-tuzatish-{run.sequence}" if run.sequence else "")
        body = export.to_xlsx(rows, name) if format == "xlsx" else export.to_csv(rows)
        return Response(
            body,
            media_type=export.XLSX_TYPE if format == "xlsx" else export.CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
        )

    @get("/students/{student_id:int}", operation_id="GetStudentStipends", guards=[HISTORY_READERS])
    async def student_history(
        self, payroll: NamedDependency[PayrollService], student_id: PathId
    ) -> list[StudentLineRead]:
        """A student's stipends month by month (approved runs); a student reads only their own."""
        return [to_read(row, StudentLineRead) for row in await payroll.history(student_id)]
