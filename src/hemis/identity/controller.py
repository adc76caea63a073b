"""/api/v1/auth (sign in, sign out) and /api/v1/users (a university's accounts, for its admin)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core import audit
from hemis.core.auth import Forbidden, Principal, Role, provide_principal, requires_role
from hemis.core.deps import provide_service, request_session
from hemis.core.errors import HemisError
from hemis.core.listing import ListParams, PathId, provide_list_params
from hemis.core.schemas import Page, changes, extended, to_read
from hemis.identity.models import UserAccount
from hemis.identity.schemas import (
    IdentityProviderCreate,
    IdentityProviderRead,
    IdentityProviderUpdate,
    LoginCreate,
    PasswordChange,
    PasswordReset,
    SessionRead,
    SsoChoice,
    TotpConfirm,
    TotpEnrolment,
    UserCreate,
    UserCreated,
    UserRead,
    UserUpdate,
)
from hemis.identity.service import (
    AuthService,
)
from hemis.identity.signin import sign_in
from hemis.identity.sso import (
    ATTEMPT_TTL,
    IdentityProviderService,
    SsoClient,
    SsoRefused,
    SsoService,
    local_path,
)
from hemis.identity.totp import provisioning_uri
from hemis.identity.users import UserService

COOKIE = "hemis_session"
ADMINS = requires_role(Role.ADMIN)


def user_view(user: UserAccount) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=list(user.roles),
        active=user.active,
        must_change_password=user.must_change_password,
        second_factor=user.totp_secret is not None,
        employee_id=user.employee_id,
        student_id=user.student_id,
        faculty_id=user.faculty_id,
        created_at=user.created_at,
    )


def created_view(request: Request[Any, Any, Any], user: UserAccount, secret: str | None) -> UserCreated:
    view = user_view(user)
    uri = provisioning_uri(secret, user.username, request.url.hostname or "hemis") if secret else None
    return extended(view, UserCreated, totp_secret=secret, totp_uri=uri)


async def authenticate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Session cookie → the signed-in user, looked up in the request tenant's own schema only."""
    secret = connection.cookies.get(COOKIE)
    tenant = connection.scope.get("state", {}).get("tenant")
    if not secret or tenant is None or cross_site_write(connection):
        return None
    # The request's own session: the idle clock's move (at most once a minute) commits with it.
    return await AuthService(request_session(connection)).principal_for(secret, tenant.code)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_site_write(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """CSRF defence for cookie sessions (OWASP: verify the origin): a browser names the page's
    origin on every cross-origin write; a cookie-carried write from another host signs nobody in.
    Clients that send no Origin (not browsers) carry no ambient cookie risk."""
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return False
    origin = connection.headers.get("origin")
    if origin is None:
        return False
    return urlsplit(origin).netloc.lower() != connection.headers.get("host", "").lower()


async def sign_in_from(
    request: Request[Any, Any, Any], username: str, password: str, code: str | None
) -> tuple[UserAccount, str]:
    """identity.signin.sign_in with what the request tells: its university's sessions and limits,
    the client's address and browser, and the session cookie it already had (which ends)."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
    return await sign_in(
        maker,
        request.app.state.settings.identity,
        username=username,
        password=password,
        code=code or None,
        ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
        replaces=request.cookies.get(COOKIE),
        now=datetime.now(UTC),
    )


async def _side(request: Request[Any, Any, Any], action: str, data: dict[str, Any]) -> None:
    """Write an audit row in its own transaction: it stays even though the request fails."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
    async with maker() as side:
        await audit.record(side, action, entity="user_account", entity_id=None, actor="anonymous", data=data)
        await side.commit()


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Identity"]
    opt = {"tenant_kinds": {"university", "national"}}
    dependencies = {"principal": Provide(provide_principal)}

    @post("/login", operation_id="Login", status_code=200)
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginCreate]
    ) -> Response[SessionRead]:
        """Sign in with a local account (and the TOTP code when the account has a second factor).
        Sets an HttpOnly session cookie; a session the browser already had ends."""
        user, secret = await sign_in_from(request, data.username, data.password, data.totp)
        body = SessionRead(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            roles=list(user.roles),
            must_change_password=user.must_change_password,
        )
        return Response(body, cookies=[session_cookie(request, secret)])

    @post("/password", operation_id="ChangeOwnPassword", status_code=204)
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[PasswordChange],
    ) -> None:
        """Change your own password (required after an admin set it); your other sessions end."""
        if principal.user_id is None:
            raise Forbidden  # API tokens have no password
        await AuthService(db_session).change_password(
            principal.user_id,
            data.current_password,
            data.new_password,
            keep=request.cookies.get(COOKIE),
            now=datetime.now(UTC),
        )

    @post("/totp", operation_id="EnrolSecondFactor", status_code=200)
    async def enrol_totp(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> TotpEnrolment:
        """Start turning on your own second factor (TOTP): add the secret to an authenticator
        app, then confirm with a code from it."""
        if principal.user_id is None:
            raise Forbidden  # API tokens have no second factor
        user, secret = await AuthService(db_session).enrol_second_factor(principal.user_id)
        uri = provisioning_uri(secret, user.username, request.url.hostname or "hemis")
        return TotpEnrolment(totp_secret=secret, totp_uri=uri)

    @post("/totp/confirm", operation_id="ConfirmSecondFactor", status_code=204)
    async def confirm_totp(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[TotpConfirm],
    ) -> None:
        """Turn the second factor on with a code from the app; every sign-in then asks for one."""
        if principal.user_id is None:
            raise Forbidden
        await AuthService(db_session).confirm_second_factor(principal.user_id, data.code)

    @post("/logout", operation_id="Logout", status_code=204)
    async def logout(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Response[None]:
        """End this session on the server and clear the cookie."""
        secret = request.cookies.get(COOKIE)
        if secret:
            await AuthService(db_session).logout(secret, datetime.now(UTC))
        return Response(None, status_code=204, cookies=[Cookie(key=COOKIE, value="", max_age=0, path="/")])


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["Identity"]
    opt = {"tenant_kinds": {"university", "national"}}
    dependencies = {
        "principal": Provide(provide_principal),
        "params": Provide(provide_list_params),
        "users": provide_service(UserService),
    }

    @get(operation_id="ListUsers", guards=[ADMINS])
    async def list_users(
        self, users: NamedDependency[UserService], params: NamedDependency[ListParams]
    ) -> Page[UserRead]:
        """This university's accounts."""
        rows, total = await users.page(params)
        return Page(items=[user_view(u) for u in rows], total=total, limit=params.limit, offset=params.offset)

    @post(operation_id="CreateUser", guards=[ADMINS])
    async def create_user(
        self, request: Request[Any, Any, Any], users: NamedDependency[UserService], data: JSONBody[UserCreate]
    ) -> UserCreated:
        """Open an account with its roles and links; an admin account gets its TOTP secret, shown once."""
        user, secret = await users.open_account(changes(data))
        return created_view(request, user, secret)

    @patch("/{user_id:int}", operation_id="UpdateUser", guards=[ADMINS])
    async def update_user(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        user_id: PathId,
        data: JSONBody[UserUpdate],
    ) -> UserCreated:
        """Change roles, name or faculty, or disable the account (its sessions end). Roles that
        need a second factor bring the account its TOTP secret, shown once."""
        user, secret = await users.change(user_id, changes(data))
        return created_view(request, user, secret)

    @post("/{user_id:int}/password", operation_id="ResetUserPassword", guards=[ADMINS], status_code=200)
    async def reset_password(
        self, users: NamedDependency[UserService], user_id: PathId, data: JSONBody[PasswordReset]
    ) -> UserRead:
        """Set a temporary password (to be changed at the next sign-in); the user's sessions end."""
        return user_view(await users.reset_password(user_id, data.password))

    @post("/{user_id:int}/sessions/end", operation_id="EndUserSessions", guards=[ADMINS], status_code=200)
    async def end_sessions(self, users: NamedDependency[UserService], user_id: PathId) -> dict[str, int]:
        """End every session of the user now."""
        return {"ended": await users.end_sessions(user_id)}


SSO_COOKIE = "hemis_sso"  # binds a started sign-in to the browser that started it


def session_cookie(request: Request[Any, Any, Any], secret: str) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=secret,
        httponly=True,
        samesite="lax",  # cross-site POSTs carry no cookie
        secure=request.url.scheme == "https",
        path="/",
        max_age=None,  # a browser session; the server enforces idle and absolute timeouts
    )


def sso_client(request: Request[Any, Any, Any]) -> SsoClient:
    client: SsoClient = request.app.state.sso_client
    return client


class SsoController(Controller):
    """Single sign-on with the university's own OpenID provider: the browser is sent to
    /start, signs in at the provider, and comes back to /callback with a code."""

    path = "/api/v1/auth/sso"
    tags = ["Identity"]
    opt = {"tenant_kinds": {"university", "national"}}

    @get("/providers", operation_id="ListSignInProviders")
    async def providers(self, db_session: NamedDependency[AsyncSession]) -> list[SsoChoice]:
        """The providers offered on this university's sign-in page."""
        found = await IdentityProviderService(db_session, actor="anonymous").active()
        return [SsoChoice(id=p.id, name=p.name) for p in found]

    @get("/{provider_id:int}/start", operation_id="StartSingleSignOn", status_code=303)
    async def start(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        provider_id: PathId,
        return_to: Annotated[str | None, QueryParameter()] = None,
    ) -> Redirect:
        """Send the browser to the provider (authorization code flow with PKCE, state and nonce)."""
        base = str(request.base_url).rstrip("/")
        started = await SsoService(db_session, sso_client(request)).start(
            provider_id,
            # One redirect URI per university, to register at each of its providers.
            redirect_uri=f"{base}{self.path}/callback",
            return_to=local_path(return_to),
            now=datetime.now(UTC),
        )
        binding = Cookie(
            key=SSO_COOKIE,
            value=started.browser_secret,
            httponly=True,
            samesite="lax",  # sent on the provider's top-level redirect back, not on cross-site posts
            secure=request.url.scheme == "https",
            path="/",
            max_age=int(ATTEMPT_TTL.total_seconds()),
        )
        return Redirect(path=started.url, status_code=303, cookies=[binding])

    @get("/callback", operation_id="FinishSingleSignOn", status_code=303)
    async def callback(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        code: Annotated[str | None, QueryParameter(max_length=2000)] = None,
        # "state" is a name Litestar keeps for the app state.
        sso_state: Annotated[str | None, QueryParameter(name="state", max_length=200)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
        iss: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Redirect:
        """Exchange the provider's code, find the account by the provider's `sub`, start a session."""
        now = datetime.now(UTC)
        ip = request.client.host if request.client else ""
        client = sso_client(request)
        try:
            maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
            async with maker() as side:  # spent at once and for good, whatever happens next
                try:
                    service = SsoService(side, client)
                    attempt = await service.consume(sso_state, request.cookies.get(SSO_COOKIE), now)
                    provider = await service.provider(attempt.provider_id)
                finally:
                    await side.commit()
            if error:
                raise SsoRefused(field="error", reason=error[:100])
            if not code:
                raise SsoRefused(field="code", reason="missing")
            claims = await client.exchange(provider, attempt, code, iss)  # no transaction held meanwhile
            user = await SsoService(db_session, client).user_for(provider, claims, now)
        except HemisError as refused:
            reason = str(refused.params.get("reason", refused.message_key))
            await _side(request, "auth.sso_failed", {"field": refused.field, "reason": reason, "ip": ip})
            raise
        secret = await AuthService(db_session).start_session(
            user,
            replaces=request.cookies.get(COOKIE),
            ip=ip,
            user_agent=request.headers.get("user-agent", ""),
            now=now,
        )
        spent = Cookie(key=SSO_COOKIE, value="", max_age=0, path="/")
        return Redirect(
            path=attempt.return_to, status_code=303, cookies=[session_cookie(request, secret), spent]
        )


class IdentityProviderController(Controller):
    """A university's (or the ministry's) OpenID providers, kept by its admin."""

    path = "/api/v1/identity-providers"
    tags = ["Identity"]
    opt = {"tenant_kinds": {"university", "national"}}
    guards = [ADMINS]
    dependencies = {
        "principal": Provide(provide_principal),
        "providers": provide_service(IdentityProviderService),
    }

    @get(operation_id="ListIdentityProviders")
    async def list_providers(
        self, providers: NamedDependency[IdentityProviderService]
    ) -> list[IdentityProviderRead]:
        return [to_read(p, IdentityProviderRead) for p in await providers.listing()]

    @post(operation_id="CreateIdentityProvider")
    async def create_provider(
        self, providers: NamedDependency[IdentityProviderService], data: JSONBody[IdentityProviderCreate]
    ) -> IdentityProviderRead:
        """Register the provider; the redirect URI to register there is <this site>/api/v1/auth/sso/callback."""
        return to_read(await providers.create(changes(data)), IdentityProviderRead)

    @get("/{provider_id:int}", operation_id="GetIdentityProvider")
    async def get_provider(
        self, providers: NamedDependency[IdentityProviderService], provider_id: PathId
    ) -> IdentityProviderRead:
        return to_read(await providers.get(provider_id), IdentityProviderRead)

    @patch("/{provider_id:int}", operation_id="UpdateIdentityProvider")
    async def update_provider(
        self,
        providers: NamedDependency[IdentityProviderService],
        provider_id: PathId,
        data: JSONBody[IdentityProviderUpdate],
    ) -> IdentityProviderRead:
        return to_read(await providers.update(provider_id, changes(data)), IdentityProviderRead)

    @delete("/{provider_id:int}", operation_id="DeleteIdentityProvider", status_code=204)
    async def delete_provider(
        self, providers: NamedDependency[IdentityProviderService], provider_id: PathId
    ) -> None:
        """Remove the provider with its sub links; its users keep their accounts."""
        await providers.delete(provider_id)
