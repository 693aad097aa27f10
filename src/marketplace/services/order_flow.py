"""The machinery every order use case shares: lock, check the table, move, record; seats; offers."""

from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..auth import has_role
from ..db import settings_of
from ..domain.orders import Actor, OrderKind, OrderState, Transition, acting_role, check_time, transition
from ..domain.roles import Role
from ..domain.service_time import DEFAULT_LENGTH, MAX_MINUTES, ServiceTime, offer_deadline, service_time
from ..errors import NotFound
from ..models import Category, Listing, ListingSession, LotteryDraw, Offer, Order, OrderEvent, User
from ..models.base import utcnow
from ..texts import Msg, msg
from . import market_tree, notices, priority, reminders

DEFAULT_OFFER_HOURS = 48


def capacities(user: User | None, order: Order, reach: Collection[int] = ()) -> set[Actor]:
    """The capacities in which this user may act on this order; staff act on the orders of their market and of
    the markets in `reach` (the markets below theirs, `capacities_in`)."""
    if user is None:
        return {Actor.system}
    found: set[Actor] = set()
    if order.member_id == user.id:
        found.add(Actor.member)
    if order.provider_id is not None and order.provider_id == user.id:
        found.add(Actor.provider)
    if user.market_id == order.market_id or order.market_id in reach:
        if has_role(user, Role.operator):
            found.add(Actor.operator)
        if has_role(user, Role.curator):
            found.add(Actor.curator)
    return found


async def staff_reach(db: AsyncSession, user: User | None, market_id: int) -> list[int]:
    """The markets below a staff member's that matter for an order of `market_id` (read only when the order is
    in another market than theirs: one query then, none otherwise)."""
    if user is None or user.market_id == market_id or not has_role(user, Role.operator, Role.curator):
        return []
    return await market_tree.staff_markets(db, user)


async def capacities_in(db: AsyncSession, user: User | None, order: Order) -> set[Actor]:
    """`capacities`, with the staff of the markets above the order's acting on it too."""
    return capacities(user, order, await staff_reach(db, user, order.market_id))


async def lock_order(db: AsyncSession, order_id: int) -> Order | None:
    return (await db.execute(sa.select(Order).where(Order.id == order_id).with_for_update())).scalar_one_or_none()


async def for_action(db: AsyncSession, user: User | None, order_id: int) -> tuple[Order, set[Actor]]:
    """The order, locked, and the caller's capacities; someone with none gets 404 (not yours)."""
    order = await lock_order(db, order_id)
    if order is None:
        raise NotFound("No such order.")
    caps = await capacities_in(db, user, order)
    if not caps:
        raise NotFound("No such order.")
    return order, caps


