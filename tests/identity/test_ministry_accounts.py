"""The ministry's own accounts: its admin opens analysts on the national host, who then read the
national figures; roles belong to their kind of tenant (no analyst at a university, no student
or teacher at the ministry), refused with the field named and nothing written."""

from __future__ import annotations

import uuid

import httpx
import pytest

from hemis.core.auth import Role
from tests.conftest import TokenFactory
from tests.identity.test_sessions import ADMIN_SET, PASSWORD, cookie, login

N = "/t/national/api/v1"
A = "/t/alpha/api/v1"


def account(*roles: str) -> dict[str, object]:
    return {
        "username": f"t{uuid.uuid4().hex[:10]}",
        "display_name": "Tahlilchi Nodira",
        "roles": list(roles),
        "password": ADMIN_SET,
    }


async def listed(client: httpx.AsyncClient, base: str, headers: dict[str, str], username: str) -> int:
    response = await client.get(f"{base}/users", params={"search": username}, headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


class TestMinistryAccounts:
    async def test_the_ministrys_admin_opens_an_analyst_who_reads_the_national_figures(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        ministry = await token_for("national", Role.ADMIN)
        body = account("analyst")
        opened = await client.post(f"{N}/users", json=body, headers=ministry)
        assert opened.status_code == 201, opened.text
        assert opened.json()["roles"] == ["analyst"]
        first = await login(client, str(body["username"]), ADMIN_SET, base=N)
        assert first.status_code == 200, first.text
        changed = await client.post(
            f"{N}/auth/password",
            json={"current_password": ADMIN_SET, "new_password": PASSWORD},
            headers=cookie(first),
        )
        assert changed.status_code == 204, changed.text
        analyst = cookie(await login(client, str(body["username"]), PASSWORD, base=N))
        figures = await client.get(f"{N}/national/kpi", params={"level": "country"}, headers=analyst)
        assert figures.status_code == 200, figures.text
        # Read only: an analyst opens no accounts, and reads nothing of a university's own API.
        refused = await client.post(f"{N}/users", json=account("analyst"), headers=analyst)
        assert refused.status_code == 403, refused.text
        assert (await client.get(f"{A}/students", headers=analyst)).status_code in (401, 403)

    @pytest.mark.parametrize("role", ["teacher", "student", "registrar", "guardian"])
    async def test_university_roles_are_refused_at_the_ministry(
        self, client: httpx.AsyncClient, token_for: TokenFactory, role: str
    ) -> None:
        ministry = await token_for("national", Role.ADMIN)
        body = account(role)
        response = await client.post(f"{N}/users", json=body, headers=ministry)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "roles"
        assert await listed(client, N, ministry, str(body["username"])) == 0

    async def test_a_university_opens_no_analyst(
        self, client: httpx.AsyncClient, token_for: TokenFactory
    ) -> None:
        admin = await token_for("alpha", Role.ADMIN)
        body = account("registrar", "analyst")
        response = await client.post(f"{A}/users?l=ru", json=body, headers=admin)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "roles"
        assert "аналитик министерства" in response.text
        assert await listed(client, A, admin, str(body["username"])) == 0
        # Nor by a change of roles.
        kept = await client.post(f"{A}/users", json=account("registrar"), headers=admin)
        assert kept.status_code == 201, kept.text
        changed = await client.patch(
            f"{A}/users/{kept.json()['id']}", json={"roles": ["analyst"]}, headers=admin
        )
        assert changed.status_code == 422, changed.text
        assert changed.json()["field"] == "roles"
