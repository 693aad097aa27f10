"""Moments and numbers as pages show them (marketplace/texts.py, web/pages/i18n.py): the locale's pattern of a
skeleton is looked up once and numbers are remembered, and what is shown is exactly what Babel shows."""

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal

from marketplace import texts
from marketplace.web.pages import i18n

SKELETONS = ("MMMEd Hm", "Hm", "yMMMd", "yMMMMd", "yMMMd Hm", "yMd Hms", "Ehm", "GyMMMd")  # the last two: matched


def test_a_moment_is_shown_as_babel_shows_it():
    rng = random.Random(17)
    for lang, locale in texts.LOCALES.items():
        for zone in (ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC"), ZoneInfo("America/New_York")):
            for skeleton in SKELETONS:
                for _ in range(40):
                    value = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 30 * 365 * 1440))
                    if rng.random() < 0.3:  # naive (read as UTC) or in another offset
                        value = value.replace(tzinfo=None) if rng.random() < 0.5 else value.astimezone(timezone.max)
                    babel = " ".join(
                        format_skeleton(part, value, tzinfo=zone, locale=locale) for part in skeleton.split()
                    )
                    assert texts.moment(lang, value, zone, skeleton) == babel, (lang, zone, skeleton, value)


def test_a_moment_the_zone_cannot_hold_is_shown_as_stored():
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert texts.moment("zh-CN", far, ZoneInfo("Asia/Shanghai")) == "9999-12-31 23:00 UTC"


def test_a_number_is_shown_as_babel_shows_it():
    for lang, locale in texts.LOCALES.items():
        for value in (0, 4, 4.0, 4.5, 3.14159, 1234567.891, -2.5, 0.05, 2.25):
            for digits in (0, 1, 2):
                shown = format_decimal(round(value, digits), locale=locale)
                assert i18n._decimal(round(value, digits), lang) == shown, (lang, value, digits)
