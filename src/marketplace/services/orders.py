"""Order use cases (下单 → 配货 → 发货 → 签收 → 复购). Each runs in the caller's one transaction."""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.listings import ListingShape
from ..domain.orders import LIVE_STATES, Actor, OrderKind, OrderState
from ..domain.roles import Role
from ..domain.service_time import arrangement_refusal
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Listing, ListingSession, Order, ProviderCategory, User
from ..models.base import utcnow
from ..schemas.orders import ArrangeIn, AttendanceIn, DeliverIn, OrderIn, ResolveIn
from ..texts import Msg, joined, msg
from . import categories, classify, deadlines, notices, reminders
from . import order_placement as placement
from .matching import queue_match
from .order_flow import (
    close_offer,
    drop_reminders,
    for_action,
    free_seat_and_promote,
    move,
    open_offer,
    record,
    service_time_of,
)

NEED_WINDOW = timedelta(days=7)
log = logging.getLogger(__name__)


# 下单 order ------------------------------------------------------------------------------------


async def place(db: AsyncSession, member: User, data: OrderIn) -> Order:
    if data.listing_id is not None:
        return await place_listing_order(db, member, data.listing_id, data.session_id, data.note)
    return await place_need(db, member, data)


async def place_listing_order(
    db: AsyncSession,
    member: User,
    listing_id: int,
    session_id: int | None,
    note: str = "",
    reorder_of: int | None = None,
) -> Order:
    """A listed service: the given session, else the next one with a free seat (else a waitlist place)."""
    target = placement.check_orderable(member, await placement.read_target(db, listing_id, session_id), listing_id)
    if target.shape == ListingShape.on_request:
        if session_id is not None:
            raise InvalidInput("An on-request listing has no sessions; leave session_id out.", field="session_id")
    else:
        if session_id is None:
            session_id = await next_session_for(db, member, listing_id)
            target = await placement.read_target(db, listing_id, session_id)
        placement.check_session(target, session_id)
    return await placement.place(db, member, target, note, reorder_of)


async def next_session_for(db: AsyncSession, member: User, listing_id: int) -> int:
    """The next upcoming session with a free seat that the member holds no live order for; else the next
    one with an open waitlist."""
    mine = sa.select(Order.session_id).where(
        Order.member_id == member.id, Order.session_id.is_not(None), Order.state.in_(sorted(LIVE_STATES))
    )
    upcoming = (
        sa.select(ListingSession)
        .where(
            ListingSession.listing_id == listing_id,
            ListingSession.starts_at > utcnow(),
            ListingSession.cancelled_at.is_(None),
            ListingSession.id.not_in(mine),
        )
        .order_by(ListingSession.starts_at, ListingSession.id)
    )
    sessions = (await db.execute(upcoming)).scalars().all()
    for session in sessions:
        if session.seats_taken < session.capacity:
            return session.id
    for session in sessions:
        if session.waitlist_open:
            return session.id
    raise Conflict("There is no upcoming session of this listing to order.", field="session_id")


async def place_need(db: AsyncSession, member: User, data: OrderIn) -> Order:
    await categories.get_live(db, member.market_id, data.category_id)
    order = Order(
        market_id=member.market_id,
        kind=OrderKind.need,
        member_id=member.id,
        category_id=data.category_id,
        title=data.title,
        description=data.description,
        note=data.note,
        mode=data.mode,
        preferred_times=[t.model_dump(mode="json") for t in data.preferred_times],
        expires_at=utcnow() + NEED_WINDOW,
        state=OrderState.placed,
    )
    db.add(order)
    await db.flush()
    record(db, order, "place", member, Actor.member, None)
    await queue_match(db, order)
    await suggest_category(db, order)
    return order


async def suggest_category(db: AsyncSession, order: Order) -> None:
    """The classifier's suggestion for a new need (the curators' review queue when unsure); a failure of
    the classifier never stops a member posting a need."""
    try:
        async with db.begin_nested():
            await classify.classify_need(db, order)
    except Exception:
        log.exception("need %s posted without a suggested category", order.id)


async def reorder(db: AsyncSession, member: User, order_id: int) -> Order:
    """复购: the same service again in one step — the next session with a free seat (else a waitlist place)."""
    original = await db.get(Order, order_id)
    if original is None or original.member_id != member.id:
        raise NotFound("No such order.")
    if original.kind == OrderKind.need:
        again = OrderIn(
            category_id=original.category_id,
            title=original.title,
            description=original.description,
            note=original.note,
            mode=original.mode,
        )
        order = await place_need(db, member, again)
        order.reorder_of_id = original.id
        return order
    return await place_listing_order(db, member, original.listing_id, None, original.note, reorder_of=original.id)


