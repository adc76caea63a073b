"""The admin console: one piccolo-admin for every tenant, built on first use, signed in with
hemis's own sessions; each request runs as its tenant on that tenant's pool (a bounded LRU).

- Identity: no second user table. The console's private API accepts the `hemis_session`
  cookie of this university's admins only (the same sessions as /api/v1/auth/login or SSO);
  piccolo's own login is not used yet (sign in first, then open /admin/).
- Scope: the console's tables carry no schema and run on the current tenant's pool, whose
  connections are the tenant's role with its search_path (admin.engine), so even a bug here
  cannot reach another university's rows.
- Shared: piccolo-admin's app (FastAPI routes, pydantic models, Piccolo tables: ~12 MB of
  Python objects) is built once. Built per tenant it was never freed: FastAPI's callable
  caches and Piccolo's TABLE_REGISTRY keep process-wide references to it. Only pools (and
  the tenant context) are per tenant.
- Read-only: tables whose rules live in services (marks, sheets, history, students, orders)
  refuse every write; tables holding secrets (sessions, tokens, password hashes, identity
  provider secrets) are not in the console at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import asgi
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_admin.version import __VERSION__ as PICCOLO_ADMIN_VERSION
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
from starlette.types import ASGIApp, Receive, Scope, Send

from admin.audience import UNIVERSITY, AdminPerson, Audience
from admin.binding import bind
from admin.engine import TenantPools, close_pool
from admin.i18n import TRANSLATIONS
from admin.labels import RememberLanguage, RewriteJson, localise
from admin.login import HemisLogin, HemisLogout, StaffLogin, StaffLogout
from admin.ministry import MinistryConsole, StaffConsoleBackend
from admin.writes import ServiceWrites
from hemis.config import Settings
from hemis.core.auth import Role
from hemis.identity.models import UserAccount
from hemis.identity.service import AuthService
from tenants.context import TenantKind, TenantRef, current_tenant, tenant_scope
from tenants.session import tenant_session

SESSION_COOKIE = "hemis_session"  # hemis.identity.controller.COOKIE (not imported: no cycle)

# Menu groups by bounded context; a table not named here is not in the console. The keys are ids:
# the menu shows their names in the person's language (admin.labels, [group] of its catalogs).
EDITABLE = {
    "structure": ("department", "building", "auditorium"),
    "curricula": ("specialty", "subject", "curriculum", "curriculum_subject", "curriculum_week"),
    "grading": ("grading_scale",),
    "finance": ("fee_structure", "fee_discount", "instalment_plan"),
}
READ_ONLY = {
    "students": ("academic_group", "student", "student_status_change", "elective_choice"),
    "staff": ("employee", "teaching_assignment"),
    "grading": ("mark_sheet", "mark", "mark_change_request", "grade_event", "absence"),
    # Contracts and money change only through the finance services (numbering, ledger, audit).
    "finance": (
        "contract",
        "contract_instalment",
        "ledger_entry",
        "payment_event",
        "stripe_checkout",
        "payme_transaction",
    ),
    # Payrolls are computed and approved by the stipends service; rules and assignments change
    # money, so they are written through the API only (audited, checked) too.
    "stipends": ("stipend_rule", "stipend_assignment", "stipend_run", "stipend_line"),
    # Lessons are saved through the timetable API only: every save is checked for clashes there.
    "timetable": ("lesson_pair", "lesson", "lesson_group"),
    "system": ("audit_event", "support_access"),
}


class HemisSessionBackend(AuthenticationBackend):
    """The current university's admins, by their hemis session cookie; anyone else is refused."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        secret = conn.cookies.get(SESSION_COOKIE)
        if not secret:
            raise AuthenticationError("not signed in")
        tenant = current_tenant()
        async with tenant_session(self.maker, tenant) as session:
            principal = await AuthService(session).principal_for(secret, tenant.code)
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


async def _site_meta(scope: Scope, receive: Receive, send: Send, prefix: str = "hemis") -> None:
    """piccolo-admin's public /meta/ (the name its page shows), naming the current university."""
    site = {
        "piccolo_admin_version": PICCOLO_ADMIN_VERSION,
        "site_name": f"{prefix} · {current_tenant().code}",
    }
    await JSONResponse(site)(scope, receive, send)


