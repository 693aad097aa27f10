"""下单: placing an order of a listed service — the path two thousand members take in the same minute.

One statement takes the seat, writes the order in the state the transition table gives it and both
of its events (place, then auto_accept / offer / waitlist), and counts the waitlist ahead; each
follow-up (the reminders or the offer, the notice) is one more. Every statement is built once, at
import, so a request only binds values (issue #6: building and compiling ~28 ORM statements per
order cost ten times the database work). The answer is made from what the statements returned.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.listings import ListingShape, ListingState
from ..domain.orders import Actor, OrderKind, OrderState, Transition, acting_role, transition
from ..errors import Conflict, Forbidden, InvalidInput
from ..models import Category, Listing, ListingSession, Offer, Order, User
from ..models.base import utcnow
from ..models.orders import LIVE_SESSION_ORDER
from ..schemas.orders import ListingRef, SessionRef
from . import notices, reminders
from .order_flow import DEFAULT_OFFER_HOURS
from .order_views import Known, Party

GROUP_NAMES = {
    "new_employment": "新就业形态劳动者",
    "migrant": "外来务工人员",
    "parent": "双职工家庭",
    "youth": "青年职工",
    "women": "女职工",
    "retiree": "退休职工",
}

# The listing, its category's answer window, its provider and the wanted session, in one read.
_TARGET = (
    sa.select(
        Listing.id,
        Listing.market_id,
        Listing.state,
        Listing.shape,
        Listing.mode,
        Listing.location,
        Listing.title,
        Listing.provider_id,
        Listing.category_id,
        Listing.auto_accept,
        Listing.target_groups,
        Category.offer_deadline_hours,
        User.name.label("provider_name"),
        User.phone.label("provider_phone"),
        ListingSession.id.label("session_id"),
        ListingSession.starts_at,
        ListingSession.ends_at,
        ListingSession.cancelled_at,
        ListingSession.waitlist_open,
    )
    .join(Category, Category.id == Listing.category_id)
    .join(User, User.id == Listing.provider_id)
    .outerjoin(
        ListingSession,
        sa.and_(ListingSession.id == sa.bindparam("session_id"), ListingSession.listing_id == Listing.id),
    )
    .where(Listing.id == sa.bindparam("listing_id"))
)

_ORDER_COLUMNS = [c.name for c in Order.__table__.c]
# The seat is taken only while one is free (PostgreSQL's row lock on the session serialises takers, so
# exactly `capacity` succeed); the order is written only if the member holds no live order for the
# session (the partial unique index decides): a caller that gets no row back raises, and the rollback
# gives the seat back. Events and the waitlist count read what this statement wrote, through RETURNING.
_PLACE = (
    sa.text(
        f"""
WITH seat AS (
    UPDATE listing_sessions SET seats_taken = seats_taken + 1
    WHERE id = CAST(:session_id AS integer) AND CAST(:needs_seat AS boolean)
      AND seats_taken < capacity AND cancelled_at IS NULL
    RETURNING id
), outcome AS (
    SELECT NOT CAST(:needs_seat AS boolean) OR EXISTS (SELECT FROM seat) AS seated
), placed AS (
    INSERT INTO orders (market_id, kind, member_id, listing_id, session_id, category_id, provider_id, state,
        holds_seat, title, description, note, mode, preferred_times, arrangement, delivery_note,
        offer_attempts, reorder_of_id, created_at, updated_at)
    SELECT CAST(:market_id AS integer), 'listing', CAST(:member_id AS integer), CAST(:listing_id AS integer),
        CAST(:session_id AS integer), CAST(:category_id AS integer),
        CASE WHEN seated THEN CAST(:provider_id AS integer) END,
        CASE WHEN seated THEN CAST(:seated_state AS varchar) ELSE CAST(:full_state AS varchar) END,
        seated AND CAST(:needs_seat AS boolean), CAST(:title AS varchar), '', CAST(:note AS text),
        CAST(:mode AS varchar), '[]', '{{}}', '', CASE WHEN seated THEN CAST(:offer_attempts AS integer) ELSE 0 END,
        CAST(:reorder_of AS integer), CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM outcome
    ON CONFLICT (member_id, session_id) WHERE {LIVE_SESSION_ORDER} DO NOTHING
    RETURNING *
), events AS (
    INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state,
        reason, data)
    SELECT id, market_id, CAST(:now AS timestamptz), CAST(:member_id AS integer), CAST(:member_role AS varchar),
        'place', NULL, CAST(:placed_state AS varchar), '', CAST(:place_data AS jsonb)
    FROM placed
    UNION ALL
    SELECT id, market_id, CAST(:now AS timestamptz), NULL, CAST(:system_role AS varchar),
        CASE WHEN holds_seat OR NOT CAST(:needs_seat AS boolean)
            THEN CAST(:seated_action AS varchar) ELSE CAST(:full_action AS varchar) END,
        CAST(:placed_state AS varchar), state,
        CASE WHEN holds_seat OR NOT CAST(:needs_seat AS boolean) THEN '' ELSE CAST(:full_reason AS text) END,
        '{{}}'
    FROM placed
)
SELECT {", ".join(f"placed.{name}" for name in _ORDER_COLUMNS)},
    CASE WHEN placed.state = CAST(:full_state AS varchar) THEN (
        SELECT count(*) + 1 FROM orders ahead
        WHERE ahead.session_id = placed.session_id AND ahead.state = placed.state
          AND (ahead.created_at, ahead.id) < (placed.created_at, placed.id)
    ) END AS waitlist_position
