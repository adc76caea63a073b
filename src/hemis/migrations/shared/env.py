"""Alembic env of the shared tree: schemas shared, ref and national (SharedBase metadata)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import hemis.models  # noqa: F401  (assembles the metadata)
from hemis.config import get_settings
from hemis.core.db import shared_metadata
from hemis.core.embedded import ensure_database_url
from tenants import naming
from tenants.database import owner_engine

SHARED_SCHEMAS = (naming.SHARED_SCHEMA, naming.REF_SCHEMA, naming.NATIONAL_SCHEMA)


def _include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # Autogenerate looks at our schemas only, never at tenant schemas.
    schema = getattr(obj, "schema", None)
    return type_ != "table" or schema in SHARED_SCHEMAS


def _run(connection: Connection) -> None:
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {naming.SHARED_SCHEMA}"))
    context.configure(
        connection=connection,
        target_metadata=shared_metadata(),
        version_table_schema=naming.SHARED_SCHEMA,
        include_schemas=True,
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url="postgresql://",
        target_metadata=shared_metadata(),
        literal_binds=True,
        version_table_schema=naming.SHARED_SCHEMA,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = owner_engine(ensure_database_url(get_settings()))
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif (shared_connection := context.config.attributes.get("connection")) is not None:
    # Called by our runner from inside its event loop, with a sync facade of its connection.
    _run(shared_connection)
else:
    asyncio.run(run_online())
