"""免申即享 proactive offers: a curator reserves places (a session's seats, or a benefit's quantity) for groups
of members, and the system offers them, one member at a time per place, without anyone applying.

Every step of a campaign — starting it, an answer, the expiry sweep, cancelling — locks the campaign's row
first (`_lock`), so the steps of one campaign run one after the other: two taps on "accept", two sweeps, or
an accept racing the sweep find the offer as the other left it. The rules (the drawn order, open places,
deadlines, when it is done) are `domain/campaigns.py`.

Seats are reserved as an organisation's booking takes them: `seats_taken + N <= capacity` in one
statement, so the public (and the waiting list) cannot take them. An accepted seat passes to the member's
order (`holds_seat`, `seats_taken` unchanged); what is left when the campaign ends goes back to the public,
the waiting list first (order_flow.promote_waitlist). Offers come due in the database (`deadline_at`); the
deadline scan queues `campaign_sweep` for each running campaign with something due, so the sweep survives a
restarted worker or an emptied Redis, and a second run finds nothing left to do.
"""

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..domain import campaigns as rules
from ..domain.campaigns import CampaignKind, CampaignState, IllegalCampaignMove, OfferState
from ..domain.listings import ListingShape, ListingState
from ..domain.orders import LIVE_STATES, Actor
from ..domain.phones import mask_phone
from ..domain.roles import Role
from ..domain.service_time import service_time
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Campaign, CampaignOffer, Listing, ListingSession, Order, User
from ..models.base import utcnow
from ..schemas.campaigns import CampaignFigures, CampaignIn, CampaignOfferRow, CampaignOut, MemberOfferOut
from ..schemas.common import Page
from ..texts import msg
from . import audit, notices, reminders
from .order_flow import move, promote_waitlist, record, seat_order

MEMBER = {Actor.member}
NO_SUCH_CAMPAIGN = "No such campaign."
NO_SUCH_OFFER = "No such offer."
CHUNK = 200  # candidates read at once when looking for the next members to offer


def _refused(exc: IllegalCampaignMove) -> Conflict:
    return Conflict(exc.message, field="state", params=exc.params)


# A curator's campaign -----------------------------------------------------------------------------


async def create(db: AsyncSession, curator: User, data: CampaignIn) -> Campaign:
    """A draft: nothing is reserved and nobody is told until it starts."""
    if data.kind == CampaignKind.seats:
        if data.session_id is None:
            raise InvalidInput("Choose the session whose seats are offered.", field="session_id")
        _, listing = await _session_to_offer(db, curator.market_id, data.session_id, data.places)
        if listing.target_groups and not {g.value for g in data.groups} <= set(listing.target_groups):
            raise InvalidInput(
                "This service is for %(groups)s only.", field="groups", params={"groups": list(listing.target_groups)}
            )
        name, description = "", ""
    else:
        if not data.benefit_name:
            raise InvalidInput("Name the benefit that is offered.", field="benefit_name")
        name, description = data.benefit_name, data.benefit_description
    campaign = Campaign(
        market_id=curator.market_id,
        title=data.title,
        kind=data.kind,
        session_id=data.session_id if data.kind == CampaignKind.seats else None,
        benefit_name=name,
        benefit_description=description,
        places=data.places,
        groups=sorted({g.value for g in data.groups}),
        window_hours=data.window_hours,
        created_by=curator.id,
    )
    db.add(campaign)
    await db.flush()
    await audit.record(
        db, curator, "create_campaign", "campaign", campaign.id, title=campaign.title, places=campaign.places
    )
    return campaign


