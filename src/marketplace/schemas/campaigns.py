"""免申即享 proactive offers: a curator's campaign, its figures, a member's offer."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from ..domain.campaigns import CampaignKind
from ..domain.roles import MemberGroup
from .common import DbId, Out, Text, Whole

MAX_PLACES = 2000


class CampaignIn(BaseModel):
    """What to offer without anyone applying: `places` seats of a listing session (`kind: seats`, with
    `session_id`) or `places` of a benefit (`kind: benefit`, with `benefit_name`), to the members confirmed
    in one of `groups`, each answering within `window_hours` (never after the session starts)."""

    title: Text(120, min_length=1)
    kind: CampaignKind
    places: Annotated[Whole, Field(ge=1, le=MAX_PLACES)]
    groups: list[MemberGroup] = Field(min_length=1, max_length=len(MemberGroup))
    window_hours: Annotated[Whole, Field(ge=1, le=720)] = 48
    session_id: DbId | None = None
    benefit_name: Text(120) = ""
    benefit_description: Text(2000, multiline=True) = ""


class CampaignFigures(BaseModel):
    places: int
    offered: int  # offers made (each member at most once)
    accepted: int
    declined: int
    expired: int
    passed: int  # could no longer take it (e.g. already held an order of the session)
    withdrawn: int  # open when the campaign was cancelled or ended
    waiting: int  # open now
    eligible: int  # members in the drawn ranking
    not_yet_offered: int  # of those, not reached yet
    seats_held: int  # seats the campaign withholds from the public now
    seats_released: int  # seats given back to the public at the end
    unclaimed: int  # places nobody took (once the campaign ended)
    reach: int  # 惠及 N 人: members who took a place
    reach_by_group: dict[str, int]  # of those, per targeted group (a member may count in several)


class CampaignOut(Out):
    id: int
    title: str
    kind: str
    state: str
    places: int
    groups: list[str]
    window_hours: int
    session_id: int | None
    listing_id: int | None
    listing_title: str | None
    starts_at: datetime | None
    benefit_name: str
    benefit_description: str
    seed: str | None  # the draw's seed of the offering order, shown once the campaign started
    cancel_reason: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    figures: CampaignFigures


class CampaignOfferRow(BaseModel):
    """An offer as the desk sees it: the member's name and masked phone, their rank in the drawn order."""

    id: int
    member_id: int
    member_name: str
    member_phone: str
    rank: int
    ticket: str  # HMAC-SHA256(seed, member id), so the order can be checked
    groups: list[str]
    state: str
    deadline_at: datetime
    answered_at: datetime | None
    order_id: int | None


class CampaignCancelIn(BaseModel):
    reason: Text(1000, multiline=True) = ""


class MemberOfferOut(BaseModel):
    """A place offered to the member without their applying (免申即享)."""

    id: int
    campaign_id: int
    title: str
    kind: str
    state: str
    deadline_at: datetime
    answered_at: datetime | None
    reason: str
    listing_id: int | None
    listing_title: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    location: str | None
    benefit_name: str
    benefit_description: str
    order_id: int | None
    redeem_code: str | None
    created_at: datetime
