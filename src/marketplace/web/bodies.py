"""Request bodies within bounds before a handler reads one: size, UTF-8, JSON depth and syntax.

msgspec decodes JSON recursively and Python decodes text strictly, so a body nested 10,000
deep or one of invalid UTF-8 would fail inside the framework as a crash; here it is refused
with a sentence instead. The body read here is kept by Litestar for the handler.
"""

import re

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from ..errors import InvalidInput, TooLarge

MAX_BODY_BYTES = 1_000_000  # the largest form or JSON body: a listing with 200 sessions is ~30 kB
# A route taking a picture (opt uploads=True) takes a body up to this; the setting PICTURE_MAX_BYTES
# (at most 20 MB) is the file's own limit, checked by the handler with a sentence.
MAX_UPLOAD_BODY_BYTES = 21_000_000
UPLOADS = {"uploads": True}  # a route's opt: its multipart body is files (pictures, questionnaires), not text


async def uploaded_file(upload: object, default_name: str) -> tuple[str, bytes]:
    """The multipart field `file` of a table import (questionnaires, rosters): its name and its bytes."""
    if not isinstance(upload, UploadFile):
        raise InvalidInput("Send the file as the multipart field 'file'.", field="file")
    return upload.filename or default_name, await upload.read()


MAX_JSON_DEPTH = 32  # our deepest body is 3 levels (a listing, its sessions, a session)
# One token at a time: a string (to its closing quote, or to the end when it has none; possessive,
# so a crafted body never makes the scan go back over itself) or a bracket. Linear in the body.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.|\\\Z)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_OPEN = frozenset(b"[{")
# Routes that take a file (a questionnaire in XLSX is binary): their own size bound, no UTF-8 check.


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
            limit = request.route_handler.resolve_request_max_body_size() or MAX_BODY_BYTES
            raise TooLarge(
                "The request body is too large: at most %(bytes)s bytes.",
                field="body",
                params={"bytes": f"{limit:,}"},
            ) from None
        raise
    if not body:
        return
    if request.content_type[0] == "multipart/form-data" and request.route_handler.opt.get("uploads"):
        return  # an upload: bytes, not text (its handler checks the file itself)
    try:
        for text in _text_parts(body, request.content_type):
            text.decode("utf-8")
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


def _text_parts(body: bytes, content_type: tuple[str, dict[str, str]]) -> list[bytes]:
    """What must be UTF-8 text: the whole body, except that a multipart form's files are bytes (an uploaded
    roster, 团体预约) and only its other fields are text."""
    boundary = content_type[1].get("boundary", "")
    if content_type[0] != "multipart/form-data" or not boundary:
        return [body]
    texts = []
    for part in body.split(b"--" + boundary.encode("latin-1", "replace")):
        head, _, content = part.partition(b"\r\n\r\n")
        if b"filename=" not in head:
            texts += [head, content]
        else:
            texts.append(head)
    return texts
