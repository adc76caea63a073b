"""Single sign-on against a real OpenID provider process (npm `oidc-provider`), RELIABILITY.md T10.

Every token in these tests comes from the provider's own token endpoint: the happy paths,
and the negatives where the provider re-signs its ID token with one claim wrong.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.app import HemisApp
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.identity.sso import PublicNetworkOnly, SsoClient, SsoUnavailable
from tenants.testing import run_as_tenant
from tests.conftest import TokenFactory
from tests.identity.test_sessions import me, new_user
from tests.oidc_provider import Client, DevProvider, ProviderRefused
from tests.staff.test_controller import employee_body
from tests.students.conftest import student_body

A = "/t/alpha/api/v1"
B = "/t/beta/api/v1"
SECRET = "s3cret-of-the-test-client-0123456789"
CALLBACK = "http://testserver/t/{code}/api/v1/auth/sso/callback"
FAILURES = "SELECT count(*) FROM audit_event WHERE action = 'auth.sso_failed' AND data->>'field' = 'state'"


@pytest.fixture(scope="session")
def provider() -> Iterator[DevProvider]:
    clients = [Client(f"hemis-{code}", SECRET, [CALLBACK.format(code=code)]) for code in ("alpha", "beta")]
    dev = DevProvider(clients).start()
    yield dev
    dev.stop()


@pytest.fixture
async def admin(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.ADMIN)


async def register(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    dev: DevProvider,
    code: str = "alpha",
    **overrides: Any,
) -> dict[str, Any]:
    body = {
        "name": "Universitet OneID",
        "discovery_url": dev.discovery_url,
        "client_id": f"hemis-{code}",
        "client_secret": SECRET,
        "claim": "pinfl",
        "match_by": "pinfl",
        "scopes": "openid hemis",
    } | overrides
    response = await client.post(f"/t/{code}/api/v1/identity-providers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def start(client: httpx.AsyncClient, provider_id: int, base: str = A, **params: str) -> str:
    response = await client.get(f"{base}/auth/sso/{provider_id}/start", params=params)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def finish(client: httpx.AsyncClient, callback_url: str) -> httpx.Response:
    """Follow the provider's redirect back into hemis, as the browser would."""
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver", callback_url
    return await client.get(urlunsplit(("", "", parts.path, parts.query, "")))


async def sign_in(
    client: httpx.AsyncClient, dev: DevProvider, provider_id: int, sub: str, base: str = A, **claims: str
) -> httpx.Response:
    return await finish(client, await dev.sign_in(await start(client, provider_id, base), sub, **claims))


def session_of(response: httpx.Response) -> dict[str, str]:
    return {"Cookie": f"hemis_session={response.cookies['hemis_session']}"}


async def new_student(
    client: httpx.AsyncClient, group: dict[str, Any], registrar: dict[str, str]
) -> dict[str, Any]:
    response = await client.post(f"{A}/students", json=student_body(group), headers=registrar)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
async def registrar(token_for: TokenFactory) -> dict[str, str]:
    return await token_for("alpha", Role.REGISTRAR)


@pytest.fixture
async def idp(client: httpx.AsyncClient, admin: dict[str, str], provider: DevProvider) -> dict[str, Any]:
    return await register(client, admin, provider)


def sub() -> str:
    return f"oneid-{uuid.uuid4().hex[:12]}"


