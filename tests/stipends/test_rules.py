"""Stipend rules (pure): rates in force, the last session, who gets which stipend and why not."""

from __future__ import annotations

from datetime import date

import pytest

from hemis.results.rules import SessionOutcome
from hemis.stipends.rules import (
    DEFAULT_RULES,
    Candidate,
    Decision,
    Rate,
    RateCode,
    Reason,
    Rule,
    decide,
    last_session_semester,
    monthly_amounts,
    rates_in_force,
    soum,
)

RATES = [
    Rate("11", date(2023, 9, 1), 38_000_000, None),
    Rate("11", date(2024, 9, 1), 42_800_000, None),
    Rate("12", date(2021, 9, 1), None, 120),
    Rate("13", date(2021, 9, 1), None, 150),
    Rate("14", date(2024, 9, 1), 181_119_100, None),
]
AMOUNTS = {"11": 42_800_000, "12": 51_360_000, "13": 64_200_000, "14": 181_119_100}
GOOD = SessionOutcome(subjects=6, lowest_grade=4, debts=0, pending=0)
EXCELLENT = SessionOutcome(subjects=6, lowest_grade=5, debts=0, pending=0)


class TestRatesInForce:
    @pytest.mark.parametrize(
        ("on", "base"),
        [
            (date(2023, 8, 31), None),
            (date(2023, 9, 1), 38_000_000),
            (date(2024, 8, 31), 38_000_000),
            (date(2024, 9, 1), 42_800_000),
            (date(2030, 1, 1), 42_800_000),
        ],
    )
    def test_latest_row_on_or_before_the_date(self, on: date, base: int | None) -> None:
        found = rates_in_force(RATES, on).get("11")
        assert (found.amount_tiyin if found else None) == base

    def test_percentages_of_the_base_and_fixed_amounts(self) -> None:
        assert monthly_amounts(rates_in_force(RATES, date(2025, 3, 1))) == AMOUNTS

    def test_percentage_rounds_half_up_to_the_tiyin(self) -> None:
        rates = [Rate("11", date(2024, 1, 1), 101, None), Rate("12", date(2024, 1, 1), None, 150)]
        assert monthly_amounts(rates_in_force(rates, date(2024, 2, 1)))["12"] == 152  # 151.5

    def test_no_base_no_percentage(self) -> None:
        assert monthly_amounts(rates_in_force(RATES, date(2022, 1, 1))) == {}


class TestLastSessionSemester:
    @pytest.mark.parametrize(
        ("course", "month", "semester"),
        [
            ("11", date(2026, 10, 1), None),  # first-years before their first session
            ("11", date(2027, 1, 1), None),  # the winter session is still going on
            ("11", date(2027, 2, 1), "11"),
            ("11", date(2027, 8, 1), "11"),
            ("12", date(2026, 9, 1), "12"),  # the spring session of the first year
            ("12", date(2026, 3, 1), "13"),
            ("14", date(2026, 12, 1), "16"),
            ("14", date(2026, 6, 1), "17"),
        ],
    )
    def test_by_course_and_month(self, course: str, month: date, semester: str | None) -> None:
        assert last_session_semester(course, month) == semester


def candidate(**overrides: object) -> Candidate:
    values: dict[str, object] = {
        "status": "11",
        "payment_form": "11",
        "session": GOOD,
        "first_semester": False,
        "assigned": frozenset(),
    }
    return Candidate(**(values | overrides))  # type: ignore[arg-type]


class TestDecide:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            (candidate(), Decision("11", 42_800_000, ())),
            (candidate(session=EXCELLENT), Decision("12", 51_360_000, ())),
            (candidate(session=GOOD, assigned=frozenset({"13"})), Decision("13", 64_200_000, ())),
            (candidate(session=EXCELLENT, assigned=frozenset({"13"})), Decision("13", 64_200_000, ())),
            (candidate(session=GOOD, assigned=frozenset({"14"})), Decision("14", 181_119_100, ())),
            (candidate(payment_form="12"), Decision(None, 0, ("not_state_grant",))),
            (candidate(status="13"), Decision(None, 0, ("not_studying",))),
            (
                candidate(session=SessionOutcome(6, 2, 1, 0)),
                Decision(None, 0, ("debts", "grade_below_minimum")),
            ),
            (candidate(session=SessionOutcome(6, 4, 0, 1)), Decision(None, 0, ("results_pending",))),
            (candidate(session=None), Decision(None, 0, ("no_results",))),
            (candidate(session=SessionOutcome(0, None, 0, 0)), Decision(None, 0, ("no_results",))),
            # First-years before their first session: the base stipend, not the increased one.
            (candidate(session=None, first_semester=True), Decision("11", 42_800_000, ())),
            # The presidential stipend is by order: results are not checked, the payment form is.
            (
                candidate(session=SessionOutcome(6, 2, 1, 0), payment_form="12", assigned=frozenset({"14"})),
                Decision(None, 0, ("not_state_grant",)),
            ),
            (
                candidate(session=SessionOutcome(6, 2, 1, 0), assigned=frozenset({"14"})),
                Decision("14", 181_119_100, ()),
            ),
            # Named stipend assigned but no amount in force this month.
            (
                candidate(session=SessionOutcome(6, 2, 1, 0), assigned=frozenset({"15"})),
                Decision(None, 0, ("no_rate",)),
            ),
        ],
    )
    def test_defaults(self, who: Candidate, expected: Decision) -> None:
        assert decide(who, DEFAULT_RULES, AMOUNTS) == expected

    def test_a_university_that_pays_no_increased_stipend(self) -> None:
        rules = DEFAULT_RULES | {RateCode.INCREASED: Rule(RateCode.INCREASED, enabled=False)}
        assert decide(candidate(session=EXCELLENT), rules, AMOUNTS) == Decision("11", 42_800_000, ())

    def test_stricter_base_threshold(self) -> None:
        rules = DEFAULT_RULES | {RateCode.BASE: Rule(RateCode.BASE, min_grade=4)}
        three = SessionOutcome(6, 3, 0, 0)
        assert decide(candidate(session=three), rules, AMOUNTS).reasons == (Reason.LOW_GRADE,)

    def test_contract_students_when_the_university_pays_them(self) -> None:
        rules = DEFAULT_RULES | {RateCode.BASE: Rule(RateCode.BASE, state_grant_only=False)}
        assert decide(candidate(payment_form="12"), rules, AMOUNTS).rate_code == "11"

    def test_nothing_enabled(self) -> None:
        rules = {code: Rule(code, enabled=False) for code in DEFAULT_RULES}
        assert decide(candidate(), rules, AMOUNTS) == Decision(None, 0, ("none_enabled",))


class TestSoum:
    @pytest.mark.parametrize(
        ("tiyin", "text"),
        [(42_800_000, "428000.00"), (152, "1.52"), (5, "0.05"), (0, "0.00"), (-250, "-2.50")],
    )
    def test_exact_two_decimals(self, tiyin: int, text: str) -> None:
        assert soum(tiyin) == text
