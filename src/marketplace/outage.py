"""Is this error a server out of reach (PostgreSQL or Redis down, restarting, cut off), rather than a fault
of the request or the code? Such errors answer 503 with Retry-After (errors.py) and make the worker wait
and reconnect (worker_loop.py) instead of crashing."""

import errno
import socket

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE class 08 (connection exception); shut down by an administrator, crashed, "starting up",
# too many connections. Not 57014 (a statement cancelled): that is not the server being away.
_OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
_OUTAGE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
}


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
        orig = exc.orig
        state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
        if state.startswith("08") or state in _OUTAGE_SQLSTATES:
            return True
        cause = orig.__cause__ if orig is not None else None  # the driver's socket error, wrapped
        return cause is not None and is_outage(cause)
    return False
