"""The desk's lists of orders: every order of the market, filtered and paged, and the disputes with the
member's reason and how long they have waited. Read-only."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..domain.orders import OrderState
from ..models import Order, OrderEvent, User
from ..schemas.common import Page
from .menu import _escape_like


@dataclass
class DeskOrder:
    id: int
    title: str
    state: str
    member_name: str
    provider_name: str | None
    created_at: datetime


@dataclass
class Dispute:
    id: int
    title: str
    member_name: str
    provider_name: str | None
    reason: str  # the member's words when disputing
    since: datetime  # when it was disputed


def _people():
    return aliased(User, name="member"), aliased(User, name="provider")


async def orders(
    db: AsyncSession,
    market_id: int,
    *,
    state: str | None = None,
    since: datetime | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DeskOrder]:
    """The market's orders, newest first; by state, placed since a moment, a word of the title or a name."""
    member, provider = _people()
    query = (
        sa.select(Order.id, Order.title, Order.state, member.name, provider.name, Order.created_at)
        .join(member, member.id == Order.member_id)
        .outerjoin(provider, provider.id == Order.provider_id)
        .where(Order.market_id == market_id)
    )
    if state:
        query = query.where(Order.state == state)
    if since is not None:
        query = query.where(Order.created_at >= since)
    for term in (q or "").split()[:3]:
        like = "%" + _escape_like(term) + "%"
        query = query.where(
            sa.or_(
                Order.title.ilike(like, escape="\\"),
                member.name.ilike(like, escape="\\"),
                provider.name.ilike(like, escape="\\"),
            )
        )
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit).offset(offset))
    return Page[DeskOrder](items=[DeskOrder(*row) for row in rows.all()], total=total)


async def disputes(db: AsyncSession, market_id: int, limit: int = 50, offset: int = 0) -> Page[Dispute]:
    """Orders in dispute, the longest waiting first, each with the reason the member gave."""
    member, provider = _people()
    disputed = (
        sa.select(OrderEvent.order_id, OrderEvent.reason, OrderEvent.at)
        .where(OrderEvent.market_id == market_id, OrderEvent.to_state == OrderState.disputed)
        .ext(distinct_on(OrderEvent.order_id))
        .order_by(OrderEvent.order_id, OrderEvent.at.desc())
        .subquery("disputed")
    )
    query = (
        sa.select(Order.id, Order.title, member.name, provider.name, disputed.c.reason, disputed.c.at)
        .join(disputed, disputed.c.order_id == Order.id)
        .join(member, member.id == Order.member_id)
        .outerjoin(provider, provider.id == Order.provider_id)
        .where(Order.market_id == market_id, Order.state == OrderState.disputed)
    )
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(disputed.c.at, Order.id).limit(limit).offset(offset))
    return Page[Dispute](items=[Dispute(*row) for row in rows.all()], total=total)