class TestSignIn:
    async def test_a_student_signs_in_by_pinfl_then_by_sub(
        self,
        client: httpx.AsyncClient,
        provider: DevProvider,
        idp: dict[str, Any],
        group: dict[str, Any],
        registrar: dict[str, str],
        admin: dict[str, str],
    ) -> None:
        student = await new_student(client, group, registrar)
        subject = sub()
        first = await sign_in(client, provider, idp["id"], subject, pinfl=student["pinfl"])
        assert first.status_code == 303, first.text
        assert first.headers["location"] == "/"
        assert "httponly" in first.headers["set-cookie"].lower()
        assert await me(client, session_of(first)) == 200
        client.cookies.clear()
        # The account opened for the student carries the link to their record and nothing more.
        users = await client.get(f"{A}/users", params={"search": student["student_id_number"]}, headers=admin)
        [account] = users.json()["items"]
        assert account["student_id"] == student["id"]
        assert account["roles"] == ["student"]
        # Next time the sub alone decides: a claim naming someone else changes nothing.
        again = await sign_in(client, provider, idp["id"], subject, pinfl="00000000000000")
        assert again.status_code == 303, again.text
        whoami = await client.get(f"{A}/access/me", headers=session_of(again))
        assert whoami.json()["subject"] == f"user:{account['id']}"

    async def test_repointing_the_provider_forgets_its_links(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str], admin: dict[str, str],
    ) -> None:  # fmt: skip
        """A `sub` is unique within one issuer only: after the discovery URL or client changes,
        an old link must not open its account for whoever has that `sub` now."""
        first, second = (
            await new_student(client, group, registrar),
            await new_student(client, group, registrar),
        )
        subject = sub()
        assert (await sign_in(client, provider, idp["id"], subject, pinfl=first["pinfl"])).status_code == 303
        client.cookies.clear()
        repointed = await client.patch(f"{A}/identity-providers/{idp['id']}", json={"client_id": "hemis-alpha"},
                                       headers=admin)  # fmt: skip
        assert repointed.status_code == 200
        again = await sign_in(client, provider, idp["id"], subject, pinfl=second["pinfl"])
        users = await client.get(f"{A}/users", params={"search": second["student_id_number"]}, headers=admin)
        whoami = await client.get(f"{A}/access/me", headers=session_of(again))
        assert whoami.json()["subject"] == f"user:{users.json()['items'][0]['id']}"

    async def test_return_to_is_kept_and_must_be_a_path_of_this_site(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str],
    ) -> None:  # fmt: skip
        student = await new_student(client, group, registrar)
        url = await start(client, idp["id"], return_to="/t/alpha/portal?tab=grades")
        back = await finish(client, await provider.sign_in(url, sub(), pinfl=student["pinfl"]))
        assert back.headers["location"] == "/t/alpha/portal?tab=grades"
        for bad in (
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/ok\r\nSet-Cookie:x",
        ):
            refused = await client.get(f"{A}/auth/sso/{idp['id']}/start", params={"return_to": bad})
            assert refused.status_code == 400, bad
            assert refused.json()["field"] == "return_to"

    async def test_staff_need_an_account_an_admin_opened(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], admin: dict[str, str],
        registrar: dict[str, str],
    ) -> None:  # fmt: skip
        pinfl = student_body({"id": 1})["pinfl"]
        unknown = await sign_in(client, provider, idp["id"], sub(), pinfl=pinfl)
        assert unknown.status_code == 403
        no_claim = await sign_in(client, provider, idp["id"], sub())
        assert no_claim.status_code == 403

    async def test_a_student_who_is_also_staff_is_not_signed_in_to_either_account_by_chance(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], admin: dict[str, str],
        group: dict[str, Any], registrar: dict[str, str],
    ) -> None:  # fmt: skip
        student = await new_student(client, group, registrar)
        assert (await sign_in(client, provider, idp["id"], sub(), pinfl=student["pinfl"])).status_code == 303
        client.cookies.clear()
        employee = await client.post(
            f"{A}/employees",
            json=employee_body(
                group["department_id"], pinfl=student["pinfl"], birth_date=student["birth_date"]
            ),
            headers=admin,
        )
        assert employee.status_code == 201, employee.text
        await new_user(client, admin, employee_id=employee.json()["id"], roles=["teacher"])
        subject = sub()
        both = await sign_in(client, provider, idp["id"], subject, pinfl=student["pinfl"])
        assert (both.status_code, both.json()["code"]) == (403, "identity.sso_ambiguous")
        assert "hemis_session" not in both.cookies

    async def test_two_first_sign_ins_at_once_open_one_account(
        self, client: httpx.AsyncClient, app: HemisApp, provider: DevProvider, idp: dict[str, Any],
        admin: dict[str, str], group: dict[str, Any], registrar: dict[str, str],
    ) -> None:  # fmt: skip
        student = await new_student(client, group, registrar)
        subject = sub()
        browsers = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
                    for _ in range(3)]  # fmt: skip
        try:
            callbacks = [
                await provider.sign_in(await start(b, idp["id"]), subject, pinfl=student["pinfl"])
                for b in browsers
            ]
            answers = await asyncio.gather(
                *(finish(b, url) for b, url in zip(browsers, callbacks, strict=True))
            )
            assert [a.status_code for a in answers] == [303, 303, 303], [a.text for a in answers]
            people = {(await b.get(f"{A}/access/me")).json()["subject"] for b in browsers}
            assert len(people) == 1
        finally:
            for b in browsers:
                await b.aclose()
        users = await client.get(f"{A}/users", params={"search": student["student_id_number"]}, headers=admin)
        assert users.json()["total"] == 1

    async def test_a_disabled_account_cannot_sign_in(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], admin: dict[str, str],
        group: dict[str, Any], registrar: dict[str, str],
    ) -> None:  # fmt: skip
        student = await new_student(client, group, registrar)
        subject = sub()
        first = await sign_in(client, provider, idp["id"], subject, pinfl=student["pinfl"])
        assert first.status_code == 303
        client.cookies.clear()
        users = await client.get(f"{A}/users", params={"search": student["student_id_number"]}, headers=admin)
        user_id = users.json()["items"][0]["id"]
        assert (
            await client.patch(f"{A}/users/{user_id}", json={"active": False}, headers=admin)
        ).status_code == 200
        assert await me(client, session_of(first)) == 401  # disabling ended the session
        refused = await sign_in(client, provider, idp["id"], subject, pinfl=student["pinfl"])
        assert refused.status_code == 403

    async def test_an_admin_needs_the_provider_to_vouch_for_a_second_factor(
        self, client: httpx.AsyncClient, provider: DevProvider, admin: dict[str, str]
    ) -> None:
        ministry_style = await register(client, admin, provider, claim="preferred_username", match_by="username",
                                        scopes="openid profile")  # fmt: skip
        account = await new_user(client, admin, roles=["admin"], ready=False)
        name = account["username"]
        without = await sign_in(client, provider, ministry_style["id"], sub(), preferred_username=name)
        assert without.status_code == 403
        assert without.json()["code"] == "identity.sso_second_factor"
        subject = sub()
        with_mfa = await sign_in(
            client, provider, ministry_style["id"], subject, preferred_username=name, amr="pwd,otp"
        )
        assert with_mfa.status_code == 303, with_mfa.text