def record(
    db: AsyncSession,
    order: Order,
    action: str,
    actor: User | None,
    actor_role: Actor,
    from_state: str | None,
    reason: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> None:
    db.add(
        OrderEvent(
            at=at or utcnow(),
            order_id=order.id,
            market_id=order.market_id,
            actor_id=actor.id if actor else None,
            actor_role=actor_role,
            action=action,
            from_state=from_state,
            to_state=order.state,
            reason=reason,
            data=data or {},
        )
    )


async def service_time_of(db: AsyncSession, order: Order) -> ServiceTime:
    """When the order's service happens: the agreed time, else its session's (the time guards' input)."""
    starts_at = ends_at = None
    if order.session_id is not None:
        row = (
            await db.execute(
                sa.select(ListingSession.starts_at, ListingSession.ends_at).where(ListingSession.id == order.session_id)
            )
        ).first()
        if row is not None:
            starts_at, ends_at = row
    return service_time(starts_at, ends_at, order.arrangement or {}, order.arranged_at is not None)


# The same rule in SQL, for scans (with ListingSession outer-joined on the order's session): the agreed
# time plus the agreed minutes (else the session's length, else an hour), else the session's end. An
# unreadable agreed time reads as none (try_timestamptz, migration 0006), odd minutes as not agreed, as in
# domain/service_time.py: one odd row never fails a scan.
_AGREED_MINUTES = Order.arrangement["minutes"]
SERVICE_END = sa.func.coalesce(
    sa.func.try_timestamptz(Order.arrangement["starts_at"].astext, type_=sa.DateTime(timezone=True))
    + sa.func.coalesce(
        sa.case(  # nested: PostgreSQL evaluates a CASE's branches in order, an AND's operands in any order
            (
                sa.func.jsonb_typeof(_AGREED_MINUTES) == "number",
                sa.case(
                    (
                        _AGREED_MINUTES.astext.regexp_match("^[0-9]{1,4}$"),
                        sa.case(
                            (
                                sa.cast(_AGREED_MINUTES.astext, sa.Integer).between(1, MAX_MINUTES),
                                sa.func.make_interval(0, 0, 0, 0, 0, sa.cast(_AGREED_MINUTES.astext, sa.Integer)),
                            )
                        ),
                    )
                ),
            )
        ),
        ListingSession.ends_at - ListingSession.starts_at,
        DEFAULT_LENGTH,
    ),
    ListingSession.ends_at,
)


def move(
    db: AsyncSession,
    order: Order,
    action: str,
    caps: set[Actor],
    actor: User | None,
    reason: str = "",
    data: dict | None = None,
    at: datetime | None = None,
    when: ServiceTime | None = None,
    now: datetime | None = None,
) -> Transition:
    """Apply one row of the transition table and write its event; refuses what the table does not allow,
    and what its time guard does not allow at this moment of the service (`when`, needed for a guarded
    move). `at` is for importing history (the demo data); live moves happen now. `now` is the clock the
    guard reads (a job's scan time; tests move it)."""
    found = transition(order.state, action, order.kind, caps)
    role = acting_role(found, caps)
    if when is None and order.session_id is None:  # known without a read: only an agreed time counts
        when = service_time(None, None, order.arrangement or {}, order.arranged_at is not None)
    check_time(found, role, now or at or utcnow(), when)
    from_state = order.state
    order.state = found.target
    order.updated_at = at or utcnow()
    order.archived_at = None  # an archived order that moves (a late review) is everyday again
    if found.target != from_state:  # it moved on: no longer the operators' to handle
        order.escalated_at = None
    record(db, order, action, actor, role, from_state, reason, data, at)
    return found


# Seats ---------------------------------------------------------------------------------------


async def take_seat(db: AsyncSession, session_id: int, held_back: int = 0) -> bool:
    """Atomically take one free seat, but for `held_back` (a priority reserve); False when the session is
    full. PostgreSQL's row lock on the session serialises concurrent takers, so exactly `capacity` succeed."""
    taken = await db.execute(
        sa.update(ListingSession)
        .where(
            ListingSession.id == session_id,
            ListingSession.seats_taken < ListingSession.capacity - held_back,
            ListingSession.cancelled_at.is_(None),
        )
        .values(seats_taken=ListingSession.seats_taken + 1)
        .returning(ListingSession.id)
    )
    return taken.first() is not None


def seat_order(listing: Listing, session: ListingSession, member_id: int, note: str = "") -> Order:
    """A new order of a session whose seat was taken for it beforehand (an organisation's booking, a 免申即享
    campaign's reserve): placed and holding that seat; the caller records it and moves it on."""
    return Order(
        market_id=listing.market_id,
        kind=OrderKind.listing,
        member_id=member_id,
        listing_id=listing.id,
        session_id=session.id,
        category_id=listing.category_id,
        provider_id=listing.provider_id,
        title=listing.title,
        note=note,
        state=OrderState.placed,
        holds_seat=True,
    )


async def release_seat(db: AsyncSession, order: Order) -> bool:
    if not order.holds_seat or order.session_id is None:
        return False
    await db.execute(
        sa.update(ListingSession)
        .where(ListingSession.id == order.session_id)
        .values(seats_taken=ListingSession.seats_taken - 1)
    )
    order.holds_seat = False
    return True


# The waiting line's order: a draw's waiting list in draw order first, then the line's numbers
# (services/waitlist_lines.py), then any not numbered yet, first come, first served.
_LINE_ORDER = (Order.draw_rank.asc().nulls_last(), Order.line_place.asc().nulls_last(), Order.created_at, Order.id)


async def promote_waitlist(db: AsyncSession, session_id: int) -> list[Order]:
    """Give freed seats to the waitlist, first come first served, while the session has not started. A priority
    reserve still held keeps its seats for its groups, as at placement (services/priority.py): a seat the first in
    line may not take goes to the first in line who is in one, or stays free for them (but for a session drawn by
    lot: the draw gave the reserve, and its waiting list goes in draw order). A promoted seat is like
    any other: its provider, its reminders or its offer, its attendance line. An order whose row another
    transaction holds that instant is passed over rather than waited for (services/free_seats.py gives a seat
    left free that way to the line within a minute)."""
    session = await db.get(ListingSession, session_id)
    now = utcnow()
    if session is None or session.cancelled_at is not None or session.starts_at <= now:
        return []
    listing = await db.get(Listing, session.listing_id)
    when = service_time(session.starts_at, session.ends_at, {}, False)
    held_back = priority.reserve_held_back(
        session.capacity, session.reserve_percent, session.reserve_release_at, session.starts_at, now
    )
    if held_back and await db.scalar(sa.select(sa.exists().where(LotteryDraw.session_id == session_id))):
        held_back = 0  # a draw gave the reserve to its priority entries; its waiting list goes in draw order
    promoted: list[Order] = []
    while True:
        waiting = (
            await db.execute(
                sa.select(Order)
                .where(Order.session_id == session_id, Order.state == OrderState.waitlisted)
                .order_by(*_LINE_ORDER)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()
        if waiting is None:
            return promoted
        if not await take_seat(db, session_id, held_back):
            if not held_back:
                return promoted
            # only the reserve's seats are free (if any): they are for its groups
            waiting = await _first_in_line_of(db, session_id, list(session.reserve_groups))
            if waiting is None or not await take_seat(db, session_id):
                return promoted
        waiting.holds_seat = True
        if listing.auto_accept:
            move(db, waiting, "promote", {Actor.system}, None, "a seat became free", when=when)
            waiting.provider_id = listing.provider_id
            await reminders.plan_session(db, waiting)
        else:
            move(db, waiting, "promote_to_offer", {Actor.system}, None, "a seat became free", when=when)
            await open_offer(db, waiting, listing.provider_id, when=when)
        # The member waited, maybe long: they confirm they still come, or the seat goes on (deadlines.py).
        window = timedelta(hours=settings_of(db).confirm_window_hours)
        waiting.confirm_by = min(utcnow() + window, session.starts_at)
        await notices.notify(
            db,
            waiting.member_id,
            waiting.market_id,
            "waitlist_promoted",
            msg("A place came free: %(title)s", title=listing.title),
            msg(
                "A place came free for you: please confirm before %(deadline)s, or it goes to the next on the "
                "waiting list.",
                deadline=waiting.confirm_by,
            ),
            {"order_id": waiting.id},
            dedupe_key=f"order:{waiting.id}:promoted:{waiting.updated_at.isoformat()}",
        )
        promoted.append(waiting)


async def _first_in_line_of(db: AsyncSession, session_id: int, groups: list[str]) -> Order | None:
    """The first waiting order of the session whose member is in one of the reserve's `groups`, locked."""
    line = (
        await db.execute(
            sa.select(Order.id, Order.member_id, User.groups)
            .join(User, User.id == Order.member_id)
            .where(Order.session_id == session_id, Order.state == OrderState.waitlisted)
            .order_by(*_LINE_ORDER)
        )
    ).all()
    of_member = await priority.priority_of(db, {row.member_id: list(row.groups) for row in line}, groups)
    for row in line:
        if of_member[row.member_id]:
            order = (
                await db.execute(
                    sa.select(Order)
                    .where(Order.id == row.id, Order.state == OrderState.waitlisted)
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if order is not None:
                return order
    return None


async def free_seat_and_promote(db: AsyncSession, order: Order) -> list[Order]:
    """Give the order's seat back and to the next in line; returns who got it (none: the seat is free)."""
    if await release_seat(db, order):
        return await promote_waitlist(db, order.session_id)
    return []


# Offers --------------------------------------------------------------------------------------


def answer_window(category_hours: int | None) -> int:
    """The hours a provider has to answer an offer: the category's window, else the default."""
    return category_hours or DEFAULT_OFFER_HOURS


async def offer_deadline_hours(db: AsyncSession, category_id: int) -> int:
    hours = (
        await db.execute(sa.select(Category.offer_deadline_hours).where(Category.id == category_id))
    ).scalar_one_or_none()
    return answer_window(hours)


def offer_notice(order_id: int, title: str, deadline: datetime, attempt: int) -> tuple[str, Msg, Msg, str]:
    """(kind, title, body, dedupe key) of the notice telling a provider of an offer."""
    body = msg("Please accept or decline before %(deadline)s.", deadline=deadline)
    return "offer", msg("New service request: %(title)s", title=title), body, f"order:{order_id}:offer:{attempt}"


async def open_offer(
    db: AsyncSession,
    order: Order,
    provider_id: int,
    score: float | None = None,
    score_parts: dict | None = None,
    hours: int | None = None,  # the category's answer window, when the caller (the matcher) knows it
    when: ServiceTime | None = None,  # the order's service time, when the caller knows it
) -> Offer:
    """Offer the order to a provider, to be answered within the category's window and before the service
    starts (an offer accepted after its session began would be a promise already broken)."""
    hours = hours or await offer_deadline_hours(db, order.category_id)
    when = when or await service_time_of(db, order)
    order.provider_id = provider_id
    order.offer_attempts += 1
    offer = Offer(
        market_id=order.market_id,
        order_id=order.id,
        provider_id=provider_id,
        score=score,
        score_parts=score_parts or {},
        deadline_at=offer_deadline(utcnow(), hours, when),
    )
    db.add(offer)
    await reminders.plan_offer(db, order, offer)
    kind, title, body, key = offer_notice(order.id, order.title, offer.deadline_at, order.offer_attempts)
    await notices.notify(db, provider_id, order.market_id, kind, title, body, {"order_id": order.id}, dedupe_key=key)
    return offer


async def close_offer(db: AsyncSession, order: Order, state: str, reason: str = "") -> None:
    await db.execute(
        sa.update(Offer)
        .where(Offer.order_id == order.id, Offer.state == "pending")
        .values(state=state, reason=reason, responded_at=utcnow())
    )


async def drop_reminders(db: AsyncSession, order: Order) -> None:
    """A cancelled or finished order's pending reminders are never sent."""
    await queue.cancel_jobs(db, f"order:{order.id}:")
