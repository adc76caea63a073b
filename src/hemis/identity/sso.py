"""Single sign-on with a university's own OpenID provider (authorization code flow + PKCE).

- start(): a fresh `state`, `nonce` and PKCE verifier (S256 only) per attempt, kept server-side
  in the tenant's schema with the hash of a random browser binding (a cookie), so a callback
  URL sent to someone else's browser signs nobody in (login CSRF).
- consume(): the attempt is spent in its own committed transaction before the code is
  exchanged, so a replayed or failed callback can never be tried again.
- exchange(): the code goes to the provider's token endpoint (authlib) with the verifier and
  the exact redirect URI of the attempt; the ID token must be signed by a key of the
  provider's JWKS with an asymmetric algorithm, name the discovered issuer and this client as
  audience, be unexpired (60 s leeway) and carry the attempt's nonce.
- user_for(): the provider's stable `sub` decides; on a first sign-in the configured claim
  (PINFL, student id number or user name) finds the record, never an e-mail address.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import anyio
import httpcore
import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.core import audit
from hemis.core.auth import Role
from hemis.core.crud import CrudService
from hemis.core.errors import HemisError, NotFound
from hemis.identity.models import IdentityProvider, SsoAttempt, SsoLink, UserAccount
from hemis.identity.service import SECOND_FACTOR_ROLES, secret_hash
from hemis.staff.models import Employee
from hemis.students.models import CURRENT_STATUSES, Student

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ATTEMPT_TTL = timedelta(minutes=10)
CURRENT_STUDENT = Student.status.in_(CURRENT_STATUSES)
METADATA_TTL = 600.0  # seconds a provider's discovery document and keys are reused
LEEWAY = 60  # seconds of clock difference tolerated on exp/iat
# Asymmetric only: "none" and HMAC (which a public key could be abused as) are refused.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
# amr values that say the provider checked a second factor (RFC 8176).
SECOND_FACTOR_AMR = frozenset({"mfa", "otp", "hwk", "swk", "sms", "face", "fpt"})
# A path of this site: no scheme, no host, no "//" or "\" a browser would read as another host.
_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$")


class SsoRefused(HemisError):
    status_code = 400
    message_key = "identity.sso_refused"


class BadProviderSetting(HemisError):
    status_code = 422
    message_key = "identity.sso_https"


class SsoUnavailable(HemisError):
    status_code = 502
    message_key = "identity.sso_unavailable"


class SsoNoAccount(HemisError):
    status_code = 403
    message_key = "identity.sso_no_account"


def local_path(value: str | None) -> str:
    """Where to go after signing in: a path of this site, or "/" (an open redirect otherwise)."""
    if not value:
        return "/"
    if not _LOCAL_PATH.match(value):
        raise SsoRefused("identity.sso_return_to", field="return_to")
    return value


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    iss_in_response: bool  # RFC 9207: the provider names itself in the authorization response
    keys: KeySet
    fetched: float


class PublicNetworkOnly(httpcore.AsyncNetworkBackend):
    """Connects to public addresses (and the allowed networks) only.

    The address is checked after resolving and the connection is made to that very address,
    so a name that resolves to a public address for the check and to a private one for the
    connection (DNS rebinding) gets nowhere. TLS still verifies the certificate for the name.
    """

    def __init__(self, allowed: Sequence[str] = ()) -> None:
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in allowed]
        self.inner = httpcore.AnyIOBackend()

    def permitted(self, address: IPAddress) -> bool:
        return address.is_global or any(address in network for network in self.allowed)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}") from error
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
        if not addresses or not all(self.permitted(a) for a in addresses):
            raise httpcore.ConnectError(f"{host} is not on a network single sign-on may reach")
        return await self.inner.connect_tcp(str(addresses[0]), port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class SsoClient:
    """The process's HTTP side of SSO: discovery and keys cached per provider, one connection pool."""

    def __init__(self, timeout: float = 10.0, allowed_networks: Sequence[str] = ()) -> None:
        # Idle connections are dropped after 1 s, before a provider's own idle timeout (often
        # 5 s, as httpx's default) can close one under a token request that would then fail
        # after its attempt was spent; a refused connect is retried once.
        transport = httpx.AsyncHTTPTransport(retries=1)
        # httpx takes no network backend, so its pool is rebuilt with ours (same settings).
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            keepalive_expiry=1.0,
            retries=1,
            network_backend=PublicNetworkOnly(allowed_networks),
        )
        self.http = httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport)
        self._metadata: dict[str, ProviderMetadata] = {}

    async def close(self) -> None:
        await self.http.aclose()

    async def _json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.http.get(url, **kwargs)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SsoUnavailable(reason=type(error).__name__) from error
        if not isinstance(body, dict):
            raise SsoUnavailable(reason="not an object")
        return body

    async def metadata(self, discovery_url: str, *, refresh: bool = False) -> ProviderMetadata:
        cached = self._metadata.get(discovery_url)
        if cached and not refresh and time.monotonic() - cached.fetched < METADATA_TTL:
            return cached
        doc = await self._json(discovery_url)
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if any(not isinstance(doc.get(k), str) for k in needed):
            raise SsoUnavailable(reason="discovery document incomplete")
        # OpenID Discovery 4.3: the issuer is the discovery URL without the well-known suffix.
        if discovery_url.removesuffix("/.well-known/openid-configuration") != doc["issuer"].rstrip("/"):
            raise SsoUnavailable(reason="issuer does not match the discovery URL")
        try:
            keys = KeySet.import_key_set(await self._json(doc["jwks_uri"]))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as error:
            raise SsoUnavailable(reason="unreadable JWKS") from error
        fresh = ProviderMetadata(
            issuer=doc["issuer"],
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            jwks_uri=doc["jwks_uri"],
            userinfo_endpoint=doc.get("userinfo_endpoint"),
            iss_in_response=doc.get("authorization_response_iss_parameter_supported") is True,
            keys=keys,
            fetched=time.monotonic(),
        )
        self._metadata[discovery_url] = fresh
        return fresh

    async def exchange(
        self, provider: IdentityProvider, attempt: SsoAttempt, code: str, iss: str | None
    ) -> dict[str, Any]:
        """The code → tokens → validated ID token claims (plus userinfo when the claim is not in it)."""
        meta = await self.metadata(provider.discovery_url)
        # Mix-up defence (RFC 9207, ASVS 10.2.2): the answer must come from the provider this
        # attempt was sent to; a provider that promises `iss` must send it.
        if (iss is not None and iss != meta.issuer) or (iss is None and meta.iss_in_response):
            raise SsoRefused(field="iss", reason="another issuer")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": attempt.redirect_uri,
            "code_verifier": attempt.code_verifier,
        }
        try:
            response = await self.http.post(
                meta.token_endpoint, data=form, headers={"Authorization": client_basic(provider)}
            )
            token = response.json()
        except httpx.TransportError as error:
            raise SsoUnavailable(reason=type(error).__name__) from error
        except ValueError as error:
            raise SsoUnavailable(reason="token response is not JSON") from error
        if response.status_code != 200 or not isinstance(token, dict):
            # Refused by the provider: a reused or expired code, a wrong verifier or redirect URI.
            reason = token.get("error") if isinstance(token, dict) else response.status_code
            raise SsoRefused("identity.sso_code", field="code", reason=str(reason)[:100])
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoRefused("identity.sso_token", field="id_token", reason="missing")
        claims = await self._validate(provider, meta, attempt, id_token)
        if provider.claim not in claims and meta.userinfo_endpoint and token.get("access_token"):
            info = await self._json(
                meta.userinfo_endpoint, headers={"Authorization": f"Bearer {token['access_token']}"}
            )
            if info.get("sub") != claims["sub"]:  # OpenID Core 5.3.2
                raise SsoRefused("identity.sso_token", field="sub", reason="userinfo sub differs")
            claims = {**info, **claims}
        return claims

    async def _validate(
        self, provider: IdentityProvider, meta: ProviderMetadata, attempt: SsoAttempt, id_token: str
    ) -> dict[str, Any]:
        rules = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": meta.issuer},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": attempt.nonce},
        )
        keys = meta.keys
        for last_try in (False, True):
            try:
                claims = dict(jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims)
                rules.validate(claims)
            except InvalidKeyIdError as error:  # the provider may have rotated its keys
                if last_try:
                    raise SsoRefused("identity.sso_token", field="id_token", reason=error.error) from error
                keys = (await self.metadata(provider.discovery_url, refresh=True)).keys
                continue
            except (JoseError, ValueError) as error:
                raise SsoRefused("identity.sso_token", field="id_token", reason=_reason(error)) from error
            # OpenID Core 3.1.3.7: with several audiences, the token must be issued to us (azp).
            audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
            if len(audiences) > 1 and claims.get("azp") != provider.client_id:
                raise SsoRefused("identity.sso_token", field="id_token", reason="azp")
            return claims
        raise AssertionError("unreachable")


