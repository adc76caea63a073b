"""Alembic env of the shared tree: schemas shared, ref and national (SharedBase metadata)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import hemis.models  # noqa: F401  (assembles the metadata)
from hemis.core.db import shared_metadata
from hemis.migrations import run_online
from tenants import naming

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


if context.is_offline_mode():
    run_offline()
else:
    run_online(_run, context.config.attributes)