# 配货 allocate ---------------------------------------------------------------------------------


async def accept(db: AsyncSession, user: User, order_id: int) -> Order:
    order, caps = await for_action(db, user, order_id)
    move(db, order, "accept", caps, user, when=await service_time_of(db, order))
    await close_offer(db, order, "accepted")
    await reminders.plan_session(db, order)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "order_accepted",
        msg("Accepted: %(title)s", title=order.title),
        msg("The provider accepted your order."),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:accepted:{order.updated_at.isoformat()}",
    )
    return order


async def decline(db: AsyncSession, user: User, order_id: int, reason: str) -> Order:
    order, caps = await for_action(db, user, order_id)
    move(db, order, "decline", caps, user, reason)
    await close_offer(db, order, "declined", reason)
    if order.kind == OrderKind.listing:
        await free_seat_and_promote(db, order)
        await notices.notify(
            db,
            order.member_id,
            order.market_id,
            "order_declined",
            msg("Declined: %(title)s", title=order.title),
            reason,
            {"order_id": order.id},
            dedupe_key=f"order:{order.id}:declined",
        )
    else:
        # The declined offer stays on record, so the matcher never offers this need to them again.
        order.provider_id = None
        await deadlines.offer_on(db, order, utcnow())
    return order


async def offer_to(db: AsyncSession, staff: User, order_id: int, provider_id: int, reason: str) -> Order:
    """An operator or curator offers a need to a provider by hand (from placed), or reassigns it."""
    order, caps = await for_action(db, staff, order_id)
    provider = await db.get(User, provider_id)
    if provider is None or Role.provider not in provider.roles or not provider.is_active:
        raise InvalidInput("Unknown provider: %(id)s.", field="provider_id", params={"id": provider_id})
    if provider.id == order.member_id:
        raise InvalidInput("A member's order cannot be offered to the member.", field="provider_id")
    if not await serves_category(db, provider.id, order.category_id):
        raise InvalidInput("This provider does not serve the order's category.", field="provider_id")
    action = "offer" if order.state == OrderState.placed else "reassign"
    previous = order.provider_id
    move(db, order, action, caps, staff, reason, {"provider_id": provider.id, "previous_provider_id": previous})
    await close_offer(db, order, "withdrawn", reason or "reassigned")
    order.escalated_at = None
    await open_offer(db, order, provider.id)
    return order


async def serves_category(db: AsyncSession, provider_id: int, category_id: int) -> bool:
    """A provider serves a category when it, one above it or one below it is theirs (categories.reach_of)."""
    reach = await categories.reach_of(db, category_id)
    found = await db.execute(
        sa.select(ProviderCategory.category_id).where(
            ProviderCategory.provider_id == provider_id, ProviderCategory.category_id.in_(reach.ids)
        )
    )
    return found.first() is not None


# 发货 deliver ----------------------------------------------------------------------------------


async def arrange(db: AsyncSession, user: User, order_id: int, data: ArrangeIn) -> Order:
    order, caps = await for_action(db, user, order_id)
    refusal = arrangement_refusal(utcnow(), data.starts_at)
    if refusal:
        raise InvalidInput(refusal, field="starts_at")
    arrangement = dict(order.arrangement)
    for field, value in data.model_dump(mode="json", exclude_none=True).items():
        arrangement[field] = value
    move(db, order, "arrange", caps, user, data=arrangement)
    order.arrangement = arrangement
    order.arranged_at = utcnow()
    await reminders.plan_session(db, order)  # a new time moves the reminders with it
    details = arrangement_text(arrangement)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "order_arranged",
        msg("Arranged: %(title)s", title=order.title),
        details,
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:arranged:{order.arranged_at.isoformat()}",
    )
    return order


async def deliver(db: AsyncSession, user: User, order_id: int, data: DeliverIn) -> Order:
    order, caps = await for_action(db, user, order_id)
    await _deliver_one(db, order, caps, user, data.attended, data.note)
    return order


async def _deliver_one(db, order: Order, caps, user: User, attended: bool, note: str) -> None:
    when = await service_time_of(db, order)
    if not attended:
        await _mark_no_show(db, order, caps, user, note, when)
        return
    move(db, order, "deliver", caps, user, note, when=when)
    order.attended = True
    order.delivered_at = utcnow()
    order.delivery_note = note
    await drop_reminders(db, order)
    await reminders.plan_sign_off(db, order)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "order_delivered",
        msg("Please sign off: %(title)s", title=order.title),
        msg("The service is done: please sign it off and review it."),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:delivered",
    )