FROM placed
"""
    )
    .bindparams(sa.bindparam("place_data", type_=JSONB))
    .columns(*Order.__table__.c, sa.column("waitlist_position", sa.Integer))
)

_INSERT_OFFER = sa.insert(Offer.__table__).returning(Offer.__table__.c.id)
_FULL_REASON = "the session is full"


def _moves(auto_accept: bool) -> tuple[Transition, Transition]:
    """The transition table's moves for a new listing order: with a seat (or none needed), and without one."""
    system = {Actor.system}
    seated = transition(OrderState.placed, "auto_accept" if auto_accept else "offer", OrderKind.listing, system)
    full = transition(OrderState.placed, "waitlist", OrderKind.listing, system)
    return seated, full


async def read_target(db: AsyncSession, listing_id: int, session_id: int | None) -> sa.Row | None:
    return (await db.execute(_TARGET, {"listing_id": listing_id, "session_id": session_id})).first()


def check_orderable(member: User, target: sa.Row | None, listing_id: int) -> sa.Row:
    """Refuse what the member may not order: an unknown or closed listing, one's own, another group's."""
    if target is None or target.state in (ListingState.draft, ListingState.submitted):
        raise InvalidInput(f"Unknown listing: {listing_id}.", field="listing_id")
    if target.state != ListingState.published:
        raise Conflict(f"This listing takes no orders (it is {target.state}).", field="listing_id")
    if target.provider_id == member.id:
        raise Conflict("You cannot order your own listing.", field="listing_id")
    if target.target_groups and not set(target.target_groups) & set(member.groups):
        groups = "、".join(GROUP_NAMES.get(g, g) for g in target.target_groups)
        raise Forbidden(f"This service is for {groups} only ({', '.join(target.target_groups)}).")
    return target


def check_session(target: sa.Row, session_id: int) -> None:
    if target.session_id is None:
        raise InvalidInput(f"Listing {target.id} has no session {session_id}.", field="session_id")
    if target.cancelled_at is not None:
        raise Conflict("This session was cancelled.", field="session_id")
    if target.starts_at <= utcnow():
        raise Conflict("This session has already started.", field="session_id")


