"""Bind the generated, schema-less Piccolo tables to an engine (and, for tests, a schema)."""

from __future__ import annotations

from typing import Any

from piccolo.columns import BigSerial, ForeignKey
from piccolo.engine.base import Engine
from piccolo.table import Table, create_table_class

from admin.tables import TABLES


def bind(engine: Engine[Any], schema: str | None = None) -> dict[str, type[Table]]:
    """Every tenant table as a Piccolo class on `engine`, by table name. Foreign keys point at
    the same binding's classes, never at the generic ones.

    Without `schema` (what the console uses) names resolve through the connection's
    search_path, which admin.engine sets to the tenant's schema: one set of classes serves
    every tenant. Each call makes new classes, and Piccolo keeps every Table class for the
    whole process (piccolo.table.TABLE_REGISTRY): bind once per process, not per tenant."""
    bound: dict[str, type[Table]] = {}
    for generic in TABLES:
        members: dict[str, object] = {}
        for column in generic._meta.columns:
            name = column._meta.name
            if column._meta.primary_key:
                members[name] = BigSerial(primary_key=True)
            elif isinstance(column, ForeignKey):
                target = column._foreign_key_meta.resolved_references
                members[name] = ForeignKey(
                    references="self" if target is generic else bound[target._meta.tablename],
                    null=column._meta.null,
                    on_delete=column._foreign_key_meta.on_delete,
                )
            else:
                members[name] = column.copy()
        tablename = generic._meta.tablename
        bound[tablename] = create_table_class(
            generic.__name__,
            class_kwargs={"tablename": tablename, "schema": schema, "db": engine},
            class_members=members,
        )
    return bound
