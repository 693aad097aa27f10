"""Listing shapes and states (domain.md, "Listing states")."""

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
