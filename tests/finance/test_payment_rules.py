"""Pure money rules of online payments: Stripe amounts, proportional refunds, what an instalment still owes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hemis.finance.rules import STRIPE_MAX_MINOR, instalment_outstanding, refunded_tiyin, stripe_amount


class TestStripeAmount:
    @pytest.mark.parametrize(
        ("tiyin", "currency", "rate", "minor"),
        [
            (1_200_000_000, "usd", Decimal(12650), 94_862),  # 12 mln so'm at 12,650 → $948.62 (…1.66 up)
            (126_500, "usd", Decimal(12650), 10),  # 1,265 so'm → exactly $0.10
            (632_500, "usd", Decimal("12650.0000"), 50),
            (189_750, "usd", Decimal(12650), 15),  # exactly 15
            (183_425, "usd", Decimal(12650), 15),  # 14.5 → 15 (half up)
            (183_424, "usd", Decimal(12650), 14),
            (99_999_999, "uzs", None, 99_999_999),  # UZS is two-decimal at Stripe: tiyin = minor unit
        ],
    )
    def test_converts_exactly(self, tiyin: int, currency: str, rate: Decimal | None, minor: int) -> None:
        got = stripe_amount(tiyin, currency, rate)
        assert got == minor and type(got) is int

    @pytest.mark.parametrize(
        ("tiyin", "currency", "rate"),
        [
            (STRIPE_MAX_MINOR + 1, "uzs", None),  # over Stripe's eight digits: 1 mln so'm
            (1_000, "usd", None),  # no rate
            (1_000, "usd", Decimal(0)),
            (1_000, "usd", Decimal("NaN")),
            (0, "usd", Decimal(12650)),
            (1_000, "jpy", Decimal(1)),  # not a currency we charge in (zero-decimal)
            (10**15, "usd", Decimal(1)),  # over eight digits of cents
            (100, "usd", Decimal(12650)),  # rounds to 0 cents
        ],
    )
    def test_refuses_what_cannot_be_charged(self, tiyin: int, currency: str, rate: Decimal | None) -> None:
        assert stripe_amount(tiyin, currency, rate) is None


class TestRefundedTiyin:
    def test_full_refund_is_the_whole_amount(self) -> None:
        assert refunded_tiyin(1_200_000_000, 94_862, 94_862) == 1_200_000_000

    def test_partial_in_proportion_half_up(self) -> None:
        assert refunded_tiyin(1_200_000_000, 94_862, 47_431) == 600_000_000
        assert refunded_tiyin(100, 3, 1) == 33  # 33.33…
        assert refunded_tiyin(101, 2, 1) == 51  # 50.5 → 51

    def test_nothing_refunded(self) -> None:
        assert refunded_tiyin(1_000, 10, 0) == 0


class TestInstalmentOutstanding:
    SCHEDULE = (300, 300, 400)  # total 1000

    @pytest.mark.parametrize(
        ("number", "balance", "due"),
        [
            (1, 1000, 300),  # nothing paid
            (2, 1000, 300),
            (3, 1000, 400),
            (1, 800, 100),  # 200 paid: fills instalment 1 first
            (2, 800, 300),
            (1, 700, 0),  # instalment 1 paid
            (2, 500, 100),
            (3, 0, 0),  # all paid
            (3, -50, 0),  # overpaid
            (1, 1200, 300),  # a carried-over debt does not grow an instalment
            (4, 1000, 0),  # no such instalment
            (0, 1000, 0),
        ],
    )
    def test_earliest_first(self, number: int, balance: int, due: int) -> None:
        assert instalment_outstanding(self.SCHEDULE, number, balance) == due
