"""Sentences in the reader's language: the gettext catalogues, and messages kept as a message id with
parameters, so that a notice or a refusal is put into words when it is read, in the reader's language.

The `.po` files in `marketplace/locale` are the source; they are compiled in memory on first use, so no
generated `.mo` file lives in the repository. A message (`msg`) is a small JSON-able dict: the English
sentence (the catalogue's msgid) and its parameters, each a plain value (a listing's title, a number,
shown as it is), a moment (shown in the market's zone in the reader's language) or another message.
"""

from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Language (as in settings, users.language and the `lang` attribute) -> gettext locale folder.
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}
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


def language(chosen: str | None, default: str) -> str:
    """A person's language: their choice when it is one we speak, else the deployment's."""
    return chosen if chosen in LANGUAGES else (default if default in LANGUAGES else "zh-CN")


def accepted(header: str | None, default: str = "en") -> str:
    """The language an `Accept-Language` header prefers among ours (zh, zh-CN, zh-Hans… → zh-CN)."""
    best, best_q = default, -1.0
    for part in (header or "").split(","):
        tag, _, rest = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.split("-")[0]
        lang = {"zh": "zh-CN", "en": "en"}.get(primary)
        if lang and q > best_q:
            best, best_q = lang, q
    return best


def moment(lang: str, value: datetime, zone: ZoneInfo, skeleton: str = "MMMEd Hm") -> str:
    """A moment in the market's zone in the language ('12月15日周二 14:30' / 'Tue, Dec 15 14:30');
    a moment the zone cannot hold (a row from before the input bounds) is shown as stored, in UTC."""
    try:
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)  # naive: UTC, as Babel's
        return " ".join(_pattern(lang, part).apply(local, LOCALES[lang]) for part in skeleton.split())
    except (OverflowError, ValueError):
        return value.strftime("%Y-%m-%d %H:%M UTC")


@lru_cache
def _pattern(lang: str, skeleton: str) -> DateTimePattern:
    """The locale's pattern for a skeleton (or its closest), found once: Babel's `format_skeleton` looks it up in
    the locale's data on every call, which costs about what the formatting does (a card on the menu shows one)."""
    skeletons = LOCALES[lang].datetime_skeletons
    return parse_pattern(skeletons[skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons)])


Msg = dict[str, Any]


def msg(message: str, **params: Any) -> Msg:
    """A message to put into words later: {"m": msgid, "p": {name: value}}. A datetime parameter is
    kept as {"at": ISO time}, a message parameter as itself."""
    encoded: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, datetime):
            encoded[name] = {"at": value.isoformat()}
        elif value is None:
            encoded[name] = ""
        else:
            encoded[name] = value
    return {"m": message, "p": encoded} if encoded else {"m": message}


def joined(*parts: Msg | str | None) -> Msg:
    """Sentences one after another (a notice's body of several parts; empty parts left out): run together
    in Chinese, a space apart in English."""
    return {"j": [part for part in parts if part]}


def is_msg(value: Any) -> bool:
    return isinstance(value, dict) and (isinstance(value.get("m"), str) or isinstance(value.get("j"), list))


SEPARATORS = {"zh-CN": "", "en": " "}


def render(lang: str, zone: ZoneInfo, value: Msg | str | None) -> str:
    """A message (or plain text, returned as it is) in the language."""
    if value is None:
        return ""
    if not is_msg(value):
        return str(value)
    if "j" in value:
        return SEPARATORS.get(lang, " ").join(render(lang, zone, part) for part in value["j"])
    params = {}
    for name, param in (value.get("p") or {}).items():
        if is_msg(param):
            params[name] = render(lang, zone, param)
        elif isinstance(param, dict) and "at" in param:
            try:
                params[name] = moment(lang, datetime.fromisoformat(param["at"]), zone)
            except (TypeError, ValueError):
                params[name] = str(param["at"])
        else:
            params[name] = param
    message = value["m"]
    text = translations(lang).gettext(message)
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):  # a catalogue that lost a name: the English, never a 500
        return value["m"] % params if params else value["m"]
