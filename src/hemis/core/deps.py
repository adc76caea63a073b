"""Request dependencies shared by every context: the shared-only session and the language."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hemis.core.errors import language_of
from tenants.session import shared_session


async def provide_shared_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """Read-only platform data (classifiers, registry) on any host, tenant or not."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.session_maker
    async with shared_session(maker) as session:
        yield session


async def provide_language(request: Request[Any, Any, Any]) -> str:
    return language_of(request)


def provide_service(service: type[Any]) -> Provide:
    """A dependency building `service(session, actor=<caller>)` for this request's tenant session;
    services that scope what a person may touch also take `principal=`."""
    from hemis.core.auth import Principal

    scoped = "principal" in inspect.signature(service.__init__).parameters

    async def provide(db_session: AsyncSession, principal: Principal) -> Any:
        if scoped:
            return service(db_session, actor=principal.subject, principal=principal)
        return service(db_session, actor=principal.subject)

    # Real (not string) annotations, marked as named dependencies, so Litestar needs no guessing.
    provide.__annotations__ = {
        "db_session": NamedDependency[AsyncSession],
        "principal": NamedDependency[Principal],
        "return": service,
    }
    return Provide(provide)


def request_session(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    """The request's own tenant session (the one handlers get as `db_session`), created now if
    it does not exist yet. Authenticators use it, so signing a caller in and answering them is
    one transaction: no second connection checkout, BEGIN, SWITCH and ROLLBACK per request."""
    config = connection.app.state.db_config
    session: AsyncSession = config.provide_session(connection.app.state, connection.scope)
    return session
