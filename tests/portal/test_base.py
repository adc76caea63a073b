"""The portal's frame: sign-in, the redirect when nobody is signed in, the manifest, the service
worker, the static files and the security headers."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.auth import Role
from tenants.context import TenantRef
from tests.portal.conftest import LIMIT, P, portal_sign_in, student_account
from tests.results.conftest import Term


async def test_nobody_signed_in_is_sent_to_the_sign_in_page(client: httpx.AsyncClient) -> None:
    for path in ("/",):
        response = await client.get(f"{P}{path}")
        assert response.status_code == 303, (path, response.text)
        assert response.headers["location"].startswith(f"{P}/login?")
    login = await client.get(response.headers["location"])
    assert login.status_code == 200
    assert '<html lang="uz"' in login.text
    assert 'for="username"' in login.text and 'for="password"' in login.text


async def test_sign_in_opens_the_home_page_with_strict_headers(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenants: dict[str, TenantRef],
    term: Term,
) -> None:
    student = await term.student()
    await portal_sign_in(client, await student_account(maker, tenants["alpha"], student["id"]))
    home = await client.get(f"{P}/")
    assert home.status_code == 200, home.text
    csp = home.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert home.headers["cache-control"] == "private, no-store"
    assert "Alfa universiteti" in home.text
    assert len(home.content) <= LIMIT
    # Signing out ends the session: the page asks to sign in again.
    out = await client.post(f"{P}/logout")
    assert out.status_code == 303
    assert (await client.get(f"{P}/")).status_code == 303


async def test_a_wrong_password_is_refused_in_the_pages_language(
    client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef]
) -> None:
    username = await student_account(maker, tenants["alpha"], None, Role.REGISTRAR)
    response = await client.post(f"{P}/login", data={"username": username, "password": "no", "l": "ru"})
    assert response.status_code == 401
    assert '<html lang="ru"' in response.text and 'data-test="error"' in response.text
    assert "hemis_session" not in response.cookies


async def test_manifest_worker_and_static_files(client: httpx.AsyncClient) -> None:
    manifest = await client.get(f"{P}/manifest.webmanifest?l=ru")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["name"] == "Университет Альфа"
    assert body["start_url"] == f"{P}/" and body["display"] == "standalone"
    types = {icon["type"] for icon in body["icons"]}
    assert types == {"image/svg+xml", "image/png"}
    for icon in body["icons"]:
        fetched = await client.get(icon["src"])
        assert fetched.status_code == 200 and fetched.headers["content-type"].startswith(icon["type"])
        assert "immutable" in fetched.headers["cache-control"]
    worker = await client.get(f"{P}/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert f"{P}/offline" in worker.text and "portal.css?v=" in worker.text
    css = await client.get(f"{P}/static/portal.css")
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get(f"{P}/static/nothing.css")).status_code == 404
    offline = await client.get(f"{P}/offline")
    assert offline.status_code == 200 and "no-store" not in offline.headers["cache-control"]
