"""Take the demo data out of a market that is going live: its people (known password, a curator among
them), their listings and every order, review and notice that touches them. The union's category tree
stays, and so does anything of real people that the demo did not touch.

The demo's people are recognised by their password hash: the loader hashes the demo password once
and gives every demo account that same hash string, so no real account can share it (and a demo
account whose password was changed is no longer one with a known password, and is kept).
"""

import asyncio

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from .. import auth, cache
from ..models import (
    AuditEvent,
    Batch,
    Campaign,
    CampaignOffer,
    CategoryFollow,
    FollowUpCase,
    GapInvitation,
    IdempotencyKey,
    Listing,
    ListingSession,
    LoginSession,
    NeedLabel,
    Notification,
    Offer,
    Order,
    OrderEvent,
    OutboxJob,
    ProviderCategory,
    ProviderProfile,
    Review,
    RosterEntry,
    RosterImport,
    SatisfactionSurvey,
    StationInspection,
    StationKeeper,
    StationReview,
    StationVisit,
    SurveyImport,
    SurveyNeed,
    User,
    VerificationRequest,
)
from ..settings import Settings
from . import rollups, stations
from .reviews import recompute_ratings


async def demo_people(db: AsyncSession, settings: Settings, phone: str, password: str) -> list[int]:
    """Ids of the demo accounts: those sharing the hash of `phone`'s account, when it is `password`'s."""
    known = (await db.execute(sa.select(User.password_hash).where(User.phone == phone))).scalar_one_or_none()
    if known is None or not await asyncio.to_thread(auth.verify_password, settings, known, password):
        return []
    return list((await db.execute(sa.select(User.id).where(User.password_hash == known))).scalars())


