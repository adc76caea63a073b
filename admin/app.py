"""The admin console per tenant: piccolo-admin over the tenant's bound tables, signed in with
hemis's own sessions, built on first use and kept in a bounded LRU.

- Identity: no second user table. The console's private API accepts the `hemis_session`
  cookie of this university's admins only (the same sessions as /api/v1/auth/login or SSO);
  piccolo's own login is not used yet (sign in first, then open /admin/).
- Scope: the console's tables are bound to the tenant's schema and run on a pool whose
  connections are the tenant's role (admin.engine), so even a bug here cannot reach another
  university's rows.
- Read-only: tables whose rules live in services (marks, sheets, history, students, orders)
  refuse every write; tables holding secrets (sessions, tokens, password hashes, identity
  provider secrets) are not in the console at all.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from litestar import asgi
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.endpoints import PiccoloCRUD
from piccolo_api.crud.validators import Validators
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.exceptions import HTTPException
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from admin.audience import UNIVERSITY, AdminPerson, Audience
from admin.binding import bind
from admin.engine import close_pool, open_pool, tenant_engine
from admin.i18n import TRANSLATIONS
from admin.login import HemisLogin, HemisLogout, StaffLogin, StaffLogout
from admin.ministry import MinistryConsole, StaffConsoleBackend
from admin.writes import ServiceWrites
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.identity.models import UserAccount
from hemis.identity.service import AuthService
from tenants.context import TenantKind, TenantRef
from tenants.session import tenant_session

SESSION_COOKIE = "hemis_session"  # hemis.identity.controller.COOKIE (not imported: no cycle)

# Menu groups by bounded context; a table not named here is not in the console.
EDITABLE = {
    "Tuzilma": ("department", "building", "auditorium"),
    "O'quv rejalar": ("specialty", "subject", "curriculum", "curriculum_subject", "curriculum_week"),
    "Baholash": ("grading_scale",),
}
READ_ONLY = {
    "Talabalar": ("academic_group", "student", "student_status_change", "elective_choice"),
    "Xodimlar": ("employee", "teaching_assignment"),
    "Baholash": ("mark_sheet", "mark", "mark_change_request", "grade_event", "absence"),
    # Payrolls are computed and approved by the stipends service; rules and assignments change
    # money, so they are written through the API only (audited, checked) too.
    "Stipendiyalar": ("stipend_rule", "stipend_assignment", "stipend_run", "stipend_line"),
    "Tizim": ("audit_event", "support_access"),
}


class HemisSessionBackend(AuthenticationBackend):
    """This university's admins, by their hemis session cookie; anyone else is refused."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], tenant: TenantRef) -> None:
        self.maker = maker
        self.tenant = tenant

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        secret = conn.cookies.get(SESSION_COOKIE)
        if not secret:
            raise AuthenticationError("not signed in")
        async with tenant_session(self.maker, self.tenant) as session:
            principal = await AuthService(session).principal_for(secret, self.tenant.code)
            account = (
                await session.scalar(select(UserAccount).where(UserAccount.id == principal.user_id))
                if principal is not None and Role.ADMIN in principal.roles
                else None
            )
            await session.commit()  # the session's idle clock
        if account is None:
            raise AuthenticationError("not an admin of this university")
        person = AdminPerson(account.id, account.username, actor=f"user:{account.id}")
        return AuthCredentials(["authenticated"]), person


def _refuse(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    raise HTTPException(status_code=405, detail="Bu jadval faqat o'qish uchun: o'zgartirish API orqali.")


READ_ONLY_VALIDATORS = Validators(
    put_single=[_refuse],
    patch_single=[_refuse],
    delete_single=[_refuse],
    post_single=[_refuse],
    delete_all=[_refuse],
)


def table_configs(tables: dict[str, type[Table]], hidden: frozenset[str] = frozenset()) -> list[TableConfig]:
    configs = []
    for group, names in EDITABLE.items():
        configs += [
            TableConfig(
                tables[name],
                menu_group=group,
                # admin.writes takes every write first; this only backs it up.
                validators=READ_ONLY_VALIDATORS,
                exclude_visible_columns=[tables[name].created_at, tables[name].updated_at],  # type: ignore[attr-defined]
            )
            for name in names
            if name not in hidden
        ]
    for group, names in READ_ONLY.items():
        configs += [
            TableConfig(tables[name], menu_group=group, validators=READ_ONLY_VALIDATORS)
            for name in names
            if name not in hidden
        ]
    return configs


def _auth_failed(conn: HTTPConnection, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "Auth failed"}, status_code=401)


