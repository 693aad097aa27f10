"""When an order's service happens, and what that allows: the time guards of the transition table.

An order's service time is the agreed time (an arrangement's `starts_at`), else its session's. Some
moves make sense only before it starts (accept an offer, a member's cancel, confirm a promoted seat),
some only once it has started (deliver, no-show, a waitlist place lapsing); an accepted order whose
service ended without being delivered is overdue, first for its provider, later for the operators.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# An agreed time lasts its agreed minutes (at most a day), else as long as its session did, else this long.
DEFAULT_LENGTH = timedelta(hours=1)
MAX_MINUTES = 24 * 60


class Window(StrEnum):
    """When, relative to the service's start, a move may be made."""

    before_start = "before_start"  # refused once the service has started
    from_start = "from_start"  # refused until it has started (and until a time or arrangement is agreed)


@dataclass(frozen=True)
class ServiceTime:
    """What is known of when an order's service happens."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    arranged: bool = False  # the provider agreed arrangements (time, place or link)

    @property
    def known(self) -> bool:
        return self.starts_at is not None


def service_time(
    session_starts_at: datetime | None,
    session_ends_at: datetime | None,
    arrangement: dict,
    arranged: bool,
) -> ServiceTime:
    """The service time of an order from its session (if any) and its arrangement (an agreed time wins, and
    lasts the agreed minutes, else as long as the session, else an hour)."""
    agreed = _moment(arrangement.get("starts_at")) if arrangement else None
    if agreed is not None:
        starts_at = agreed
        length = DEFAULT_LENGTH
        minutes = arrangement.get("minutes")
        if isinstance(minutes, int) and not isinstance(minutes, bool) and 0 < minutes <= MAX_MINUTES:
            length = timedelta(minutes=minutes)
        elif session_starts_at is not None and session_ends_at is not None and session_ends_at > session_starts_at:
            length = session_ends_at - session_starts_at
        return ServiceTime(starts_at, starts_at + length, True)
    return ServiceTime(session_starts_at, session_ends_at, arranged)


def _moment(value) -> datetime | None:
    """An agreed time as stored (ISO text); an unreadable or naive one counts as not agreed."""
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    try:
        found = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return found if found is not None and found.tzinfo else None


def window_refusal(window: Window, now: datetime, when: ServiceTime) -> str | None:
    """Why a move bound to `window` may not be made at `now` (None: it may)."""
    if window == Window.before_start:
        if when.known and now >= when.starts_at:
            return "This session has already started."
        return None
    if when.known:
        if now < when.starts_at:
            return "This can be done once the service has started."
        return None
    if not when.arranged:
        return "Agree the arrangements (time, place or link) before marking it delivered."
    return None


def offer_deadline(now: datetime, hours: int, when: ServiceTime) -> datetime:
    """An offer must be answered within its window, and before the service starts."""
    deadline = now + timedelta(hours=hours)
    if when.known and when.starts_at < deadline:
        return max(when.starts_at, now)
    return deadline


def arrangement_refusal(now: datetime, starts_at: datetime | None) -> str | None:
    """An agreed time is a time still to come."""
    if starts_at is not None and starts_at <= now:
        return "An agreed time must be in the future."
    return None


class Overdue(StrEnum):
    """How far an accepted order whose service ended without delivery has gone unrecorded."""

    remind_provider = "remind_provider"  # the provider is asked to record attendance
    escalate = "escalate"  # the operators take it on


def overdue_stage(
    now: datetime, when: ServiceTime, remind_after: timedelta, escalate_after: timedelta
) -> Overdue | None:
    """Where an accepted order stands once its service has ended unrecorded (None: not overdue)."""
    if when.ends_at is None:
        return None
    if now >= when.ends_at + escalate_after:
        return Overdue.escalate
    if now >= when.ends_at + remind_after:
        return Overdue.remind_provider
    return None
