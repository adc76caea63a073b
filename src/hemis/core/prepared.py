"""Hot Core statements compiled once and run on the asyncpg connection of a session's transaction.

Why: SQLAlchemy's execution of an already compiled statement (cache key, execution context,
greenlet hop, cursor and result objects) costs about 0.1 ms of CPU a call, twice what asyncpg
itself needs for the round trip; a webhook delivery is one to three such statements
(bench/README.md, payment webhooks). Only statements run on every delivery use this.

What stays the same: the statement runs inside the session's transaction, begun by
`session.connection()` first, so the tenant's role and search_path are switched by the
session's after_begin (tenants/session.py) as for every other statement, and a session without
a tenant still fails closed. Each value passes through its parameter's own bind processor
(JSONB is serialised as SQLAlchemy would); literals built into the statement keep their values.
Rows come back as asyncpg Records (by column name or position).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asyncpg import Record
from sqlalchemy import ClauseElement
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters in positional ($1, $2, …) order
    literals: Mapping[str, Any]  # values the statement carries itself (literal(), constants)
    processors: Mapping[str, Callable[[Any], Any]]


class DriverStatement:
    """One statement with named bind parameters (`bindparam`), compiled on first use per dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[type[Dialect], _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(type(dialect))
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            names = tuple(compiled.positiontup or ())
            binds = {name: compiled.binds[name] for name in names}
            processors = {}
            for name, bind in binds.items():
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            found = _Compiled(
                sql=compiled.string,
                names=names,
                literals={name: bind.effective_value for name, bind in binds.items() if not bind.required},
                processors=processors,
            )
            self._compiled[type(dialect)] = found
        return found

    async def fetch(self, session: AsyncSession, params: Mapping[str, Any]) -> Sequence[Record]:
        """All rows, in the session's transaction (begun here if it was not yet: tenant switched)."""
        connection = await session.connection()
        compiled = self._compile(connection.dialect)
        args = []
        for name in compiled.names:
            value = params[name] if name in params else compiled.literals[name]
            processor = compiled.processors.get(name)
            args.append(value if processor is None else processor(value))
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        rows: list[Record] = await driver.fetch(compiled.sql, *args)
        return rows