@dataclass
class _Open:
    engine: PostgresEngine
    app: Any


class AdminSites:
    """One console per tenant, built on first use; at most `max_open` stay open (LRU)."""

    def __init__(
        self, settings: Settings, maker: async_sessionmaker[AsyncSession], max_open: int = 32
    ) -> None:
        self.settings = settings
        self.maker = maker
        self.max_open = max_open
        self._open: OrderedDict[str, _Open] = OrderedDict()
        self._lock = asyncio.Lock()

    @property
    def open_keys(self) -> list[str]:
        """ "<audience>:<tenant code>" of each console open, least recently used first."""
        return list(self._open)

    async def app_for(self, tenant: TenantRef, audience: Audience = UNIVERSITY) -> Any:
        key = f"{audience.name}:{tenant.code}"
        async with self._lock:  # builds are rare; one at a time keeps the bound exact
            found = self._open.get(key)
            if found is None:
                found = self._open[key] = await self._build(tenant, audience)
                while len(self._open) > self.max_open:
                    _, evicted = self._open.popitem(last=False)
                    await close_pool(evicted.engine)
            self._open.move_to_end(key)
            return found.app

    async def close(self) -> None:
        async with self._lock:
            while self._open:
                await close_pool(self._open.popitem()[1].engine)

    async def _build(self, tenant: TenantRef, audience: Audience) -> _Open:
        engine = tenant_engine(self.settings, tenant.code)
        await open_pool(engine)
        tables = bind(tenant.code, engine)
        staff = audience is not UNIVERSITY
        router = create_admin(
            table_configs(tables, audience.hidden),
            site_name=f"{'VAZIRLIK' if staff else 'hemis'} · {tenant.code}",
            production=not self.settings.debug,
            auto_include_related=False,
            default_language_code="uz",
            translations=TRANSLATIONS,
            read_only=audience.read_only,
        )
        _use_hemis(
            router,
            StaffConsoleBackend() if staff else HemisSessionBackend(self.maker, tenant),
            lambda inner: ServiceWrites(inner, self.maker, tenant, tables),
            StaffLogin(self.maker, self.settings.identity)
            if staff
            else HemisLogin(self.maker, tenant, self.settings.identity),
            StaffLogout(self.maker) if staff else HemisLogout(self.maker, tenant),
        )
        return _Open(engine=engine, app=router)


def _use_hemis(router: Any, backend: AuthenticationBackend, writes: Any, login: Any, logout: Any) -> None:
    """Swap piccolo's session check on the private API for ours, put the service-backed writes
    between it and piccolo's CRUD, and answer the login form with hemis's sign-in."""
    swapped = set()
    for route in router.routes:
        if not isinstance(route, Mount):
            continue
        if route.path == "/api" and (inner := getattr(route.app, "app", None)) is not None:
            route.app = AuthenticationMiddleware(writes(inner), backend=backend, on_error=_auth_failed)
            swapped.add("api")
        elif route.path == "/public":
            for sub in getattr(route.app, "routes", []):
                if isinstance(sub, Mount) and sub.path == "/login":
                    sub.app = login
                    swapped.add("login")
                elif isinstance(sub, Route) and sub.path == "/logout/":
                    sub.app = logout
                    swapped.add("logout")
    if swapped != {"api", "login", "logout"}:
        raise RuntimeError(f"piccolo-admin's layout changed (found {swapped}): check admin.app")


@asgi(
    "/admin",
    is_mount=True,
    copy_scope=True,
    opt={"tenant_kinds": {"university", "national"}},
    include_in_schema=False,
)
async def admin_console(scope: Any, receive: Any, send: Any) -> None:
    """/admin/ on a university's host (or /t/<code>/admin/): that university's console only.
    On the national host: the ministry console, where platform staff pick a university."""
    sites: AdminSites = scope["litestar_app"].state.admin_sites
    tenant: TenantRef = scope["state"]["tenant"]
    # Litestar hands a mount the path below it; Starlette (ASGI spec) wants the full path with
    # the mount's prefix in root_path.
    root = scope.get("root_path", "") + "/admin"
    if tenant.kind == TenantKind.NATIONAL:
        await MinistryConsole(sites, scope["litestar_app"].state.resolver)(root, scope, receive, send)
        return
    app = await sites.app_for(tenant)
    full = root + scope["path"]
    await app({**scope, "root_path": root, "path": full, "raw_path": full.encode()}, receive, send)
