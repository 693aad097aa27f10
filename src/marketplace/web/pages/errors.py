"""Errors on pages answer an HTML page in the visitor's language; the API keeps its JSON shape."""

from collections.abc import Callable

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.response import Template

from . import refusals
from .common import LoginRequired, login_redirect
from .i18n import N_, lang_of, tr

_NOT_PAGES = ("/api/", "/schema", "/healthz", "/static/")

_TITLES = {
    400: N_("Something in the request is not right"),
    413: N_("Something in the request is not right"),
    403: N_("Not for you"),
    404: N_("Page not found"),
    405: N_("This does not work that way"),
    409: N_("Not possible right now"),
    500: N_("Something went wrong on our side"),
    503: N_("Briefly unavailable"),
}
_CSRF = N_("The form had expired. Please go back, reload the page and try again.")
_CSRF_TITLE = N_("The form had expired")
_NOT_FOUND = N_("This page does not exist, or it is not yours.")
_FORBIDDEN = N_("This page is not for your role.")
_BROKEN = N_("Please try again in a moment.")
_UNAVAILABLE = N_("The service cannot reach its database or queue for a moment. Please try again shortly.")
_CHECK = N_("This could not be done: please check what you entered.")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(_NOT_PAGES)


def _message(request: Request, exc: Exception, status: int) -> str:
    lang = lang_of(request)
    if _expired_form(exc):
        return tr(lang, _CSRF)
    if status == 404 or isinstance(exc, NotFoundException):
        return tr(lang, _NOT_FOUND)
    if status == 403:  # the use case's own sentence when the catalogue has it (not your station), else the role
        said = None if isinstance(exc, HTTPException) else refusals.words(lang, *refusals.parts(exc))
        return said or tr(lang, _FORBIDDEN)
    if status == 503:
        return tr(lang, _UNAVAILABLE)
    if status >= 500:
        return tr(lang, _BROKEN)
    if isinstance(exc, HTTPException):
        message, params = str(exc.detail), {}
    else:
        message, params = refusals.parts(exc)
    # A sentence the catalogue does not know (the framework's, naming the request) is not shown in
    # English on a Chinese page: the page says, in its language, to check what was entered.
    return refusals.words(lang, message, params) or tr(lang, _CHECK)


def _expired_form(exc: Exception) -> bool:
    return isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail)


def error_page(request: Request, exc: Exception, status: int, headers: dict[str, str] | None = None) -> Response:
    lang = lang_of(request)
    title = tr(lang, _CSRF_TITLE if _expired_form(exc) else _TITLES.get(status, _TITLES[400]))
    context = {"title": title, "message": _message(request, exc, status), "status": status, "lang": lang}
    # The header as the visitor knows it: logged in, when the page's user was resolved before the error.
    context["user"] = request.scope.get("state", {}).get("page_user")
    if headers is None and isinstance(exc, HTTPException):
        headers = exc.headers  # a 405's `Allow`
    return Template(template_name="error.html", context=context, status_code=status, headers=headers)


def with_pages(api_handlers: dict) -> dict:
    """The API's handlers, answering pages with an HTML page instead (a login redirect when needed)."""

    def html_aware(handler: Callable) -> Callable:
        def handle(request: Request, exc: Exception) -> Response:
            answer = handler(request, exc)  # the API's status (and its log line for a 500)
            if not is_page(request):
                return answer
            retry_after = answer.headers.get("Retry-After")  # a 503 says when to try again, on pages too
            return error_page(request, exc, answer.status_code, {"Retry-After": retry_after} if retry_after else None)

        return handle

    handlers = {exc_type: html_aware(handler) for exc_type, handler in api_handlers.items()}
    handlers[LoginRequired] = lambda request, exc: login_redirect(request)
    return handlers
