"""Page languages: the visitor's language, and Babel's date and number formats for it (the catalogues
themselves are `marketplace.texts`, which notices and refusals share)."""

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from babel.numbers import format_decimal, format_percent
from litestar import Request

from ...texts import LANGUAGES, LOCALE_DIR, LOCALES, N_, is_translated, moment, tr, translations  # noqa: F401

LANG_COOKIE = "mkt_lang"


def lang_of(request: Request) -> str:
    """The page language: the visitor's choice (a cookie), else the deployment's default."""
    lang = request.scope.get("state", {}).get("lang")
    if lang is None:
        lang = request.cookies.get(LANG_COOKIE)
        if lang not in LANGUAGES:
            lang = request.app.state.settings.language
        request.scope.setdefault("state", {})["lang"] = lang
    return lang


@lru_cache
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _zone(request: Request) -> ZoneInfo:
    return _zone_named(request.app.state.settings.time_zone)


def when(request: Request, value: datetime | str | None, skeleton: str = "MMMEd Hm") -> str:
    """A time in the market's zone, in the page language ('11月22日周六 19:00' / 'Sat, Nov 22 19:00');
    the skeleton is one or more of the locale's skeletons (MMMEd, Hm, yMMMd …) separated by spaces."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    # A row from before the input bounds (year 9999 overflows in the zone) is shown as stored, not a 500.
    return moment(lang_of(request), value, _zone(request), skeleton)


def local_input(request: Request, value: datetime | None) -> str:
    """A time as a `datetime-local` field shows it, in the market's zone."""
    try:
        return value.astimezone(_zone(request)).strftime("%Y-%m-%dT%H:%M") if value else ""
    except OverflowError:  # see `when`
        return value.strftime("%Y-%m-%dT%H:%M")


def parse_local(request: Request, text: str) -> datetime | None:
    """A `datetime-local` field's value, read in the market's zone; None when it is not a time."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=_zone(request))
    except ValueError:
        return None


def relative(request: Request, delta: timedelta) -> str:
    return format_timedelta(delta, add_direction=True, locale=LOCALES[lang_of(request)])


def number(request: Request, value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return _decimal(round(value, digits), lang_of(request))


@lru_cache(maxsize=4096, typed=True)
def _decimal(value: float | int, lang: str) -> str:
    # Babel's formatting costs about 10 µs, once per card on the menu; the values shown (ratings to one digit,
    # counts) repeat.
    return format_decimal(value, locale=LOCALES[lang])


def percent(request: Request, value: float | None) -> str:
    return "—" if value is None else format_percent(value, locale=LOCALES[lang_of(request)])
