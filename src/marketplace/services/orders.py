"""Order use cases (下单 → 配货 → 发货 → 签收 → 复购). Each runs in the caller's one transaction."""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.listings import ListingShape
from ..domain.orders import LIVE_STATES, Actor, OrderKind, OrderState, arrangement_steps, transition
from ..domain.roles import Role
from ..domain.service_time import arrangement_refusal
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Listing, ListingSession, Order, ProviderCategory, User
from ..models.base import hot, utcnow
from ..schemas.orders import ArrangeIn, AttendanceIn, DeliverIn, OrderIn, ProposeTimeIn, ResolveIn
from ..texts import N_, Msg, joined, msg
from . import categories, classify, deadlines, lottery, market_tree, notices, priority, quotas, reminders
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


async def place(db: AsyncSession, member: User, data: OrderIn, target=None) -> Order:
    """`target`: the listing's row as read for this order in this transaction already, if it was
    (services/waitlist_joins.py reads it first)."""
    if data.listing_id is not None:
        return await place_listing_order(db, member, data.listing_id, data.session_id, data.note, target=target)
    return await place_need(db, member, data)


async def place_listing_order(
    db: AsyncSession,
    member: User,
    listing_id: int,
    session_id: int | None,
    note: str = "",
    reorder_of: int | None = None,
    target=None,
) -> Order:
    """A listed service: the given session, else the next one with a free seat (else a waitlist place)."""
    if target is None:
        target = await placement.read_target(db, member, listing_id, session_id)
    above = []  # the markets above the member's: read only for a listing one of them may share below
    if target is not None and target.shared_below and target.market_id != member.market_id:
        above = await market_tree.ancestor_ids(db, member.market_id)
    target = placement.check_orderable(member, target, listing_id, above)
    if target.shape == ListingShape.on_request:
        if session_id is not None:
            raise InvalidInput("An on-request listing has no sessions; leave session_id out.", field="session_id")
    else:
        if session_id is None:
            session_id = await next_session_for(db, member, listing_id)
            target = await placement.read_target(db, member, listing_id, session_id)
        placement.check_session(target, session_id)
    if target.quotas_apply:
        await quotas.check(db, member, target.category_id)  # 限额, under the member's lock
    if target.draw_session_id is not None:  # 抽签: a registration, no seat until the draw
        return await lottery.register(db, member, target, note)
    return await placement.place(db, member, target, note, reorder_of, await _held_back(db, member, target))


async def _held_back(db: AsyncSession, member: User, target) -> int:
    """The priority reserve a member outside its groups may not take, first come, first served."""
    if target.session_id is None or not target.reserve_percent:
        return 0
    now = utcnow()
    held = priority.reserve_held_back(
        target.capacity, target.reserve_percent, target.reserve_release_at, target.starts_at, now
    )
    if held and await priority.holds_priority(db, member, list(target.reserve_groups)):
        return 0
    return held


