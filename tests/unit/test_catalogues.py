"""The page catalogues are complete: every message in the templates and page code is translated in both languages."""

import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from marketplace.web.pages.i18n import LANGUAGES, LOCALE_DIR, translations

PACKAGE = LOCALE_DIR.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# `msg` marks the services' notice sentences (marketplace/texts.py); a refusal's sentence is the first argument
# of the error raised. pybabel is run with the same keywords (locale/babel.cfg).
REFUSALS = ["InvalidInput", "NotAuthenticated", "Forbidden", "NotFound", "Conflict", "TooLarge", "RateLimited"]
REFUSALS += ["MarketError", "IllegalTransition", "ActorNotAllowed", "IllegalCaseMove"]
REFUSALS += ["IllegalCampaignMove"]  # 免申即享 (domain/campaigns.py)
KEYWORDS = {**DEFAULT_KEYWORDS, "msg": None, **dict.fromkeys(REFUSALS)}


def _source_messages() -> set[str]:
    with (LOCALE_DIR / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(LOCALE_DIR / "babel.cfg"))
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(PACKAGE), method_map, options_map, KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str):
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def test_every_page_message_is_translated_in_both_catalogues():
    wanted = _source_messages()
    assert len(wanted) > 300  # the extraction found the templates and the page code
    for lang, locale in LANGUAGES.items():
        catalog = _catalog(locale)
        missing = sorted(m for m in wanted if m not in catalog or not catalog[m].string)
        assert not missing, f"{lang}: not translated: {missing[:10]}"
        fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
        assert not fuzzy, f"{lang}: fuzzy: {fuzzy[:10]}"
        untranslated = sorted(m.id for m in catalog if m.id and not m.string)
        assert not untranslated, f"{lang}: empty: {untranslated[:10]}"
        for message in catalog:
            if message.id and message.string:
                assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id


def test_catalogues_hold_no_stale_messages():
    wanted = _source_messages()
    for locale in LANGUAGES.values():
        stale = sorted(m.id for m in _catalog(locale) if m.id and m.id not in wanted)
        assert not stale, f"{locale}: no longer used (run pybabel update): {stale[:10]}"


def test_the_catalogues_load_and_translate():
    assert translations("zh-CN").gettext("My orders") == "我的订单"
    assert translations("en").gettext("My orders") == "My orders"
