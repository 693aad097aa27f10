"""The OpenAPI document tells the truth: every operation lists the refusals it may answer, each in
the error shape of errors.py, and the operations that need a login say so (a bearer token).

Litestar documents only the success and its own validation error, and takes `raises` per handler;
the rules below follow from what the handler asks for, so a new handler is documented the same way.
"""

from litestar import Litestar
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute

BEARER = "BearerToken"
COMPONENTS = Components(
    security_schemes={
        BEARER: SecurityScheme(type="http", scheme="bearer", description="`access_token` from POST /api/v1/auth/login")
    }
)
_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


class BadInput(ValidationException):
    detail = "Bad input: the failing field and a sentence saying why."


class NotLoggedIn(NotAuthorizedException):
    detail = "Please log in first: no valid bearer token."


class WrongRole(PermissionDeniedException):
    detail = "This needs another role, or this person may not take this action."


class NotFoundOrNotYours(NotFoundException):
    detail = "Not found, or not yours."


class Conflict(ClientException):
    status_code = 409
    detail = "Not possible in the current state (a full session, a second live order, a state change)."


class TooLarge(ClientException):
    status_code = 413
    detail = "The request body is too large."


class RateLimited(TooManyRequestsException):
    detail = "Too many requests: try again later."


class Unavailable(ServiceUnavailableException):
    detail = "The database or the queue is unreachable for a moment: try again."


def refusals(method: str, path: str, parameters: set[str]) -> list[type]:
    """What an operation may answer besides success, from what its handler asks for."""
    found: list[type] = [RateLimited, Unavailable]
    if method in _CHANGES:
        found += [BadInput, TooLarge, Conflict]
    if "user" in parameters:
        found += [NotLoggedIn, WrongRole]
    if "{" in path:
        found.append(NotFoundOrNotYours)
    return found


def document_refusals(app: Litestar) -> None:
    """Add each API operation's refusals and its login to the document (built on first request)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            parameters = set(handler.parsed_fn_signature.parameters)
            found = [
                kind for method in handler.http_methods for kind in refusals(method, route.path_format, parameters)
            ]
            handler.raises = list(dict.fromkeys([*(handler.raises or ()), *found]))
            if "user" in parameters:
                handler.security = [*(handler.security or ()), {BEARER: []}]
