"""The OpenAPI document tells the truth: every operation lists the refusals it may answer, each in
the error shape of errors.py, the operations that need a login say so (a bearer token), request
bodies carry every rule pydantic enforces, a body that may be left out is not marked required,
and OPTIONS names every method of its path.

Litestar documents only the success and its own validation error, and takes `raises` per handler;
the rules below follow from what the handler asks for, so a new handler is documented the same way.
"""

from typing import get_args

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
from litestar.openapi.spec import Components, Reference, Schema, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.types import Empty
from pydantic import BaseModel

BEARER = "BearerToken"
COMPONENTS = Components(
    security_schemes={
        BEARER: SecurityScheme(type="http", scheme="bearer", description="`access_token` from POST /api/v1/auth/login")
    }
)
_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


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
        found += [ValidationException, TooLarge, Conflict]  # Litestar's own 400 shape (one schema, not two)
    if "user" in parameters:
        found += [NotLoggedIn, WrongRole]
    if "{" in path:
        found.append(NotFoundOrNotYours)
    return found


def _http_routes(app: Litestar):
    return [route for route in app.routes if isinstance(route, HTTPRoute)]


def document(app: Litestar) -> None:
    """Make the document tell the truth; called once the app is made, before anyone reads it."""
    _document_refusals(app)
    _request_schemas(app)
    _optional_bodies(app)
    _allow_every_method(app)


def _document_refusals(app: Litestar) -> None:
    """Add each API operation's refusals and its login (read when the document is built, just after)."""
    for route in _http_routes(app):
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


def _optional_bodies(app: Litestar) -> None:
    """Litestar marks every request body required; one with a default (cancel, deliver) is not."""
    paths = app.openapi_schema.paths or {}
    for route in _http_routes(app):
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None or data.default is Empty or route.path_format not in paths:
                continue
            for method in handler.http_methods:
                operation = getattr(paths[route.path_format], method.lower(), None)
                if operation is not None and operation.request_body is not None:
                    operation.request_body.required = False


def _allow_every_method(app: Litestar) -> None:
    """Litestar's automatic OPTIONS answer lists the methods of the route its handler was made for,
    which for a path whose handlers were joined one by one is only the first: point each at the
    route that holds them all, so `Allow` names every method the path supports."""
    for route in _http_routes(app):
        for handler in route.route_handlers:
            if handler.handler_name != "options_handler":
                continue
            function = handler.fn
            cells = dict(zip(function.__code__.co_freevars, function.__closure__ or (), strict=True))
            if "self" in cells:
                cells["self"].cell_contents = route


def _body_model(annotation) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _references(schema) -> list[str]:
    if isinstance(schema, Reference):
        return [schema.ref.split("/")[-1]]
    if isinstance(schema, Schema):
        return [name for option in schema.one_of or () for name in _references(option)]
    return []


def _request_schemas(app: Litestar) -> None:
    """Litestar's schemas of request bodies lose the constraints of optional fields and of list items
    (a pattern, a minimum, a length): the document would allow what the server refuses. Pydantic's
    own JSON Schema of the same model keeps every rule, so each request body's component is that."""
    openapi = app.openapi_schema
    schemas = openapi.components.schemas
    for route in _http_routes(app):
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            model = _body_model(data.annotation) if data is not None else None
            if model is None or not handler.include_in_schema or route.path_format not in openapi.paths:
                continue
            for method in handler.http_methods:
                operation = getattr(openapi.paths[route.path_format], method.lower())
                names = _references(operation.request_body.content["application/json"].schema)
                if len(names) != 1:
                    continue
                generated = _json_schema_words(model.model_json_schema(ref_template="#/components/schemas/{model}"))
                schemas.update(generated.pop("$defs", {}))
                schemas[names[0]] = generated


# Bounds pydantic could not fold into the integer's own schema (a validator runs before it) come out
# under their Python names; JSON Schema's words for them:
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _json_schema_words(schema):
    if isinstance(schema, dict):
        return {_BOUNDS.get(key, key): _json_schema_words(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_json_schema_words(value) for value in schema]
    return schema
