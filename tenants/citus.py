"""Static checks that stand in for Citus in CI (DESIGN.md "Scaling past one machine").

Each query returns the offending objects; an empty result means the database could be
distributed with citus_schema_distribute() per tenant schema without changes.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Our schemas: the platform's and every tenant's (t_*); nothing of ours lives in public.
_OURS = "(n.nspname IN ('shared', 'ref', 'national') OR n.nspname LIKE 't\\_%')"

CHECKS: dict[str, str] = {
    # FKs may stay inside one schema or point into ref (Citus reference tables).
    "foreign_key_across_schemas": """
        SELECT n.nspname || '.' || r.relname || ' -> ' || fn.nspname || '.' || fr.relname || ' (' || c.conname || ')'
        FROM pg_constraint c
        JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        JOIN pg_class fr ON fr.oid = c.confrelid JOIN pg_namespace fn ON fn.oid = fr.relnamespace
        WHERE c.contype = 'f' AND n.nspname <> fn.nspname AND fn.nspname <> 'ref' AND """
    + _OURS,
    # Keys and generated ids are BIGINT or UUID: narrower sequences break inserts on workers.
    "narrow_key_column": """
        SELECT DISTINCT n.nspname || '.' || r.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
        JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_index i ON i.indrelid = r.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)
        LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
        WHERE r.relkind IN ('r', 'p') AND """
    + _OURS
    + """
          AND (i.indexrelid IS NOT NULL OR a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')
          AND a.atttypid NOT IN ('int8'::regtype, 'uuid'::regtype)
          AND NOT (r.relname = 'alembic_version')""",
    # No inheritance; a partition must live in its parent's schema.
    "inheritance": """
        SELECT cn.nspname || '.' || c.relname || ' inherits ' || pn.nspname || '.' || p.relname
        FROM pg_inherits h
        JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
        JOIN pg_class p ON p.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE """
    + _OURS
    + """ AND NOT (c.relispartition AND cn.nspname = pn.nspname)""",
    "foreign_table": """
        SELECT n.nspname || '.' || r.relname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE r.relkind = 'f' AND """
    + _OURS,
    # Tenant data never lands in public (which Citus cannot distribute).
    "table_in_public": """
        SELECT 'public.' || r.relname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE n.nspname = 'public' AND r.relkind IN ('r', 'p', 'f', 'v', 'm')""",
}


async def violations(conn: AsyncConnection) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, sql in CHECKS.items():
        rows = [r[0] for r in await conn.execute(text(sql))]
        if rows:
            found[name] = rows
    return found
