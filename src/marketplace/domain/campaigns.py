"""免申即享 proactive offers: the rules without I/O.

A curator targets a listing session's seats, or a benefit with a quantity (a voucher), at groups of
members. At the start the system draws, once, the order in which eligible members are offered a place
(`ranking`): members in hardship (困难职工) first, then everyone else, each part in the order of a ticket
HMAC-SHA256(seed, member id) — the seed and the ranking are kept on the campaign, so anyone with them can
recompute it. As many offers are open at once as there are places not yet taken (`open_places`); each is
answered within the campaign's window and never after the session starts (`answer_by`). An accepted
offer takes its place for good; a declined, expired or impossible one passes the place to the next
member in the ranking who was not offered yet. Each member is offered at most once per campaign. The
campaign is finished when every place is taken, or when nobody is left to offer and no offer is open.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from .checkin import ALPHABET
from .roles import MemberGroup

FIRST = MemberGroup.hardship  # members in hardship are offered first


class CampaignState(StrEnum):
    draft = "draft"  # being prepared: nothing reserved, nobody told
    running = "running"  # places reserved, offers going out
    finished = "finished"  # every place taken, or nobody left to offer
    cancelled = "cancelled"  # called off by a curator: what was not accepted is released


class CampaignKind(StrEnum):
    seats = "seats"  # N seats of a listing session
    benefit = "benefit"  # N of a benefit (a voucher …), claimed with a redeem code


class OfferState(StrEnum):
    pending = "pending"  # waiting for the member's answer
    accepted = "accepted"  # the member took the place (an order, or a claim with a code)
    declined = "declined"  # the member said no: the place passed on
    expired = "expired"  # no answer in time: the place passed on
    passed = "passed"  # the member could no longer take it (e.g. held an order of the session already)
    withdrawn = "withdrawn"  # the campaign was cancelled or ended while the offer was open


ANSWERED = frozenset({OfferState.accepted, OfferState.declined, OfferState.expired, OfferState.passed})
CLOSED = ANSWERED | {OfferState.withdrawn}

CAMPAIGN_MOVES: dict[tuple[str, CampaignState], CampaignState] = {
    ("start", CampaignState.draft): CampaignState.running,
    ("finish", CampaignState.running): CampaignState.finished,
    ("cancel", CampaignState.draft): CampaignState.cancelled,
    ("cancel", CampaignState.running): CampaignState.cancelled,
}

OFFER_MOVES: dict[tuple[str, OfferState], OfferState] = {
    ("accept", OfferState.pending): OfferState.accepted,
    ("decline", OfferState.pending): OfferState.declined,
    ("expire", OfferState.pending): OfferState.expired,
    ("pass", OfferState.pending): OfferState.passed,
    ("withdraw", OfferState.pending): OfferState.withdrawn,
}


class IllegalCampaignMove(Exception):
    """The campaign or the offer is not in a state this step is taken from (HTTP 409)."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params)


def campaign_move(state: CampaignState | str, action: str) -> CampaignState:
    target = CAMPAIGN_MOVES.get((action, CampaignState(state)))
    if target is None:
        raise IllegalCampaignMove(
            "This campaign is %(campaign_state)s; '%(campaign_action)s' is not possible from that state.",
            campaign_state=CampaignState(state).value,
            campaign_action=action,
        )
    return target


def offer_move(state: OfferState | str, action: str) -> OfferState:
    target = OFFER_MOVES.get((action, OfferState(state)))
    if target is None:
        raise IllegalCampaignMove(
            "This offer is %(offer_state)s; it can no longer be answered.", offer_state=OfferState(state).value
        )
    return target


def new_seed() -> str:
    return secrets.token_hex(16)


def ticket(seed: str, member_id: int) -> str:
    """A member's ticket in the draw of the offering order: HMAC-SHA256(seed, str(member id)) in hex."""
    return hmac.new(seed.encode(), str(member_id).encode(), hashlib.sha256).hexdigest()


def ranking(seed: str, members: Mapping[int, Iterable[str]]) -> list[int]:
    """The order in which members are offered a place: those in hardship first, then the rest, each part by
    ticket (ties, which HMAC makes impossible in practice, by id)."""
    return sorted(members, key=lambda m: (FIRST not in set(members[m]), ticket(seed, m), m))


def reached_groups(groups: Iterable[str], targets: Iterable[str]) -> list[str]:
    """The targeted groups a member is in: eligible when there is one (services/campaigns reads eligible
    members with the same overlap in SQL), and counted in each for the figures (惠及 N 人 by group)."""
    wanted = list(targets)
    mine = set(groups)
    return [g for g in wanted if g in mine]


def open_places(places: int, accepted: int, pending: int) -> int:
    """Places that may be offered now: neither taken nor waiting for an answer."""
    return max(0, places - accepted - pending)


def answer_by(now: datetime, window_hours: int, starts_at: datetime | None = None) -> datetime:
    """When an offer made now must be answered: the window, and never after the session starts."""
    deadline = now + timedelta(hours=window_hours)
    return min(deadline, starts_at) if starts_at is not None else deadline


def is_done(places: int, accepted: int, pending: int, anyone_left: bool) -> bool:
    """Finished: every place taken, or nobody left to offer and no offer open."""
    return accepted >= places or (pending == 0 and not anyone_left)


def redeem_code(length: int = 8) -> str:
    """A claim's code, shown at the counter: the check-in codes' alphabet (no 0/O, 1/I/L), a little longer."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
