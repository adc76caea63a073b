"""Alembic trees: `shared` (shared, ref, national schemas) and `tenant` (one tenant schema)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection


def run_online(run: Callable[[Connection], None], attributes: dict[str, Any]) -> None:
    """Run `run` on the caller's connection (our runners) or on a new owner connection (CLI)."""
    connection = attributes.get("connection")
    if connection is not None:
        # Called from inside the runner's event loop, with a sync facade of its connection.
        run(connection)
        return

    from hemis.config import get_settings
    from hemis.core.embedded import ensure_database_url
    from tenants.database import owner_engine

    async def with_own_engine() -> None:
        engine = owner_engine(ensure_database_url(get_settings()))
        async with engine.begin() as conn:
            await conn.run_sync(run)
        await engine.dispose()

    asyncio.run(with_own_engine())
