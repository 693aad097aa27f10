"""What every page shares: who is looking, rendering, reading forms, refusals shown beside their field."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ...auth import SESSION_COOKIE, has_role, provide_optional_page_user, read_token, user_for_token
from ...domain.bounds import OutOfBounds, search_text
from ...domain.orders import ActorNotAllowed, IllegalTransition
from ...domain.roles import Role
from ...errors import Forbidden, MarketError
from ...models import User
from ...services import notices
from . import refusals
from .i18n import N_, lang_of, tr

T = TypeVar("T")
CSRF_COOKIE = "mkt_csrf"
PageUser = NamedDependency[User | None]


async def provide_page_user(request: Request, db: NamedDependency[AsyncSession]) -> User | None:
    """The logged-in visitor of a page, and how many of their notices are unread (the header shows it)."""
    user = await provide_optional_page_user(request, db)
    if user is not None:
        request.scope.setdefault("state", {})["unread"] = await notices.unread_count(db, user.id)
    return user


PAGE_DEPENDENCIES = {"page_user": Provide(provide_page_user)}
REFUSALS = (MarketError, IllegalTransition, ActorNotAllowed, IntegrityError)


def page_token(request: Request) -> str | None:
    """The session cookie when its token is signed and unexpired, checked without the database (None:
    anonymous). Whether its session still holds is `active_user`'s question."""
    token = request.cookies.get(SESSION_COOKIE)
    return token if token and read_token(request.app.state.settings, token) else None


async def active_user(db: AsyncSession, request: Request) -> User | None:
    """The visitor behind the session cookie, as `auth` sees them: a live session of an active account."""
    found = await user_for_token(db, request.app.state.settings, request.cookies.get(SESSION_COOKIE))
    return found[0] if found else None


class LoginRequired(Exception):
    """A page that needs a logged-in visitor: answered with a redirect to the login page."""


def need(user: User | None, *roles: Role) -> User:
    """The visitor, who must be logged in and (when roles are named) hold one of them."""
    if user is None:
        raise LoginRequired()
    if roles and not has_role(user, *roles):
        raise Forbidden(N_("This page is not for your role."))
    return user


def page_context(request: Request, user: User | None, **context: Any) -> dict[str, Any]:
    """What every page template is given: the visitor, the language, the flash of a form just done."""
    context.setdefault("errors", {})
    unread = request.scope.get("state", {}).get("unread", 0)
    return {"user": user, "lang": lang_of(request), "done": request.query_params.get("ok"), "unread": unread, **context}


