"""The order's thread: its member and provider talk inside the order (phones stay masked to both); the
union's operators and curators read and write once the order is disputed or escalated, and keep reading
it after that is over. Every new
message tells the other party (a notice, and the webhook beyond the app)."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import Actor, OrderState
from ..errors import Conflict, Forbidden, NotFound
from ..models import Order, OrderEvent, OrderMessage, User
from ..schemas.common import Page
from ..schemas.messages import MessageOut
from ..texts import msg
from . import notices
from .order_flow import capacities_in

STAFF_CLOSED = (
    "The conversation is the member's and the provider's; the union joins once the order is disputed or escalated."
)
NOBODY_YET = "There is nobody to write to yet: no provider has taken this order."
# How much of a message a notice (and the text the webhook sends on) quotes.
EXCERPT = 60


@dataclass(frozen=True)
class Access:
    """Who the caller is in the order's thread."""

    role: Actor  # the capacity they write in
    party: bool  # the member or the provider (else staff)
    writes: bool = True  # False: staff reading the thread of a dispute or an escalation that is over


async def access(db: AsyncSession, user: User, order: Order | None) -> Access:
    """The caller's place in the thread: the parties always; staff while the order is disputed or escalated.
    Someone with no part in the order gets 404, as for the order itself."""
    caps = await capacities_in(db, user, order) if order is not None else set()
    if not caps:
        raise NotFound("No such order.")
    for role in (Actor.member, Actor.provider):
        if role in caps:
            return Access(role, True)
    if not staff_may_join(order):
        raise Forbidden(STAFF_CLOSED)
    return Access(Actor.operator if Actor.operator in caps else Actor.curator, False)


def staff_may_join(order: Order) -> bool:
    return order.state == OrderState.disputed or order.escalated_at is not None


async def read_access(db: AsyncSession, user: User, order: Order | None) -> Access:
    """The caller's place in the thread for reading it: as `access`, and staff keep reading the thread
    of an order once disputed or escalated after that is over (its history, for quality review), without
    writing in it any more."""
    try:
        return await access(db, user, order)
    except Forbidden:
        if not await _joined_once(db, order.id):
            raise
    caps = await capacities_in(db, user, order)
    return Access(Actor.operator if Actor.operator in caps else Actor.curator, False, writes=False)


async def _joined_once(db: AsyncSession, order_id: int) -> bool:
    """Was the order ever disputed or escalated (the union brought into its conversation)?"""
    found = await db.execute(
        sa.select(OrderEvent.id)
        .where(
            OrderEvent.order_id == order_id,
            sa.or_(OrderEvent.to_state == OrderState.disputed, OrderEvent.action == "escalate"),
        )
        .limit(1)
    )
    return found.first() is not None


async def thread(db: AsyncSession, user: User, order_id: int, limit: int, offset: int) -> Page[MessageOut]:
    """The order's messages, oldest first."""
    order = await db.get(Order, order_id)
    await read_access(db, user, order)
    return await _page(db, user, order_id, limit, offset)


async def latest(db: AsyncSession, user: User, order: Order, n: int) -> Page[MessageOut]:
    """The last n messages, oldest first (the order page shows these)."""
    total = await _count(db, order.id)
    return await _page(db, user, order.id, n, max(0, total - n), total)


async def _count(db: AsyncSession, order_id: int) -> int:
    return (
        await db.execute(sa.select(sa.func.count()).select_from(OrderMessage).where(OrderMessage.order_id == order_id))
    ).scalar_one()


async def _page(
    db: AsyncSession, viewer: User, order_id: int, limit: int, offset: int, total: int | None = None
) -> Page[MessageOut]:
    if total is None:
        total = await _count(db, order_id)
    rows = await db.execute(
        sa.select(OrderMessage, User.name)
        .join(User, User.id == OrderMessage.author_id)
        .where(OrderMessage.order_id == order_id)
        .order_by(OrderMessage.created_at, OrderMessage.id)
        .limit(limit)
        .offset(offset)
    )
    return Page[MessageOut](items=[out(m, name, viewer) for m, name in rows.all()], total=total)


def out(message: OrderMessage, author_name: str, viewer: User) -> MessageOut:
    return MessageOut(
        id=message.id,
        order_id=message.order_id,
        author_id=message.author_id,
        author_name=author_name,
        author_role=message.author_role,
        mine=message.author_id == viewer.id,
        body=message.body,
        created_at=message.created_at,
    )


def recipients(order: Order, author: User, role: Actor) -> list[int]:
    """Who hears of a new message: the other party; of a staff member's, both parties."""
    if role == Actor.member:
        found = [order.provider_id]
    elif role == Actor.provider:
        found = [order.member_id]
    else:
        found = [order.member_id, order.provider_id]
    return [uid for uid in found if uid is not None and uid != author.id]


async def post(db: AsyncSession, user: User, order_id: int, body: str) -> MessageOut:
    """A new message in the order's thread, and a notice (with its webhook) to whom it is for."""
    order = await db.get(Order, order_id)
    found = await access(db, user, order)
    to = recipients(order, user, found.role)
    if not to:
        raise Conflict(NOBODY_YET)
    message = OrderMessage(
        market_id=order.market_id, order_id=order.id, author_id=user.id, author_role=found.role, body=body
    )
    db.add(message)
    await db.flush()
    who = user.name if found.party else msg("the union's staff")
    excerpt = body if len(body) <= EXCERPT else body[: EXCERPT - 1] + "…"
    for uid in to:
        await notices.notify(
            db,
            uid,
            order.market_id,
            "order_message",
            msg("New message: %(title)s", title=order.title),
            msg("%(who)s: %(text)s", who=who, text=excerpt),
            {"order_id": order.id, "message_id": message.id},
            dedupe_key=f"order:{order.id}:message:{message.id}:{uid}",
        )
    return out(message, user.name, user)
