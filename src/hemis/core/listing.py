"""Pagination, sorting and search for our /api/ lists (snake_case query parameters).

advanced-alchemy's filter providers speak camelCase (`pageSize`, `orderBy`); our API is
snake_case end to end, so lists take `limit`, `offset`, `sort` (`name` or `-name`) and
`search`, validated here with the field named in errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from litestar.params import PathParameter, QueryParameter
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from hemis.core.errors import HemisError
from hemis.core.schemas import MAX_ID, MAX_PAGE_SIZE

# Ids in paths and filters: BIGINT-sized, so a huge number is a named 4xx, not a database error.
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


class UnknownSortField(HemisError):
    status_code = 422
    message_key = "error.sort_field"


@dataclass(frozen=True, slots=True)
class ListParams:
    limit: int
    offset: int
    sort: str | None
    search: str | None


async def provide_list_params(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
    sort: Annotated[str | None, QueryParameter(pattern=r"^-?[a-z_]{1,40}$")] = None,
    search: Annotated[str | None, QueryParameter(min_length=1, max_length=100)] = None,
) -> ListParams:
    return ListParams(limit=limit, offset=offset, sort=sort, search=search)


async def fetch_page(
    session: AsyncSession,
    query: Select[Any],
    params: ListParams,
    *,
    sortable: Mapping[str, QueryableAttribute[Any]],
    default_sort: str,
    searchable: Sequence[QueryableAttribute[Any]] = (),
) -> tuple[list[Any], int]:
    """Rows of one page and the total count; unknown sort fields are a 422 naming `sort`."""
    query = _searched(query, params, searchable)
    ordered = _ordered(query, params, sortable, default_sort, _tiebreak(query))
    total = await _count(session, query)
    rows = (await session.scalars(ordered.limit(params.limit).offset(params.offset))).all()
    return list(rows), total


async def fetch_row_page(
    session: AsyncSession,
    query: Select[Any],
    params: ListParams,
    *,
    sortable: Mapping[str, Any],  # columns or computed expressions
    default_sort: str,
    tiebreak: ColumnElement[Any] | QueryableAttribute[Any],
    searchable: Sequence[QueryableAttribute[Any]] = (),
) -> tuple[list[dict[str, Any]], int]:
    """fetch_page() for a query of several columns (a report): rows as dicts; sortable values may
    be computed columns, and `tiebreak` keeps the order stable across pages."""
    query = _searched(query, params, searchable)
    ordered = _ordered(query, params, sortable, default_sort, [tiebreak.asc()])
    total = await _count(session, query)
    rows = (await session.execute(ordered.limit(params.limit).offset(params.offset))).mappings().all()
    return [dict(row) for row in rows], total


def _searched(
    query: Select[Any], params: ListParams, searchable: Sequence[QueryableAttribute[Any]]
) -> Select[Any]:
    if params.search and searchable:
        escaped = params.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(or_(*(column.ilike(f"%{escaped}%", escape="\\") for column in searchable)))
    return query


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def _ordered(
    query: Select[Any],
    params: ListParams,
    sortable: Mapping[str, Any],
    default_sort: str,
    tiebreak: list[ColumnElement[Any]],
) -> Select[Any]:
    sort = params.sort or default_sort
    column = sortable.get(sort.lstrip("-"))
    if column is None:
        raise UnknownSortField(field="sort", value=sort, allowed=", ".join(sorted(sortable)))
    return query.order_by(column.desc() if sort.startswith("-") else column.asc(), *tiebreak)


def _tiebreak(query: Select[Any]) -> list[ColumnElement[Any]]:
    # A stable order across pages: the primary key breaks ties.
    entity = query.column_descriptions[0]["entity"]
    return [entity.id.asc()] if entity is not None and hasattr(entity, "id") else []
