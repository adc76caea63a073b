"""Notification fixtures: the results tests' small term, and signed-in people of any university."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.identity.test_sessions import ADMIN_SET, PASSWORD, cookie, login
from tests.results.conftest import group, term  # noqa: F401  (fixtures reused)
from tests.students.conftest import admin  # noqa: F401
from tests.test_cli import cli  # noqa: F401


async def signed_in(
    client: httpx.AsyncClient, opener: dict[str, str], roles: list[str], tenant: str = "alpha", **links: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """A new account of `tenant` (opened with an admin's token, its first password replaced by
    its owner) and the cookie of its session: (account, headers)."""
    base = f"/t/{tenant}/api/v1"
    body = {
        "username": f"u{uuid.uuid4().hex[:10]}",
        "display_name": "Karimova Madina",
        "roles": roles,
        "password": ADMIN_SET,
    } | links
    opened = await client.post(f"{base}/users", json=body, headers=opener)
    assert opened.status_code == 201, opened.text
    first = await login(client, body["username"], ADMIN_SET, base=base)
    changed = await client.post(
        f"{base}/auth/password",
        json={"current_password": ADMIN_SET, "new_password": PASSWORD},
        headers=cookie(first),
    )
    assert changed.status_code == 204, changed.text
    return dict(opened.json()), cookie(await login(client, body["username"], base=base))
