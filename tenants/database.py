"""Engines and DSNs: the owner DSN runs DDL, the app DSN logs in as the fail-closed app role."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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
    return create_async_engine(
        app_url(settings),
        pool_size=settings.db.pool_size,
        max_overflow=settings.db.max_overflow,
        pool_recycle=settings.db.pool_recycle_seconds,
        pool_pre_ping=True,
        # Error messages must not carry bound values (PINFL, names) into logs or Sentry.
        hide_parameters=True,
        echo=settings.db.echo,
        connect_args=_statement_cache_args(settings.db.statement_cache_size),
    )


def _statement_cache_args(size: int) -> dict[str, int]:
    """0 turns off both SQLAlchemy's and asyncpg's own caches (PgBouncer < 1.21 needs both off)."""
    if size <= 0:
        return {"prepared_statement_cache_size": 0, "statement_cache_size": 0}
    return {"prepared_statement_cache_size": size}