async def _staff_site_meta(scope: Scope, receive: Receive, send: Send) -> None:
    await _site_meta(scope, receive, send, prefix="VAZIRLIK")


class AdminSites:
    """One console for every tenant, built on first use; each tenant's queries run on its own
    pool, at most `max_open` open (LRU: the least recently used one is closed)."""

    def __init__(
        self, settings: Settings, maker: async_sessionmaker[AsyncSession], max_open: int = 32
    ) -> None:
        self.settings = settings
        self.maker = maker
        self.pools = TenantPools(settings, max_open)
        # One console per audience for the whole process (see the module's docstring).
        self._consoles: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    @property
    def open_codes(self) -> list[str]:
        """The tenants whose pools are open, least recently used first."""
        return self.pools.open_codes

    @asynccontextmanager
    async def serving(self, tenant: TenantRef, audience: Audience = UNIVERSITY) -> AsyncIterator[Any]:
        """The console of `audience`, with `tenant`'s pool open for as long as the block runs
        (it is not evicted under a running request). The console serves the current tenant of
        tenants.context: run it inside `tenant_scope(tenant)`."""
        async with self._lock:  # opening pools is rare; one at a time keeps the bound exact
            if audience.name not in self._consoles:
                self._consoles[audience.name] = self._build(audience)
            console = self._consoles[audience.name]
            evicted = await self.pools.lease(tenant.code)
        try:
            for engine in evicted:  # outside the lock: other tenants' requests go on meanwhile
                await close_pool(engine)
            yield console
        finally:
            self.pools.release(tenant.code)

    async def close(self) -> None:
        async with self._lock:
            await self.pools.close()

    def _build(self, audience: Audience) -> Any:
        tables = bind(self.pools)
        staff = audience is not UNIVERSITY
        router = create_admin(
            table_configs(tables, audience.hidden),
            site_name="hemis",  # the page's title comes from _site_meta, per university
            production=not self.settings.debug,
            auto_include_related=False,
            default_language_code="uz",
            translations=TRANSLATIONS,
            read_only=audience.read_only,
        )
        app = _use_hemis(
            router,
            StaffConsoleBackend() if staff else HemisSessionBackend(self.maker),
            lambda inner: ServiceWrites(inner, self.maker, tables),
            {
                "/login": StaffLogin(self.maker, self.settings.identity)
                if staff
                else HemisLogin(self.maker, self.settings.identity),
                "/logout/": StaffLogout(self.maker) if staff else HemisLogout(self.maker),
                "/meta/": _staff_site_meta if staff else _site_meta,
            },
        )
        return app


def _use_hemis(router: Any, backend: AuthenticationBackend, writes: Any, public: dict[str, Any]) -> ASGIApp:
    """Swap piccolo's session check on the private API for ours, put the service-backed writes
    between it and piccolo's CRUD, answer the public routes named in `public` (login form,
    logout, site name) with ours, and speak the person's language in the API's labels (behind
    the same check: no schema without sign-in). The console is returned wrapped so that the
    language its page picks is remembered."""
    swapped = set()
    for route in router.routes:
        if not isinstance(route, Mount):
            continue
        if route.path == "/api" and (inner := getattr(route.app, "app", None)) is not None:
            route.app = AuthenticationMiddleware(
                writes(RewriteJson(inner, localise)), backend=backend, on_error=_auth_failed
            )
            swapped.add("/api")
        elif route.path == "/public":
            for sub in getattr(route.app, "routes", []):
                if isinstance(sub, Mount | Route) and sub.path in public:
                    sub.app = public[sub.path]
                    swapped.add(sub.path)
    if swapped != {"/api", *public}:
        raise RuntimeError(f"piccolo-admin's layout changed (found {swapped}): check admin.app")
    return RememberLanguage(router)


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
    full = root + scope["path"]
    # TenantMiddleware has set this tenant already; set here too, the pool opened and the
    # tenant the console serves are visibly the same one.
    with tenant_scope(tenant):
        async with sites.serving(tenant) as app:
            await app({**scope, "root_path": root, "path": full, "raw_path": full.encode()}, receive, send)
