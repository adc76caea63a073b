"""Console writes go through hemis's own services, never straight to the table.

In front of the console's private API, a write to an editable table is taken over here: the
body is read with the API's own request schema, then the resource's CrudService checks it,
writes it and records the audit row with the signed-in person, in one transaction, as
`/api/v1/...` does. Errors come back as the API's problem JSON, in the caller's language,
naming the field. What the API does not allow (e.g. deleting a curriculum) is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.columns import JSON
from piccolo.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from admin.labels import console_language
from hemis.core.crud import CrudService
from hemis.core.errors import HemisError, Problem, make_problem, validation_problem
from hemis.core.schemas import changes
from hemis.curriculum.schemas import (
    CurriculumCreate,
    CurriculumSubjectCreate,
    CurriculumSubjectUpdate,
    CurriculumUpdate,
    SpecialtyCreate,
    SubjectCreate,
    WeekCreate,
)
from hemis.curriculum.service import (
    CurriculumService,
    CurriculumSubjectService,
    CurriculumWeekService,
    SpecialtyService,
    SubjectService,
)
from hemis.finance.fees import DiscountService, FeeStructureService, PlanService
from hemis.finance.schemas import (
    DiscountCreate,
    DiscountUpdate,
    FeeStructureCreate,
    FeeStructureUpdate,
    PlanCreate,
    PlanUpdate,
)
from hemis.grading.scales import ScaleService
from hemis.grading.schemas import ScaleCreate, ScaleUpdate
from hemis.structure.schemas import (
    AuditoriumCreate,
    AuditoriumUpdate,
    BuildingCreate,
    BuildingUpdate,
    DepartmentCreate,
    DepartmentUpdate,
)
from hemis.structure.service import AuditoriumService, BuildingService, DepartmentService
from tenants.context import current_tenant
from tenants.session import tenant_session


@dataclass(frozen=True)
class Writes:
    """How the API writes a resource: its service, request schemas, and what it allows."""

    service: type[CrudService[Any]]
    create: type[msgspec.Struct] | None
    update: type[msgspec.Struct] | None = None
    delete: bool = False
    from_path: tuple[str, ...] = ()  # columns the API takes from the URL, the console from the row


WRITES: dict[str, Writes] = {
    "department": Writes(DepartmentService, DepartmentCreate, DepartmentUpdate, delete=True),
    "building": Writes(BuildingService, BuildingCreate, BuildingUpdate, delete=True),
    "auditorium": Writes(AuditoriumService, AuditoriumCreate, AuditoriumUpdate, delete=True),
    "specialty": Writes(SpecialtyService, SpecialtyCreate),
    "subject": Writes(SubjectService, SubjectCreate),
    "curriculum": Writes(CurriculumService, CurriculumCreate, CurriculumUpdate),
    "curriculum_subject": Writes(
        CurriculumSubjectService,
        CurriculumSubjectCreate,
        CurriculumSubjectUpdate,
        from_path=("curriculum_id",),
    ),
    "curriculum_week": Writes(CurriculumWeekService, WeekCreate, delete=True, from_path=("curriculum_id",)),
    "grading_scale": Writes(ScaleService, ScaleCreate, ScaleUpdate),
    "fee_structure": Writes(FeeStructureService, FeeStructureCreate, FeeStructureUpdate),
    "fee_discount": Writes(DiscountService, DiscountCreate, DiscountUpdate),
    "instalment_plan": Writes(PlanService, PlanCreate, PlanUpdate),
}
_ROUTE = re.compile(r"/tables/([a-z_]+)/(?:([0-9]+)/)?", re.ASCII)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ServiceWrites:
    """ASGI middleware in front of the console's private API (after its auth); writes land in
    the current tenant (tenants.context)."""

    def __init__(
        self, app: ASGIApp, maker: async_sessionmaker[AsyncSession], tables: dict[str, type[Table]]
    ) -> None:
        self.app = app
        self.maker = maker
        self.tables = tables

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every write is ours: a service-backed write of an editable table, or refused. No
        write of any kind (other tables, bulk deletes, ids piccolo would also parse such as
        "+5", its password and MFA forms) reaches piccolo's own handlers."""
        if scope["type"] != "http" or scope.get("method") not in UNSAFE:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        below = scope["path"][len(scope.get("root_path", "")) :]
        match = _ROUTE.fullmatch(below)
        read_only = bool(getattr(scope.get("user"), "read_only", True))  # no person: nothing is written
        if read_only or match is None or match.group(1) not in WRITES or set(request.query_params) - {"l"}:
            language = console_language(scope)
            response = _problem(405, "error.method_not_allowed", language)
        else:
            response = await self._write(
                request, match.group(1), int(match.group(2)) if match.group(2) else None
            )
        await response(scope, receive, send)

    async def _write(self, request: Request, table: str, row_id: int | None) -> Response:
        spec, method = WRITES[table], request.method
        language = console_language(request.scope)
        actor = request.user.actor
        try:
            async with tenant_session(self.maker, current_tenant()) as session:
                service = spec.service(session, actor=actor)
                if method == "POST" and row_id is None and spec.create is not None:
                    row = await service.create(await self._values(request, table, spec, spec.create))
                    answer: Response = JSONResponse([{"id": row.id}], status_code=201)
                elif method in {"PATCH", "PUT"} and row_id is not None and spec.update is not None:
                    await service.update(
                        row_id, await self._values(request, table, spec, spec.update, partial=True)
                    )
                    answer = Response(await self._row(table, row_id, session), media_type="application/json")
                elif method == "DELETE" and row_id is not None and spec.delete:
                    await service.delete(row_id)
                    answer = Response(status_code=204)
                else:
                    return _problem(405, "error.method_not_allowed", language)
                await session.commit()
                return answer
        except HemisError as error:
            return _problem(error.status_code, error.message_key, language, field=error.field, **error.params)
        except msgspec.ValidationError as error:
            return _answer(validation_problem(str(error), language))

    async def _values(
        self,
        request: Request,
        table: str,
        spec: Writes,
        schema: type[msgspec.Struct],
        *,
        partial: bool = False,
    ) -> dict[str, Any]:
        """The body as the API's schema reads it: only its fields (the console also sends the
        row's read-only columns), strings converted as JSON would carry them."""
        try:
            body = await request.json()
        except ValueError as error:
            raise msgspec.ValidationError("Expected `object` - at `$`") from error
        if not isinstance(body, dict):
            raise msgspec.ValidationError("Expected `object` - at `$`")
        fields = set(schema.__struct_fields__)
        sent = {k: v for k, v in body.items() if k in fields and not (v is None and partial)}
        sent = {k: self._json_text(table, k, v) for k, v in sent.items()}
        values = changes(msgspec.convert(sent, schema, strict=False))
        if not partial:
            values |= {k: body[k] for k in spec.from_path if body.get(k) is not None}
        return values

    def _json_text(self, table: str, name: str, value: Any) -> Any:
        """The console edits JSON columns (e.g. an instalment plan's parts) as text: read it as
        the JSON it holds; text that is not JSON goes on and fails the schema, naming the field."""
        column = self.tables[table]._meta.get_column_by_name(name) if isinstance(value, str) else None
        if isinstance(column, JSON):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    async def _row(self, table: str, row_id: int, session: AsyncSession) -> str:
        """The changed row as piccolo answers a PATCH; flushed, so the console's own
        connection would not see it yet: read through the same transaction."""
        await session.flush()
        cls = self.tables[table]
        model = next(m for m in _mapped() if m.__tablename__ == table)
        row = await session.get(model, row_id)
        names = [c._meta.name for c in cls._meta.columns]
        return msgspec.json.encode({n: getattr(row, n) for n in names}).decode()


def _mapped() -> list[Any]:
    return [spec.service.model for spec in WRITES.values()]


def _problem(status: int, key: str, language: str, *, field: str | None = None, **params: Any) -> Response:
    return _answer(make_problem(status, key, language, field=field, **params))


def _answer(problem: Problem) -> Response:
    """The API's problem, shaped for piccolo's page: it shows `custom_form_error` of a 422 as
    the form's error (and would fail on a string `detail` there)."""
    body = problem.body()
    if problem.status == 422:
        body["custom_form_error"] = body.pop("detail")
    return JSONResponse(body, status_code=problem.status)
