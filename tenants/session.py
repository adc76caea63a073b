"""Tenant-scoped sessions: every transaction switches role and search_path with SET LOCAL.

Why SET LOCAL: it ends with the transaction, so a pooled connection (or a PgBouncer server
connection in transaction mode) never carries one tenant's settings into another's
request. A session-level SET would (django-tenants #545, #732, #1112).
Why it raises: the app role can read nothing by itself, and a session with no tenant and
no explicit shared-only mark must never run SQL "somewhere" (fail closed).
Why BEGIN and the switch go in one round trip (asyncpg): every request paid a BEGIN and then
the switch as two statements; sent together they are one message and one answer, and the
switch skips SQLAlchemy's statement execution (bench/README.md, payment webhooks).
"""

from __future__ import annotations

from typing import Any, NoReturn

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

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
    if not _begin_switched(connection, role, path):
        connection.execute(SWITCH, {"role": role, "path": path})


# SQLAlchemy's asyncpg adapter sends BEGIN itself, lazily, before the first statement of a
# transaction, with these options (as asyncpg's Transaction.start builds it).
_ISOLATION = {
    None: "",
    "read_committed": " ISOLATION LEVEL READ COMMITTED",
    "read_uncommitted": " ISOLATION LEVEL READ UNCOMMITTED",
    "repeatable_read": " ISOLATION LEVEL REPEATABLE READ",
    "serializable": " ISOLATION LEVEL SERIALIZABLE",
}


class _Begun:
    """The adapter's handle on a transaction begun here: it ends it with COMMIT or ROLLBACK
    (what asyncpg's Transaction sends), and nothing else of the adapter needs more."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver

    async def commit(self) -> None:
        await self._driver.execute("COMMIT;")

    async def rollback(self) -> None:
        await self._driver.execute("ROLLBACK;")


def _literal(value: str) -> str:
    """A string literal of an already validated role name or search path (letters, digits, _ , space)."""
    if not all(c.isascii() and (c.isalnum() or c in "_, ") for c in value):
        raise naming.InvalidIdentifierError(f"refusing to quote {value!r}")
    return f"'{value}'"


def _begin_switched(connection: Connection, role: str, path: str) -> bool:
    """BEGIN and the switch in one simple-query message, when SQLAlchemy's asyncpg adapter has
    not begun this transaction yet (anything else: False, and the caller runs SWITCH)."""
    adapter = connection.connection.dbapi_connection
    if not isinstance(adapter, AsyncAdapt_asyncpg_connection) or adapter._transaction is not None:
        return False
    if adapter.isolation_level == "autocommit" or adapter.isolation_level not in _ISOLATION:
        return False
    begin = "BEGIN" + _ISOLATION[adapter.isolation_level]
    begin += " READ ONLY" if adapter.readonly else ""
    begin += " DEFERRABLE" if adapter.deferrable else ""
    switch = f"SELECT set_config('role', {_literal(role)}, true), set_config('search_path', {_literal(path)}, true)"
    sql = f"{begin}; {switch};"
    driver = adapter._connection
    # Registered before the round trip: if the switch fails, the transaction is open (aborted)
    # and the adapter must roll it back when the connection goes back to the pool.
    adapter._transaction = _Begun(driver)
    try:
        await_only(driver.execute(sql))
    except Exception as error:  # noqa: BLE001 - always raised again, as SQLAlchemy's error
        _raise_as_sqlalchemy(connection, adapter, sql, error)
    return True


def _raise_as_sqlalchemy(
    connection: Connection, adapter: AsyncAdapt_asyncpg_connection, sql: str, error: Exception
) -> NoReturn:
    """The error as SQLAlchemy raises a statement's (DBAPIError with its SQLSTATE), the
    connection invalidated if it is gone, as Connection.execute would have done."""
    try:
        adapter._handle_exception(error)  # the adapter's DBAPI error for a driver's (else `error`)
    except adapter.dbapi.Error as dbapi_error:
        if connection.dialect.is_disconnect(dbapi_error, connection.connection.dbapi_connection, None):
            connection.invalidate(dbapi_error)
        raise DBAPIError.instance(
            sql, None, dbapi_error, adapter.dbapi.Error, hide_parameters=True, dialect=connection.dialect
        ) from error
    raise AssertionError("unreachable: _handle_exception always raises")


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
