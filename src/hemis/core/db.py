"""Declarative bases: TenantBase (tables of one tenant's schema) and SharedBase (shared, ref, national).

Id policy: BIGINT identity keys (or UUIDv7 where an id leaves the system), never INT or
SERIAL, because Citus workers break on narrower sequences (DESIGN.md, "Scaling past one machine").
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.base import (
    AdvancedDeclarativeBase,
    CommonTableAttributes,
    create_registry,
    metadata_registry,
)
from advanced_alchemy.mixins import AuditColumns, IdentityPrimaryKey
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncAttrs

TENANT_BIND_KEY = "tenant"
SHARED_BIND_KEY = "shared"

_tenant_registry = create_registry()
_shared_registry = create_registry()
metadata_registry.set(TENANT_BIND_KEY, _tenant_registry.metadata)
metadata_registry.set(SHARED_BIND_KEY, _shared_registry.metadata)


class TenantBase(CommonTableAttributes, AdvancedDeclarativeBase, AsyncAttrs):
    """A table in every tenant schema; no schema name, so it resolves through search_path."""

    __abstract__ = True
    __bind_key__ = TENANT_BIND_KEY
    registry = _tenant_registry


class SharedBase(CommonTableAttributes, AdvancedDeclarativeBase, AsyncAttrs):
    """A table of the platform: subclasses name their schema (shared, ref or national)."""

    __abstract__ = True
    __bind_key__ = SHARED_BIND_KEY
    registry = _shared_registry


class TenantModel(IdentityPrimaryKey, AuditColumns, TenantBase):
    """The usual tenant table: BIGINT identity id plus created_at/updated_at (UTC)."""

    __abstract__ = True


class SharedModel(IdentityPrimaryKey, AuditColumns, SharedBase):
    __abstract__ = True


def tenant_metadata() -> MetaData:
    return metadata_registry.get(TENANT_BIND_KEY)


def shared_metadata() -> MetaData:
    return metadata_registry.get(SHARED_BIND_KEY)


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, for Core statements (its `__table__` is typed as a FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
