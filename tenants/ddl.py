"""DDL snippets for tenant migrations that need the tenant's role (known only at run time).

The migrator puts the role in the transaction setting `hemis.tenant_role`, so the same
migration text works for every tenant and in an offline (--sql) replay.
"""

from __future__ import annotations

from tenants import naming


def append_only(table: str) -> str:
    """Tenant role may INSERT and SELECT but never change or remove rows of `table`."""
    naming.quote(table)  # validates
    # quote_ident rather than format('%I'): offline (--sql) rendering would double a '%'.
    return (
        f"DO $$ BEGIN EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON ' || quote_ident('{table}') "
        "|| ' FROM ' || quote_ident(current_setting('hemis.tenant_role')); END $$"
    )


def read_only(table: str) -> str:
    """Tenant role may only SELECT `table` (rows are written by a SECURITY DEFINER trigger)."""
    naming.quote(table)
    return (
        f"DO $$ BEGIN EXECUTE 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ' || quote_ident('{table}') "
        "|| ' FROM ' || quote_ident(current_setting('hemis.tenant_role')); END $$"
    )


def update_only_columns(table: str, columns: tuple[str, ...]) -> str:
    """Tenant role may INSERT and SELECT `table` but UPDATE only `columns`, and never DELETE."""
    for name in (table, *columns):
        naming.quote(name)
    cols = ", ".join(columns)
    return (
        "DO $$ BEGIN "
        f"EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON ' || quote_ident('{table}') "
        "|| ' FROM ' || quote_ident(current_setting('hemis.tenant_role')); "
        f"EXECUTE 'GRANT UPDATE ({cols}) ON ' || quote_ident('{table}') "
        "|| ' TO ' || quote_ident(current_setting('hemis.tenant_role')); END $$"
    )
