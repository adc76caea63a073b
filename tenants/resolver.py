"""Host name or tenant code → TenantRef, read from the shared registry and cached briefly."""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenants import naming
from tenants.context import TenantKind, TenantRef
from tenants.session import shared_session

_BY_DOMAIN = text(
    "SELECT t.id, t.code, t.kind FROM shared.tenant_domain d JOIN shared.tenant t ON t.id = d.tenant_id "
    "WHERE d.domain = :key AND t.status = 'active'"
)
_BY_CODE = text(
    "SELECT t.id, t.code, t.kind FROM shared.tenant t WHERE t.code = :key AND t.status = 'active'"
)


class TenantResolver:
    """Caches hits for `ttl` seconds and misses for `miss_ttl` (a new tenant shows up fast).

    Other processes (the CLI) create, suspend and drop tenants, so entries expire rather
    than wait for an invalidation; `invalidate()` serves in-process changes and tests.
    """

    MAX_ENTRIES = 10_000

    def __init__(
        self, maker: async_sessionmaker[AsyncSession], ttl: float = 10.0, miss_ttl: float = 2.0
    ) -> None:
        self._maker = maker
        self._ttl = ttl
        self._miss_ttl = miss_ttl
        # LRU: a flood of random host names evicts old misses, not every hit at once.
        self._cache: OrderedDict[tuple[str, str], tuple[float, TenantRef | None]] = OrderedDict()

    def invalidate(self) -> None:
        self._cache.clear()

    async def by_host(self, host: str) -> TenantRef | None:
        return await self._lookup("domain", normalise_host(host))

    async def by_code(self, code: str) -> TenantRef | None:
        if not naming.CODE_RE.fullmatch(code):
            return None
        return await self._lookup("code", code)

    async def _lookup(self, kind: str, key: str) -> TenantRef | None:
        now = time.monotonic()
        hit = self._cache.get((kind, key))
        if hit is not None and hit[0] > now:
            self._cache.move_to_end((kind, key))
            return hit[1]
        async with shared_session(self._maker) as session:
            row = (await session.execute(_BY_DOMAIN if kind == "domain" else _BY_CODE, {"key": key})).first()
        ref = TenantRef(id=int(row[0]), code=row[1], kind=TenantKind(row[2])) if row else None
        self._cache[(kind, key)] = (now + (self._ttl if ref else self._miss_ttl), ref)
        self._cache.move_to_end((kind, key))
        while len(self._cache) > self.MAX_ENTRIES:
            self._cache.popitem(last=False)
        return ref


def normalise_host(host: str) -> str:
    """'TATU.hemis.uz:8000' → 'tatu.hemis.uz'; IPv6 literals keep their brackets."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.split(":")[0]
