"""assert_isolated(): a row written at one university is invisible and untouchable from another."""

from __future__ import annotations

from typing import Any

import httpx


async def assert_isolated(
    client: httpx.AsyncClient,
    collection: str,
    row: dict[str, Any],
    *,
    owner: tuple[str, dict[str, str]],
    other: tuple[str, dict[str, str]],
    patch: dict[str, Any],
    search: str,
) -> None:
    """`collection` is the path after /t/<code>; owner/other are (code, auth headers).

    Ids are per-schema sequences, so the other tenant may hold a different row with the
    same id: what must never happen is seeing or changing *this* row.
    """
    (owner_code, owner_auth), (other_code, other_auth) = owner, other
    mine, theirs = f"/t/{owner_code}{collection}", f"/t/{other_code}{collection}"
    url = f"{theirs}/{row['id']}"
    # The stored row as the owner reads it (a create response may format decimals differently).
    row = (await client.get(f"{mine}/{row['id']}", headers=owner_auth)).json()

    listed = await client.get(theirs, params={"search": search, "limit": 200}, headers=other_auth)
    assert listed.status_code == 200
    assert all(item != row for item in listed.json()["items"]), "row listed at another tenant"

    got = await client.get(url, headers=other_auth)
    assert got.status_code in (200, 404), got.text
    if got.status_code == 404:
        # Nothing of that id exists there: changing or deleting it must find nothing either.
        assert (await client.patch(url, json=patch, headers=other_auth)).status_code == 404
        assert (await client.delete(url, headers=other_auth)).status_code in (
            404,
            405,
        )  # 405: no delete at all
    else:
        assert got.json() != row, "row readable at another tenant"  # their own row with the same id

    after = await client.get(f"{mine}/{row['id']}", headers=owner_auth)
    assert after.status_code == 200, "row deleted from another tenant"
    assert after.json() == row, "row changed from another tenant"

    # The owner's credentials are worth nothing at the other tenant.
    assert (await client.get(url, headers=owner_auth)).status_code == 401
