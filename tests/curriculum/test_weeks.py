"""The curriculum's week calendar: Mondays, numbering, semester plans, isolation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.results.conftest import Term

T = "/t/alpha/api/v1"
MONDAY = date(2026, 9, 7)


def weeks_url(term: Term) -> str:
    return f"{T}/curricula/{term.curriculum['id']}/weeks"


class TestWeekCalendar:
    async def test_plan_a_semester_then_read_it(self, term: Term) -> None:
        plan = {
            "start_date": MONDAY.isoformat(),
            "blocks": [
                {"week_type": "11", "count": 15},
                {"week_type": "12", "count": 3},
                {"week_type": "16", "count": 2},
            ],
        }
        created = await term.client.post(
            f"{T}/curricula/{term.curriculum['id']}/semesters/11/plan", json=plan, headers=term.headers
        )
        assert created.status_code == 201, created.text
        weeks = (
            await term.client.get(weeks_url(term), params={"semester": "11"}, headers=term.headers)
        ).json()
        assert [w["number"] for w in weeks] == list(range(1, 21))
        assert (
            weeks[15]["week_type"] == "12"
            and weeks[15]["start_date"] == (MONDAY + timedelta(weeks=15)).isoformat()
        )
        again = await term.client.post(
            f"{T}/curricula/{term.curriculum['id']}/semesters/11/plan", json=plan, headers=term.headers
        )
        assert again.status_code == 409 and again.json()["field"] == "semester"

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            ({"start_date": (MONDAY + timedelta(days=1)).isoformat()}, 422, "start_date"),  # a Tuesday
            ({"semester": "19"}, 422, "semester"),  # the curriculum has 8 semesters
            ({"week_type": "99"}, 422, "week_type"),
            ({"number": 31}, 422, "number"),
        ],
    )
    async def test_bad_weeks_are_refused_naming_the_field(
        self,
        term: Term,
        body: dict[str, Any],
        status: int,
        field: str,
    ) -> None:
        week = {"semester": "12", "number": 1, "start_date": "2027-02-01", "week_type": "11"} | body
        response = await term.client.post(weeks_url(term), json=week, headers=term.headers)
        assert response.status_code == status, response.text
        assert field in response.text

    async def test_a_week_is_taken_once(self, term: Term) -> None:
        week = {"semester": "12", "number": 1, "start_date": "2027-02-01", "week_type": "11"}
        assert (await term.client.post(weeks_url(term), json=week, headers=term.headers)).status_code == 201
        same_number = week | {"start_date": "2027-02-08"}
        response = await term.client.post(weeks_url(term), json=same_number, headers=term.headers)
        assert response.status_code == 409 and response.json()["field"] == "number"
        same_monday = week | {"number": 2}
        response = await term.client.post(weeks_url(term), json=same_monday, headers=term.headers)
        assert response.status_code == 409 and response.json()["field"] == "start_date"

    async def test_isolated_between_universities(self, term: Term, token_for: TokenFactory) -> None:
        week = {"semester": "12", "number": 3, "start_date": "2027-02-15", "week_type": "11"}
        row = (await term.client.post(weeks_url(term), json=week, headers=term.headers)).json()
        beta = await token_for("beta", Role.REGISTRAR)
        other = f"/t/beta/api/v1/curricula/{term.curriculum['id']}/weeks"
        listed = await term.client.get(other, headers=beta)
        assert listed.status_code == 404 or row not in listed.json()
        assert (await term.client.delete(f"{other}/{row['id']}", headers=beta)).status_code == 404
        mine = (await term.client.get(weeks_url(term), headers=term.headers)).json()
        assert row in mine


async def test_delete_a_week(term: Term, client: httpx.AsyncClient) -> None:
    week = {"semester": "12", "number": 4, "start_date": "2027-02-22", "week_type": "16"}
    row = (await term.client.post(weeks_url(term), json=week, headers=term.headers)).json()
    assert (await client.delete(f"{weeks_url(term)}/{row['id']}", headers=term.headers)).status_code == 204
    assert row not in (await client.get(weeks_url(term), headers=term.headers)).json()