class TestRefused:
    """T10: each case refused with a 4xx, no session, and the failure audited."""

    async def _ready(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str],
    ) -> tuple[str, str]:  # fmt: skip
        """A fresh attempt signed in at the provider: (callback URL, the student's PINFL)."""
        student = await new_student(client, group, registrar)
        url = await start(client, idp["id"])
        return await provider.sign_in(url, sub(), pinfl=student["pinfl"]), student["pinfl"]

    @staticmethod
    def _without(url: str, name: str, value: str | None = None) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != name}
        if value is not None:
            query[name] = value
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

    async def test_missing_or_wrong_state(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str],
    ) -> None:  # fmt: skip
        callback, _ = await self._ready(client, provider, idp, group, registrar)
        for url in (self._without(callback, "state"), self._without(callback, "state", "forged-state")):
            refused = await finish(client, url)
            assert refused.status_code == 400, refused.text
            assert refused.json()["field"] == "state"
            assert "hemis_session" not in refused.cookies

    async def test_a_callback_replayed_or_from_another_browser(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str],
    ) -> None:  # fmt: skip
        callback, _ = await self._ready(client, provider, idp, group, registrar)
        client.cookies.delete("hemis_sso")  # the link opened in another browser (login CSRF)
        stolen = await finish(client, callback)
        assert stolen.status_code == 400 and stolen.json()["field"] == "state"
        callback, _ = await self._ready(client, provider, idp, group, registrar)
        assert (await finish(client, callback)).status_code == 303
        replayed = await finish(client, callback)  # state spent: the same state and code again
        assert replayed.status_code == 400 and replayed.json()["field"] == "state"

    async def test_a_reused_code_with_a_fresh_state(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str],
    ) -> None:  # fmt: skip
        callback, pinfl = await self._ready(client, provider, idp, group, registrar)
        assert (await finish(client, callback)).status_code == 303
        used_code = parse_qs(urlsplit(callback).query)["code"][0]
        fresh = await provider.sign_in(await start(client, idp["id"]), sub(), pinfl=pinfl)
        refused = await finish(client, self._without(fresh, "code", used_code))
        assert refused.status_code == 400 and refused.json()["field"] == "code"

    @pytest.mark.parametrize("iss", ["http://127.0.0.1:1/evil", None])
    async def test_an_answer_naming_another_issuer_or_none(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str], iss: str | None,
    ) -> None:  # fmt: skip
        """Mix-up defence (RFC 9207): this provider names itself in every answer."""
        callback, _ = await self._ready(client, provider, idp, group, registrar)
        assert parse_qs(urlsplit(callback).query)["iss"] == [provider.issuer]
        refused = await finish(client, self._without(callback, "iss", iss))
        assert refused.status_code == 400 and refused.json()["field"] == "iss"

    @pytest.mark.parametrize("mode", ["nonce", "iss", "aud", "exp", "sig"])
    async def test_an_id_token_with_a_wrong_claim_or_signature(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str], mode: str,
    ) -> None:  # fmt: skip
        callback, _ = await self._ready(client, provider, idp, group, registrar)
        await provider.tamper_next_token(mode)
        refused = await finish(client, callback)
        assert refused.status_code == 400, (mode, refused.text)
        assert refused.json()["field"] == "id_token"
        assert "hemis_session" not in refused.cookies

    async def test_pkce_is_s256_and_the_code_is_useless_without_the_verifier(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], group: dict[str, Any],
        registrar: dict[str, str],
    ) -> None:  # fmt: skip
        student = await new_student(client, group, registrar)
        url = await start(client, idp["id"])
        query = parse_qs(urlsplit(url).query)
        assert query["code_challenge_method"] == ["S256"]
        assert len(query["code_challenge"][0]) == 43 and query["nonce"] and query["state"]
        # "plain" is refused by the provider for this client.
        with pytest.raises(ProviderRefused) as plain:
            await provider.sign_in(self._without(url, "code_challenge_method", "plain"), sub())
        assert "error=invalid_request" in plain.value.body
        callback = await provider.sign_in(url, sub(), pinfl=student["pinfl"])
        code = parse_qs(urlsplit(callback).query)["code"][0]
        async with httpx.AsyncClient() as http:
            stolen = await http.post(
                f"{provider.issuer}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": query["redirect_uri"][0],
                },
                auth=("hemis-alpha", SECRET),
            )
        assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"

    @pytest.mark.parametrize(
        "variant",
        [
            "http://testserver/t/alpha/api/v1/auth/sso/callback/",  # trailing slash
            "http://testserver/t/alpha/api/v1/auth/SSO/callback",  # case
            "http://testserver/t/alpha/api/v1/auth/sso/callback/extra",  # extra path
            "http://testserver@evil.example/t/alpha/api/v1/auth/sso/callback",  # user-info trick
            "http://testserver/t/alpha/api/v1/auth/sso/%63allback",  # encoded characters
        ],
    )
    async def test_redirect_uri_variants_are_refused(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], variant: str
    ) -> None:
        """The provider holds the exact URI: a variant is refused there, and hemis answers no
        variant of its callback path either."""
        url = await start(client, idp["id"])
        with pytest.raises(ProviderRefused):
            await provider.sign_in(self._without(url, "redirect_uri", variant), sub())
        parts = urlsplit(variant)
        if parts.netloc == "testserver":
            answered = await client.get(parts.path, params={"code": "x", "state": "y"})
            # Routing may normalise the path (trailing slash, %63): then the state check refuses it.
            assert answered.status_code in (400, 404, 405) and "hemis_session" not in answered.cookies

    async def test_failures_are_audited(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], owner: AsyncEngine,
        settings: Settings,
    ) -> None:  # fmt: skip
        before = await run_as_tenant(owner, settings.tenancy.role_prefix, "alpha", FAILURES)
        refused = await finish(client, f"http://testserver{A}/auth/sso/callback?code=x&state=forged")
        assert refused.status_code == 400
        after = await run_as_tenant(owner, settings.tenancy.role_prefix, "alpha", FAILURES)
        assert after[0][0] == before[0][0] + 1


