"""Base of every API schema (msgspec Struct) and the page envelope of our own /api/ lists."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

T = TypeVar("T")

MAX_PAGE_SIZE = 200  # as in HEMIS: lists never return more than 200 rows at once


class Struct(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Our schemas: snake_case keys, keyword-only construction."""


class Page(Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, msgspec.Meta(ge=0)]


def changes(data: msgspec.Struct) -> dict[str, object]:
    """The fields a PATCH body actually sent (UNSET ones are left alone)."""
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


def to_read(row: object, schema: type[T]) -> T:
    return msgspec.convert(row, schema, from_attributes=True)
