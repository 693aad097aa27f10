"""Request bodies within bounds before a handler reads one: size, UTF-8, JSON depth and syntax.

msgspec decodes JSON recursively and Python decodes text strictly, so a body nested 10,000
deep or one of invalid UTF-8 would fail inside the framework as a crash; here it is refused
with a sentence instead. The body read here is kept by Litestar for the handler.
"""

import re

import msgspec
from litestar import Request
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from ..errors import InvalidInput, TooLarge

MAX_BODY_BYTES = 1_000_000  # the largest form or JSON body: a listing with 200 sessions is ~30 kB
MAX_JSON_DEPTH = 32  # our deepest body is 3 levels (a listing, its sessions, a session)
# One token at a time: a string (to its closing quote, or to the end when it has none; possessive,
# so a crafted body never makes the scan go back over itself) or a bracket. Linear in the body.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.|\\\Z)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_OPEN = frozenset(b"[{")


def json_depth(body: bytes, enough: int | None = None) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count);
    the count stops once it reaches `enough`."""
    if enough is not None and body.count(b"[") + body.count(b"{") < enough:
        return 0  # too few brackets to nest that deep (most bodies): no scan at all
    depth = deepest = 0
    for token in _TOKEN.finditer(body):
        first = token.group()[0]
        if first in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
            if enough is not None and deepest >= enough:
                break
        elif first != ord('"'):
            depth -= 1
    return deepest


class BodyBounds(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            await check_body(Request(scope, receive))
        await next_app(scope, receive, send)


async def check_body(request: Request) -> None:
    try:
        body = await request.body()
    except ClientException as exc:
        if exc.status_code == 413:
            raise TooLarge(
                "The request body is too large: at most %(bytes)s bytes.",
                field="body",
                params={"bytes": f"{MAX_BODY_BYTES:,}"},
            ) from None
        raise
    if not body:
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The request body is not valid UTF-8 text.", field="body") from None
    if request.content_type[0] in _FORMS:
        return
    if json_depth(body, enough=MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH:
        raise InvalidInput(
            "The JSON body nests deeper than %(levels)s levels.", field="body", params={"levels": MAX_JSON_DEPTH}
        )
    try:  # the framework's own message ("Input data was truncated") names no field and reads as no sentence
        msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        raise InvalidInput(
            "The body is not valid JSON (%(error)s).", field="body", params={"error": str(error)}
        ) from None
