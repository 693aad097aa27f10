"""The input bounds (domain/bounds.py) and the pure code that meets odd values: no I/O."""

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from marketplace.domain import bounds, matching, reminders
from marketplace.services import orders
from marketplace.web.bodies import json_depth

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
FAR = datetime(9999, 12, 31, 17, 0, tzinfo=UTC)  # overflows when moved to UTC+8


@pytest.mark.parametrize(
    ("check", "value", "ok"),
    [
        (bounds.session_time, NOW + timedelta(days=3), True),
        (bounds.session_time, NOW + bounds.HORIZON, True),
        (bounds.session_time, NOW + bounds.HORIZON + timedelta(seconds=1), False),
        (bounds.session_time, FAR, False),
        (bounds.session_time, datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8))), True),  # past: the listing rule
        (bounds.agreed_time, NOW - timedelta(hours=3), True),
        (bounds.agreed_time, NOW - bounds.GRACE - timedelta(seconds=1), False),
        (bounds.agreed_time, datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-8))), False),
        (bounds.preferred_time, NOW + timedelta(days=6), True),
        (bounds.preferred_time, NOW + bounds.NEED_LIFE + bounds.GRACE + timedelta(minutes=1), False),
        (bounds.preferred_time, datetime(1, 1, 1, tzinfo=UTC), False),
    ],
)
def test_times_lie_within_their_range(check, value, ok):
    if ok:
        assert check(value, NOW) == value
    else:
        with pytest.raises(bounds.OutOfBounds) as refused:
            check(value, NOW)
        assert refused.value.kind in ("time_too_late", "time_out_of_range") and str(refused.value).endswith(".")


def test_a_naive_time_is_refused():
    with pytest.raises(bounds.OutOfBounds, match="offset"):
        bounds.agreed_time(datetime(2026, 12, 1, 10, 0), NOW)


def test_the_need_life_is_the_need_window_of_the_order_rules():
    assert orders.NEED_WINDOW == bounds.NEED_LIFE


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("  书法 班 ", {}, "书法 班"),
        ("\u200b书法\ufeff", {"required": True}, "书法"),
        ("a\nb\tc", {"multiline": True}, "a\nb\tc"),
        ("", {}, ""),
        ("\u200b", {}, ""),  # an optional field left invisible is simply empty
    ],
)
def test_text_is_trimmed_of_what_does_not_show(value, kwargs, expected):
    assert bounds.clean_text(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "kind"),
    [
        ("a\x00b", {}, "text_control"),
        ("a\x00b", {"multiline": True}, "text_control"),
        ("a\x1bb", {"multiline": True}, "text_control"),
        ("a\x85b", {}, "text_control"),
        ("a\nb", {}, "text_one_line"),
        ("\u200b\u200c\u200d\u2060", {"required": True}, "text_invisible"),
        ("\u3164 \u00a0", {"required": True}, "text_invisible"),
        (" a ", {"required": True, "min_length": 2}, "string_too_short"),
    ],
)
def test_text_the_market_refuses(value, kwargs, kind):
    with pytest.raises(bounds.OutOfBounds) as refused:
        bounds.clean_text(value, **kwargs)
    assert refused.value.kind == kind


def test_the_published_pattern_is_the_rule_the_server_applies():
    required = re.compile(bounds.text_pattern(multiline=False, required=True))
    assert bounds.text_pattern(multiline=False, required=True).isascii()
    for value in ("书法", " a ", "\u200ba"):
        assert required.match(value) and bounds.clean_text(value, required=True)
    for value in ("\u200b", "  ", "a\x00", ""):
        assert not required.match(value)
        with pytest.raises(bounds.OutOfBounds):
            bounds.clean_text(value, required=True)


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[["}]}') == 3
    assert json_depth(b'"\\"[["') == 0
    assert json_depth(b"[" * 10_000 + b"]" * 10_000) == 10_000
    assert json_depth(b"") == 0
    assert json_depth(b"[" * 10_000, enough=33) == 33  # stops counting once it is too deep
    assert json_depth(b"[1, [2]]", enough=33) == 0  # too few brackets: not even scanned


def test_a_far_off_preferred_time_is_left_out_not_raised():
    need = matching.NeedFacts(
        id=1,
        member_id=1,
        category_path=(1,),
        text="法律咨询",
        preferred_times=((FAR, FAR + timedelta(minutes=30)), (NOW, NOW + timedelta(hours=1))),
    )
    assert need.local_times == ((datetime(2026, 11, 29, 20, 0), datetime(2026, 11, 29, 21, 0)),)


def test_reminders_of_a_session_beyond_the_horizon_are_not_planned():
    assert reminders.session_reminders(FAR, NOW, SHANGHAI) == {}
    assert reminders.is_tomorrow(FAR, NOW, SHANGHAI) is False
    assert reminders.local_text(FAR, SHANGHAI) == "9999-12-31 17:00 UTC"
    assert reminders.local_text(NOW, SHANGHAI) == "11月29日 20:00"


def test_json_depth_reads_crafted_strings_to_their_end():
    # An unterminated string of escaped quotes, with and without a last lone backslash: an earlier
    # scanner went back over it from every quote (quadratic: minutes for this body, a DoS).
    crafted = b'"' + b'\\"' * 400_000
    assert json_depth(crafted) == 0 and json_depth(crafted + b"\\") == 0
    assert json_depth(crafted + b'"[[') == 2  # closed by the last quote: these count


def test_trimming_keeps_what_lies_between_visible_characters():
    # inside spaces stay; a regex trimming the end once retried from each of them (quadratic, a DoS)
    assert bounds.clean_text("a" + " " * 200_000 + "b", multiline=True) == "a" + " " * 200_000 + "b"
    assert bounds.clean_text("\u3000\u200b书\u200b法\u2060 ") == "书\u200b法"
