"""Errors a use case can refuse with, and their HTTP shape.

Every refusal answers Litestar's shape {"status_code", "detail", "extra"} with a
human sentence; `extra` names the failing field when there is one.
"""

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .domain.orders import ActorNotAllowed, IllegalTransition
from .outage import is_outage

log = logging.getLogger(__name__)


def sentence(message: str, params: dict[str, Any]) -> str:
    """A refusal's English sentence with its parameters (a list is named as "a or b")."""
    if not params:
        return message
    return message % {k: " or ".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in params.items()}


class MarketError(Exception):
    """A refusal: `message` is the catalogue's English sentence, `params` its values by name (a state, an
    id…), so a page or a client asking in Chinese (Accept-Language) gets it in words of its language;
    `detail` is the English sentence."""

    status_code = 400

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.message, self.params = detail, dict(params or {})
        self.detail = sentence(detail, self.params)
        super().__init__(self.detail)
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

    def __init__(self, detail: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after  # seconds, sent as Retry-After


def error_body(status_code: int, detail: str, extra: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "detail": detail}
    if extra:
        body["extra"] = extra
    return body


def _json(status_code: int, detail: str, extra: Any = None, headers: dict[str, str] | None = None) -> Response:
    body = error_body(status_code, detail, extra)
    return Response(body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def retry_after(exc: Exception) -> dict[str, str] | None:
    """The Retry-After header of a rate-limit refusal (None for any other)."""
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None


# What a client is told while PostgreSQL or Redis cannot be reached: nothing it sent was wrong, and
# the same request will work once they are back (the app reconnects by itself).
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "The service cannot reach its database or queue for a moment. Please try again shortly."


def unavailable(request: Request, exc: Exception) -> Response:
    log.warning(
        "%s %s: 503, a server is unreachable (%s: %s)", request.method, request.url.path, type(exc).__name__, exc
    )
    return _json(
        HTTP_503_SERVICE_UNAVAILABLE,
        UNAVAILABLE,
        {"retry_after": RETRY_AFTER_SECONDS},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def in_language_asked(request: Request, exc: Exception) -> str:
    """The refusal's sentence for an API client: English unless `Accept-Language` prefers Chinese (then the
    catalogue's sentence, or the English one when the catalogue lacks it)."""
    from .texts import accepted  # the web layer's catalogues; imported late, as they import the services
    from .web.pages import refusals

    english = getattr(exc, "detail", None) or str(exc)
    lang = accepted(request.headers.get("accept-language"), "en")
    if lang == "en":
        return english
    message, params = refusals.parts(exc)
    return refusals.words(lang, message, params) or english


def market_error_handler(request: Request, exc: MarketError) -> Response:
    return _json(exc.status_code, in_language_asked(request, exc), exc.extra, retry_after(exc))


def illegal_transition_handler(request: Request, exc: IllegalTransition) -> Response:
    return _json(409, in_language_asked(request, exc))


def actor_not_allowed_handler(request: Request, exc: ActorNotAllowed) -> Response:
    return _json(403, in_language_asked(request, exc))


def database_error_handler(request: Request, exc: DBAPIError) -> Response:
    if is_outage(exc):
        return unavailable(request, exc)
    # A unique or check constraint that a rule did not catch first still means "conflict", not a crash.
    if isinstance(exc, IntegrityError):
        return _json(409, "This conflicts with existing data.")
    if "DataError" in type(exc.orig).__name__ or "out of" in str(exc.orig):
        return _json(400, "A value in the request is out of range.")
    log.exception("database error", exc_info=exc)
    return _json(HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error.")


_MISSING = re.compile(r"^Missing required (query|header|cookie|path) parameter '([^']+)'")


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    # The exception's headers go along: a 405 says which methods are allowed (`Allow`).
    extra = exc.extra if exc.extra else None
    missing = _MISSING.match(exc.detail or "") if extra is None else None
    if missing is not None:  # name the parameter as a validation error does
        extra = [{"message": "This parameter is required.", "key": missing[2], "source": missing[1]}]
    return _json(exc.status_code, exc.detail, extra, exc.headers)


def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    if is_outage(exc):  # a socket error from a driver (a refused or reset connection, a timeout)
        return unavailable(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error.")


EXCEPTION_HANDLERS = {
    HTTPException: http_exception_handler,
    Exception: unexpected_error_handler,
    MarketError: market_error_handler,
    IllegalTransition: illegal_transition_handler,
    ActorNotAllowed: actor_not_allowed_handler,
    DBAPIError: database_error_handler,
    PoolTimeout: unavailable,  # no pooled connection freed in time: the database is stuck or gone
    RedisConnectionError: unavailable,
    RedisTimeoutError: unavailable,
}
