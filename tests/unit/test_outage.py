"""Which errors mean "a server is out of reach" (503, the worker waits) and which are faults (500)."""

import errno

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from sqlalchemy.exc import DBAPIError, IntegrityError

from marketplace.outage import is_outage


class DriverError(Exception):
    def __init__(self, sqlstate: str | None = None):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _wrapped(orig: Exception, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
        ConnectionResetError(errno.ECONNRESET, "reset"),
        TimeoutError(),
        OSError(errno.EHOSTUNREACH, "no route to host"),
        RedisConnectionError("Error 111 connecting"),
        _wrapped(DriverError("08006")),  # connection failure
        _wrapped(DriverError("57P01")),  # terminated by an administrator (a restart)
        _wrapped(DriverError("57P03")),  # the database system is starting up
        _wrapped(DriverError(), invalidated=True),
    ],
)
def test_servers_out_of_reach_are_outages(error):
    assert is_outage(error)


def test_a_group_with_an_outage_in_it_is_an_outage():
    assert is_outage(ExceptionGroup("cleanup", [ConnectionResetError(errno.ECONNRESET, "reset")]))
    assert not is_outage(ExceptionGroup("cleanup", [ValueError("bad")]))


def test_a_socket_error_wrapped_by_the_driver_is_an_outage():
    orig = DriverError()
    orig.__cause__ = ConnectionResetError(errno.ECONNRESET, "reset")
    assert is_outage(_wrapped(orig))


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        OSError(errno.ENOENT, "no such file"),
        ResponseError("WRONGTYPE"),
        _wrapped(DriverError("57014")),  # a cancelled statement: the server is there
        _wrapped(DriverError("22003")),  # a value out of range
        IntegrityError("INSERT", {}, DriverError("23505")),
    ],
)
def test_faults_of_the_request_or_the_code_are_not(error):
    assert not is_outage(error)
