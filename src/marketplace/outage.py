"""Is this error a server out of reach (PostgreSQL or Redis down, restarting, cut off), rather than a fault
of the request or the code? Such errors answer 503 with Retry-After (errors.py) and make the worker wait
and reconnect (worker_loop.py) instead of crashing."""

import errno
import logging
import socket

import asyncpg
from arq import Retry
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE class 08 (connection exception); shut down by an administrator, crashed, "starting up",
# too many connections. Not 57014 (a statement cancelled): that is not the server being away.
_OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
log = logging.getLogger(__name__)
# What work on a connection of its own, beside a request, can meet from the database: SQLAlchemy's errors,
# and the driver's when run on it directly — a server error, a closed connection, and asyncpg's protocol
# refusing a connection the server cut under it ("cannot switch to state …", InternalClientError).
DATABASE_ERRORS = (
    OSError,
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
RETRY_LONGEST = 30.0
_OUTAGE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
}


def sqlstate(exc: DBAPIError) -> str:
    """PostgreSQL's SQLSTATE of a database error, as the driver gives it ("" when it gives none)."""
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


def is_outage(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):  # e.g. Litestar's, when a rollback after an error found the server gone
        return any(is_outage(part) for part in exc.exceptions)
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | PoolTimeout | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, socket.gaierror):  # the server's host name does not resolve (DNS down)
        return True
    if isinstance(exc, OSError):
        return exc.errno in _OUTAGE_ERRNOS
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = sqlstate(exc)
        if state.startswith("08") or state in _OUTAGE_SQLSTATES:
            return True
        orig = exc.orig
        cause = orig.__cause__ if orig is not None else None  # the driver's socket error, wrapped
        return cause is not None and is_outage(cause)
    return False


def retry_later(ctx: dict, exc: Exception) -> Retry:
    """For a worker job that met an outage: arq runs this same job (same arguments, same outbox send count)
    again 1, 2, 4 … at most 30 s later, so it is done soon after the server is back. One that outlasts
    arq's tries is left to the relay (OUTBOX_STUCK_SECONDS)."""
    delay = min(2.0 ** (ctx.get("job_try", 1) - 1), RETRY_LONGEST)
    log.warning("job waits %.0f s for the servers to be back (%s: %s)", delay, type(exc).__name__, exc)
    return Retry(defer=delay)
