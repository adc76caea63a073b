"""Tenant-scoped sessions: every transaction switches role and search_path with SET LOCAL.

Why SET LOCAL: it ends with the transaction, so a pooled connection (or a PgBouncer server
connection in transaction mode) never carries one tenant's settings into another's
request. A session-level SET would (django-tenants #545, #732, #1112).
Why it raises: the app role can read nothing by itself, and a session with no tenant and
no explicit shared-only mark must never run SQL "somewhere" (fail closed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from tenants import naming
from tenants.context import TenantMismatchError, TenantNotSetError, TenantRef, current_tenant_or_none

TENANT_KEY = "hemis_tenant"
SHARED_KEY = "hemis_shared_only"
NATIONAL_KEY = "hemis_national_writer"
PREFIX_KEY = "hemis_role_prefix"

# One round trip switches both; the third argument `true` makes each setting local to
# the transaction (the function form of SET LOCAL, which takes bind parameters).
SWITCH = text("SELECT set_config('role', :role, true), set_config('search_path', :path, true)")


class TenantSyncSession(Session):
    """The sync half of every app session; the after_begin listener below is bound to it."""


def scope_settings(session: Session) -> tuple[str, str]:
    """The (role, search_path) the next transaction of this session must run under.

    A session serves one tenant for its whole life: the first transaction pins the
    tenant of the current scope, and a later transaction under another tenant raises,
    because the identity map (same primary keys in every schema) would mix their rows.
    """
    prefix = session.info.get(PREFIX_KEY, "")
    if session.info.get(NATIONAL_KEY):
        return naming.national_role(prefix), naming.NATIONAL_SEARCH_PATH
    if session.info.get(SHARED_KEY):
        return naming.shared_role(prefix), naming.SHARED_SEARCH_PATH
    ambient = current_tenant_or_none()
    pinned: TenantRef | None = session.info.get(TENANT_KEY)
    if pinned is None:
        if ambient is None:
            raise TenantNotSetError("session has no tenant and is not marked shared-only")
        session.info[TENANT_KEY] = pinned = ambient
    elif ambient is not None and ambient != pinned:
        raise TenantMismatchError(f"session of tenant {pinned.code} used under tenant {ambient.code}")
    return naming.tenant_role(pinned.code, prefix), naming.tenant_search_path(pinned.code)


@event.listens_for(TenantSyncSession, "after_begin")
def _switch_tenant(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    # after_begin fires once per connection per outer transaction; SAVEPOINTs inherit the
    # SET LOCAL of their enclosing transaction, so nested transactions need nothing more.
    role, path = scope_settings(session)
    connection.execute(SWITCH, {"role": role, "path": path})


def make_sessionmaker(
    engine: AsyncEngine, role_prefix: str, **kwargs: Any
) -> async_sessionmaker[AsyncSession]:
    naming.validate_prefix(role_prefix)
    return async_sessionmaker(
        engine,
        sync_session_class=TenantSyncSession,
        expire_on_commit=False,
        info={PREFIX_KEY: role_prefix},
        **kwargs,
    )


def tenant_session(maker: async_sessionmaker[AsyncSession], tenant: TenantRef) -> AsyncSession:
    """A session pinned to one tenant, whatever the current context says."""
    session = maker()
    session.info[TENANT_KEY] = tenant
    return session


def shared_session(maker: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A session for platform tables only (registry, classifiers); sees no tenant schema."""
    session = maker()
    session.info[SHARED_KEY] = True
    return session


def national_session(maker: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A session of the roll-up worker writing schema national; sees no tenant schema."""
    session = maker()
    session.info[NATIONAL_KEY] = True
    return session
