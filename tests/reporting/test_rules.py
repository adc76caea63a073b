"""The KPI table's arithmetic: indicators are ratios of sums, months, and carrying a university's
last figures forward into months it had no change in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hemis.reporting import rules


def sums(**values: int | str) -> dict[str, object]:
    row: dict[str, object] = rules.zero()
    row.update({k: Decimal(v) if isinstance(v, str) else v for k, v in values.items()})
    return row


class TestIndicators:
    def test_each_indicator_is_its_numerator_over_its_denominator(self) -> None:
        found = rules.indicators(
            sums(
                score_sum="1564.50",
                scored=20,
                teachers_with_e_course=43,
                teachers=50,
                attended_hours=910,
                planned_hours=1000,
                report_fields_filled=93,
                report_fields=100,
                paid_online=95,
                paid=100,
                marks_on_time=80,
                marks=100,
                students_with_access=90,
                students=100,
            )
        )
        assert found == {
            "average_score": Decimal("78.2"),  # points, not a percent
            "e_course_share": Decimal("86.0"),
            "attendance": Decimal("91.0"),
            "report_automation": Decimal("93.0"),
            "e_payment_share": Decimal("95.0"),
            "transparency_index": Decimal("85.0"),  # 100 × mean(0.80, 0.90)
        }

    def test_nothing_to_divide_by_is_none_not_zero(self) -> None:
        found = rules.indicators(sums())
        assert set(found.values()) == {None}

    def test_the_transparency_index_leaves_out_a_part_with_nothing_counted(self) -> None:
        found = rules.indicators(sums(students_with_access=3, students=4))  # no marks yet
        assert found["transparency_index"] == Decimal("75.0")

    @pytest.mark.parametrize(
        ("numerator", "denominator", "expected"),
        [(1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")), (1, 8, Decimal("12.5")), (1, 16, Decimal("6.3"))],
    )
    def test_rounding_is_half_up_to_a_tenth(
        self, numerator: int, denominator: int, expected: Decimal
    ) -> None:
        assert rules.share(numerator, denominator) == expected

    def test_a_region_is_the_ratio_of_sums_not_the_mean_of_ratios(self) -> None:
        big, small = sums(attended_hours=900, planned_hours=1000), sums(attended_hours=10, planned_hours=100)
        assert rules.indicators(rules.total([big, small]))["attendance"] == Decimal("82.7")  # not (90+10)/2
        assert rules.total([]) == rules.zero()


class TestMonths:
    def test_parse_and_print(self) -> None:
        assert rules.parse_month("2026-03") == date(2026, 3, 1)
        assert rules.month_text(date(2026, 3, 1)) == "2026-03"

    def test_a_window_crosses_the_new_year(self) -> None:
        assert rules.months_back(date(2026, 2, 1), 3) == date(2025, 12, 1)
        assert rules.months_between(date(2025, 12, 1), date(2026, 2, 1)) == [
            date(2025, 12, 1),
            date(2026, 1, 1),
            date(2026, 2, 1),
        ]

    def test_next_month_of_december(self) -> None:
        assert rules.next_month(date(2025, 12, 1)) == date(2026, 1, 1)


class TestCarriedForward:
    def test_a_month_without_a_row_keeps_the_last_one(self) -> None:
        rows = [
            {"tenant_code": "a", "month": date(2026, 1, 1), "v": 1},
            {"tenant_code": "a", "month": date(2026, 3, 1), "v": 3},
            {"tenant_code": "b", "month": date(2026, 2, 1), "v": 20},
        ]
        months = rules.months_between(date(2026, 1, 1), date(2026, 4, 1))
        found = rules.carried_forward(rows, months)
        assert {m.month: {k: r["v"] for k, r in v.items()} for m, v in found.items()} == {
            1: {"a": 1},  # b had nothing yet
            2: {"a": 1, "b": 20},
            3: {"a": 3, "b": 20},
            4: {"a": 3, "b": 20},
        }
