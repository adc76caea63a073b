"""Who is calling: the Principal, roles, and the requires_role() guard every handler declares.

Principals come from authenticators registered on the app (today: tenant API tokens in
hemis.access; single sign-on joins with the identity issue). A principal always belongs
to one tenant, and the guard refuses it anywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from litestar import Request
from litestar.background_tasks import BackgroundTask
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from hemis.core.errors import HemisError


class Role(StrEnum):
    ADMIN = "admin"  # the university's system administrator
    REGISTRAR = "registrar"  # registrar's office (o'quv bo'limi): contingent, curricula
    DEAN = "dean"  # dean's office of a faculty
    TEACHER = "teacher"
    TUTOR = "tutor"  # a group's curator (kurator/tyutor): follows their groups' students
    ACCOUNTANT = "accountant"
    STUDENT = "student"
    INTEGRATION = "integration"  # machine clients (HEMIS "API User")
    ANALYST = "analyst"  # the ministry's analysts (vazirlik tahlilchisi): national figures, read only
    GUARDIAN = "guardian"  # a parent (ota-ona, vasiy): linked students' marks and attendance, read only


# The roles of the ministry's (national) tenant: its admins, its analysts, its machine clients.
MINISTRY_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.INTEGRATION})


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_code: str
    subject: str  # stable id of the caller ("token:<id>", "user:<id>")
    roles: frozenset[Role]
    # A signed-in person's links, which scope what they see (None for machine tokens).
    user_id: int | None = None
    employee_id: int | None = None
    student_id: int | None = None
    faculty_id: int | None = None
    # Platform support staff under a grant: may read what the handler's roles may read, never write.
    read_only: bool = False
    # A session cookie's absolute end: what is kept for this principal is kept no longer.
    session_ends_at: datetime | None = None

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


class Unauthenticated(HemisError):
    status_code = 401
    message_key = "error.unauthorized"


class Forbidden(HemisError):
    status_code = 403
    message_key = "error.forbidden"


SAFE_METHODS = frozenset({"GET", "HEAD"})
# Everybody of a university but guardians: parents read their linked children's marks and
# attendance (hemis.identity.scope), not the university's structure, curricula or timetables.
MEMBERS = tuple(role for role in Role if role is not Role.GUARDIAN)
STAFF_READERS = frozenset({Role.REGISTRAR, Role.DEAN, Role.TEACHER, Role.INTEGRATION})
Authenticator = Callable[[ASGIConnection[Any, Any, Any, Any]], Awaitable[Principal | None]]
_PRINCIPAL_KEY = "hemis_principal"


async def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller, authenticated once per request by the app's authenticators; 401 if nobody."""
    state = connection.scope.setdefault("state", {})
    if _PRINCIPAL_KEY not in state:
        principal = None
        for authenticate in connection.app.state.get("authenticators", ()):
            if (principal := await authenticate(connection)) is not None:
                break
        state[_PRINCIPAL_KEY] = principal
    found: Principal | None = state[_PRINCIPAL_KEY]
    if found is None:
        raise Unauthenticated
    # Authenticators look credentials up in the request tenant's own schema, so a token of
    # another university is simply not found; this check keeps any future authenticator honest.
    tenant = state.get("tenant")
    if tenant is None or tenant.code != found.tenant_code:
        raise Unauthenticated
    if found.read_only and connection.scope.get("method") not in SAFE_METHODS:
        raise Forbidden  # support staff read; they never write, whatever the handler declares
    return found


def requires_role(
    *roles: Role,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """Guard: an authenticated principal of this tenant with at least one of `roles`."""
    wanted = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await current_principal(connection)
        if principal.read_only:
            # Support staff read what the university's staff may read; never the admin's own
            # screens (accounts, tokens, identity providers, support records), never a write.
            if connection.scope.get("method") not in SAFE_METHODS or not wanted & STAFF_READERS:
                raise Forbidden
            return
        if not principal.has_any(wanted):
            raise Forbidden

    return guard


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return await current_principal(request)


def denial_audit(request: Request[Any, Any, Any]) -> BackgroundTask | None:
    """A permission denial of a known caller, written to the audit trail after the response
    (in a transaction of its own: the request's own transaction has rolled back)."""
    principal = request.scope.get("state", {}).get(_PRINCIPAL_KEY)
    if principal is None:
        return None
    maker = request.app.state.session_maker
    return BackgroundTask(_record_denial, maker, principal.subject, request.method, request.url.path)


async def _record_denial(maker: Any, subject: str, method: str, path: str) -> None:
    from hemis.core import audit

    async with maker() as session:  # the request's tenant is still the current one
        await audit.record(
            session,
            "auth.denied",
            entity="request",
            entity_id=None,
            actor=subject,
            data={"method": method, "path": path},
        )
        await session.commit()