def page(
    request: Request,
    template: str,
    user: User | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    context = page_context(request, user, **context)
    return Template(template_name=template, context=context, status_code=status_code, headers=headers)


def done_at(path: str, ok: str | None = None) -> str:
    """Where a form that succeeded leads: its result's page, with the confirmation to show there."""
    if ok:
        path += ("&" if "?" in path else "?") + f"ok={quote(ok)}"
    return path


def redirect(path: str, ok: str | None = None) -> Redirect:
    """After a form succeeds: see its result on a page of its own (post/redirect/get)."""
    return Redirect(done_at(path, ok), status_code=303)


def login_redirect(request: Request) -> Redirect:
    target = request.url.path if request.method == "GET" else request.headers.get("referer", "/")
    return Redirect(f"/login?next={quote(safe_next(target))}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this site (not //other.host) is followed after logging in."""
    if not target:
        return "/"
    if "://" in target:  # a full referer URL: keep its path
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    if not target.startswith("/") or target.startswith("//"):
        return "/"
    # A header holds ASCII only: anything else (Chinese, a NUL, a line break) is percent-encoded.
    return quote(target, safe="/?&=%#:+,;@~!$'()*")


def session_cookie(request: Request, token: str | None) -> Cookie:
    """The login cookie: HttpOnly (no script reads it), SameSite=Lax, Secure in production."""
    max_age = request.app.state.settings.token_ttl_hours * 3600 if token else 0
    return _cookie(request, SESSION_COOKIE, token or "", max_age)


def fresh_csrf_cookie(request: Request) -> Cookie:
    """Drops the CSRF cookie, so the next page gets a new token: done at login and logout, so a token
    planted or seen before the login is worth nothing after it."""
    return _cookie(request, CSRF_COOKIE, "", 0)


def _cookie(request: Request, key: str, value: str, max_age: int) -> Cookie:
    secure = request.app.state.settings.environment == "production"
    return Cookie(key=key, value=value, path="/", httponly=True, samesite="lax", secure=secure, max_age=max_age)


async def form_of(request: Request) -> dict[str, Any]:
    """The posted form: one value per field, a list where a field repeats; the CSRF token and the form's
    own key (pages/once.py) left out."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        if key in ("_csrf_token", "_form_key"):
            continue
        found = [v for v in form.getall(key) if isinstance(v, str)]
        values[key] = found if len(found) > 1 else (found[0] if found else "")
    return values


def form_id(text: str) -> int | None:
    """A whole number a form sent (an id, minutes): ASCII digits of a database integer's size, else None
    (str.isdigit also says yes to '²' and to 5,000 digits, which int() then refuses)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def search_box(request: Request, name: str = "q", limit: int = 100) -> str:
    """A list's search box as its form sends it: empty is no search, and so is text the bounds refuse (a
    NUL, control characters) — a list filter is never a refusal. LIKE's own characters are the caller's
    to take literally (`icontains(…, autoescape=True)`)."""
    try:
        return search_text(request.query_params.get(name, "")[:limit]) or ""
    except OutOfBounds:
        return ""


def chosen(request: Request, name: str, allowed) -> str:
    """A list filter's <select> as its form sends it: one of the allowed values, else "" (the form's own
    empty choice, or a stale or hand-made link), never a refusal."""
    value = request.query_params.get(name, "")
    return value if value in allowed else ""


def page_of(request: Request) -> int:
    """A list's page number from its pager link (1 when missing or odd)."""
    number = form_id(request.query_params.get("page", "1"))
    return number if number and number < 10_000 else 1


def kept(values: dict) -> str:
    """A list's filters as its pager links carry them (`a=1&b=2&`, the empty ones left out)."""
    found = urlencode({k: v for k, v in values.items() if v})
    return f"{found}&" if found else ""


def as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


# Pydantic's error types -> a message in the page's language, shown beside the field.
_INPUT_ERRORS = {
    "missing": N_("Please fill this in."),
    "string_too_short": N_("Too short: at least %(min_length)s characters."),
    "string_too_long": N_("Too long: at most %(max_length)s characters."),
    "too_short": N_("Please choose at least %(min_length)s."),
    "too_long": N_("At most %(max_length)s, please."),
    "int_parsing": N_("Please enter a whole number."),
    "greater_than_equal": N_("At least %(ge)s, please."),
    "less_than_equal": N_("At most %(le)s, please."),
    "enum": N_("Please choose one of the options."),
    "literal_error": N_("Please choose one of the options."),
    "string_pattern_mismatch": N_("This is not in the expected form."),
    "datetime_parsing": N_("Please enter a date and time."),
    "datetime_from_date_parsing": N_("Please enter a date and time."),
    # The input bounds (domain/bounds.py), the same sentences as the API's
    "time_out_of_range": N_("Please choose a time between %(low)s and %(high)s."),
    "time_too_late": N_("Please choose a time before %(high)s."),
    "time_naive": N_("Please enter a date and time."),
    "text_control": N_("Please remove the control characters (such as NUL) from this text."),
    "text_one_line": N_("Please write this on one line."),
    "text_invisible": N_("Please write something visible here."),
}
_PHONE = N_("Enter an 11-digit mainland China mobile number, e.g. 13812345678.")
_INVALID = N_("Please check this value.")


def input_errors(request: Request, exc: ValidationError) -> dict[str, str]:
    """field -> message for each refused field of a form model (the first message per field)."""
    lang = lang_of(request)
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "form"
        if field == "phone":
            message = tr(lang, _PHONE)
        elif error["type"] in _INPUT_ERRORS:
            message = tr(lang, _INPUT_ERRORS[error["type"]], **(error.get("ctx") or {}))
        elif error["type"] == "value_error":
            message = _service_text(lang, str(error["ctx"]["error"])) if error.get("ctx") else tr(lang, _INVALID)
        else:
            message = tr(lang, _INVALID)
        errors.setdefault(field, message)
    return errors


def validate(request: Request, model: type[BaseModel], values: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(values, context={"form": True}), {}  # a form sends numbers as text
    except ValidationError as exc:
        return None, input_errors(request, exc)


_GENERIC = {
    400: N_("This could not be done: please check what you entered."),
    401: N_("Please log in first."),
    403: N_("You may not do this."),
    404: N_("This was not found, or it is not yours."),
    409: N_("This is not possible in its current state."),
}


def _service_text(lang: str, detail: str) -> str:
    # The services' sentences are English; those in the catalogue are shown translated, others (not yet in
    # the catalogue) as a general request to check the value, never as English on a Chinese page.
    return refusals.words(lang, detail) or tr(lang, _INVALID)


def refusal(request: Request, exc: Exception, default_field: str = "form") -> tuple[int, dict[str, str]]:
    """A use case's refusal as (HTTP status, {field: message in the page's language})."""
    lang = lang_of(request)
    field = default_field
    if isinstance(exc, MarketError):
        status, field = exc.status_code, exc.extra.get("field") or default_field
    elif isinstance(exc, IllegalTransition):
        status = 409
    elif isinstance(exc, ActorNotAllowed):
        status = 403
    else:  # a constraint no rule caught first
        return 409, {field: tr(lang, _GENERIC[409])}
    message, params = refusals.parts(exc)
    # A sentence not (yet) in the catalogue: what kind of refusal it is, in the page's language only.
    return status, {field: refusals.words(lang, message, params) or tr(lang, _GENERIC.get(status, _GENERIC[400]))}


async def attempt(db: AsyncSession, work: Callable[[], Awaitable[T]]) -> tuple[T | None, Exception | None]:
    """Run a use case in a savepoint: a refusal undoes all of it, and the page is shown again with why."""
    try:
        async with db.begin_nested():
            return await work(), None
    except REFUSALS as exc:
        return None, exc


def flat_categories(tree, depth: int = 0) -> list[tuple[int, str, str, int]]:
    """The category tree as (id, 中文, English, depth) rows for a <select>."""
    rows = []
    for node in tree:
        rows.append((node.id, node.name_zh, node.name_en, depth))
        rows += flat_categories(node.children, depth + 1)
    return rows
