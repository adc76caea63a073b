"""Alembic env of the tenant tree: migrates ONE tenant schema, chosen by the caller.

The runner (`tenants.migrate`) passes an open connection and the schema in
config.attributes; `alembic -n tenant -x tenant=<code> upgrade head` works for one
tenant by hand. The version table lives in the tenant schema, and DDL plus the version
bump share one transaction, so a killed run leaves each tenant at a whole version.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import hemis.models  # noqa: F401  (assembles the metadata)
from hemis.config import get_settings
from hemis.core.db import shared_metadata, tenant_metadata
from hemis.migrations import run_online
from tenants import naming
from tenants.migrate import prepare_tenant_connection


def _schema_and_role() -> tuple[str, str]:
    attrs = context.config.attributes
    if "tenant_schema" in attrs:
        return attrs["tenant_schema"], attrs["tenant_role"]
    code = context.get_x_argument(as_dictionary=True).get("tenant")
    if not code:
        raise SystemExit("choose a tenant: alembic -n tenant -x tenant=<code> ...")
    prefix = get_settings().tenancy.role_prefix
    return naming.schema_name(code), naming.tenant_role(code, prefix)


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # search_path shows ref's tables too; autogenerate must compare the tenant's own only.
    shared_tables = {t.name for t in shared_metadata().tables.values() if t.schema == naming.REF_SCHEMA}
    return not (type_ == "table" and (name == "alembic_version" or name in shared_tables))


def _run(connection: Connection) -> None:
    schema, role = _schema_and_role()
    prepare_tenant_connection(connection, schema, role)
    context.configure(
        connection=connection,
        target_metadata=tenant_metadata(),
        version_table_schema=schema,
        include_name=_include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    # Offline SQL is schema-less; whoever replays it sets search_path and hemis.tenant_role.
    context.configure(url="postgresql://", target_metadata=tenant_metadata(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online(_run, context.config.attributes)
