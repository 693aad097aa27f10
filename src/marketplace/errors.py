"""Errors a use case can refuse with, and their HTTP shape.

Every refusal answers Litestar's shape {"status_code", "detail", "extra"} with a
human sentence; `extra` names the failing field when there is one.
"""

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError

from .domain.orders import ActorNotAllowed, IllegalTransition

log = logging.getLogger(__name__)


class MarketError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = dict(extra or {})
        if field:
            self.extra.setdefault("field", field)


class InvalidInput(MarketError):
    status_code = 400


class NotAuthenticated(MarketError):
    status_code = 401


class Forbidden(MarketError):
    status_code = 403


class NotFound(MarketError):
    status_code = 404


class Conflict(MarketError):
    status_code = 409


class TooLarge(MarketError):
    status_code = 413


class RateLimited(MarketError):
    status_code = 429


def error_body(status_code: int, detail: str, extra: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "detail": detail}
    if extra:
        body["extra"] = extra
    return body


def _json(status_code: int, detail: str, extra: Any = None, headers: dict[str, str] | None = None) -> Response:
    body = error_body(status_code, detail, extra)
    return Response(body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def market_error_handler(request: Request, exc: MarketError) -> Response:
    return _json(exc.status_code, exc.detail, exc.extra)


def illegal_transition_handler(request: Request, exc: IllegalTransition) -> Response:
    return _json(409, str(exc))


def actor_not_allowed_handler(request: Request, exc: ActorNotAllowed) -> Response:
    return _json(403, str(exc))


def database_error_handler(request: Request, exc: DBAPIError) -> Response:
    # A unique or check constraint that a rule did not catch first still means "conflict", not a crash.
    if isinstance(exc, IntegrityError):
        return _json(409, "This conflicts with existing data.")
    if "DataError" in type(exc.orig).__name__ or "out of" in str(exc.orig):
        return _json(400, "A value in the request is out of range.")
    log.exception("database error", exc_info=exc)
    return _json(HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error.")


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    # The exception's headers go along: a 405 says which methods are allowed (`Allow`).
    return _json(exc.status_code, exc.detail, exc.extra if exc.extra else None, exc.headers)


def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error.")


EXCEPTION_HANDLERS = {
    HTTPException: http_exception_handler,
    Exception: unexpected_error_handler,
    MarketError: market_error_handler,
    IllegalTransition: illegal_transition_handler,
    ActorNotAllowed: actor_not_allowed_handler,
    DBAPIError: database_error_handler,
}
