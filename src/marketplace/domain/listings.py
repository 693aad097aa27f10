"""Listing shapes and states (domain.md, "Listing states")."""

from datetime import date, datetime, timedelta
from enum import StrEnum


class ListingShape(StrEnum):
    group = "group"  # a class, lecture or visit with N seats
    slot = "slot"  # one-to-one consultation slots (one seat each)
    on_request = "on_request"  # no fixed time; agreed after acceptance


class ServiceMode(StrEnum):
    online = "online"
    offline = "offline"


class ListingState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    paused = "paused"
    closed = "closed"
    archived = "archived"


# (state, action) -> new state; the only way a listing moves.
LISTING_TRANSITIONS: dict[tuple[ListingState, str], ListingState] = {
    (ListingState.draft, "submit"): ListingState.submitted,
    (ListingState.submitted, "approve"): ListingState.published,
    (ListingState.submitted, "reject"): ListingState.draft,
    (ListingState.published, "pause"): ListingState.paused,
    (ListingState.paused, "resume"): ListingState.published,
    (ListingState.published, "close"): ListingState.closed,
    (ListingState.paused, "close"): ListingState.closed,
    (ListingState.draft, "close"): ListingState.closed,
    (ListingState.submitted, "close"): ListingState.closed,
    (ListingState.closed, "archive"): ListingState.archived,
}

ORDERABLE = frozenset({ListingState.published})


def next_listing_state(state: ListingState, action: str) -> ListingState | None:
    return LISTING_TRANSITIONS.get((state, action))


# Weekly repeats (每周重复): a session added "for N weeks" is N sessions, one a week apart.
MAX_REPEAT_WEEKS = 26
MAX_NEW_SESSIONS = 200  # sessions one request may add, repeats included


Times = tuple  # (start, end, …anything carried along, e.g. the seats)


def weekly(times: list[Times], weeks: int) -> list[Times]:
    """Each (start, end, …) and its copies 1 … weeks-1 weeks later, in time order (weeks=1: as given)."""
    step = [timedelta(weeks=k) for k in range(weeks)]
    return sorted(((t[0] + d, t[1] + d, *t[2:]) for t in times for d in step), key=lambda t: (t[0], t[1]))


def weeks_until(first: datetime, until: date) -> int:
    """How many weekly sessions from `first` fall on or before the date `until` (at least 1)."""
    days = (until - first.date()).days
    return max(1, days // 7 + 1)


def split_clashes(new: list[Times], taken: list[Times]) -> tuple[list[Times], list[Times]]:
    """(kept, skipped): a new session overlapping a taken one, or one kept before it, is skipped.
    Touching ends (one ends at 19:00, the next starts at 19:00) do not clash."""
    kept: list[Times] = []
    skipped: list[Times] = []
    for item in new:
        start, end = item[0], item[1]
        if any(t[0] < end and start < t[1] for t in (*taken, *kept)):
            skipped.append(item)
        else:
            kept.append(item)
    return kept, skipped
