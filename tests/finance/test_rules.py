"""Money rules in tiyin: BHM amounts, discounts, instalments, the BHM in force, names on public pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hemis.finance.rules import (
    DiscountKind,
    EntryKind,
    Instalment,
    PlanPart,
    academic_year_of,
    base_amount_on,
    contract_number,
    discount_amount,
    due_by,
    fee_amount,
    format_som,
    instalments,
    mask_name,
    plan_problem,
    round_to_som,
    sign_ok,
)

QUARTERS = [
    PlanPart(Decimal(25), 10, 1),
    PlanPart(Decimal(25), 12, 1),
    PlanPart(Decimal(25), 3, 1),
    PlanPart(Decimal(25), 5, 1),
]


class TestRoundToSom:
    @pytest.mark.parametrize(
        ("tiyin", "expected"),
        [("0", 0), ("49", 0), ("50", 100), ("149.99", 100), ("150", 200), ("1234567", 1234600)],
    )
    def test_half_up_to_whole_som(self, tiyin: str, expected: int) -> None:
        assert round_to_som(Decimal(tiyin)) == expected


class TestFeeAmount:
    @pytest.mark.parametrize(
        ("fixed", "coefficient", "base", "expected"),
        [
            (1_200_000_000, None, None, 1_200_000_000),  # fixed: taken as it is, to the tiyin
            (1_200_000_050, None, 37_500_000, 1_200_000_050),
            (None, "32", 37_500_000, 1_200_000_000),  # 32 BHM of 375 000 so'm = 12 000 000 so'm
            (None, "30.5", 41_200_000, 1_256_600_000),
            (None, "0.333", 41_200_000, 13_719_600),  # 137 196 so'm exactly
            (None, "0.0001", 41_200_000, 4_100),  # 41.2 so'm → 41 so'm
            (None, "1.0012", 41_200_000, 41_249_400),  # 412 494.4 so'm → 412 494 so'm (down)
            (None, "1.00125", 41_200_000, 41_251_500),  # 412 515.0 so'm (exact)
            (None, "0.0000125", 40_000_000, 500),  # 5.0 so'm
            (None, "0.00001375", 40_000_000, 600),  # 5.5 so'm → 6 so'm (half up)
        ],
    )
    def test_fixed_or_coefficient_of_the_base(
        self, fixed: int | None, coefficient: str | None, base: int | None, expected: int
    ) -> None:
        value = Decimal(coefficient) if coefficient is not None else None
        assert fee_amount(fixed=fixed, coefficient=value, base_amount=base) == expected

    def test_coefficient_without_base_is_a_bug(self) -> None:
        with pytest.raises(ValueError):
            fee_amount(fixed=None, coefficient=Decimal(3), base_amount=None)


class TestDiscountAmount:
    @pytest.mark.parametrize(
        ("charge", "kind", "percent", "amount", "expected"),
        [
            (1_200_000_000, DiscountKind.PERCENT, "50", None, 600_000_000),
            (1_200_000_000, DiscountKind.PERCENT, "100", None, 1_200_000_000),
            (1_000_000_050, DiscountKind.PERCENT, "10", None, 100_000_000),  # 1 000 000.05 so'm → down
            (1_000_000_500, DiscountKind.PERCENT, "10", None, 100_000_100),  # 1 000 000.50 so'm → up
            (333, DiscountKind.PERCENT, "50", None, 200),  # 1.665 so'm → 2 so'm (half up)
            (1_200_000_000, DiscountKind.PERCENT, "12.5", None, 150_000_000),
            (1_200_000_000, DiscountKind.SUM, None, 300_000_000, 300_000_000),
            (1_200_000_000, DiscountKind.SUM, None, 2_000_000_000, 1_200_000_000),  # capped at the charge
            (0, DiscountKind.SUM, None, 100, 0),
        ],
    )
    def test_rounded_and_capped(
        self, charge: int, kind: DiscountKind, percent: str | None, amount: int | None, expected: int
    ) -> None:
        value = Decimal(percent) if percent is not None else None
        assert discount_amount(charge, kind, percent=value, amount=amount) == expected


class TestInstalments:
    def test_quarters_fall_in_the_academic_year(self) -> None:
        assert instalments(1_200_000_000, QUARTERS, 2025) == [
            Instalment(1, date(2025, 10, 1), 300_000_000),
            Instalment(2, date(2025, 12, 1), 300_000_000),
            Instalment(3, date(2026, 3, 1), 300_000_000),
            Instalment(4, date(2026, 5, 1), 300_000_000),
        ]

    @pytest.mark.parametrize(
        ("total", "shares", "expected"),
        [
            (1_000_000_000, ["33.33", "33.33", "33.34"], [333_300_000, 333_300_000, 333_400_000]),
            (100_000, ["33.33", "33.33", "33.34"], [33_300, 33_300, 33_400]),  # 333.3 → 333 so'm down
            (101, ["50", "50"], [0, 101]),  # 0.505 so'm → 0; the last takes the rest, tiyin included
            (1_256_600_000, ["25", "25", "25", "25"], [314_150_000] * 4),
            (1_256_600_100, ["25", "25", "25", "25"], [314_150_000] * 3 + [314_150_100]),
            (0, ["100"], [0]),
        ],
    )
    def test_floor_to_som_and_the_last_takes_the_rest(
        self, total: int, shares: list[str], expected: list[int]
    ) -> None:
        parts = [PlanPart(Decimal(s), 9 + i, 15) for i, s in enumerate(shares)]
        amounts = [i.amount for i in instalments(total, parts, 2025)]
        assert amounts == expected
        assert sum(amounts) == total

    def test_due_by_a_day(self) -> None:
        schedule = instalments(1_200_000_000, QUARTERS, 2025)
        assert due_by(schedule, date(2025, 9, 30)) == 0
        assert due_by(schedule, date(2025, 10, 1)) == 300_000_000
        assert due_by(schedule, date(2026, 4, 1)) == 900_000_000


class TestPlanProblem:
    @pytest.mark.parametrize(
        ("parts", "problem"),
        [
            (QUARTERS, None),
            ([PlanPart(Decimal(100), 9, 15)], None),
            ([], "finance.plan_parts"),
            ([PlanPart(Decimal(100) / 13, 9, 1)] * 13, "finance.plan_parts"),
            ([PlanPart(Decimal(0), 9, 1), PlanPart(Decimal(100), 10, 1)], "finance.plan_share"),
            ([PlanPart(Decimal("33.333"), 9, 1), PlanPart(Decimal("66.667"), 10, 1)], "finance.plan_share"),
            # Not numbers at all, or absurd ones: refused, not a crash (review finding).
            *[
                ([PlanPart(Decimal(v), 9, 1)], "finance.plan_share")
                for v in ("NaN", "sNaN", "Infinity", "1e999999999")
            ],
            ([PlanPart(Decimal(50), 9, 1), PlanPart(Decimal(40), 10, 1)], "finance.plan_total"),
            ([PlanPart(Decimal(50), 9, 1), PlanPart(Decimal(50), 2, 29)], "finance.plan_date"),
            ([PlanPart(Decimal(50), 9, 1), PlanPart(Decimal(50), 4, 31)], "finance.plan_date"),
            ([PlanPart(Decimal(50), 3, 1), PlanPart(Decimal(50), 10, 1)], "finance.plan_order"),
            ([PlanPart(Decimal(50), 10, 1), PlanPart(Decimal(50), 10, 1)], "finance.plan_order"),
        ],
    )
    def test_plans(self, parts: list[PlanPart], problem: str | None) -> None:
        assert plan_problem(parts) == problem


class TestBaseAmountOn:
    VALUES = [(date(2023, 6, 1), 33_000_000), (date(2024, 10, 1), 37_500_000), (date(2025, 8, 1), 41_200_000)]

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2023, 5, 31), None),
            (date(2023, 6, 1), 33_000_000),
            (date(2024, 9, 30), 33_000_000),
            (date(2024, 10, 1), 37_500_000),
            (date(2025, 7, 31), 37_500_000),
            (date(2026, 1, 1), 41_200_000),
        ],
    )
    def test_latest_value_on_or_before_the_day(self, day: date, expected: int | None) -> None:
        assert base_amount_on(self.VALUES, day) == expected


class TestSmallRules:
    @pytest.mark.parametrize(
        ("day", "year"), [(date(2025, 9, 1), 2025), (date(2025, 8, 31), 2024), (date(2026, 1, 15), 2025)]
    )
    def test_academic_year_begins_in_september(self, day: date, year: int) -> None:
        assert academic_year_of(day) == year

    @pytest.mark.parametrize(
        ("kind", "amount", "ok"),
        [
            (EntryKind.CHARGE, 100, True),
            (EntryKind.CHARGE, 0, True),
            (EntryKind.CHARGE, -1, False),
            (EntryKind.DISCOUNT, -1, True),
            (EntryKind.DISCOUNT, 1, False),
            (EntryKind.PAYMENT, -1, True),
            (EntryKind.PAYMENT, 0, False),
            (EntryKind.REFUND, 1, True),
            (EntryKind.REFUND, -1, False),
            (EntryKind.CARRY_OVER, -5, True),
            (EntryKind.CARRY_OVER, 0, False),
            (EntryKind.CANCELLATION, -1, True),
            (EntryKind.CANCELLATION, 0, False),
            (EntryKind.CANCELLATION, 1, False),
        ],
    )
    def test_sign_of_each_entry_kind(self, kind: EntryKind, amount: int, ok: bool) -> None:
        assert sign_ok(kind, amount) is ok

    def test_numbers_names_and_money_text(self) -> None:
        assert contract_number(2025, 42) == "2025-00042"
        assert mask_name("Karimov", "Jasur") == "K*** J***"
        assert mask_name("o'rinov", "") == "O***"
        assert format_som(1_200_000_050) == "12 000 000,50"
        assert format_som(-500) == "-5,00"
