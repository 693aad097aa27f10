"""The order path's statements, compiled once and run on the session's own asyncpg connection.

SQLAlchemy's execution of a statement built once (compile cache lookup, parameter and result processing)
costs 40–90 µs of CPU above the driver's own; an order with an Idempotency-Key runs five such statements
on its path (the key's claim and answer, the target, the placement). Run here they cost about 150 µs less
(an in-process A/B on a busy machine) of a waitlisted order's ~1.8 ms of web CPU in process (docs/scaling.md,
"Where an order's CPU goes"). A
statement is compiled for asyncpg once, at import, and a request only orders its values: the same SQL, in
the same transaction (the session's connection, begun by SQLAlchemy), with PostgreSQL's answer as plain
rows. Nothing else changes: the session's pending ORM changes are flushed first, and the driver's errors
reach the caller as SQLAlchemy's (a conflict, a value out of range, a lost connection: errors.py and
outage.py answer them as before).
"""

import json
from types import SimpleNamespace

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_DIALECT = asyncpg_dialect.dialect()


class Prepared:
    """One statement (Core or text, with named bind parameters) in asyncpg's $1, $2 … form."""

    def __init__(self, statement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup or ())
        binds = compiled.binds  # by the names in positiontup
        # the values bound in the statement itself (a function's literal argument)
        self.defaults = {name: bind.value for name, bind in binds.items() if bind.value is not None}
        self.json = {name for name in self.names if name in binds and isinstance(binds[name].type, JSON | JSONB)}

    def args(self, params: dict) -> list:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            values.append(json.dumps(value) if name in self.json and value is not None else value)
        return values

    async def rows(self, db: AsyncSession, params: dict) -> list[SimpleNamespace]:
        return [SimpleNamespace(**row) for row in await self._fetch(db, params)]

    async def first(self, db: AsyncSession, params: dict, *, begin: bool = True) -> SimpleNamespace | None:
        """The first row. `begin=False`: if the session's transaction has sent nothing yet, run before it, on
        its own (a read that needs no transaction: BEGIN goes with the session's first statement after it)."""
        rows = await self._fetch(db, params, begin)
        return SimpleNamespace(**rows[0]) if rows else None

    async def _fetch(self, db: AsyncSession, params: dict, begin: bool = True) -> list:
        connection, driver = await _driver(db, begin)
        args = self.args(params)
        try:
            return await driver.fetch(self.sql, *args)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
            # lost as SQLAlchemy's asyncpg dialect judges it (is_disconnect): the driver's connection is closed
            lost = isinstance(exc, asyncpg.PostgresConnectionError) or driver.is_closed()
            if lost:  # as SQLAlchemy does with a connection it finds lost: not rolled back, not pooled again
                await connection.invalidate(exc)
            raise _as_sqlalchemy(exc, self.sql, args, lost) from exc


def _as_sqlalchemy(exc: Exception, sql: str, args: list, lost: bool) -> sa_exc.DBAPIError:
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return sa_exc.IntegrityError(sql, args, exc)
    if isinstance(exc, asyncpg.DataError):
        return sa_exc.DataError(sql, args, exc)
    return sa_exc.DBAPIError(sql, args, exc, connection_invalidated=lost)


async def _driver(db: AsyncSession, begin: bool = True) -> tuple[AsyncConnection, asyncpg.Connection]:
    if db.new or db.dirty or db.deleted:  # as SQLAlchemy's autoflush would before a statement
        await db.flush()
    connection = await db.connection()
    adapter = (await connection.get_raw_connection()).dbapi_connection
    driver = adapter.driver_connection
    if begin and not driver.is_in_transaction():
        # SQLAlchemy's asyncpg adapter sends BEGIN with its own first statement only: without one, what runs
        # here would commit by itself, outside the session's transaction (a refusal would not undo it). The
        # adapter's own start sends BEGIN alone (test_prepared.py holds it to that).
        await adapter._start_transaction()
    return connection, driver