async def _session_to_offer(
    db: AsyncSession, market_id: int, session_id: int, places: int, lock: bool = False
) -> tuple[ListingSession, Listing]:
    """A published group session of the market, still to come, with `places` seats free."""
    query = sa.select(ListingSession).where(ListingSession.id == session_id, ListingSession.market_id == market_id)
    session = (await db.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    listing = await db.get(Listing, session.listing_id) if session else None
    if session is None or listing is None or listing.state != ListingState.published:
        raise InvalidInput("Unknown session: %(id)s.", field="session_id", params={"id": session_id})
    if listing.shape == ListingShape.on_request or session.cancelled_at is not None:
        raise Conflict("This session takes no bookings.", field="session_id")
    if session.starts_at <= utcnow():
        raise Conflict("This session has already started.", field="session_id")
    left = session.capacity - session.seats_taken
    if places > left:
        raise Conflict("Only %(left)s seats of this session are left.", field="places", params={"left": left})
    return session, listing


async def start(db: AsyncSession, curator: User, campaign_id: int) -> Campaign:
    """Reserve the places, draw the order of offering once, and make the first offers."""
    campaign = await _lock(db, curator.market_id, campaign_id)
    try:
        campaign.state = rules.campaign_move(campaign.state, "start")
    except IllegalCampaignMove as exc:
        raise _refused(exc) from None
    now = utcnow()
    if campaign.kind == CampaignKind.seats:
        session, _ = await _session_to_offer(db, campaign.market_id, campaign.session_id, campaign.places, lock=True)
        session.seats_taken += campaign.places  # the row is locked: nobody took a seat since it was read
        campaign.seats_held = campaign.places
    campaign.seed = rules.new_seed()
    members = await _eligible(db, campaign)
    campaign.ranking = rules.ranking(campaign.seed, members)
    campaign.started_at = now
    await db.flush()
    await audit.record(
        db, curator, "start_campaign", "campaign", campaign.id, seed=campaign.seed, eligible=len(campaign.ranking)
    )
    await _fill(db, campaign, now)
    return campaign


async def cancel(db: AsyncSession, curator: User, campaign_id: int, reason: str = "") -> Campaign:
    """Call it off: open offers are withdrawn (their members told), seats not accepted go back to the public.
    What was accepted stays the members'."""
    campaign = await _lock(db, curator.market_id, campaign_id)
    try:
        campaign.state = rules.campaign_move(campaign.state, "cancel")
    except IllegalCampaignMove as exc:
        raise _refused(exc) from None
    campaign.cancel_reason = reason
    withdrawn = await _end(db, campaign, utcnow(), tell=True)
    await audit.record(db, curator, "cancel_campaign", "campaign", campaign.id, reason=reason, withdrawn=withdrawn)
    return campaign


async def _lock(db: AsyncSession, market_id: int | None, campaign_id: int) -> Campaign:
    campaign = (
        await db.execute(sa.select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    ).scalar_one_or_none()
    if campaign is None or (market_id is not None and campaign.market_id != market_id):
        raise NotFound(NO_SUCH_CAMPAIGN)
    return campaign


# Who is offered, in which order ----------------------------------------------------------------------


def _eligible_query(campaign: Campaign, provider_id: int | None):
    query = sa.select(User.id, User.groups).where(
        User.market_id == campaign.market_id,
        User.is_active.is_(True),
        User.roles.contains([Role.member.value]),
        User.groups.overlap(sa.literal(list(campaign.groups), type_=ARRAY(sa.String))),
    )
    return query.where(User.id != provider_id) if provider_id is not None else query


async def _provider_of(db: AsyncSession, campaign: Campaign) -> int | None:
    if campaign.session_id is None:
        return None
    return (
        await db.execute(
            sa.select(Listing.provider_id)
            .join(ListingSession, ListingSession.listing_id == Listing.id)
            .where(ListingSession.id == campaign.session_id)
        )
    ).scalar_one()


async def _eligible(db: AsyncSession, campaign: Campaign, leave_out: list[int] | None = None) -> dict[int, list[str]]:
    """Active members of the market confirmed in a targeted group (not the session's own provider), except
    those already in the ranking."""
    query = _eligible_query(campaign, await _provider_of(db, campaign))
    if leave_out:
        query = query.where(sa.not_(User.id == sa.any_(sa.literal(leave_out, type_=ARRAY(sa.Integer)))))
    return {row.id: list(row.groups) for row in await db.execute(query)}


async def _counts(db: AsyncSession, campaign_id: int) -> Counter:
    rows = await db.execute(
        sa.select(CampaignOffer.state, sa.func.count())
        .where(CampaignOffer.campaign_id == campaign_id)
        .group_by(CampaignOffer.state)
    )
    return Counter(dict(rows.all()))


async def _fill(db: AsyncSession, campaign: Campaign, now: datetime) -> int:
    """Offer every open place to the next members of the ranking not offered yet (those still eligible);
    finish the campaign when it is done. The caller holds the campaign's lock. Returns offers made."""
    if campaign.state != CampaignState.running:
        return 0
    session = await db.get(ListingSession, campaign.session_id) if campaign.session_id else None
    if session is not None and (session.cancelled_at is not None or session.starts_at <= now):
        await _end(db, campaign, now, tell=True)  # the session is off or under way: nothing more to offer
        return 0
    counts = await _counts(db, campaign.id)
    accepted, pending = counts[OfferState.accepted], counts[OfferState.pending]
    wanted = rules.open_places(campaign.places, accepted, pending)
    made = 0
    while wanted > made:
        if campaign.cursor >= len(campaign.ranking) and not await _late_joiners(db, campaign):
            break
        chunk = campaign.ranking[campaign.cursor : campaign.cursor + CHUNK]
        fit = await _still_eligible(db, campaign, chunk)
        for member_id in chunk:
            if made == wanted:
                break
            campaign.cursor += 1
            if member_id in fit:
                await _offer(db, campaign, member_id, fit[member_id], campaign.cursor - 1, session, now)
                made += 1
    anyone_left = campaign.cursor < len(campaign.ranking) or bool(await _late_joiners(db, campaign))
    if rules.is_done(campaign.places, accepted, pending + made, anyone_left):
        campaign.state = rules.campaign_move(campaign.state, "finish")
        await _end(db, campaign, now, tell=False)
    return made


async def _late_joiners(db: AsyncSession, campaign: Campaign) -> int:
    """Members confirmed in a targeted group after the start join the end of the ranking, drawn with the same
    seed; everyone eligible is reached once."""
    newcomers = await _eligible(db, campaign, leave_out=list(campaign.ranking))
    if newcomers:
        campaign.ranking = [*campaign.ranking, *rules.ranking(campaign.seed, newcomers)]
    return len(newcomers)


async def _still_eligible(db: AsyncSession, campaign: Campaign, member_ids: list[int]) -> dict[int, list[str]]:
    """Of these members, those eligible now (active, in a targeted group) and — for seats — holding no live
    order of the session already (they have a seat)."""
    query = _eligible_query(campaign, await _provider_of(db, campaign)).where(User.id.in_(member_ids))
    fit = {row.id: rules.reached_groups(row.groups, campaign.groups) for row in await db.execute(query)}
    if campaign.session_id is not None and fit:
        seated = await db.execute(
            sa.select(Order.member_id).where(
                Order.session_id == campaign.session_id,
                Order.member_id.in_(list(fit)),
                Order.state.in_(sorted(LIVE_STATES)),
            )
        )
        for (member_id,) in seated.all():
            fit.pop(member_id, None)
    return fit


async def _offer(
    db: AsyncSession,
    campaign: Campaign,
    member_id: int,
    groups: list[str],
    rank: int,
    session: ListingSession | None,
    now: datetime,
) -> CampaignOffer:
    deadline = rules.answer_by(now, campaign.window_hours, session.starts_at if session else None)
    offer = CampaignOffer(
        market_id=campaign.market_id,
        campaign_id=campaign.id,
        member_id=member_id,
        rank=rank,
        groups=groups,
        deadline_at=deadline,
        created_at=now,
    )
    db.add(offer)
    await db.flush()
    await notices.notify(
        db,
        member_id,
        campaign.market_id,
        "campaign_offer",
        msg("Offered to you, no need to apply: %(title)s", title=campaign.title),
        msg(
            "A place is kept for you until %(deadline)s. Accept or decline in one tap; if you decline or do not "
            "answer, it goes to the next member.",
            deadline=deadline,
        ),
        {"campaign_offer_id": offer.id},
        dedupe_key=f"campaign_offer:{offer.id}",
    )
    return offer


async def _end(db: AsyncSession, campaign: Campaign, now: datetime, tell: bool) -> int:
    """The campaign stops offering: open offers are withdrawn (their members told when `tell`), seats still
    held go back to the public (the waiting list first). Returns how many offers were withdrawn."""
    if campaign.state == CampaignState.running:
        campaign.state = rules.campaign_move(campaign.state, "finish")
    campaign.ended_at = now
    open_offers = (
        (
            await db.execute(
                sa.select(CampaignOffer).where(
                    CampaignOffer.campaign_id == campaign.id, CampaignOffer.state == OfferState.pending
                )
            )
        )
        .scalars()
        .all()
    )
    for offer in open_offers:
        offer.state = rules.offer_move(offer.state, "withdraw")
        offer.answered_at = now
        if tell:
            await notices.notify(
                db,
                offer.member_id,
                campaign.market_id,
                "campaign_withdrawn",
                msg("No longer offered: %(title)s", title=campaign.title),
                msg("The union called this offer off; nothing is needed from you."),
                {"campaign_offer_id": offer.id},
                dedupe_key=f"campaign_offer:{offer.id}:withdrawn",
            )
    if campaign.seats_held and campaign.session_id is not None:
        held = campaign.seats_held
        campaign.seats_held = 0
        # a session called off counts no seats any more (listings.cancel_session): nothing to give back
        given = await db.execute(
            sa.update(ListingSession)
            .where(ListingSession.id == campaign.session_id, ListingSession.cancelled_at.is_(None))
            .values(seats_taken=ListingSession.seats_taken - held)
            .returning(ListingSession.id)
        )
        if given.first() is not None:
            campaign.seats_released += held
            await db.flush()
            await promote_waitlist(db, campaign.session_id)
    await db.flush()
    return len(open_offers)


# A member's answer ------------------------------------------------------------------------------------


async def _members_offer(db: AsyncSession, member: User, offer_id: int, lock: bool) -> tuple[Campaign, CampaignOffer]:
    """The member's own offer (anyone else's is 404) and its campaign; locked (campaign first) when answering."""
    offer = await db.get(CampaignOffer, offer_id)
    if offer is None or offer.member_id != member.id:
        raise NotFound(NO_SUCH_OFFER)
    if not lock:
        return await db.get(Campaign, offer.campaign_id), offer
    campaign = await _lock(db, None, offer.campaign_id)
    await db.refresh(offer, with_for_update=True)
    return campaign, offer


async def accept(db: AsyncSession, member: User, offer_id: int) -> MemberOfferOut:
    """Take the place: a seat becomes the member's order of the session (accepted at once), a benefit a claim
    with a redeem code. A second tap finds it taken and answers the same. A member who can no longer take
    the seat (they hold an order of the session already) passes it on."""
    campaign, offer = await _members_offer(db, member, offer_id, lock=True)
    if offer.state == OfferState.accepted:
        return await offer_for(db, member, offer.id)
    now = utcnow()
    try:
        rules.offer_move(offer.state, "accept")
    except IllegalCampaignMove as exc:
        raise _refused(exc) from None
    if now >= offer.deadline_at:
        raise Conflict("The time to answer this offer has passed; the place goes to the next member.", field="state")
    if campaign.kind == CampaignKind.seats:
        order = await _seat_order(db, campaign, member, now)
        if order is None:
            await _answer(db, campaign, offer, "pass", now, "you already hold an order of this session")
            return await offer_for(db, member, offer.id)
        offer.order_id = order.id
    else:
        offer.redeem_code = rules.redeem_code()
    await _answer(db, campaign, offer, "accept", now)
    return await offer_for(db, member, offer.id)


async def decline(db: AsyncSession, member: User, offer_id: int) -> MemberOfferOut:
    """Say no: the place goes to the next member. A second tap finds it declined and answers the same."""
    campaign, offer = await _members_offer(db, member, offer_id, lock=True)
    if offer.state != OfferState.declined:
        try:
            rules.offer_move(offer.state, "decline")
        except IllegalCampaignMove as exc:
            raise _refused(exc) from None
        await _answer(db, campaign, offer, "decline", utcnow())
    return await offer_for(db, member, offer.id)


async def _answer(
    db: AsyncSession, campaign: Campaign, offer: CampaignOffer, action: str, now: datetime, reason: str = ""
) -> None:
    offer.state = rules.offer_move(offer.state, action)
    offer.answered_at = now
    offer.reason = reason
    await db.flush()
    await _fill(db, campaign, now)


async def _seat_order(db: AsyncSession, campaign: Campaign, member: User, now: datetime) -> Order | None:
    """The member's order of the session, holding one of the campaign's seats; None when they hold a live
    order of it already. The session's time guard applies (take_offered_place: before the start)."""
    session = await db.get(ListingSession, campaign.session_id)
    listing = await db.get(Listing, session.listing_id)
    if listing.state != ListingState.published:
        raise Conflict(
            "This listing takes no orders (it is %(listing_state)s).",
            field="state",
            params={"listing_state": listing.state},
        )
    order = seat_order(listing, session, member.id)
    try:
        async with db.begin_nested():  # the live-order unique index: one seat of a session per member
            db.add(order)
            await db.flush()
    except IntegrityError:
        return None
    record(db, order, "place", member, Actor.member, None, data={"campaign_id": campaign.id})
    when = service_time(session.starts_at, session.ends_at, {}, False)
    move(db, order, "take_offered_place", MEMBER, member, "offered without applying", when=when, now=now)
    campaign.seats_held -= 1  # the seat passes to the order: seats_taken stays as it is
    await db.flush()
    await reminders.plan_session(db, order)
    await notices.notify(
        db,
        listing.provider_id,
        campaign.market_id,
        "order_accepted",
        msg("New booking: %(title)s", title=listing.title),
        msg("Booked by %(name)s.", name=member.name),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:auto_accepted",
    )
    return order


# Deadlines --------------------------------------------------------------------------------------------


def _due_query(now: datetime):
    late_offer = sa.exists().where(
        CampaignOffer.campaign_id == Campaign.id,
        CampaignOffer.state == OfferState.pending,
        CampaignOffer.deadline_at <= now,
    )
    session_over = sa.exists().where(
        ListingSession.id == Campaign.session_id,
        sa.or_(ListingSession.starts_at <= now, ListingSession.cancelled_at.is_not(None)),
    )
    return sa.select(Campaign.id).where(Campaign.state == CampaignState.running, sa.or_(late_offer, session_over))


async def due(db: AsyncSession, now: datetime) -> int:
    """For the deadline scan: queue `campaign_sweep` for each running campaign with an offer past its deadline
    (or whose session started or was called off); once per campaign and minute (the sweep is idempotent)."""
    ids = (await db.execute(_due_query(now).limit(1000))).scalars().all()
    minute = int(now.replace(second=0, microsecond=0).timestamp())
    await queue.enqueue_many(
        db,
        [
            ("campaign_sweep", {"campaign_id": cid, "now": now.isoformat()}, None, f"campaign:{cid}:sweep:{minute}")
            for cid in ids
        ],
    )
    return len(ids)


async def sweep(db: AsyncSession, campaign_id: int, now: datetime | None = None) -> str:
    """Expire the campaign's offers past their deadline (their members told) and pass their places on. Under
    the campaign's lock: a second or concurrent run finds them expired and does nothing."""
    now = now or utcnow()
    campaign = (
        await db.execute(sa.select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    ).scalar_one_or_none()
    if campaign is None or campaign.state != CampaignState.running:
        return "not running"
    late = (
        (
            await db.execute(
                sa.select(CampaignOffer).where(
                    CampaignOffer.campaign_id == campaign.id,
                    CampaignOffer.state == OfferState.pending,
                    CampaignOffer.deadline_at <= now,
                )
            )
        )
        .scalars()
        .all()
    )
    for offer in late:
        offer.state = rules.offer_move(offer.state, "expire")
        offer.answered_at = now
        await notices.notify(
            db,
            offer.member_id,
            campaign.market_id,
            "campaign_expired",
            msg("The place passed on: %(title)s", title=campaign.title),
            msg("It was not answered in time, so it went to the next member."),
            {"campaign_offer_id": offer.id},
            dedupe_key=f"campaign_offer:{offer.id}:expired",
        )
    await db.flush()
    made = await _fill(db, campaign, now)
    return f"expired {len(late)}, offered {made}, {campaign.state}"


# What the desk and the member see --------------------------------------------------------------------


async def figures(db: AsyncSession, campaign: Campaign) -> CampaignFigures:
    counts = await _counts(db, campaign.id)
    by_group: Counter = Counter()
    rows = await db.execute(
        sa.select(CampaignOffer.groups).where(
            CampaignOffer.campaign_id == campaign.id, CampaignOffer.state == OfferState.accepted
        )
    )
    for (groups,) in rows.all():
        by_group.update(groups)
    accepted = counts[OfferState.accepted]
    ended = campaign.state in (CampaignState.finished, CampaignState.cancelled)
    return CampaignFigures(
        places=campaign.places,
        offered=sum(counts.values()),
        accepted=accepted,
        declined=counts[OfferState.declined],
        expired=counts[OfferState.expired],
        passed=counts[OfferState.passed],
        withdrawn=counts[OfferState.withdrawn],
        waiting=counts[OfferState.pending],
        eligible=len(campaign.ranking),
        not_yet_offered=max(0, len(campaign.ranking) - campaign.cursor) if not ended else 0,
        seats_held=campaign.seats_held,
        seats_released=campaign.seats_released,
        unclaimed=campaign.places - accepted if ended else 0,
        reach=accepted,
        reach_by_group={g: by_group[g] for g in campaign.groups},
    )


async def _out(db: AsyncSession, campaign: Campaign) -> CampaignOut:
    listing_id = listing_title = starts_at = None
    if campaign.session_id is not None:
        row = (
            await db.execute(
                sa.select(Listing.id, Listing.title, ListingSession.starts_at)
                .join(ListingSession, ListingSession.listing_id == Listing.id)
                .where(ListingSession.id == campaign.session_id)
            )
        ).one()
        listing_id, listing_title, starts_at = row
    return CampaignOut(
        id=campaign.id,
        title=campaign.title,
        kind=campaign.kind,
        state=campaign.state,
        places=campaign.places,
        groups=list(campaign.groups),
        window_hours=campaign.window_hours,
        session_id=campaign.session_id,
        listing_id=listing_id,
        listing_title=listing_title,
        starts_at=starts_at,
        benefit_name=campaign.benefit_name,
        benefit_description=campaign.benefit_description,
        seed=campaign.seed,
        cancel_reason=campaign.cancel_reason,
        created_at=campaign.created_at,
        started_at=campaign.started_at,
        ended_at=campaign.ended_at,
        figures=await figures(db, campaign),
    )


async def out(db: AsyncSession, campaign: Campaign) -> CampaignOut:
    await db.flush()
    return await _out(db, campaign)


async def detail(db: AsyncSession, staff: User, campaign_id: int) -> CampaignOut:
    campaign = await db.get(Campaign, campaign_id)
    if campaign is None or campaign.market_id != staff.market_id:
        raise NotFound(NO_SUCH_CAMPAIGN)
    return await _out(db, campaign)


async def list_campaigns(
    db: AsyncSession, market_id: int, state: CampaignState | None = None, limit: int = 20, offset: int = 0
) -> Page[CampaignOut]:
    """The market's campaigns, newest first (a state narrows them)."""
    query = sa.select(Campaign).where(Campaign.market_id == market_id)
    if state is not None:
        query = query.where(Campaign.state == state)
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    found = (await db.execute(query.order_by(Campaign.id.desc()).limit(limit).offset(offset))).scalars().all()
    return Page(items=[await _out(db, c) for c in found], total=total)


async def offers_of(
    db: AsyncSession, staff: User, campaign_id: int, limit: int = 50, offset: int = 0
) -> Page[CampaignOfferRow]:
    """A campaign's offers in the drawn order, with each member's ticket so the order can be checked."""
    campaign = await db.get(Campaign, campaign_id)
    if campaign is None or campaign.market_id != staff.market_id:
        raise NotFound(NO_SUCH_CAMPAIGN)
    query = (
        sa.select(CampaignOffer, User.name, User.phone)
        .join(User, User.id == CampaignOffer.member_id)
        .where(CampaignOffer.campaign_id == campaign.id)
    )
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(CampaignOffer.rank).limit(limit).offset(offset))
    items = [
        CampaignOfferRow(
            id=o.id,
            member_id=o.member_id,
            member_name=name,
            member_phone=mask_phone(phone),
            rank=o.rank,
            ticket=rules.ticket(campaign.seed or "", o.member_id),
            groups=list(o.groups),
            state=o.state,
            deadline_at=o.deadline_at,
            answered_at=o.answered_at,
            order_id=o.order_id,
        )
        for o, name, phone in rows.all()
    ]
    return Page(items=items, total=total)


def _member_query():
    return (
        sa.select(CampaignOffer, Campaign, Listing, ListingSession)
        .join(Campaign, Campaign.id == CampaignOffer.campaign_id)
        .outerjoin(ListingSession, ListingSession.id == Campaign.session_id)
        .outerjoin(Listing, Listing.id == ListingSession.listing_id)
    )


def _member_out(offer: CampaignOffer, campaign: Campaign, listing: Listing | None, session) -> MemberOfferOut:
    return MemberOfferOut(
        id=offer.id,
        campaign_id=campaign.id,
        title=campaign.title,
        kind=campaign.kind,
        state=offer.state,
        deadline_at=offer.deadline_at,
        answered_at=offer.answered_at,
        reason=offer.reason,
        listing_id=listing.id if listing else None,
        listing_title=listing.title if listing else None,
        starts_at=session.starts_at if session else None,
        ends_at=session.ends_at if session else None,
        location=listing.location if listing else None,
        benefit_name=campaign.benefit_name,
        benefit_description=campaign.benefit_description,
        order_id=offer.order_id,
        redeem_code=offer.redeem_code,
        created_at=offer.created_at,
    )


async def offer_for(db: AsyncSession, member: User, offer_id: int) -> MemberOfferOut:
    await db.flush()
    row = (
        await db.execute(_member_query().where(CampaignOffer.id == offer_id, CampaignOffer.member_id == member.id))
    ).first()
    if row is None:
        raise NotFound(NO_SUCH_OFFER)
    return _member_out(*row)


async def mine(
    db: AsyncSession, member: User, open_only: bool = False, limit: int = 20, offset: int = 0
) -> Page[MemberOfferOut]:
    """The places offered to the member, open ones first, newest first."""
    query = _member_query().where(CampaignOffer.member_id == member.id)
    if open_only:
        query = query.where(CampaignOffer.state == OfferState.pending)
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(
        query.order_by((CampaignOffer.state != OfferState.pending), CampaignOffer.id.desc()).limit(limit).offset(offset)
    )
    return Page(items=[_member_out(*row) for row in rows.all()], total=total)
