"""A demo 免申即享 campaign: seats of an upcoming session reserved for new-employment-form workers, started
through the service (the order of offering drawn as in real use), with a few answers already in."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.domain.campaigns import CampaignKind
from marketplace.domain.roles import MemberGroup, Role
from marketplace.models import Campaign, CampaignOffer, Listing, ListingSession, User
from marketplace.models.base import utcnow
from marketplace.schemas.campaigns import CampaignIn
from marketplace.services import campaigns, organisations

PLACES = 6


async def load_campaign(db: AsyncSession, market_id: int) -> dict:
    if (await db.execute(sa.select(Campaign.id).where(Campaign.market_id == market_id).limit(1))).first():
        return {"campaigns": "already present"}
    curator = (
        await db.execute(
            sa.select(User)
            .where(User.market_id == market_id, User.roles.contains([Role.curator.value]))
            .order_by(User.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    soon = utcnow() + timedelta(days=3)
    # a session open to the campaign's group (a listing for other groups only, or for verified members only,
    # would refuse some of those it is offered to)
    open_to_all = sa.select(Listing.id).where(
        sa.or_(Listing.target_groups == [], Listing.target_groups.contains([MemberGroup.new_employment.value])),
        Listing.verified_only.is_(False),
    )
    allowed = set(
        (await db.execute(sa.select(ListingSession.id).where(ListingSession.listing_id.in_(open_to_all)))).scalars()
    )
    sessions = await organisations.bookable_sessions(db, market_id)
    session = next((s for s in sessions if s[2] > soon and s[3] >= PLACES and s[0] in allowed), None)
    if curator is None or session is None:
        return {"campaigns": 0}
    data = CampaignIn(
        title=f"免申即享：{session[1]}",
        kind=CampaignKind.seats,
        session_id=session[0],
        places=PLACES,
        groups=[MemberGroup.new_employment],
        window_hours=48,
    )
    campaign = await campaigns.start(db, curator, (await campaigns.create(db, curator, data)).id)
    # the first members answered: two took their seat, one declined (the place passed on)
    offers = (
        (
            await db.execute(
                sa.select(CampaignOffer).where(CampaignOffer.campaign_id == campaign.id).order_by(CampaignOffer.rank)
            )
        )
        .scalars()
        .all()
    )
    for offer, answer in zip(offers, (campaigns.accept, campaigns.accept, campaigns.decline), strict=False):
        await answer(db, await db.get(User, offer.member_id), offer.id)
    return {"campaigns": 1}
