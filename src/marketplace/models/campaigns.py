"""免申即享 proactive offers: a campaign (places of a session or of a benefit, for groups) and its offers."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..domain.campaigns import CampaignState, OfferState
from .base import created_at_field, json_field, market_fk, state_field, text_list_field, timestamp_field


class Campaign(SQLModel, table=True):
    """What is offered (a session's seats, or a benefit with a quantity), to whom (groups), how long each
    member has to answer, and the drawn order of offering (`seed`, `ranking`, kept so it can be checked).
    `seats_held` are the session's seats the campaign holds now (counted in `seats_taken`, so the public
    cannot take them): handed to an order on accept, given back when the campaign ends."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("places > 0", name="places_positive"),
        sa.CheckConstraint("seats_held >= 0 AND seats_held <= places", name="seats_held_within_places"),
        sa.Index("ix_campaigns_market_state", "market_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    title: str = Field(sa_type=sa.String(120), nullable=False)
    kind: str = Field(sa_type=sa.String(20), nullable=False)  # domain/campaigns.CampaignKind
    session_id: int | None = Field(default=None, foreign_key="listing_sessions.id", index=True)
    benefit_name: str = Field(default="", sa_type=sa.String(120), nullable=False)
    benefit_description: str = Field(default="", sa_type=sa.Text, nullable=False)
    places: int = Field(nullable=False)
    groups: list[str] = text_list_field()
    window_hours: int = Field(nullable=False)
    state: str = state_field(CampaignState.draft)
    seed: str | None = Field(default=None, sa_type=sa.String(64))
    ranking: list[int] = json_field(default_factory=list)  # member ids in the drawn order
    cursor: int = Field(default=0, nullable=False)  # the next place in the ranking to consider
    seats_held: int = Field(default=0, nullable=False)
    seats_released: int = Field(default=0, nullable=False)  # given back to the public at the end
    cancel_reason: str = Field(default="", sa_type=sa.Text, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
    started_at: datetime | None = timestamp_field()
    ended_at: datetime | None = timestamp_field()


class CampaignOffer(SQLModel, table=True):
    """One member's offer in a campaign: at most one per member (unique), answered once."""

    __tablename__ = "campaign_offers"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "member_id", name="uq_campaign_offers_campaign_member"),
        sa.UniqueConstraint("campaign_id", "redeem_code", name="uq_campaign_offers_campaign_code"),
        sa.Index("ix_campaign_offers_state_deadline", "state", "deadline_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    market_id: int = market_fk()
    campaign_id: int = Field(foreign_key="campaigns.id", nullable=False, index=True)
    member_id: int = Field(foreign_key="users.id", nullable=False, index=True)
    rank: int = Field(nullable=False)  # the member's place in the ranking (0 first)
    groups: list[str] = text_list_field()  # the targeted groups the member was in when offered
    state: str = state_field(OfferState.pending)
    deadline_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    answered_at: datetime | None = timestamp_field()
    reason: str = Field(default="", sa_type=sa.Text, nullable=False)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    redeem_code: str | None = Field(default=None, sa_type=sa.String(12))
    created_at: datetime = created_at_field()