async def place(
    db: AsyncSession,
    member: User,
    target: sa.Row,
    note: str = "",
    reorder_of: int | None = None,
) -> Order:
    """Write the order of a checked target (a session's seat, or an on-request listing) and its follow-ups."""
    seated, full = _moves(target.auto_accept)
    needs_seat = target.shape != ListingShape.on_request
    now = utcnow()
    row = (
        await db.execute(
            _PLACE,
            {
                "session_id": target.session_id if needs_seat else None,
                "needs_seat": needs_seat,
                "market_id": target.market_id,
                "member_id": member.id,
                "listing_id": target.id,
                "category_id": target.category_id,
                "provider_id": target.provider_id,
                "seated_state": seated.target.value,
                "full_state": full.target.value,
                "seated_action": seated.action,
                "full_action": full.action,
                "placed_state": OrderState.placed.value,
                "member_role": Actor.member.value,
                "system_role": acting_role(seated, {Actor.system}).value,
                "full_reason": _FULL_REASON,
                "offer_attempts": 0 if target.auto_accept else 1,
                "title": target.title,
                "note": note,
                "mode": target.mode,
                "reorder_of": reorder_of,
                "place_data": {"reorder_of": reorder_of} if reorder_of else {},
                "now": now,
            },
        )
    ).first()
    if row is None:
        raise Conflict("You already hold a live order for this session.", field="session_id")
    values = row._asdict()
    position = values.pop("waitlist_position")
    order = Order(**values)
    if position is not None and not target.waitlist_open:
        raise Conflict("This session is full.", field="session_id")
    offer = None
    if order.state == OrderState.accepted:
        await _accepted(db, member, target, order)
    elif order.state == OrderState.offered:
        offer = await _offered(db, target, order, now)
    _remember_answer(member, target, order, (seated, full), now, offer, position)
    return order


async def _accepted(db: AsyncSession, member: User, target: sa.Row, order: Order) -> None:
    starts_at = target.starts_at if order.session_id is not None else None
    await reminders.plan_session(db, order, starts_at=starts_at, fresh=True)
    await notices.notify(
        db,
        target.provider_id,
        order.market_id,
        "order_accepted",
        f"新报名：{target.title}",
        member.name,
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:auto_accepted",
    )


async def _offered(db: AsyncSession, target: sa.Row, order: Order, now: datetime) -> Offer:
    """The listing's provider answers within the category's window (order_flow.open_offer, in two statements)."""
    hours = target.offer_deadline_hours or DEFAULT_OFFER_HOURS
    offer = Offer(
        market_id=order.market_id,
        order_id=order.id,
        provider_id=target.provider_id,
        state="pending",
        score=None,
        score_parts={},
        deadline_at=now + timedelta(hours=hours),
        reason="",
        created_at=now,
    )
    columns = ("market_id", "order_id", "provider_id", "state", "score", "score_parts", "deadline_at", "reason")
    offer.id = (
        await db.execute(_INSERT_OFFER, {name: getattr(offer, name) for name in (*columns, "created_at")})
    ).scalar_one()
    await reminders.plan_offer(db, order, offer)
    await notices.notify(
        db,
        target.provider_id,
        order.market_id,
        "offer",
        f"新的服务请求：{order.title}",
        f"请在 {hours} 小时内接单或婉拒。",
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:offer:{order.offer_attempts}",
    )
    return offer


def _remember_answer(
    member: User,
    target: sa.Row,
    order: Order,
    moves: tuple[Transition, Transition],
    now: datetime,
    offer: Offer | None,
    position: int | None,
) -> None:
    """What the answer shows, from what was just written: order_views.build asks the database for none of it."""
    provider = Party(id=target.provider_id, name=target.provider_name, phone=target.provider_phone)
    seated = order.state == moves[0].target
    second = moves[0] if seated else moves[1]
    events = [
        _event(now, Actor.member, member.id, "place", None, OrderState.placed, ""),
        _event(now, Actor.system, None, second.action, OrderState.placed, order.state, "" if seated else _FULL_REASON),
    ]
    Known(
        users={member.id: member, provider.id: provider},
        listings={
            target.id: ListingRef(
                id=target.id, title=target.title, shape=target.shape, mode=target.mode, location=target.location
            )
        },
        sessions={
            target.session_id: SessionRef(id=target.session_id, starts_at=target.starts_at, ends_at=target.ends_at)
        }
        if order.session_id is not None
        else {},
        events=events,
        offer=offer,
        waitlist_position=position,
    ).attach(order)


def _event(at, role: Actor, actor_id, action: str, from_state, to_state, reason: str) -> dict:
    return {
        "at": at,
        "actor": role.value,
        "actor_id": actor_id,
        "action": action,
        "from": from_state.value if from_state else None,
        "to": str(to_state),
        "reason": reason,
    }
