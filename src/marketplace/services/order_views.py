"""What each party sees of an order: the member and provider of it, operators and curators."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import has_role
from ..domain.confidential import HIDDEN_MEMBER, member_shown
from ..domain.orders import Actor, OrderKind, OrderState, actions_for, arrangement_steps
from ..domain.phones import mask_phone
from ..domain.roles import Role
from ..domain.service_time import service_time
from ..errors import NotFound
from ..models import Listing, ListingSession, Offer, Order, OrderEvent, Review, User
from ..models.base import archived_only, hot, utcnow
from ..schemas.common import Page
from ..schemas.orders import ListingRef, OfferOut, OrderOut, PartyOut, SessionRef
from . import categories, market_tree
from .order_flow import capacities, capacities_in, staff_reach

# Not after a decline: the provider just said no to this service at this time; the member finds
# another on the menu instead of being offered the same again.
_REORDERABLE = {
    OrderState.received,
    OrderState.reviewed,
    OrderState.cancelled,
    OrderState.expired,
    OrderState.no_show,
}


def _actions(order: Order, caps: set[Actor], session: SessionRef | None) -> list[str]:
    """The buttons: what the table allows these capacities now, its time guards included."""
    when = service_time(
        session.starts_at if session else None,
        session.ends_at if session else None,
        order.arrangement or {},
        order.arranged_at is not None,
    )
    steps = arrangement_steps(
        order.session_id is not None,
        order.arranged_at is not None,
        order.time_agreed_at is not None,
        bool(order.time_proposal),
    )
    found = actions_for(
        OrderState(order.state), OrderKind(order.kind), caps, order.confirm_by is not None, utcnow(), when, steps
    )
    if Actor.member in caps and order.state in _REORDERABLE:
        found.append("reorder")
    return found


@dataclass(frozen=True)
class Party:
    """A member or provider as an answer shows them (a User has these too)."""

    id: int
    name: str
    phone: str


@dataclass(frozen=True)
class NewOffer:
    """An offer as an answer shows it, just written (an Offer row has these too)."""

    provider_id: int
    deadline_at: datetime
    state: str = "pending"
    score: float | None = None
    score_parts: dict = field(default_factory=dict)


@dataclass
class Known:
    """What the use case that just wrote an order holds about it, so its answer needs no query:
    the parties (objects with id, name, phone), the listing and session shown, the events written,
    the pending offer (a waitlisted order's place is taken after the commit: web/orders.py). Kept with the
    order object (SQLAlchemy's per-instance info)."""

    users: dict[int, User | Party]
    listings: dict[int, ListingRef]
    sessions: dict[int, SessionRef]
    events: list[dict]
    offer: Offer | NewOffer | None = None

    def attach(self, order: Order) -> None:
        sa.inspect(order).info["known"] = self

    @staticmethod
    def forget(order: Order) -> None:
        """The order changed after the placement answered (services/hotline.py marks its events): read it again."""
        sa.inspect(order).info.pop("known", None)

    @staticmethod
    def of(order: Order) -> "Known | None":
        return sa.inspect(order).info.get("known")


@dataclass
class _Facts:
    """Everything the answers for some orders show besides the orders themselves, by id."""

    users: dict[int, User | Party] = field(default_factory=dict)
    listings: dict[int, ListingRef] = field(default_factory=dict)
    sessions: dict[int, SessionRef] = field(default_factory=dict)
    reviews: dict[int, int] = field(default_factory=dict)
    offers: dict[int, Offer | NewOffer] = field(default_factory=dict)
    events: dict[int, list[dict]] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)
    confidential: set[int] = field(default_factory=set)  # categories whose orders' members are veiled from staff

    def add(self, order: Order, known: Known) -> None:
        self.users |= known.users
        self.listings |= known.listings
        self.sessions |= known.sessions
        self.events[order.id] = known.events
        if known.offer is not None:
            self.offers[order.id] = known.offer


async def _read_facts(db: AsyncSession, orders: list[Order], with_events: bool) -> _Facts:
    facts = _Facts()
    if not orders:
        return facts
    user_ids = {o.member_id for o in orders} | {o.provider_id for o in orders if o.provider_id}
    facts.users = await _by_id(db, User, user_ids)
    listings = await _by_id(db, Listing, {o.listing_id for o in orders if o.listing_id})
    facts.listings = {
        i: ListingRef(id=i, title=li.title, shape=li.shape, mode=li.mode, location=li.location)
        for i, li in listings.items()
    }
    sessions = await _by_id(db, ListingSession, {o.session_id for o in orders if o.session_id})
    facts.sessions = {i: SessionRef(id=i, starts_at=se.starts_at, ends_at=se.ends_at) for i, se in sessions.items()}
    # Only reviewed orders have a review, only offered ones a pending offer: ask for no others.
    reviewed = [o.id for o in orders if o.state == OrderState.reviewed]
    if reviewed:
        rows = await db.execute(sa.select(Review.order_id, Review.id).where(Review.order_id.in_(reviewed)))
        facts.reviews = dict(rows.all())
    offered = [o.id for o in orders if o.state == OrderState.offered]
    if offered:
        rows = await db.execute(sa.select(Offer).where(Offer.order_id.in_(offered), Offer.state == "pending"))
        facts.offers = {o.order_id: o for o in rows.scalars()}
    if with_events:
        rows = await db.execute(
            sa.select(OrderEvent)
            .where(OrderEvent.order_id.in_([o.id for o in orders]))
            .order_by(OrderEvent.at, OrderEvent.id)
        )
        for e in rows.scalars():
            facts.events.setdefault(e.order_id, []).append(
                {
                    "at": e.at,
                    "actor": e.actor_role,
                    "actor_id": e.actor_id,
                    "action": e.action,
                    "from": e.from_state,
                    "to": e.to_state,
                    "reason": e.reason,
                    # done by a hotline operator for the member (services/hotline.py)
                    **({"by_operator": e.data["operator_name"]} if "operator_name" in (e.data or {}) else {}),
                }
            )
    facts.positions = await _waitlist_positions(db, [o for o in orders if o.state == OrderState.waitlisted])
    return facts


def _veiled(events: list[dict], member_id: int) -> list[dict]:
    """The history without the member's account id on their own moves."""
    return [{**e, "actor_id": None} if e.get("actor_id") == member_id else e for e in events]


async def build(db: AsyncSession, viewer: User, orders: list[Order], with_events: bool = False) -> list[OrderOut]:
    known = [Known.of(o) for o in orders]
    facts = await _read_facts(db, [o for o, k in zip(orders, known, strict=True) if k is None], with_events)
    for order, k in zip(orders, known, strict=True):
        if k is not None:
            facts.add(order, k)
    if viewer is not None and has_role(viewer, Role.operator, Role.curator):  # only staff are shown less of a member
        facts.confidential |= await categories.confidential_ids(db, {o.market_id for o in orders})
    other = next((o.market_id for o in orders if o.market_id != viewer.market_id), viewer.market_id)
    reach = await staff_reach(db, viewer, other)  # a parent's staff act on the orders of the markets below
    return [_out(viewer, order, facts, with_events, reach) for order in orders]


def known_answer(viewer: User, order, known: Known) -> OrderOut:
    """`build`'s answer to a viewer who is not staff, for an order its use case just wrote, from what it knows:
    nothing is read then, so it needs no session (services/waitlist_joins.py answers without one). `order` is
    the row written (its columns as attributes: no ORM object is made for it)."""
    assert not has_role(viewer, Role.operator, Role.curator)
    facts = _Facts()
    facts.add(order, known)
    return _out(viewer, order, facts, True, [])


def _out(viewer: User, order: Order, facts: _Facts, with_events: bool, reach: list[int]) -> OrderOut:
    caps = capacities(viewer, order, reach)
    staff = bool(caps & {Actor.operator, Actor.curator})
    member = facts.users[order.member_id]
    shown = member_shown(caps, order.category_id in facts.confidential, order.state, order.escalated_at is not None)
    provider = facts.users.get(order.provider_id) if order.provider_id else None
    offer = facts.offers.get(order.id)
    return OrderOut(
        id=order.id,
        kind=order.kind,
        state=order.state,
        listing=facts.listings.get(order.listing_id),
        session=facts.sessions.get(order.session_id),
        category_id=order.category_id,
        title=order.title,
        description=order.description,
        note=order.note,
        mode=order.mode,
        # Only well-formed windows: a row from before the input bounds must not break the list it is in.
        preferred_times=[w for w in order.preferred_times if isinstance(w, dict)]
        if isinstance(order.preferred_times, list)
        else [],
        # Privacy: the provider and staff see the member's name and masked phone; no one sees more. Of a
        # confidential category, staff see them only while the order waits for staff (domain/confidential.py).
        member=PartyOut(
            id=member.id,
            name=member.name,
            phone=mask_phone(member.phone) if (staff or Actor.provider in caps) else None,
        )
        if shown
        else PartyOut(id=None, name=HIDDEN_MEMBER),
        provider=PartyOut(id=provider.id, name=provider.name, phone=mask_phone(provider.phone) if staff else None)
        if provider
        else None,
        arrangement=order.arrangement if isinstance(order.arrangement, dict) else {},
        time_agreed_at=order.time_agreed_at,
        time_proposal=order.time_proposal if isinstance(order.time_proposal, dict) else None,
        attended=order.attended,
        delivery_note=order.delivery_note,
        waitlist_position=facts.positions.get(order.id),
        offer=OfferOut(
            provider_id=offer.provider_id,
            state=offer.state,
            deadline_at=offer.deadline_at,
            score=offer.score if staff else None,
            score_parts=offer.score_parts if staff else {},
        )
        if offer and (staff or Actor.provider in caps)
        else None,
        review_id=facts.reviews.get(order.id),
        actions=_actions(order, caps, facts.sessions.get(order.session_id)),
        confirm_by=order.confirm_by,
        escalated_at=order.escalated_at,
        created_at=order.created_at,
        updated_at=order.updated_at,
        events=(facts.events.get(order.id, []) if shown else _veiled(facts.events.get(order.id, []), member.id))
        if with_events
        else None,
    )


async def _by_id(db: AsyncSession, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in (await db.execute(sa.select(model).where(model.id.in_(ids)))).scalars()}


def _ahead_of(order: Order):
    """Who waits before this order, as order_flow.promote_waitlist promotes: a draw's waiting list in draw
    order (Order.draw_rank) first, then the line's numbers (Order.line_place, services/waitlist_lines.py),
    then the few not numbered yet, first come, first served."""
    if order.draw_rank is not None:
        return sa.and_(Order.draw_rank.is_not(None), Order.draw_rank < order.draw_rank)
    if order.line_place is not None:
        in_line = sa.and_(Order.draw_rank.is_(None), Order.line_place < order.line_place)
        return sa.or_(Order.draw_rank.is_not(None), in_line)
    arrival = sa.tuple_(Order.created_at, Order.id) < sa.tuple_(order.created_at, order.id)
    unnumbered = sa.and_(Order.draw_rank.is_(None), sa.or_(Order.line_place.is_not(None), arrival))
    return sa.or_(Order.draw_rank.is_not(None), unnumbered)


async def waitlist_position(db: AsyncSession, order: Order) -> int:
    ahead = await db.execute(
        sa.select(sa.func.count()).where(
            Order.session_id == order.session_id,
            Order.state == OrderState.waitlisted,
            _ahead_of(order),
        )
    )
    return ahead.scalar_one() + 1


async def _waitlist_positions(db: AsyncSession, waitlisted: list[Order]) -> dict[int, int]:
    return {order.id: await waitlist_position(db, order) for order in waitlisted}


async def one(db: AsyncSession, viewer: User, order_id: int) -> OrderOut:
    order = await db.get(Order, order_id)
    if order is None or not await capacities_in(db, viewer, order):
        raise NotFound("No such order.")
    return (await build(db, viewer, [order], with_events=True))[0]


def default_view(viewer: User) -> str:
    if Role.curator in viewer.roles or Role.operator in viewer.roles:
        return "staff"
    if Role.provider in viewer.roles:
        return "provider"
    return "member"


def _mine(viewer: User, view: str):
    return Order.member_id == viewer.id if view == "member" else Order.provider_id == viewer.id


async def state_counts(db: AsyncSession, viewer: User, view: str) -> dict[str, int]:
    """How many of the viewer's everyday orders (as member, or as provider) are in each state: the tabs'
    counts, off the hot index (archived ones are counted apart, `archived_count`)."""
    query = sa.select(Order.state, sa.func.count()).where(_mine(viewer, view), hot(Order)).group_by(Order.state)
    return dict((await db.execute(query)).all())


async def archived_count(db: AsyncSession, viewer: User, view: str) -> int:
    """How many of the viewer's orders are archived (their history tab), off the archive index."""
    query = sa.select(sa.func.count()).where(_mine(viewer, view), archived_only(Order))
    return (await db.execute(query)).scalar_one()


async def listing_page(
    db: AsyncSession,
    viewer: User,
    view: str | None,
    *,
    state: list[str] | None = None,
    kind: str | None = None,
    listing_id: int | None = None,
    session_id: int | None = None,
    escalated: bool | None = None,
    archived: bool | None = False,
    limit: int = 20,
    offset: int = 0,
) -> Page[OrderOut]:
    """A page of orders, newest first. `archived`: False the everyday ones (off the hot indexes), True the
    archived history, None both (one session's orders, whatever their age)."""
    view = view or default_view(viewer)
    query = sa.select(Order)
    if view in ("member", "provider"):
        query = query.where(_mine(viewer, view))
    else:
        query = query.where(Order.market_id.in_(await market_tree.staff_markets(db, viewer)))
    if archived is not None:
        query = query.where(archived_only(Order) if archived else hot(Order))
    if state:
        query = query.where(Order.state.in_(state))
    if kind:
        query = query.where(Order.kind == kind)
    if listing_id:
        query = query.where(Order.listing_id == listing_id)
    if session_id:
        query = query.where(Order.session_id == session_id)
    if escalated is not None:
        query = query.where(Order.escalated_at.is_not(None) if escalated else Order.escalated_at.is_(None))
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        (await db.execute(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit).offset(offset)))
        .scalars()
        .all()
    )
    return Page[OrderOut](items=await build(db, viewer, list(rows)), total=total)