async def attendance(db: AsyncSession, provider: User, session_id: int, data: AttendanceIn) -> list[Order]:
    """Deliver a group session with its attendance list: present → delivered, absent → no_show."""
    session = await db.get(ListingSession, session_id)
    listing = await db.get(Listing, session.listing_id) if session else None
    if session is None or listing.provider_id != provider.id:
        raise NotFound("No such session.")
    wanted = {order_id: True for order_id in data.present} | {order_id: False for order_id in data.absent}
    orders = (
        (
            await db.execute(
                sa.select(Order)
                .where(Order.id.in_(wanted), Order.session_id == session_id)
                .order_by(Order.id)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    missing = sorted(set(wanted) - {o.id for o in orders})
    if missing:
        raise InvalidInput("Order %(id)s is not an order of this session.", field="present", params={"id": missing[0]})
    for order in orders:
        await _deliver_one(db, order, {Actor.provider}, provider, wanted[order.id], data.note)
    return orders


async def no_show(db: AsyncSession, user: User, order_id: int, reason: str) -> Order:
    order, caps = await for_action(db, user, order_id)
    await _mark_no_show(db, order, caps, user, reason, await service_time_of(db, order))
    return order


async def _mark_no_show(db: AsyncSession, order: Order, caps, user: User, reason: str, when) -> None:
    """The member did not come: possible once the service has started (the table's guard). The seat was
    used by nobody, but the session has begun, so it is not given to the waitlist."""
    move(db, order, "no_show", caps, user, reason or "absent", when=when)
    order.attended = False
    await drop_reminders(db, order)


# 签收 sign off, disputes, cancel ---------------------------------------------------------------


async def receive(db: AsyncSession, user: User, order_id: int) -> Order:
    order, caps = await for_action(db, user, order_id)
    move(db, order, "receive", caps, user)
    await drop_reminders(db, order)
    await reminders.plan_review(db, order)
    return order


async def dispute(db: AsyncSession, user: User, order_id: int, reason: str) -> Order:
    order, caps = await for_action(db, user, order_id)
    move(db, order, "dispute", caps, user, reason)
    await drop_reminders(db, order)
    return order


async def resolve(db: AsyncSession, staff: User, order_id: int, data: ResolveIn) -> Order:
    order, caps = await for_action(db, staff, order_id)
    move(db, order, f"resolve_{data.outcome}", caps, staff, data.reason)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "dispute_resolved",
        msg("Dispute settled: %(title)s", title=order.title),
        data.reason,
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:resolved",
    )
    return order


async def confirm(db: AsyncSession, user: User, order_id: int) -> Order:
    """A promoted waitlisted member confirms the seat within its window (Order.confirm_by)."""
    order, caps = await for_action(db, user, order_id)
    if order.confirm_by is None:
        raise Conflict("There is nothing to confirm on this order.")
    move(db, order, "confirm", caps, user, when=await service_time_of(db, order))
    order.confirm_by = None
    return order


async def cancel(db: AsyncSession, user: User, order_id: int, reason: str) -> Order:
    order, caps = await for_action(db, user, order_id)
    move(db, order, "cancel", caps, user, reason, when=await service_time_of(db, order))
    await close_offer(db, order, "withdrawn", "cancelled")
    await drop_reminders(db, order)
    await free_seat_and_promote(db, order)
    other = order.provider_id if user.id == order.member_id else order.member_id
    if other is not None:
        await notices.notify(
            db,
            other,
            order.market_id,
            "order_cancelled",
            msg("Order cancelled: %(title)s", title=order.title),
            reason,
            {"order_id": order.id},
            dedupe_key=f"order:{order.id}:cancelled:{other}",
        )
    return order


def arrangement_text(arrangement: dict) -> Msg:
    """The arrangement as finished sentences, fit for an SMS: 服务者已确认安排。时间：12月15日周二 14:30。地点：…。"""
    starts_at = arrangement.get("starts_at")
    return joined(
        msg("The provider confirmed the arrangement."),
        msg("Time: %(at)s.", at=datetime.fromisoformat(starts_at)) if starts_at else None,
        msg("Place: %(place)s.", place=arrangement["place"]) if arrangement.get("place") else None,
        msg("Link: %(link)s", link=arrangement["link"]) if arrangement.get("link") else None,
    )
