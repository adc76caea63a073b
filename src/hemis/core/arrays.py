"""Rows passed as array parameters: a table whose rows come at execution, one unnest() of an
array per column. One statement, built and compiled once, holds any number of rows, and
asyncpg encodes the arrays in C: for bulk writes and for small lookup tables in big reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam, func
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

Columns = Sequence[tuple[str, TypeEngine[Any]]]


def bound_rows(name: str, columns: Columns) -> Any:
    """A table `name(columns…)` whose rows come at execution: one unnest() of an array parameter
    `<name>_<column>` per column (`bound_values` gives them).

    Not VALUES: SQLAlchemy cannot cache a statement holding a VALUES list's literal data and
    compiles it again on every execution (~25 ms for the rating statement); with parameters the
    statement is the same for any rows, so it is built once and its SQL compiled once."""
    arrays = [bindparam(f"{name}_{column}", type_=ARRAY(type_)) for column, type_ in columns]
    return (
        func.unnest(*arrays)
        .table_valued(*(sql_column(column, type_) for column, type_ in columns))
        .render_derived(name=name)
    )


def bound_values(name: str, columns: Columns, rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """The parameters of `bound_rows(name, columns)` holding `rows`."""
    return {f"{name}_{column}": [row[i] for row in rows] for i, (column, _) in enumerate(columns)}


def any_of(name: str, type_: TypeEngine[Any] | None = None) -> Any:
    """`any(:name)` of an array parameter (bigint ids unless `type_`): `column == any_of("ids")`
    matches any number of values with one statement, built and compiled once."""
    return any_(bindparam(name, type_=ARRAY(type_ if type_ is not None else BigInteger())))