async def next_session_for(db: AsyncSession, member: User, listing_id: int) -> int:
    """The next upcoming session with a free seat that the member holds no live order for; else the next
    one with an open waitlist."""
    mine = sa.select(Order.session_id).where(
        Order.member_id == member.id, hot(Order), Order.session_id.is_not(None), Order.state.in_(sorted(LIVE_STATES))
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
    await quotas.check(db, member, data.category_id)
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
    # a new arrangement answers any time the member proposed, and is theirs to agree to again
    order.time_proposal = None
    order.time_agreed_at = None
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


# 约时间: the member answers an arrangement of an order without a session ------------------------


def _steps_open(order: Order) -> frozenset[str]:
    return arrangement_steps(
        order.session_id is not None,
        order.arranged_at is not None,
        order.time_agreed_at is not None,
        bool(order.time_proposal),
    )


def _check_step(order: Order, action: str, caps: set[Actor]) -> None:
    """The table first (409 naming the state, 403 for the wrong party), then whether the step is open."""
    transition(order.state, action, order.kind, caps)
    if action not in _steps_open(order):
        raise Conflict(STEP_REFUSALS[action])


STEP_REFUSALS = {
    "agree_time": "There is no arrangement waiting for your answer.",
    "propose_time": "Another time can be proposed once the provider has arranged the service.",
    "accept_time": "There is no proposed time waiting for your answer.",
}


async def agree_time(db: AsyncSession, user: User, order_id: int) -> Order:
    """The member agrees to the provider's arrangement."""
    order, caps = await for_action(db, user, order_id)
    _check_step(order, "agree_time", caps)
    move(db, order, "agree_time", caps, user, when=await service_time_of(db, order))
    order.time_agreed_at = utcnow()
    await notices.notify(
        db,
        order.provider_id,
        order.market_id,
        "time_agreed",
        msg("The member agreed to the arrangement: %(title)s", title=order.title),
        arrangement_text(order.arrangement, N_("The member agreed.")),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:time_agreed:{order.time_agreed_at.isoformat()}",
    )
    return order


async def propose_time(db: AsyncSession, user: User, order_id: int, data: ProposeTimeIn) -> Order:
    """The member proposes another time (with a note); the agreed one holds until the provider answers."""
    order, caps = await for_action(db, user, order_id)
    _check_step(order, "propose_time", caps)
    refusal = arrangement_refusal(utcnow(), data.starts_at)
    if refusal:
        raise InvalidInput(refusal, field="starts_at")
    proposal = {"starts_at": data.starts_at.isoformat(), "note": data.note, "at": utcnow().isoformat()}
    move(db, order, "propose_time", caps, user, data.note, data=proposal, when=await service_time_of(db, order))
    order.time_proposal = proposal
    body = joined(
        msg("The member would rather come at %(at)s.", at=data.starts_at),
        msg("Note: %(note)s", note=data.note) if data.note else None,
    )
    await notices.notify(
        db,
        order.provider_id,
        order.market_id,
        "time_proposed",
        msg("The member proposes another time: %(title)s", title=order.title),
        body,
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:time_proposed:{proposal['at']}",
    )
    return order


async def accept_time(db: AsyncSession, user: User, order_id: int) -> Order:
    """The provider takes the member's proposed time: it becomes the agreed time, agreed by both."""
    order, caps = await for_action(db, user, order_id)
    _check_step(order, "accept_time", caps)
    starts_at = datetime.fromisoformat(order.time_proposal["starts_at"])
    refusal = arrangement_refusal(utcnow(), starts_at)
    if refusal:  # the proposed time passed unanswered: the provider arranges another
        raise Conflict("The proposed time has passed; arrange another time with the member.")
    arrangement = {**order.arrangement, "starts_at": starts_at.isoformat()}
    move(db, order, "accept_time", caps, user, data=arrangement)
    order.arrangement = arrangement
    order.arranged_at = order.time_agreed_at = utcnow()
    order.time_proposal = None
    await reminders.plan_session(db, order)  # the reminders move with the time
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "time_accepted",
        msg("The provider accepted the time you proposed: %(title)s", title=order.title),
        arrangement_text(arrangement, N_("The provider accepted your time.")),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:time_accepted:{order.arranged_at.isoformat()}",
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
    await after_delivery(db, order, note)


async def after_delivery(db: AsyncSession, order: Order, note: str = "") -> None:
    """What delivery starts, however it came (the provider's mark, a check-in): sign-off is asked for."""
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


async def provider_cancel(db: AsyncSession, user: User, order_id: int, reason: str) -> Order:
    """The provider gives back an accepted listing order before the service starts (a reason is required):
    its seat goes to the first on the waiting list, as when the member cancels, and the member is told."""
    order, caps = await for_action(db, user, order_id)
    move(db, order, "provider_cancel", caps, user, reason, when=await service_time_of(db, order))
    await drop_reminders(db, order)
    await free_seat_and_promote(db, order)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "order_cancelled",
        msg("Order cancelled: %(title)s", title=order.title),
        msg("The provider cannot serve this order and cancelled it. Reason: %(reason)s", reason=reason),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:cancelled:{order.member_id}",
    )
    return order


def arrangement_text(arrangement: dict, opening: str = N_("The provider confirmed the arrangement.")) -> Msg:
    """The arrangement as finished sentences, fit for an SMS: 服务者已确认安排。时间：12月15日周二 14:30。地点：…。"""
    starts_at = arrangement.get("starts_at")
    return joined(
        msg(opening),
        msg("Time: %(at)s.", at=datetime.fromisoformat(starts_at)) if starts_at else None,
        msg("Place: %(place)s.", place=arrangement["place"]) if arrangement.get("place") else None,
        msg("Link: %(link)s", link=arrangement["link"]) if arrangement.get("link") else None,
    )
