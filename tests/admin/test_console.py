"""The admin console over HTTP (issue 5, step 2): signed in with hemis sessions of the
university's admins only, that university's rows only, read-only where rules live in services,
secrets never shown, and a bounded number of consoles open."""

from __future__ import annotations

import gc
import time
import tracemalloc
import uuid
import weakref
from typing import Any

import httpx
import pytest
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import TABLE_REGISTRY
from piccolo_admin.translations.data import ENGLISH
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from admin.app import EDITABLE, READ_ONLY, AdminSites
from admin.i18n import UZBEK
from hemis.app import HemisApp
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.identity import totp
from hemis.identity.users import UserService
from tenants.context import TenantRef, tenant_scope
from tenants.session import tenant_session
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory
from tests.grading.test_scales import scale_body

PASSWORD = "Admin-parol-2026-kuchli"


async def signed_in(
    client: httpx.AsyncClient,
    maker: async_sessionmaker[AsyncSession],
    tenant: TenantRef,
    role: Role = Role.ADMIN,
) -> dict[str, str]:
    """Headers of a fresh session of a new account with `role` at `tenant`."""
    username = f"adm{uuid.uuid4().hex[:8]}"
    async with tenant_session(maker, tenant) as session:
        user, secret = await UserService(session, actor="test").open_account(
            {"username": username, "display_name": "Admin Adminov", "roles": [role], "password": PASSWORD}
        )
        user.must_change_password = False
        await session.commit()
    body: dict[str, Any] = {"username": username, "password": PASSWORD}
    if secret:
        body["totp"] = totp.code_at(secret, int(time.time() // totp.STEP))
    response = await client.post(f"/t/{tenant.code}/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Cookie": f"hemis_session={response.cookies['hemis_session']}"}


async def csrf(client: httpx.AsyncClient, base: str, headers: dict[str, str]) -> dict[str, str]:
    """piccolo-admin's double-submit CSRF token, as its page sends it."""
    page = await client.get(f"{base}/", headers=headers)
    token = page.cookies.get("csrftoken") or ""
    client.cookies.clear()
    return {**headers, "Cookie": f"{headers['Cookie']}; csrftoken={token}", "X-CSRFToken": token}


class TestConsole:
    async def test_every_table_of_the_console_lists_and_describes_itself(
        self, client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef],
    ) -> None:  # fmt: skip
        """Each column type the generator maps (JSON, arrays, bytes, numerics…) must survive
        piccolo's list page and schema: a table that answers 500 would be a dead menu entry."""
        admin = await signed_in(client, maker, tenants["alpha"])
        for names in [*EDITABLE.values(), *READ_ONLY.values()]:
            for name in names:
                rows = await client.get(
                    f"/t/alpha/admin/api/tables/{name}/", params={"__page": 1}, headers=admin
                )
                schema = await client.get(f"/t/alpha/admin/api/tables/{name}/schema/", headers=admin)
                assert (rows.status_code, schema.status_code) == (200, 200), (name, rows.text[:200])

    async def test_admins_of_the_university_only(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        assert (await client.get("/t/alpha/admin/api/tables/")).status_code == 401
        admin = await signed_in(client, maker, tenants["alpha"])
        tables = await client.get("/t/alpha/admin/api/tables/", headers=admin)
        assert tables.status_code == 200, tables.text
        names = set(tables.json())
        assert {"grading_scale", "curriculum_subject", "department", "mark"} <= names
        assert not names & {"user_account", "user_session", "api_token", "identity_provider", "sso_attempt"}
        assert (await client.get("/t/beta/admin/api/tables/", headers=admin)).status_code == 401
        registrar = await signed_in(client, maker, tenants["alpha"], Role.REGISTRAR)
        assert (await client.get("/t/alpha/admin/api/tables/", headers=registrar)).status_code == 401

    async def test_rows_of_this_university_only_and_read_only_tables_refuse_writes(
        self, client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef],
        token_for: TokenFactory,
    ) -> None:  # fmt: skip
        beta_registrar = await token_for("beta", Role.REGISTRAR)
        name = f"Beta binosi {uuid.uuid4().hex[:6]}"
        made = await client.post("/t/beta/api/v1/structure/buildings", json={"name": name, "address": "Samarqand"},
                                 headers=beta_registrar)  # fmt: skip
        assert made.status_code == 201, made.text
        admin = await csrf(client, "/t/alpha/admin", await signed_in(client, maker, tenants["alpha"]))
        rows = await client.get(
            "/t/alpha/admin/api/tables/building/", params={"__page_size": 100}, headers=admin
        )
        assert rows.status_code == 200 and name not in rows.text
        # Even naming beta's row by its id finds nothing here.
        assert (
            await client.get(f"/t/alpha/admin/api/tables/building/{made.json()['id']}/", headers=admin)
        ).status_code in (404, 200)
        ours = f"Alfa binosi {uuid.uuid4().hex[:6]}"
        created = await client.post("/t/alpha/admin/api/tables/building/", headers=admin,
                                    json={"name": ours, "address": "Toshkent"})  # fmt: skip
        assert created.status_code == 201, created.text
        listed = await client.get("/t/alpha/api/v1/structure/buildings", params={"search": ours},
                                  headers=await token_for("alpha", Role.REGISTRAR))  # fmt: skip
        assert [b["name"] for b in listed.json()["items"]] == [ours]
        refused = await client.post("/t/alpha/admin/api/tables/mark/", headers=admin, json={"points": "50"})
        assert refused.status_code == 405

    async def test_writes_go_through_the_services_with_their_checks_and_the_audit(
        self, client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef],
        token_for: TokenFactory, owner: AsyncEngine, settings: Settings,
    ) -> None:  # fmt: skip
        signed = await signed_in(client, maker, tenants["alpha"])
        admin = await csrf(client, "/t/alpha/admin", signed)
        # Grade 5 must start above grade 4: refused by ScaleService, in Uzbek, naming the field.
        bad = scale_body(min_good="92")
        refused = await client.post(
            "/t/alpha/admin/api/tables/grading_scale/", headers=admin, json={**bad, "id": None}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "min_excellent"
        # The same answer, word for word (Uzbek by default), as the API gives for the same body.
        api_admin = await token_for("alpha", Role.ADMIN)
        by_api = await client.post("/t/alpha/api/v1/grading/scales", json=bad, headers=api_admin)
        assert (by_api.status_code, by_api.json()["detail"]) == (422, refused.json()["custom_form_error"])
        # A schema error (an empty code) too: translated, not msgspec's English.
        blank = {**scale_body(), "code": ""}
        refused = await client.post("/t/alpha/admin/api/tables/grading_scale/", headers=admin, json=blank)
        by_api = await client.post("/t/alpha/api/v1/grading/scales", json=blank, headers=api_admin)
        assert (refused.status_code, refused.json()["field"]) == (422, "code"), refused.text
        assert refused.json()["custom_form_error"] == by_api.json()["detail"]
        assert "Expected" not in refused.json()["custom_form_error"]
        scales = await client.get("/t/alpha/api/v1/grading/scales", headers=api_admin)
        assert bad["code"] not in {s["code"] for s in scales.json()["items"]}  # nothing written
        good = scale_body()
        created = await client.post("/t/alpha/admin/api/tables/grading_scale/", headers=admin, json=good)
        assert created.status_code == 201, created.text
        scale_id = created.json()[0]["id"]
        renamed = await client.patch(f"/t/alpha/admin/api/tables/grading_scale/{scale_id}/", headers=admin,
                                     json={"name": "Yangi nom", "created_at": None})  # fmt: skip
        assert renamed.status_code == 200 and renamed.json()["name"] == "Yangi nom", renamed.text
        got = await client.get(
            f"/t/alpha/api/v1/grading/scales/{scale_id}", headers=await token_for("alpha", Role.ADMIN)
        )
        assert got.json()["name"] == "Yangi nom"
        # Whoever did it is on the audit trail, as for the API.
        who = (await client.get("/t/alpha/api/v1/access/me", headers=signed)).json()["subject"]
        rows = await run_as_tenant(
            owner, settings.tenancy.role_prefix, "alpha",
            f"SELECT action FROM audit_event WHERE entity = 'grading_scale' AND entity_id = '{scale_id}' "
            f"AND actor = '{who}' ORDER BY id",
        )  # fmt: skip
        assert [r[0] for r in rows] == ["grading_scale.created", "grading_scale.updated"]
        # What the API does not allow, the console does not either.
        assert (
            await client.delete(f"/t/alpha/admin/api/tables/grading_scale/{scale_id}/", headers=admin)
        ).status_code == 405

    async def test_the_login_form_is_hemis_sign_in(
        self,
        client: httpx.AsyncClient,
        maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:
        username = f"adm{uuid.uuid4().hex[:8]}"
        async with tenant_session(maker, tenants["alpha"]) as session:
            user, secret = await UserService(session, actor="test").open_account(
                {"username": username, "display_name": "Admin", "roles": [Role.ADMIN], "password": PASSWORD}
            )
            user.must_change_password = False
            await session.commit()
        assert secret is not None
        form = await csrf(client, "/t/alpha/admin", {"Cookie": "x=1"})
        login = "/t/alpha/admin/public/login/"
        # Without a code the answer is the same for a wrong password: nothing is told about it.
        for password in (PASSWORD, "wrong-password-1"):
            asked = await client.post(login, json={"username": username, "password": password}, headers=form)
            assert (asked.status_code, asked.json()["detail"]) == (401, "MFA code required")
        wrong = await client.post(login, json={"username": username, "password": PASSWORD, "mfa_code": "000000"
                                                if totp.code_at(secret, int(time.time() // totp.STEP)) != "000000" else "111111"},
                                  headers=form)  # fmt: skip
        assert wrong.status_code == 401
        code = totp.code_at(secret, int(time.time() // totp.STEP))
        ok = await client.post(
            login, json={"username": username, "password": PASSWORD, "mfa_code": code}, headers=form
        )
        assert ok.status_code == 200, ok.text
        session_cookie = {"Cookie": f"hemis_session={ok.cookies['hemis_session']}"}
        client.cookies.clear()
        assert (await client.get("/t/alpha/admin/api/tables/", headers=session_cookie)).status_code == 200
        # The same session is a hemis session: the API knows the person.
        me = await client.get("/t/alpha/api/v1/access/me", headers=session_cookie)
        assert me.json()["subject"] == f"user:{user.id}"

    async def test_no_write_reaches_piccolo_by_another_path(
        self, client: httpx.AsyncClient, maker: async_sessionmaker[AsyncSession], tenants: dict[str, TenantRef],
        token_for: TokenFactory,
    ) -> None:  # fmt: skip
        signed = await signed_in(client, maker, tenants["alpha"])
        admin = await csrf(client, "/t/alpha/admin", signed)
        created = await client.post(
            "/t/alpha/admin/api/tables/grading_scale/", headers=admin, json=scale_body()
        )
        scale_id = created.json()[0]["id"]
        base = "/t/alpha/admin/api/tables/grading_scale"
        # Ids piccolo would also read as numbers, bulk deletes, piccolo's own forms: all refused.
        for method, path in (
            ("PATCH", f"{base}/+{scale_id}/"), ("PUT", f"{base}/{scale_id}%20/"), ("DELETE", f"{base}/+{scale_id}/"),
            ("DELETE", f"{base}/?id={scale_id}"), ("POST", "/t/alpha/admin/api/change-password/"),
        ):  # fmt: skip
            answer = await client.request(method, path, headers=admin, json={"name": "Buzilgan"})
            assert answer.status_code == 405, (method, path, answer.text)
        api = await token_for("alpha", Role.ADMIN)
        kept = await client.get(f"/t/alpha/api/v1/grading/scales/{scale_id}", headers=api)
        assert kept.status_code == 200 and kept.json()["name"] != "Buzilgan"
        broken = await client.post(
            f"{base}/", headers={**admin, "Content-Type": "application/json"}, content=b"{oops"
        )
        assert broken.status_code == 422
        # Log Out ends the hemis session on the server.
        assert (await client.post("/t/alpha/admin/public/logout/", headers=admin)).status_code == 200
        client.cookies.clear()
        assert (await client.get("/t/alpha/api/v1/access/me", headers=signed)).status_code == 401

    async def test_consoles_open_are_bounded(
        self, app: HemisApp, settings: Settings, maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:  # fmt: skip
        sites = AdminSites(settings, maker, max_open=1)
        try:
            async with sites.serving(tenants["alpha"]):
                first = sites.pools.engine_of("alpha")
                assert first is not None
            async with sites.serving(tenants["beta"]):
                assert sites.open_codes == ["beta"]
            assert first.pool is None or first.pool._closed  # the evicted console's pool is closed
            # A tenant with a request running keeps its pool: the bound waits for it.
            async with sites.serving(tenants["alpha"]), sites.serving(tenants["beta"]):
                assert sites.open_codes == ["alpha", "beta"]
                held = sites.pools.engine_of("alpha")
                assert held is not None and held.pool is not None and not held.pool._closed
            async with sites.serving(tenants["alpha"]):
                assert sites.open_codes == ["alpha"]  # beta, idle and least recent, makes room
        finally:
            await sites.close()
        assert sites.open_codes == []

    async def test_a_console_is_built_once_and_an_evicted_tenant_leaves_nothing_behind(
        self, client: httpx.AsyncClient, settings: Settings, maker: async_sessionmaker[AsyncSession],
        tenants: dict[str, TenantRef],
    ) -> None:  # fmt: skip
        """A console built per tenant stayed referenced after eviction (FastAPI's caches of its
        endpoints, Piccolo's registry of its tables: ~13 MB each, bench/README.md). Alpha and
        beta take turns in one open slot, each serving a list page, so every turn evicts."""
        headers = {code: await signed_in(client, maker, tenants[code]) for code in ("alpha", "beta")}
        sites = AdminSites(settings, maker, max_open=1)
        engines: list[weakref.ref[PostgresEngine]] = []
        consoles: set[int] = set()
        tables_made: list[int] = []
        traced: list[int] = []
        tracemalloc.start()
        try:
            for code in ("alpha", "beta") * 4:
                async with sites.serving(tenants[code]) as console:
                    consoles.add(id(console))
                    engine = sites.pools.engine_of(code)
                    assert engine is not None
                    engines.append(weakref.ref(engine))
                    del engine
                    transport = httpx.ASGITransport(app=console)
                    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as http:
                        with tenant_scope(tenants[code]):
                            rows = await http.get("/api/tables/department/", headers=headers[code])
                            meta = await http.get("/public/meta/")
                    del console, transport
                assert rows.status_code == 200, rows.text
                assert meta.json()["site_name"] == f"hemis · {code}"
                gc.collect()
                tables_made.append(len(TABLE_REGISTRY))
                traced.append(tracemalloc.get_traced_memory()[0])
        finally:
            tracemalloc.stop()
            await sites.close()
        gc.collect()
        assert len(consoles) == 1
        assert [ref() is None for ref in engines] == [True] * len(engines)
        assert tables_made == [tables_made[0]] * len(tables_made)  # no Piccolo classes per tenant
        # The turns after the first two (one console, two pools opened) keep less than a MB.
        assert traced[-1] - traced[1] < 2**20, traced


@pytest.fixture(autouse=True)
def _uses_app(app: HemisApp) -> None:
    """The console lives in the app (its state holds the consoles)."""


class TestLanguages:
    async def test_the_console_speaks_uzbek_by_default_and_russian_and_english_on_request(
        self, client: httpx.AsyncClient
    ) -> None:
        listed = (await client.get("/t/alpha/admin/public/translations/")).json()
        assert listed["default_language_code"] == "uz"
        assert {t["language_code"] for t in listed["translations"]} == {"uz", "ru", "en"}
        uzbek = (await client.get("/t/alpha/admin/public/translations/uz/")).json()["translations"]
        assert uzbek["Save"] == "Saqlash" and uzbek["Login"] == "Kirish"

    def test_every_word_of_the_console_has_its_uzbek(self) -> None:
        """A piccolo-admin upgrade that adds words fails here until they are translated."""
        assert set(UZBEK.translations) == set(ENGLISH.translations)
