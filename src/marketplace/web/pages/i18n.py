"""Page languages: gettext catalogues and Babel's date and number formats.

The `.po` files in `marketplace/locale` are the source; they are compiled in
memory on first use, so no generated `.mo` file lives in the repository.
"""

from datetime import datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from litestar import Request

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
# Page language (as in settings and the `lang` attribute) -> gettext locale folder.
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}
LANG_COOKIE = "mkt_lang"
# Parsed once: Babel parses a locale given by name on every call, which costs far more than the formatting.
LOCALES = {lang: Locale.parse(locale) for lang, locale in LANGUAGES.items()}


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


@lru_cache
def translations(lang: str) -> Translations:
    locale = LANGUAGES[lang]
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(fp=compiled)


def tr(lang: str, message: str, **params) -> str:
    text = translations(lang).gettext(message)
    return text % params if params else text


def is_translated(lang: str, message: str) -> bool:
    return lang == "en" or translations(lang).gettext(message) != message


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
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        locale, zone = LOCALES[lang_of(request)], _zone(request)
        return " ".join(format_skeleton(part, value, tzinfo=zone, locale=locale) for part in skeleton.split())
    except (OverflowError, ValueError):
        # A row from before the input bounds (year 9999 overflows in the zone): shown as stored, not a 500.
        return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else str(value)


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
    return format_decimal(round(value, digits), locale=LOCALES[lang_of(request)])


def percent(request: Request, value: float | None) -> str:
    return "—" if value is None else format_percent(value, locale=LOCALES[lang_of(request)])