async def remove(db: AsyncSession, settings: Settings, phone: str, password: str) -> dict[str, int]:
    """Delete the demo data in this transaction; how many rows of each kind went."""
    people = await demo_people(db, settings, phone, password)
    if not people:
        return {"people": 0}
    listings = list((await db.execute(sa.select(Listing.id).where(Listing.provider_id.in_(people)))).scalars())
    orders = list(
        (
            await db.execute(
                sa.select(Order.id).where(
                    sa.or_(Order.member_id.in_(people), Order.provider_id.in_(people), Order.listing_id.in_(listings))
                )
            )
        ).scalars()
    )
    touched = (
        await db.execute(
            sa.select(Review.listing_id, Review.provider_id)
            .where(Review.member_id.in_(people), Review.provider_id.not_in(people))
            .distinct()
        )
    ).all()
    markets = set((await db.execute(sa.select(User.market_id).where(User.id.in_(people)))).scalars())
    batches = list((await db.execute(sa.select(Batch.id).where(Batch.created_by.in_(people)))).scalars())
    counts = {"people": len(people), "listings": len(listings), "orders": len(orders)}

    async def run(name: str, statement) -> None:
        counts[name] = counts.get(name, 0) + ((await db.execute(statement)).rowcount or 0)

    # What real rows point at stays, without the pointer.
    await db.execute(sa.update(Order).where(Order.reorder_of_id.in_(orders)).values(reorder_of_id=None))
    await db.execute(sa.update(OrderEvent).where(OrderEvent.actor_id.in_(people)).values(actor_id=None))
    await db.execute(sa.update(Review).where(Review.hidden_by.in_(people)).values(hidden_by=None))
    await db.execute(sa.update(Listing).where(Listing.cloned_from_id.in_(listings)).values(cloned_from_id=None))
    await db.execute(sa.update(Batch).where(Batch.created_by.in_(people)).values(created_by=None))
    # Then everything of the demo, children first.
    await run("order_events", sa.delete(OrderEvent).where(OrderEvent.order_id.in_(orders)))
    await run("offers", sa.delete(Offer).where(sa.or_(Offer.order_id.in_(orders), Offer.provider_id.in_(people))))
    review_of_demo = sa.or_(
        Review.order_id.in_(orders),
        Review.member_id.in_(people),
        Review.provider_id.in_(people),
        Review.listing_id.in_(listings),
    )
    await run("reviews", sa.delete(Review).where(review_of_demo))
    # 满意度测评 and 回访 of the demo's orders; real cases a demo operator handled keep their notes, not the name
    of_demo = sa.select(Order.id).where(sa.or_(Order.id.in_(orders), Order.member_id.in_(people)))
    await run("follow_up_cases", sa.delete(FollowUpCase).where(FollowUpCase.order_id.in_(of_demo)))
    for who in (FollowUpCase.contacted_by, FollowUpCase.resolved_by):
        await db.execute(sa.update(FollowUpCase).where(who.in_(people)).values({who: None}))
    surveys_of_demo = sa.or_(SatisfactionSurvey.order_id.in_(orders), SatisfactionSurvey.member_id.in_(people))
    await run("satisfaction_surveys", sa.delete(SatisfactionSurvey).where(surveys_of_demo))
    order_keys = sa.bindparam("order_keys", [f"order:{order_id}:%" for order_id in orders], type_=ARRAY(sa.String))
    await run("jobs", sa.delete(OutboxJob).where(OutboxJob.dedupe_key.like(sa.any_(order_keys))))
    # 免申即享: the demo's campaigns (on its sessions, or a demo curator's benefits) and the demo people's offers
    demo_sessions = sa.select(ListingSession.id).where(ListingSession.listing_id.in_(listings))
    demo_campaigns = sa.select(Campaign.id).where(
        sa.or_(
            Campaign.session_id.in_(demo_sessions),
            sa.and_(Campaign.created_by.in_(people), Campaign.session_id.is_(None)),
        )
    )
    demo_offers = list(
        (
            await db.execute(
                sa.select(CampaignOffer.id).where(
                    sa.or_(
                        CampaignOffer.campaign_id.in_(demo_campaigns),
                        CampaignOffer.member_id.in_(people),
                        CampaignOffer.order_id.in_(orders),
                    )
                )
            )
        ).scalars()
    )
    await run("campaign_offers", sa.delete(CampaignOffer).where(CampaignOffer.id.in_(demo_offers)))
    await run("campaigns", sa.delete(Campaign).where(Campaign.id.in_(demo_campaigns)))
    await db.execute(sa.update(Campaign).where(Campaign.created_by.in_(people)).values(created_by=None))
    await run("orders", sa.delete(Order).where(Order.id.in_(orders)))
    await rollups.forget(db)  # no event tells the figures that orders went: they are folded again
    await run("sessions", sa.delete(ListingSession).where(ListingSession.listing_id.in_(listings)))
    await db.execute(sa.delete(Listing).where(Listing.id.in_(listings)))
    about_demo = sa.or_(
        Notification.user_id.in_(people),
        Notification.data["order_id"].as_integer().in_(orders),
        Notification.data["listing_id"].as_integer().in_(listings),
        Notification.data["campaign_offer_id"].as_integer().in_(demo_offers),
    )
    await run("notifications", sa.delete(Notification).where(about_demo))
    for model, column in [
        (CategoryFollow, CategoryFollow.user_id),
        (IdempotencyKey, IdempotencyKey.user_id),
        (LoginSession, LoginSession.user_id),
        (ProviderCategory, ProviderCategory.provider_id),
        (ProviderProfile, ProviderProfile.user_id),
        (AuditEvent, AuditEvent.actor_id),
        (StationVisit, StationVisit.user_id),
        (StationReview, StationReview.user_id),
        (StationKeeper, StationKeeper.user_id),
    ]:
        await db.execute(sa.delete(model).where(column.in_(people)))
    await db.execute(
        sa.update(StationInspection).where(StationInspection.inspector_id.in_(people)).values(inspector_id=None)
    )
    await db.execute(sa.update(StationKeeper).where(StationKeeper.assigned_by.in_(people)).values(assigned_by=None))
    # The demo questionnaire (seeds/survey.py) goes with the demo; an invitation a demo curator sent stays
    # in the union's history without its sender.
    demo_imports = sa.select(SurveyImport.id).where(SurveyImport.created_by.in_(people))
    demo_answers = sa.select(SurveyNeed.id).where(SurveyNeed.import_id.in_(demo_imports))
    # what curators filed from the demo questionnaire goes with it; a real answer a demo curator filed
    # stays filed, without the demo's name on it
    await run("need_labels", sa.delete(NeedLabel).where(NeedLabel.survey_need_id.in_(demo_answers)))
    await db.execute(sa.update(NeedLabel).where(NeedLabel.filed_by.in_(people)).values(filed_by=None))
    await db.execute(sa.update(SurveyNeed).where(SurveyNeed.filed_by.in_(people)).values(filed_by=None))
    await run("survey_needs", sa.delete(SurveyNeed).where(SurveyNeed.import_id.in_(demo_imports)))
    await run("survey_imports", sa.delete(SurveyImport).where(SurveyImport.created_by.in_(people)))
    await db.execute(sa.update(GapInvitation).where(GapInvitation.created_by.in_(people)).values(created_by=None))
    # 实名制: the demo roster (seeds/roster.py) and the demo people's requests go; a real member a demo
    # curator verified stays verified, without the demo's name on it
    demo_rosters = sa.select(RosterImport.id).where(RosterImport.created_by.in_(people))
    await run("roster_entries", sa.delete(RosterEntry).where(RosterEntry.import_id.in_(demo_rosters)))
    await db.execute(sa.update(RosterEntry).where(RosterEntry.user_id.in_(people)).values(user_id=None))
    await run("roster_imports", sa.delete(RosterImport).where(RosterImport.created_by.in_(people)))
    await run("verification_requests", sa.delete(VerificationRequest).where(VerificationRequest.user_id.in_(people)))
    await db.execute(
        sa.update(VerificationRequest).where(VerificationRequest.decided_by.in_(people)).values(decided_by=None)
    )
    await db.execute(sa.update(User).where(User.verified_by.in_(people)).values(verified_by=None))
    await db.execute(sa.delete(User).where(User.id.in_(people)))
    await stations.recount_ratings(db, markets)  # demo members' ratings of real stations are gone
    empty = ~sa.exists().where(Listing.batch_id == Batch.id)
    await run("batches", sa.delete(Batch).where(Batch.id.in_(batches), empty))  # the demo's, now empty
    for listing_id, provider_id in touched:  # real providers reviewed by demo members
        await recompute_ratings(db, listing_id, provider_id)
    for market_id in markets:
        cache.menu_changed(db, market_id)
    return counts
