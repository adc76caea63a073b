"""Engines and DSNs: the owner DSN runs DDL, the app DSN logs in as the fail-closed app role."""

from __future__ import annotations

from time import monotonic
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from hemis.config import Settings
from tenants import naming


def async_url(url: str) -> str:
    """postgresql://... as given by hosts and pgserver → the asyncpg driver URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def app_url(settings: Settings) -> str:
    parsed = make_url(async_url(settings.db.url))
    return parsed.set(
        username=naming.app_role(settings.tenancy.role_prefix), password=settings.db.app_password
    ).render_as_string(hide_password=False)


def owner_engine(settings: Settings, **kwargs: object) -> AsyncEngine:
    """The migration/provisioning engine (schema owner); never used to serve a request."""
    return create_async_engine(async_url(settings.db.url), pool_pre_ping=True, hide_parameters=True, **kwargs)


def app_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        app_url(settings),
        pool_size=settings.db.pool_size,
        max_overflow=settings.db.max_overflow,
        pool_recycle=settings.db.pool_recycle_seconds,
        # Not pool_pre_ping: see check_liveness_at_checkout.
        # Error messages must not carry bound values (PINFL, names) into logs or Sentry.
        hide_parameters=True,
        echo=settings.db.echo,
        connect_args=_statement_cache_args(settings.db.statement_cache_size),
    )
    check_liveness_at_checkout(engine, settings.db.ping_after_idle_seconds)
    return engine


CHECKED_IN_AT = "hemis_checked_in_at"


def check_liveness_at_checkout(engine: AsyncEngine, ping_after_idle_seconds: float) -> None:
    """Hand out only live connections, without a round trip on every checkout.

    pool_pre_ping costs three round trips (BEGIN, `;`, ROLLBACK) per checkout: 2.3 PostgreSQL
    transactions per "my grades" request instead of 1 (bench/README.md). A backend that was
    terminated (pg_terminate_backend, a restart, an idle timeout) closes its socket, and asyncpg
    marks the connection closed as soon as the event loop reads that, so asking the driver is
    free and catches those. Only a connection idle for longer than `ping_after_idle_seconds`
    (where a silently dropped TCP path is possible) pays for a real ping. Raising
    DisconnectionError makes the pool discard the connection and check out another.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _stamp(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[CHECKED_IN_AT] = monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("connection closed while idle in the pool")
        idle_since = record.info.get(CHECKED_IN_AT)
        if idle_since is not None and monotonic() - idle_since > ping_after_idle_seconds:
            try:
                sync_engine.dialect.do_ping(dbapi_connection)
            except Exception as error:  # any failure means: do not hand this one out
                raise DisconnectionError("connection failed its ping after idling") from error


def _statement_cache_args(size: int) -> dict[str, int]:
    """0 turns off both SQLAlchemy's and asyncpg's own caches (PgBouncer < 1.21 needs both off)."""
    if size <= 0:
        return {"prepared_statement_cache_size": 0, "statement_cache_size": 0}
    return {"prepared_statement_cache_size": size}
