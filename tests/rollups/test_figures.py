"""The roll-ups' figure helpers that carry rules of their own: age bands."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Date, func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.rollups import figures


@pytest.mark.parametrize("today", [date(2026, 12, 7), date(2028, 2, 29), date(2027, 2, 28), date(2027, 3, 1)])
async def test_age_bands_agree_with_postgresqls_age_around_every_birthday(
    owner: AsyncEngine, today: date
) -> None:
    """The band from a comparison with the day N years ago is the band of PostgreSQL's age() in
    whole years, for people born on each of the days around each band's edge (leap days too)."""
    bounds = figures.STUDENT_AGE_BANDS
    names = figures.age_band_names(bounds)
    born = [
        figures.years_before(today, years) + timedelta(days=shift)
        for years in (*bounds, bounds[0] - 1, bounds[-1] + 5)
        for shift in (-2, -1, 0, 1, 2)
    ] + [date(2008, 2, 29), date(2010, 2, 28), date(2010, 3, 1)]
    async with owner.connect() as conn:
        for birth in born:
            day = literal(birth, Date)
            band, years = (
                await conn.execute(
                    select(
                        figures.age_band(day, today, bounds),
                        func.date_part("year", func.age(literal(today, Date), day)),
                    )
                )
            ).one()
            expected = names[sum(years >= bound for bound in bounds)]
            assert band == expected, (birth, today, years)


def test_band_names() -> None:
    assert figures.age_band_names(figures.STUDENT_AGE_BANDS) == [
        "-17",
        "18-20",
        "21-23",
        "24-26",
        "27-30",
        "31-",
    ]
    assert figures.age_band_names(figures.EMPLOYEE_AGE_BANDS) == ["-29", "30-39", "40-49", "50-59", "60-"]
