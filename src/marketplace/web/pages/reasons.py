"""The reasons the system writes on an order's timeline (English in the API), as pages show them: in
the reader's language. A reason a person typed is shown as it is."""

import re

from .i18n import N_, tr

FIXED = [
    N_("the session is full"),
    N_("a seat became free"),
    N_("matched"),
    N_("absent"),
    N_("no answer before the deadline"),
    N_("the provider did not answer before the deadline"),
    N_("no provider took it in time"),
    N_("the promoted place was not confirmed in time"),
    N_("the session started before a seat came free"),
    N_("the service ended and its provider recorded nothing"),
    N_("a second live order of the same on-request listing"),
    N_("checked in"),
    N_("not checked in by the end of the session"),
    N_("drawn by lot"),
]
_FIXED = set(FIXED)
# Reasons with numbers in them: the pattern, and the catalogue's sentence taking its parts by name.
PATTERNS = [
    (
        re.compile(r"^(?P<n>\d+) offers: (?P<declined>\d+) declined, (?P<unanswered>\d+) unanswered$"),
        N_("%(n)s offers: %(declined)s declined, %(unanswered)s unanswered"),
    ),
    (
        re.compile(r"^no answer within (?P<days>\d+) days of delivery$"),
        N_("no answer within %(days)s days of delivery"),
    ),
    (re.compile(r"^booked by (?P<name>.+)$"), N_("booked by %(name)s")),
    (re.compile(r"^swapped for (?P<name>.+)$"), N_("swapped for %(name)s")),
]


def shown(lang: str, reason: str | None) -> str:
    if not reason:
        return ""
    if reason in _FIXED:
        return tr(lang, reason)
    for pattern, message in PATTERNS:
        found = pattern.match(reason)
        if found:
            return tr(lang, message, **found.groupdict())
    return reason