class TestProvidersAdmin:
    async def test_the_secret_is_never_returned_and_bad_input_names_the_field(
        self, client: httpx.AsyncClient, admin: dict[str, str], provider: DevProvider
    ) -> None:
        created = await register(client, admin, provider)
        assert "client_secret" not in created
        listed = await client.get(f"{A}/identity-providers", headers=admin)
        assert all("client_secret" not in p for p in listed.json())
        base = {"name": "X IdP", "discovery_url": provider.discovery_url, "client_id": "c", "client_secret": SECRET,
                "claim": "pinfl", "match_by": "pinfl"}  # fmt: skip
        for field, value, status in (
            ("match_by", "email", 422),
            ("discovery_url", "http://idp.example.uz/.well-known/openid-configuration", 422),
            ("scopes", "profile email", 422),
            ("claim", "pin fl", 422),
        ):
            refused = await client.post(f"{A}/identity-providers", json=base | {field: value}, headers=admin)
            assert refused.status_code == status, (field, refused.text)
            assert refused.json()["field"] == field

    async def test_only_admins_keep_providers(
        self, client: httpx.AsyncClient, registrar: dict[str, str], idp: dict[str, Any]
    ) -> None:
        assert (await client.get(f"{A}/identity-providers", headers=registrar)).status_code == 403
        public = await client.get(f"{A}/auth/sso/providers")
        assert {"id": idp["id"], "name": idp["name"]} in public.json()


