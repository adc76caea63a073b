"""A university's fee configuration: fee structures, discounts, instalment plans; and the national
base calculation amount (BHM) in force on a day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core.crud import BadReference, CrudService
from hemis.core.errors import HemisError, OutOfRange, TooPrecise
from hemis.core.listing import ListParams, fetch_page
from hemis.core.refs import check_sent_codes
from hemis.curriculum.models import Specialty
from hemis.finance.models import BaseCalculationAmount, FeeDiscount, FeeStructure, InstalmentPlan
from hemis.finance.rules import DiscountKind, PlanPart, plan_problem

FEE_CODES = {"education_form": "h_education_form", "course": "h_course", "payment_form": "h_payment_form"}
MAX_COEFFICIENT = Decimal(10_000)


class AmountOrCoefficient(HemisError):
    status_code = 422
    message_key = "finance.amount_or_coefficient"


class DiscountValue(HemisError):
    status_code = 422
    message_key = "finance.discount_value"


class PlanInvalid(HemisError):
    status_code = 422


class NoBaseAmount(HemisError):
    status_code = 422
    message_key = "finance.no_base_amount"


async def base_amount_on(session: AsyncSession, day: date) -> BaseCalculationAmount | None:
    """The BHM in force on `day`: the row with the latest valid_from on or before it."""
    query = (
        select(BaseCalculationAmount)
        .where(BaseCalculationAmount.valid_from <= day)
        .order_by(BaseCalculationAmount.valid_from.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def base_amounts(session: AsyncSession) -> list[BaseCalculationAmount]:
    return list(
        await session.scalars(select(BaseCalculationAmount).order_by(BaseCalculationAmount.valid_from))
    )


def plan_parts(raw: list[dict[str, Any]]) -> list[PlanPart]:
    """A stored plan's parts (JSON: share as a string, month, day) as the rules take them."""
    return [PlanPart(Decimal(str(p["share"])), int(p["month"]), int(p["day"])) for p in raw]


class FeeStructureService(CrudService[FeeStructure]):
    model = FeeStructure

    async def check(
        self, values: dict[str, Any], current: FeeStructure | None, changed: frozenset[str]
    ) -> None:
        await check_sent_codes(self.session, values, changed, FEE_CODES)
        if "specialty_id" in changed and not await self.exists(Specialty, values["specialty_id"]):
            raise BadReference(field="specialty_id")
        plan_id = values.get("instalment_plan_id")
        if "instalment_plan_id" in changed and plan_id is not None:
            plan = await self.session.get(InstalmentPlan, plan_id)
            if plan is None or not plan.active:
                raise BadReference(field="instalment_plan_id")
        amount, coefficient = values.get("amount"), values.get("bhm_coefficient")
        if (amount is None) == (coefficient is None):
            # Name what the caller sent: the coefficient when it alone was, else the amount.
            only_coefficient = "bhm_coefficient" in changed and "amount" not in changed
            both = amount is not None and "bhm_coefficient" in changed
            raise AmountOrCoefficient(field="bhm_coefficient" if only_coefficient or both else "amount")
        OutOfRange.check(values, "bhm_coefficient", Decimal(0), MAX_COEFFICIENT, low_open=True)
        TooPrecise.check(values, "bhm_coefficient", 3)

    async def page(
        self, params: ListParams, *, academic_year: int | None, specialty_id: int | None
    ) -> tuple[list[FeeStructure], int]:
        query = select(FeeStructure)
        if academic_year is not None:
            query = query.where(FeeStructure.academic_year == academic_year)
        if specialty_id is not None:
            query = query.where(FeeStructure.specialty_id == specialty_id)
        return await fetch_page(
            self.session,
            query,
            params,
            sortable={
                "academic_year": FeeStructure.academic_year,
                "course": FeeStructure.course,
                "amount": FeeStructure.amount,
            },
            default_sort="-academic_year",
        )


class DiscountService(CrudService[FeeDiscount]):
    model = FeeDiscount

    async def check(
        self, values: dict[str, Any], current: FeeDiscount | None, changed: frozenset[str]
    ) -> None:
        if current is not None:
            return  # kind and value stay (applied discounts were computed from them); reason may change
        if values["kind"] == DiscountKind.PERCENT:
            if values.get("percent") is None or values.get("amount") is not None:
                raise DiscountValue(field="percent")
            OutOfRange.check(values, "percent", Decimal(0), Decimal(100), low_open=True)
            TooPrecise.check(values, "percent", 2)
        elif values.get("amount") is None or values.get("percent") is not None:
            raise DiscountValue(field="amount")

    async def page(self, params: ListParams) -> tuple[list[FeeDiscount], int]:
        return await fetch_page(
            self.session,
            select(FeeDiscount),
            params,
            sortable={"code": FeeDiscount.code},
            default_sort="code",
            searchable=[FeeDiscount.code, FeeDiscount.reason],
        )


class PlanService(CrudService[InstalmentPlan]):
    model = InstalmentPlan

    async def create(self, values: dict[str, Any]) -> InstalmentPlan:
        return await super().create(_stored_parts(values))

    async def update(self, item_id: int, changes: dict[str, Any]) -> InstalmentPlan:
        return await super().update(item_id, _stored_parts(changes))

    async def check(
        self, values: dict[str, Any], current: InstalmentPlan | None, changed: frozenset[str]
    ) -> None:
        if "parts" in changed and (problem := plan_problem(plan_parts(values["parts"]))):
            raise PlanInvalid(problem, field="parts")

    async def page(self, params: ListParams) -> tuple[list[InstalmentPlan], int]:
        return await fetch_page(
            self.session,
            select(InstalmentPlan),
            params,
            sortable={"code": InstalmentPlan.code, "name": InstalmentPlan.name},
            default_sort="code",
            searchable=[InstalmentPlan.code, InstalmentPlan.name],
        )


def _stored_parts(values: dict[str, Any]) -> dict[str, Any]:
    """Parts as JSON keeps them: the share as a string, so no float ever holds a percent."""
    if "parts" not in values:
        return values
    parts = [
        {"share": str(_field(p, "share")), "month": int(_field(p, "month")), "day": int(_field(p, "day"))}
        for p in values["parts"]
    ]
    return {**values, "parts": parts}


def _field(part: Any, name: str) -> Any:
    return part[name] if isinstance(part, dict) else getattr(part, name)
