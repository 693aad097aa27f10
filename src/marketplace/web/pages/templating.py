"""Jinja2 for the pages: gettext from the catalogues in the visitor's language, and display filters."""

import functools
import hashlib
from datetime import datetime
from pathlib import Path

from jinja2 import pass_context
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from ...domain.confidential import HIDDEN_MEMBER
from ...services import personal_data, reviews
from . import i18n, labels, once, reasons
from .i18n import N_

PACKAGE = Path(__file__).resolve().parents[2]
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"


def _request(context):
    return context["request"]


@pass_context
def _gettext(context, message: str) -> str:
    return i18n.translations(i18n.lang_of(_request(context))).gettext(message)


@pass_context
def _ngettext(context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(i18n.lang_of(_request(context))).ngettext(singular, plural, n)


@pass_context
def _when(context, value: datetime | str | None, skeleton: str = "MMMEd Hm") -> str:
    return i18n.when(_request(context), value, skeleton)


@pass_context
def _label(context, value: str | None, table: str) -> str:
    """A state, shape, group or role in the page's language: {{ order.state|label('ORDER_STATES') }}."""
    message = getattr(labels, table).get(value or "")
    return _gettext(context, message) if message else (value or "")


@pass_context
def _reason(context, value: str | None) -> str:
    """A timeline reason: the system's sentences in the page's language, a person's as typed."""
    return reasons.shown(i18n.lang_of(_request(context)), value)


@pass_context
def _number(context, value, digits: int = 1) -> str:
    return i18n.number(_request(context), value, digits)


@pass_context
def _percent(context, value) -> str:
    return i18n.percent(_request(context), value)


@pass_context
def _until(context, value: datetime | None) -> str:
    if value is None:
        return ""
    return i18n.relative(_request(context), value - datetime.now(value.tzinfo))


@pass_context
def _local_input(context, value: datetime | None) -> str:
    return i18n.local_input(_request(context), value)


@pass_context
def _colon(context) -> str:
    """The punctuation after a label: full-width in Chinese."""
    return "：" if i18n.lang_of(_request(context)) == "zh-CN" else ": "


# A way back from the member's pages that have none of their own (the provider's and the desk's pages,
# an order and a listing carry theirs): the path -> (where, what it is called).
_BACK = {
    "/menu": ("/", N_("Home")),
    "/need": ("/", N_("Home")),
    "/notices": ("/", N_("Home")),
    "/orders": ("/", N_("Home")),
    "/me": ("/", N_("Home")),
    "/login": ("/", N_("Home")),
    "/register": ("/", N_("Home")),
}


@pass_context
def _back_link(context) -> tuple[str, str] | None:
    """Where the page's "‹ back" link leads and its text in the page's language (None: the page has its own)."""
    path = _request(context).url.path.rstrip("/") or "/"
    found = _BACK.get(path)
    if found is None and path.startswith("/orders/") and path.endswith("/survey"):
        found = (path.removesuffix("/survey"), N_("Back to the order"))
    if found is None:
        return None
    return found[0], _gettext(context, found[1])


def _stars(value: float | int | None) -> str:
    if not value:
        return ""
    full = int(round(value))
    return "★" * full + "☆" * (5 - full)


# Names the system gives (an anonymous reviewer, a deleted account), said in the page's language.
SYSTEM_NAMES = {
    reviews.ANONYMOUS: i18n.N_("Anonymous worker"),
    personal_data.DELETED_NAME: i18n.N_("Deleted account"),
    HIDDEN_MEMBER: i18n.N_("Confidential member"),
}


@pass_context
def _person(context, name: str | None) -> str:
    message = SYSTEM_NAMES.get(name or "")
    return _gettext(context, message) if message else (name or "")


@functools.cache
def static_url(path: str) -> str:
    """A static file's address with its content's digest: cached by browsers for a year (the files are
    immutable under that address), fetched anew as soon as a release changes them."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    # newstyle: {{ _("%(n)s seats", n=3) }} formats and escapes its variables
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    env.filters.update(
        when=_when,
        label=_label,
        reason=_reason,
        number=_number,
        percent=_percent,
        until=_until,
        local_input=_local_input,
        stars=_stars,
        person=_person,
    )
    env.globals["colon"] = _colon
    env.globals["back_link"] = _back_link
    env.globals["static_url"] = static_url
    env.globals["form_key"] = once.new_key
    env.trim_blocks = True
    env.lstrip_blocks = True


def template_config() -> TemplateConfig:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=configure)


# Pages link static files by their digest (static_url), so a year's caching never serves a stale file.
STATIC_CACHING = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)


def static_files():
    # Every asset is served by the app itself: no CDN, no external font (intranet-friendly).
    return create_static_files_router(
        path="/static", directories=[STATIC], name="static", include_in_schema=False, cache_control=STATIC_CACHING
    )
