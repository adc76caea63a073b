"""Bind the generated, schema-less Piccolo tables to one tenant: its schema and its engine."""

from __future__ import annotations

from piccolo.columns import BigSerial, ForeignKey
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table, create_table_class

from admin.tables import TABLES
from tenants import naming


def bind(code: str, engine: PostgresEngine) -> dict[str, type[Table]]:
    """Every tenant table as a Piccolo class of schema t_<code> on `engine`, by table name.
    Foreign keys point at the same tenant's classes, never at the generic ones."""
    schema = naming.schema_name(naming.validate_code(code))
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
