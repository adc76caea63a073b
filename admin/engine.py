"""A Piccolo engine per tenant: every connection logs in as the app role and starts as the
tenant's role with the tenant's search_path (connection startup parameters); and the one
engine the console's tables are bound to, which runs each query on the current tenant's.

Why per tenant and at connection level: Piccolo has no per-transaction hook for the
`SET LOCAL` the API uses, so each admin tenant gets its own small pool whose connections
never serve another tenant. PostgreSQL then enforces isolation exactly as for the API: the
tenant role can read its own schema (and `ref`) only.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import AsyncBatch, Atomic, PostgresEngine, PostgresTransaction
from piccolo.query.base import Query
from piccolo.querystring import QueryString
from sqlalchemy.engine import make_url

from hemis.config import Settings
from tenants import naming
from tenants.context import current_tenant
from tenants.database import app_url

POOL_SIZE = 2  # connections per open tenant admin; admin traffic is a few people at a time


class _TenantEngine(PostgresEngine):
    """Piccolo's engine without its server version check: PostgresEngine() runs it through
    run_sync, i.e. a new connection in a thread that blocks the event loop (~10 ms), each time
    a tenant's pool opens. The version is the API's own server's."""

    async def check_version(self) -> None:
        pass


def tenant_engine(settings: Settings, code: str) -> PostgresEngine:
    url = make_url(app_url(settings))
    return _TenantEngine(
        config={
            "host": url.host,
            "port": url.port or 5432,
            "database": url.database,
            "user": url.username,
            "password": url.password,
            "server_settings": {
                "role": naming.tenant_role(naming.validate_code(code), settings.tenancy.role_prefix),
                "search_path": naming.tenant_search_path(code),
                "application_name": f"hemis-admin:{code}",
            },
        }
    )


async def open_pool(engine: PostgresEngine) -> None:
    await engine.start_connection_pool(min_size=0, max_size=POOL_SIZE)


async def close_pool(engine: PostgresEngine) -> None:
    await engine.close_connection_pool()


class PoolNotOpenError(LookupError):
    """The current tenant has no open pool here (never opened, or evicted meanwhile)."""


class TenantPools(Engine[PostgresTransaction]):
    """The engine of the console's tables, shared by every tenant: each query runs on the pool
    of the tenant of the running request (tenants.context), never on another one's.

    One pool per tenant (`tenant_engine`), at most `max_open` open; the least recently used is
    closed when another one opens. With no tenant set, or its pool not open, nothing runs: the
    tables carry no schema, so which tenant's rows a query sees is only ever the connection's
    role and search_path.
    """

    def __init__(self, settings: Settings, max_open: int) -> None:
        # Engine.__init__ is not called: it checks the server version and prepares the
        # database through run_sync (a thread with its own event loop), which would need a
        # tenant. The tenants' own engines do that when they are made.
        self.engine_type = "postgres"
        self.min_version_number = 10
        self.log_queries = self.log_responses = False
        self.query_id = 0
        self.settings = settings
        self.max_open = max_open
        self._open: OrderedDict[str, PostgresEngine] = OrderedDict()
        self._busy: Counter[str] = Counter()  # requests running per tenant: never evicted

    @property
    def open_codes(self) -> list[str]:
        return list(self._open)

    def engine_of(self, code: str) -> PostgresEngine | None:
        return self._open.get(code)

    async def lease(self, code: str) -> list[PostgresEngine]:
        """Open `code`'s pool unless it is, and count one more request on it until `release`.
        Returns the pools evicted to keep at most `max_open` open, for the caller to close
        outside its lock (closing waits on the network). Only idle tenants are evicted: a
        request that is running keeps its pool, so the bound can be exceeded, by at most the
        tenants with requests in flight, until they finish. Callers serialise this (AdminSites
        holds a lock)."""
        engine = self._open.get(code)
        if engine is None:
            engine = tenant_engine(self.settings, code)
            await open_pool(engine)
            self._open[code] = engine
        self._open.move_to_end(code)
        self._busy[code] += 1
        evicted = []
        for idle in [c for c in self._open if not self._busy[c]][: max(0, len(self._open) - self.max_open)]:
            evicted.append(self._open.pop(idle))
        return evicted

    def release(self, code: str) -> None:
        self._busy[code] -= 1
        if self._busy[code] <= 0:
            del self._busy[code]

    async def close(self) -> None:
        while self._open:
            await close_pool(self._open.popitem()[1])

    def current(self) -> PostgresEngine:
        """The current tenant's engine; TenantNotSetError without a tenant (fails closed)."""
        code = current_tenant().code
        engine = self._open.get(code)
        if engine is None:
            raise PoolNotOpenError(f"no admin pool is open for tenant {code!r}")
        return engine

    # Piccolo's Engine API, each call on the current tenant's engine. Transactions are the
    # tenant engine's own objects, so they keep its connection for their whole length.

    async def get_version(self) -> float:
        return await self.current().get_version()

    def get_version_sync(self) -> float:
        return self.current().get_version_sync()

    async def prep_database(self) -> None:
        """Nothing to prepare: tenants' schemas are made by hemis.platform, not here."""

    async def batch(
        self, query: Query[Any, Any], batch_size: int = 100, node: str | None = None
    ) -> AsyncBatch:
        return await self.current().batch(query, batch_size=batch_size, node=node)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        return await self.current().run_querystring(querystring, in_pool=in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        return await self.current().run_ddl(ddl, in_pool=in_pool)

    def transform_response_to_dicts(self, results: Any) -> list[dict[str, Any]]:
        return self.current().transform_response_to_dicts(results)

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return self.current().transaction(allow_nested=allow_nested)

    def atomic(self) -> Atomic:
        return self.current().atomic()

    def transaction_exists(self) -> bool:
        return self.current().transaction_exists()