def client_basic(provider: IdentityProvider) -> str:
    """HTTP Basic client authentication, each part form-encoded first (RFC 6749, 2.3.1)."""
    pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _reason(error: Exception) -> str:
    return str(getattr(error, "error", None) or type(error).__name__)[:100]


@dataclass(frozen=True)
class Started:
    url: str
    browser_secret: str


class SsoService:
    def __init__(self, session: AsyncSession, client: SsoClient) -> None:
        self.session = session
        self.client = client

    async def provider(self, provider_id: int) -> IdentityProvider:
        provider = await self.session.get(IdentityProvider, provider_id)
        if provider is None or not provider.active:
            raise NotFound(field="provider_id")
        return provider

    async def start(self, provider_id: int, *, redirect_uri: str, return_to: str, now: datetime) -> Started:
        provider = await self.provider(provider_id)
        meta = await self.client.metadata(provider.discovery_url)
        state, nonce, browser = (secrets.token_urlsafe(32) for _ in range(3))
        verifier = secrets.token_urlsafe(64)  # 86 characters (RFC 7636: 43-128)
        # Attempts nobody finished: kept a day for the audit of odd traffic, then dropped.
        await self.session.execute(delete(SsoAttempt).where(SsoAttempt.created_at < now - timedelta(days=1)))
        self.session.add(
            SsoAttempt(
                provider_id=provider.id,
                state_hash=secret_hash(state),
                browser_hash=secret_hash(browser),
                nonce=nonce,
                code_verifier=verifier,
                redirect_uri=redirect_uri,
                return_to=return_to,
                created_at=now,
            )
        )
        url = prepare_grant_uri(
            meta.authorization_endpoint,
            client_id=provider.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=provider.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return Started(url=url, browser_secret=browser)

    async def consume(self, state: str | None, browser_secret: str | None, now: datetime) -> SsoAttempt:
        """Spend the attempt `state` names (the caller commits at once): unknown, spent, expired
        or of another browser → refused."""
        if not state:
            raise SsoRefused(field="state", reason="missing")
        attempt: SsoAttempt | None = await self.session.scalar(
            update(SsoAttempt)
            .where(
                SsoAttempt.state_hash == secret_hash(state),
                SsoAttempt.used_at.is_(None),
                SsoAttempt.created_at > now - ATTEMPT_TTL,
            )
            .values(used_at=now)
            .returning(SsoAttempt)
        )
        if attempt is None:
            raise SsoRefused(field="state", reason="unknown, used or expired")
        if not browser_secret or not secrets.compare_digest(
            secret_hash(browser_secret), attempt.browser_hash
        ):
            raise SsoRefused(field="state", reason="another browser")
        return attempt

    async def user_for(
        self, provider: IdentityProvider, claims: dict[str, Any], now: datetime
    ) -> UserAccount:
        """The account this provider's `sub` is linked to, linking it on the first sign-in."""
        subject = str(claims["sub"])
        # Two first sign-ins of one person at once would both find no link and both open an
        # account: the second waits here for the first to commit, then finds its link.
        await self.session.execute(select(func.pg_advisory_xact_lock(provider.id, func.hashtext(subject))))
        link = await self.session.scalar(
            select(SsoLink)
            .where(SsoLink.provider_id == provider.id, SsoLink.subject == subject)
            .with_for_update()
        )
        if link is not None:
            user = await self.session.get(UserAccount, link.user_id)
            link.last_login_at = now
        else:
            user = await self._match(provider, claims.get(provider.claim))
            self.session.add(
                SsoLink(
                    provider_id=provider.id,
                    subject=subject,
                    user_id=user.id,
                    created_at=now,
                    last_login_at=now,
                )
            )
            await self.session.flush()
            await audit.record(
                self.session, "auth.sso_linked", entity="user_account", entity_id=user.id,
                actor=f"user:{user.id}", data={"provider_id": provider.id},
            )  # fmt: skip
        if user is None or not user.active:
            raise SsoNoAccount
        if set(user.roles) & SECOND_FACTOR_ROLES and not SECOND_FACTOR_AMR & set(claims.get("amr") or ()):
            # Admins need a second factor: the provider must say it checked one.
            raise SsoNoAccount("identity.sso_second_factor")
        return user

    async def _match(self, provider: IdentityProvider, value: Any) -> UserAccount:
        if not isinstance(value, str) or not value:
            raise SsoNoAccount
        if provider.match_by == "username":
            user = await self.session.scalar(select(UserAccount).where(UserAccount.username == value.lower()))
        else:
            student_column = Student.pinfl if provider.match_by == "pinfl" else Student.student_id_number
            # A PINFL is unique among current students only (a graduate may come back).
            student = select(Student.id).where(student_column == value, CURRENT_STUDENT).scalar_subquery()
            staff = select(Employee.id).where(Employee.pinfl == value).scalar_subquery()
            conditions = [UserAccount.student_id == student]
            if provider.match_by == "pinfl":
                conditions.append(UserAccount.employee_id == staff)
            matched = (await self.session.scalars(select(UserAccount).where(or_(*conditions)))).all()
            if len(matched) > 1:
                # A student who is also on the staff has two accounts: which one a sign-in opens
                # must not be the database's row order; the admin settles it (one account, or
                # a provider matching by user name).
                raise SsoNoAccount("identity.sso_ambiguous")
            user = matched[0] if matched else None
            if user is None:
                user = await self._student_account(student_column, value)
        if user is None:
            raise SsoNoAccount
        return user

    async def _student_account(self, column: Any, value: str) -> UserAccount | None:
        """A student's first sign-in opens their account (students have no local password);
        staff accounts, whose roles carry rights, are only ever opened by an admin."""
        student = await self.session.scalar(select(Student).where(column == value, CURRENT_STUDENT))
        if student is None:
            return None
        user = UserAccount(
            username=f"student.{student.student_id_number}".lower(),
            display_name=f"{student.last_name} {student.first_name}",
            roles=[Role.STUDENT.value],
            student_id=student.id,
        )
        self.session.add(user)
        await self.session.flush()
        return user


class IdentityProviderService(CrudService[IdentityProvider]):
    model = IdentityProvider
    personal = frozenset({"client_secret"})  # never in the audit trail in clear

    async def check(
        self, values: dict[str, Any], current: IdentityProvider | None, changed: frozenset[str]
    ) -> None:
        if "discovery_url" in changed:
            url = urlsplit(values["discovery_url"])
            local = url.hostname in {"127.0.0.1", "localhost", "::1"}
            if url.scheme != "https" and not (url.scheme == "http" and local):
                raise BadProviderSetting("identity.sso_https", field="discovery_url")
        if "scopes" in changed and "openid" not in values["scopes"].split():
            raise BadProviderSetting("identity.sso_scopes", field="scopes")

    async def update(self, item_id: int, changes: dict[str, Any]) -> IdentityProvider:
        """Pointing the provider at another issuer or client forgets its `sub` links: a `sub` is
        only unique within one issuer, so an old link must not open an account for a stranger."""
        provider = await super().update(item_id, changes)
        if changes.keys() & {"discovery_url", "client_id"}:
            await self.session.execute(delete(SsoLink).where(SsoLink.provider_id == item_id))
        return provider

    async def listing(self) -> list[IdentityProvider]:
        return list(
            (await self.session.scalars(select(IdentityProvider).order_by(IdentityProvider.id))).all()
        )

    async def active(self) -> list[IdentityProvider]:
        found = await self.session.scalars(
            select(IdentityProvider).where(IdentityProvider.active.is_(True)).order_by(IdentityProvider.id)
        )
        return list(found.all())
