"""create_app(): the Litestar app wrapped in the tenancy edge. No work happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.app import AdminSites
from hemis import __version__
from hemis.access.service import authenticate_token
from hemis.api import ROUTES
from hemis.config import Settings, get_settings
from hemis.core.deps import provide_language
from hemis.core.embedded import ensure_database_url
from hemis.core.errors import handle_exception
from hemis.core.observability import configure_logging, init_sentry
from hemis.identity.controller import authenticate_session
from hemis.identity.sso import SsoClient
from hemis.notifications.jobs import PushSender
from hemis.portal.page_cache import PageCache
from hemis.portal.pages import TEMPLATES as PORTAL_TEMPLATES
from hemis.reporting.cache import FiguresCache
from hemis.reporting.pages import TEMPLATES
from hemis.rollups.worker import RollupWorker
from hemis.support.controller import authenticate_support
from hemis.timetable.pages import TEMPLATES as TIMETABLE_TEMPLATES
from tenants.database import app_engine, app_url
from tenants.guards import tenant_kind_guard
from tenants.middleware import TenantEdge
from tenants.resolver import TenantResolver
from tenants.session import make_sessionmaker


class HemisApp:
    """The ASGI entry point: the tenancy edge in front of Litestar, plus handles tests need."""

    def __init__(
        self, litestar: Litestar, edge: TenantEdge, resolver: TenantResolver, engine: AsyncEngine
    ) -> None:
        self.litestar = litestar
        self.edge = edge
        self.resolver = resolver
        self.engine = engine

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.edge(scope, receive, send)


def create_app(settings: Settings | None = None, **overrides: Any) -> HemisApp:
    settings = ensure_database_url(settings or get_settings())
    configure_logging(settings.log_level, settings.log_json)
    init_sentry(settings.sentry.dsn, settings.sentry.environment, settings.sentry.traces_sample_rate)
    engine = app_engine(settings)
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    db = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_maker=maker,
        before_send_handler="autocommit_include_redirects",  # a 303 after SSO start or sign-in commits too
        set_default_exception_handler=False,
    )
    resolver = TenantResolver(maker, settings.tenancy.resolver_cache_seconds)

    sso = SsoClient(allowed_networks=settings.identity.sso_allowed_networks)
    admin_sites = AdminSites(settings, maker, settings.admin_max_open)

    rollups: list[asyncio.Task[None]] = []  # and the web push sender: background loops to cancel
    # With one listening connection per process: which universities changed (hemis.core.changes).
    portal = settings.portal
    pages = PageCache(app_url(settings), size=portal.page_cache_size, seconds=portal.page_cache_seconds)
    feed = pages.feed

    async def start_rollups() -> None:
        if feed is not None:
            feed.start()
        if settings.rollups.in_process:
            worker = RollupWorker(engine, settings.tenancy.role_prefix)
            rollups.append(
                asyncio.create_task(
                    worker.run_forever(
                        interval=settings.rollups.interval_seconds, parallel=settings.rollups.parallel
                    )
                )
            )
        if settings.push.in_process and settings.push.vapid_private_key:
            sender = PushSender(engine, settings.tenancy.role_prefix, settings.push)
            rollups.append(asyncio.create_task(sender.run_forever(interval=settings.push.interval_seconds)))

    async def dispose_engine() -> None:
        if feed is not None:
            await feed.stop()
        for task in rollups:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await admin_sites.close()
        await sso.close()
        await engine.dispose()

    litestar = Litestar(
        route_handlers=ROUTES,
        plugins=[SQLAlchemyPlugin(config=db)],
        guards=[tenant_kind_guard],
        dependencies={"language": Provide(provide_language)},
        exception_handlers={Exception: handle_exception},
        openapi_config=OpenAPIConfig(
            title="hemis",
            version=__version__,
            path="/api/docs",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        # Server-rendered pages (the dashboards, the portal, the printable timetable); Jinja escapes
        # every value unless marked safe.
        template_config=TemplateConfig(
            directory=[TEMPLATES, PORTAL_TEMPLATES, TIMETABLE_TEMPLATES], engine=JinjaTemplateEngine
        ),
        state=None,
        on_startup=[start_rollups],
        on_shutdown=[dispose_engine],
        before_send=[pages.before_send],
        debug=settings.debug,
        **overrides,
    )
    litestar.state.session_maker = maker
    litestar.state.db_config = db
    litestar.state.settings = settings
    litestar.state.resolver = resolver
    litestar.state.sso_client = sso
    litestar.state.admin_sites = admin_sites
    litestar.state.figures_cache = FiguresCache(settings.reporting.cache_seconds)
    litestar.state.page_cache = pages
    # Cheapest test first: each looks at its own credential's prefix and passes on the rest.
    litestar.state.authenticators = (authenticate_support, authenticate_token, authenticate_session)
    edge = TenantEdge(litestar, resolver, settings.tenancy.platform_hosts, settings.tenancy.subfolder_routing)
    return HemisApp(litestar, edge, resolver, engine)
