"""Base of every API schema (msgspec Struct) and the page envelope of our own /api/ lists."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)

MAX_PAGE_SIZE = 200  # as in HEMIS: lists never return more than 200 rows at once


class Struct(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Our schemas: snake_case keys, keyword-only construction."""


class Input(Struct, forbid_unknown_fields=True):
    """Request bodies: an unknown (mistyped) field is a 4xx naming it, never silently dropped."""


# Database ids are BIGINT: larger numbers are a named 4xx, not a database error.
MAX_ID = 2**63 - 1
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# A code this university chooses (faculty, subject, scale …) and a display name.
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, msgspec.Meta(min_length=2, max_length=255)]
# A code of a national classifier (schema ref): digits, blocks like "11.02" too.
ClassCode = Annotated[str, msgspec.Meta(min_length=2, max_length=8, pattern=r"^[0-9]+(\.[0-9]+)?$")]


class Page(Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def changes(data: msgspec.Struct) -> dict[str, object]:
    """The fields a PATCH body actually sent (UNSET ones are left alone)."""
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


def to_read(row: object, schema: type[T]) -> T:
    return msgspec.convert(row, schema, from_attributes=True)


def extended(view: msgspec.Struct, schema: type[T], **extra: object) -> T:
    """`view` as its subclass `schema`, with the extra fields (e.g. a secret shown once)."""
    return schema(**msgspec.structs.asdict(view), **extra)


def without(read: S, fields: frozenset[str]) -> S:
    """`read` with `fields` set to null (personal data the caller may not see)."""
    return msgspec.structs.replace(read, **dict.fromkeys(fields))


def page_of(rows: list[Any], total: int, limit: int, offset: int, schema: type[T]) -> Page[T]:
    return Page(items=[to_read(r, schema) for r in rows], total=total, limit=limit, offset=offset)
