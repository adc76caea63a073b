"""Demo finance of a university: a fee per specialty and course (a coefficient of the BHM), a
quarterly instalment plan, an orphans' discount, contracts for every fee-paying student of the
running academic year and payments, some late, so the debtors report has something to show.

Everything goes through the finance services (numbering, ledger, audit) as the accountant's
requests would; run after hemis.term_demo has made the groups and students.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.curriculum.models import Curriculum
from hemis.finance.fees import DiscountService, FeeStructureService, PlanService
from hemis.finance.models import Contract, ContractInstalment
from hemis.finance.rules import ContractType, Instalment, academic_year_of, due_by
from hemis.finance.service import FEE_PAYING_FORM, ContractService
from hemis.students.models import AcademicGroup

ACTOR = "demo"
QUARTERS = [
    {"share": "25", "month": 10, "day": 1},
    {"share": "25", "month": 12, "day": 1},
    {"share": "25", "month": 3, "day": 1},
    {"share": "25", "month": 5, "day": 1},
]


@dataclass(slots=True)
class FinanceCounts:
    fee_structures: int = 0
    contracts: int = 0
    payments: int = 0


async def seed_finance(session: AsyncSession, *, seed: int, today: date | None = None) -> FinanceCounts:
    """Fees, contracts and payments of the running academic year; the caller commits."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    day = today or date.today()
    year = academic_year_of(day)
    signed_on = date(year, 9, 1)
    counts = FinanceCounts()
    plan = await PlanService(session, actor=ACTOR).create(
        {"code": "CHORAK", "name": "Choraklar bo'yicha (25% dan)", "parts": QUARTERS}
    )
    await DiscountService(session, actor=ACTOR).create(
        {"code": "YETIM", "reason": "Chin yetim talabalar uchun", "kind": "percent", "percent": Decimal(50)}
    )
    rows = await session.execute(
        select(Curriculum.specialty_id, AcademicGroup.education_form, AcademicGroup.course)
        .join(Curriculum, Curriculum.id == AcademicGroup.curriculum_id)
        .distinct()
    )
    fees = FeeStructureService(session, actor=ACTOR)
    for specialty_id, education_form, course in rows.all():
        await fees.create(
            {
                "academic_year": year,
                "specialty_id": specialty_id,
                "education_form": education_form,
                "course": course,
                "payment_form": FEE_PAYING_FORM,
                "contract_type": ContractType.BASE,
                # Senior years pay a little more, as many universities' price lists do.
                "bhm_coefficient": Decimal(30) + int(course) - 11,
                "instalment_plan_id": plan.id,
            }
        )
        counts.fee_structures += 1
    contracts = ContractService(session, actor=ACTOR)
    for group_id in await session.scalars(select(AcademicGroup.id).order_by(AcademicGroup.id)):
        outcome = await contracts.generate_bulk(
            group_id=group_id, specialty_id=None, academic_year=year,
            contract_type=ContractType.BASE, signed_on=signed_on,
        )  # fmt: skip
        made = outcome.made
        counts.contracts += len(made)
        for contract in made:
            counts.payments += await _pay(session, contracts, contract, rng, day)
    return counts


async def _pay(
    session: AsyncSession, contracts: ContractService, contract: Contract, rng: random.Random, day: date
) -> int:
    """Most students pay what is due by now, some pay part, a few nothing yet."""
    schedule = [
        Instalment(i.number, i.due_on, i.amount)
        for i in await session.scalars(
            select(ContractInstalment).where(ContractInstalment.contract_id == contract.id)
        )
    ]
    due = due_by(schedule, day) or (schedule[0].amount if schedule else 0)
    luck = rng.random()
    amount = due if luck < 0.65 else due // 200 * 100 if luck < 0.85 else 0  # whole so'm
    if amount <= 0:
        return 0
    paid_on = min(day, contract.signed_on + timedelta(days=rng.randrange(1, 60)))
    await contracts.ledger.record_payment(
        contract, amount, provider="manual", external_id=None, booked_on=paid_on, note="Bank kvitansiyasi"
    )
    return 1
