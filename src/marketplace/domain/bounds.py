"""The accepted range of every input: times, text, numbers and lists.

One place for the rules, so the API's schemas, the page forms and the workers refuse the same
things (schemas/common.py turns them into pydantic types). Pure: the clock is passed in.

A value outside these bounds is refused where it enters, so nothing downstream (rendering a
time in the market's zone, PostgreSQL's text type, the matcher) meets a value it cannot hold.
"""

import re
from datetime import datetime, timedelta

# Times ---------------------------------------------------------------------------------------

# A session or an agreed time lies at most this far ahead; a provider plans a year or two, not more.
HORIZON = timedelta(days=2 * 365)
# An agreed time may be recorded a little after the fact (a provider writing it down late).
GRACE = timedelta(days=1)
# A need is open this long before it expires as unmet (services/orders.NEED_WINDOW is the same);
# the times that suit its member lie within that life.
NEED_LIFE = timedelta(days=7)


class OutOfBounds(ValueError):
    """A value the market does not accept: `kind` names the rule, `message` is a sentence for the
    person who sent it, with %(name)s placeholders filled from `params` (pages translate it)."""

    def __init__(self, kind: str, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.kind, self.message, self.params = kind, message, params


def check_time(value: datetime, now: datetime, *, before: timedelta | None, after: timedelta) -> datetime:
    """`value` must lie between now − before (None: any time before) and now + after."""
    if value.tzinfo is None:
        raise OutOfBounds("time_naive", "Give the time with its offset, e.g. 2026-12-01T19:00:00+08:00.")
    high = now + after
    if value > high:
        raise OutOfBounds("time_too_late", "Please choose a time before %(high)s.", high=f"{high:%Y-%m-%d %H:%M} UTC")
    if before is not None and value < now - before:
        low = now - before
        raise OutOfBounds(
            "time_out_of_range",
            "Please choose a time between %(low)s and %(high)s.",
            low=f"{low:%Y-%m-%d %H:%M} UTC",
            high=f"{high:%Y-%m-%d %H:%M} UTC",
        )
    return value


def session_time(value: datetime, now: datetime) -> datetime:
    # A time in the past is refused by the listing rules themselves ("must start in the future").
    return check_time(value, now, before=None, after=HORIZON)


def agreed_time(value: datetime, now: datetime) -> datetime:
    return check_time(value, now, before=GRACE, after=HORIZON)


def preferred_time(value: datetime, now: datetime) -> datetime:
    return check_time(value, now, before=GRACE, after=NEED_LIFE + GRACE)


# Text ----------------------------------------------------------------------------------------

# A message in an order's thread: a few paragraphs, not a document.
MESSAGE_LENGTH = 1000

# Never accepted: C0 controls (NUL among them), DEL and C1 controls (PostgreSQL's text cannot hold
# NUL). A multi-line field keeps tab, newline and CR. Written as regex escapes, so the pattern is
# plain ASCII wherever it is published; lone surrogates, which no UTF-8 request can carry and
# JSON Schema engines cannot name, are refused apart (_SURROGATE).
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_FORBIDDEN_ONE_LINE = r"\x00-\x1f\x7f-\x9f"
_SURROGATE = re.compile("[\ud800-\udfff]")
# Shown as nothing: spaces, zero-width and direction marks, word joiners, BOM, Hangul and braille blanks.
_INVISIBLE = (
    r"\s\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u2000-\u200f\u2028-\u202f"
    r"\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0"
)


def text_pattern(*, multiline: bool, required: bool) -> str:
    """The regular expression a text field matches (also published in the OpenAPI document):
    no control characters, and with `required` at least one character that shows."""
    forbidden = _CONTROL if multiline else _FORBIDDEN_ONE_LINE
    allowed = f"[^{forbidden}]"
    if not required:
        return f"^{allowed}*$"
    visible = f"[^{forbidden}{_INVISIBLE}]"
    return f"^{allowed}*{visible}{allowed}*$"


_ONE_LINE = re.compile(text_pattern(multiline=False, required=False), re.DOTALL)
_MULTI_LINE = re.compile(text_pattern(multiline=True, required=False), re.DOTALL)
# The same characters as a string for str.strip, which trims in linear time (a regex for the end
# of the text retries from every invisible character inside it: quadratic on crafted text).
_INVISIBLE_CLASS = re.compile(f"[{_INVISIBLE}]")
_EDGES = "".join(c for c in map(chr, range(0x10000)) if _INVISIBLE_CLASS.match(c))


def clean_text(value: str, *, multiline: bool = False, required: bool = False, min_length: int = 0) -> str:
    """The text as stored: control characters refused, invisible characters at either end removed,
    and (when required) something visible left, at least `min_length` characters of it."""
    if not (_MULTI_LINE if multiline else _ONE_LINE).match(value) or _SURROGATE.search(value):
        if multiline or "\n" not in value:
            raise OutOfBounds("text_control", "Please remove the control characters (such as NUL) from this text.")
        raise OutOfBounds("text_one_line", "Please write this on one line.")
    value = value.strip(_EDGES)
    if required and not value:
        raise OutOfBounds("text_invisible", "Please write something visible here.")
    if len(value) < min_length:
        raise OutOfBounds("string_too_short", "Too short: at least %(min_length)s characters.", min_length=min_length)
    return value


def search_text(value: str | None) -> str | None:
    """A search query: the same rules as one line of text; nothing left means no query."""
    if value is None:
        return None
    return clean_text(value) or None
