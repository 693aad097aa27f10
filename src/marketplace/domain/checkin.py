"""扫码签到: the signed check-in codes and when they hold.

A member's code names their order and its session, signed with a key of its own (HMAC-SHA256 with the
key `keys.derive` makes for "checkin"): `CM1.<order>.<session>.<signature>`. A session's own code (shown
on the provider's check-in page, scanned by members with their phone) is a link carrying
`S1.<session>.<signature>`. Both hold from CHECKIN_OPENS_BEFORE the start to the end of the session; a
short code (6 characters, unique within the session) is the typed fallback.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CHECKIN_OPENS_BEFORE = timedelta(hours=1)
# Short codes: no 0/O, 1/I/L, so a code read aloud or typed from a phone screen is not mistaken.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
_SHORT = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
_ORDER_TOKEN = re.compile(r"^CM1\.([0-9]{1,10})\.([0-9]{1,10})\.([A-Za-z0-9_-]{22})$")
_SESSION_TOKEN = re.compile(r"^S1\.([0-9]{1,10})\.([A-Za-z0-9_-]{22})$")

FORGED = "This check-in code is not valid."
OTHER_SESSION = "This check-in code belongs to another session."
TOO_EARLY = "Check-in opens one hour before the session starts."
TOO_LATE = "Check-in closed when the session ended."


def _sign(key: str, message: str) -> str:
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def order_token(key: str, order_id: int, session_id: int) -> str:
    """The text of a member's QR code: it names the order and the session, and only the server can make it."""
    return f"CM1.{order_id}.{session_id}.{_sign(key, f'order:{order_id}:{session_id}')}"


def session_token(key: str, session_id: int) -> str:
    """The text a session's own QR code carries (in a link), scanned by members to check themselves in."""
    return f"S1.{session_id}.{_sign(key, f'session:{session_id}')}"


@dataclass(frozen=True)
class Scanned:
    """What a typed or scanned text is: a signed order token, or a short code to look up."""

    order_id: int | None = None
    session_id: int | None = None
    short_code: str | None = None


def read_code(key: str, text: str) -> Scanned:
    """A member's signed token or a short code, as typed or scanned; raises ValueError(FORGED) otherwise."""
    text = (text or "").strip()
    found = _ORDER_TOKEN.match(text)
    if found:
        order_id, session_id, signature = int(found[1]), int(found[2]), found[3]
        if hmac.compare_digest(signature, _sign(key, f"order:{order_id}:{session_id}")):
            return Scanned(order_id=order_id, session_id=session_id)
        raise ValueError(FORGED)
    short = text.upper().replace(" ", "").replace("-", "")
    if _SHORT.match(short):
        return Scanned(short_code=short)
    raise ValueError(FORGED)


def read_session_token(key: str, text: str) -> int:
    """The session a session token names; raises ValueError(FORGED) when it is not one this server made."""
    found = _SESSION_TOKEN.match((text or "").strip())
    if not found or not hmac.compare_digest(found[2], _sign(key, f"session:{int(found[1])}")):
        raise ValueError(FORGED)
    return int(found[1])


def window_refusal(now: datetime, starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a code may not be used at `now` (None: it may): from an hour before the start to the end."""
    if now < starts_at - CHECKIN_OPENS_BEFORE:
        return TOO_EARLY
    if now > ends_at:
        return TOO_LATE
    return None


def new_short_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