class TestIsolation:
    async def test_one_university_cannot_use_or_see_anothers_provider_or_attempt(
        self, client: httpx.AsyncClient, provider: DevProvider, idp: dict[str, Any], token_for: TokenFactory,
        group: dict[str, Any], registrar: dict[str, str],
    ) -> None:  # fmt: skip
        beta_admin = await token_for("beta", Role.ADMIN)
        assert (
            await client.get(f"{B}/identity-providers/{idp['id']}", headers=beta_admin)
        ).status_code == 404
        patched = await client.patch(
            f"{B}/identity-providers/{idp['id']}", json={"active": False}, headers=beta_admin
        )
        assert patched.status_code == 404
        listed = await client.get(f"{B}/identity-providers", headers=beta_admin)
        assert idp["id"] not in {p["id"] for p in listed.json()}
        # An attempt started at alpha means nothing at beta's callback.
        student = await new_student(client, group, registrar)
        callback = await provider.sign_in(await start(client, idp["id"]), sub(), pinfl=student["pinfl"])
        at_beta = await finish(client, callback.replace("/t/alpha/", "/t/beta/"))
        assert at_beta.status_code == 400 and at_beta.json()["field"] == "state"
        assert (
            await finish(client, callback)
        ).status_code == 303  # beta's refusal left alpha's attempt alone
        assert (await client.get(f"{B}/auth/sso/{idp['id']}/start")).status_code == 404


class TestProviderNetworks:
    """No provider setting makes the server call its own network (SSRF): private, loopback and
    link-local addresses are refused unless the deployment allows their network."""

    @pytest.mark.parametrize(
        ("address", "allowed"),
        [
            ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.9", False), ("192.168.1.1", False),
            ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False),
            ("fd00::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False),
            ("8.8.8.8", True), ("2001:4860:4860::8888", True),
        ],
    )  # fmt: skip
    def test_only_public_addresses_by_default(self, address: str, allowed: bool) -> None:
        assert PublicNetworkOnly().permitted(ipaddress.ip_address(address)) is allowed

    def test_a_deployment_may_allow_a_network(self) -> None:
        backend = PublicNetworkOnly(["127.0.0.0/8"])
        assert backend.permitted(ipaddress.ip_address("127.0.0.1"))
        assert not backend.permitted(ipaddress.ip_address("10.0.0.1"))

    async def test_a_provider_on_loopback_is_refused_unless_allowed(self, provider: DevProvider) -> None:
        for url in (provider.discovery_url, provider.discovery_url.replace("127.0.0.1", "localhost")):
            refused = SsoClient()
            try:
                with pytest.raises(SsoUnavailable):
                    await refused.metadata(url)
            finally:
                await refused.close()
        allowed = SsoClient(allowed_networks=["127.0.0.0/8"])
        try:
            assert (await allowed.metadata(provider.discovery_url)).token_endpoint.startswith(provider.issuer)
        finally:
            await allowed.close()
