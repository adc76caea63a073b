"""Changing a mark on a locked sheet: a reason, a second person's approval, both names in the
chained history; refusals name the field; nothing half-written; isolation between universities."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.core.auth import Role
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory

T = "/t/alpha/api/v1/grading"


@pytest.fixture
async def locked_mark(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    term: dict[str, Any],
    app_db: AsyncEngine,
    settings: Settings,
) -> dict[str, Any]:
    """A mark of 20 on a JN sheet that has since locked (held ten days ago)."""
    mark = await client.post(
        f"{T}/sheets/{term['sheet']['id']}/marks",
        json={"student_id": term["students"][0]["id"], "points": "20"},
        headers=admin,
    )
    assert mark.status_code == 201, mark.text
    await run_as_tenant(
        app_db,
        settings.tenancy.role_prefix,
        "alpha",
        f"UPDATE mark_sheet SET held_on = current_date - 10 WHERE id = {int(term['sheet']['id'])}",
    )
    return dict(mark.json())


async def _ask(
    client: httpx.AsyncClient, headers: dict[str, str], mark: dict[str, Any], **body: Any
) -> httpx.Response:
    payload = {"points": "25", "version": mark["version"], "reason": "Hisoblashda xato"} | body
    return await client.post(f"{T}/marks/{mark['id']}/change-requests", json=payload, headers=headers)


class TestApproval:
    async def test_teacher_asks_dean_approves_history_names_both(
        self,
        client: httpx.AsyncClient,
        locked_mark: dict[str, Any],
        token_for: TokenFactory,
        admin: dict[str, str],
    ) -> None:
        teacher, dean = await token_for("alpha", Role.TEACHER), await token_for("alpha", Role.DEAN)
        direct = await client.patch(
            f"{T}/marks/{locked_mark['id']}",
            json={"points": "25", "version": locked_mark["version"], "reason": "Hisoblashda xato"},
            headers=teacher,
        )
        assert direct.status_code == 409 and direct.json()["code"] == "grading.sheet_locked"

        asked = await _ask(client, teacher, locked_mark)
        assert asked.status_code == 201, asked.text
        assert asked.json()["status"] == "pending"
        # Asking changes nothing yet.
        marks = (await client.get(f"{T}/sheets/{locked_mark['sheet_id']}/marks", headers=admin)).json()
        assert [m["points"] for m in marks if m["id"] == locked_mark["id"]] == ["20.00"]

        approved = await client.post(
            f"{T}/change-requests/{asked.json()['id']}/approve", json={"note": "Tasdiqlandi"}, headers=dean
        )
        assert approved.status_code == 201, approved.text
        assert approved.json()["status"] == "approved" and approved.json()["decided_by"]
        history = (await client.get(f"{T}/marks/{locked_mark['id']}/history", headers=admin)).json()
        last = history[-1]
        assert (last["old_points"], last["new_points"]) == ("20.00", "25.00")
        assert last["actor"] == approved.json()["decided_by"]
        assert asked.json()["requested_by"] in last["reason"] and "Hisoblashda xato" in last["reason"]
        again = await client.post(f"{T}/change-requests/{asked.json()['id']}/approve", json={}, headers=dean)
        assert again.status_code == 409  # decided once

    async def test_the_asker_cannot_approve_their_own_request(
        self, client: httpx.AsyncClient, locked_mark: dict[str, Any], admin: dict[str, str]
    ) -> None:
        asked = await _ask(client, admin, locked_mark)  # the registrar's office may ask too
        own = await client.post(f"{T}/change-requests/{asked.json()['id']}/approve", json={}, headers=admin)
        assert own.status_code == 403 and own.json()["field"] == "id"

    async def test_teachers_cannot_approve_and_rejection_keeps_the_mark(
        self,
        client: httpx.AsyncClient,
        locked_mark: dict[str, Any],
        token_for: TokenFactory,
        admin: dict[str, str],
    ) -> None:
        teacher, dean = await token_for("alpha", Role.TEACHER), await token_for("alpha", Role.DEAN)
        asked = (await _ask(client, admin, locked_mark)).json()
        assert (
            await client.post(f"{T}/change-requests/{asked['id']}/approve", json={}, headers=teacher)
        ).status_code == 403
        rejected = await client.post(
            f"{T}/change-requests/{asked['id']}/reject", json={"note": "Asos yo'q"}, headers=dean
        )
        assert rejected.json()["status"] == "rejected"
        history = (await client.get(f"{T}/marks/{locked_mark['id']}/history", headers=admin)).json()
        assert [h["new_points"] for h in history] == ["20.00"]
        listed = await client.get(f"{T}/change-requests", params={"status": "rejected"}, headers=admin)
        assert asked["id"] in [r["id"] for r in listed.json()["items"]]

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            ({"points": "30.5"}, 422, "points"),  # above the JN maximum of 30
            ({"points": "-1"}, 422, "points"),
            ({"version": 7}, 409, "version"),
            ({"reason": "x"}, 422, "reason"),
        ],
    )
    async def test_bad_requests_are_refused_naming_the_field(
        self,
        client: httpx.AsyncClient,
        locked_mark: dict[str, Any],
        admin: dict[str, str],
        body: dict[str, Any],
        status: int,
        field: str,
    ) -> None:
        response = await _ask(client, admin, locked_mark, **body)
        assert response.status_code == status, response.text
        assert field in response.text

    async def test_one_open_request_per_mark_and_open_sheets_are_corrected_directly(
        self,
        client: httpx.AsyncClient,
        locked_mark: dict[str, Any],
        admin: dict[str, str],
        term: dict[str, Any],
    ) -> None:
        assert (await _ask(client, admin, locked_mark)).status_code == 201
        second = await _ask(client, admin, locked_mark, points="26")
        assert second.status_code == 409 and second.json()["field"] == "mark_id"
        fresh = await client.post(
            f"{T}/sheets/{term['sheet']['id']}/marks",
            json={"student_id": term["students"][1]["id"], "points": "10"},
            headers=admin,
        )
        assert fresh.status_code == 409  # the sheet is locked: no new marks either

    async def test_a_stale_approval_changes_nothing(
        self,
        client: httpx.AsyncClient,
        locked_mark: dict[str, Any],
        token_for: TokenFactory,
        admin: dict[str, str],
        app_db: AsyncEngine,
        settings: Settings,
    ) -> None:
        dean = await token_for("alpha", Role.DEAN)
        asked = (await _ask(client, admin, locked_mark)).json()
        # The mark moved on after the request was made (another approved change, simulated here).
        await run_as_tenant(
            app_db,
            settings.tenancy.role_prefix,
            "alpha",
            "WITH ctx AS (SELECT set_config('hemis.actor', 'tests', true) AS actor) "
            f"UPDATE mark SET points = 21, version = version + 1 FROM ctx WHERE id = {int(locked_mark['id'])}",
        )
        stale = await client.post(f"{T}/change-requests/{asked['id']}/approve", json={}, headers=dean)
        assert stale.status_code == 409 and stale.json()["field"] == "version"
        pending = (
            await client.get(f"{T}/change-requests", params={"status": "pending"}, headers=admin)
        ).json()
        assert asked["id"] in [r["id"] for r in pending["items"]]  # nothing half-written

    async def test_isolated_between_universities(
        self,
        client: httpx.AsyncClient,
        locked_mark: dict[str, Any],
        admin: dict[str, str],
        token_for: TokenFactory,
    ) -> None:
        asked = (await _ask(client, admin, locked_mark)).json()
        beta_dean = await token_for("beta", Role.DEAN)
        theirs = await client.post(
            f"/t/beta/api/v1/grading/change-requests/{asked['id']}/approve", json={}, headers=beta_dean
        )
        assert theirs.status_code in (404, 409)  # nothing of that id, or their own decided request
        listed = (await client.get("/t/beta/api/v1/grading/change-requests", headers=beta_dean)).json()
        assert all(
            r["reason"] != asked["reason"] or r["mark_id"] != asked["mark_id"] for r in listed["items"]
        )
        mine = (await client.get(f"{T}/change-requests", params={"status": "pending"}, headers=admin)).json()
        assert asked["id"] in [r["id"] for r in mine["items"]]
