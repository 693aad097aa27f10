"""The desk's lists: every order of the market, filtered and paged, the disputes with the member's reason
and how long they have waited, and the stations. Read-only."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..domain import stations as station_rules
from ..domain.confidential import HIDDEN_MEMBER
from ..domain.orders import OrderState
from ..models import Landmark, Order, OrderEvent, Station, StationKeeper, User
from ..schemas.common import Page
from .categories import confidential_ids
from .menu import _escape_like
from .stations import distance_sql, local_now, open_at


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
    market_ids: list[int],
    *,
    state: str | None = None,
    since: datetime | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DeskOrder]:
    """The orders of these markets (a staff member's and those below it), newest first; by state, placed since
    a moment, a word of the title or a name."""
    member, provider = _people()
    # A confidential order's member is named only while it waits for staff (domain/confidential.py), and
    # found by name only then: a search must not tell who has asked for counselling or legal help.
    veiled = sa.and_(
        Order.category_id.in_(await confidential_ids(db, market_ids)),
        Order.escalated_at.is_(None),
        Order.state != OrderState.disputed,
    )
    member_name = sa.case((veiled, sa.literal(HIDDEN_MEMBER)), else_=member.name)
    query = (
        sa.select(Order.id, Order.title, Order.state, member_name, provider.name, Order.created_at)
        .join(member, member.id == Order.member_id)
        .outerjoin(provider, provider.id == Order.provider_id)
        .where(Order.market_id.in_(market_ids))
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
                sa.and_(sa.not_(veiled), member.name.ilike(like, escape="\\")),
                provider.name.ilike(like, escape="\\"),
            )
        )
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit).offset(offset))
    return Page[DeskOrder](items=[DeskOrder(*row) for row in rows.all()], total=total)


async def disputes(db: AsyncSession, market_ids: list[int], limit: int = 50, offset: int = 0) -> Page[Dispute]:
    """Orders in dispute, the longest waiting first, each with the reason the member gave."""
    member, provider = _people()
    disputed = (
        sa.select(OrderEvent.order_id, OrderEvent.reason, OrderEvent.at)
        .where(OrderEvent.market_id.in_(market_ids), OrderEvent.to_state == OrderState.disputed)
        .ext(distinct_on(OrderEvent.order_id))
        # the latest dispute of each order (two in the same instant: the later written)
        .order_by(OrderEvent.order_id, OrderEvent.at.desc(), OrderEvent.id.desc())
        .subquery("disputed")
    )
    query = (
        sa.select(Order.id, Order.title, member.name, provider.name, disputed.c.reason, disputed.c.at)
        .join(disputed, disputed.c.order_id == Order.id)
        .join(member, member.id == Order.member_id)
        .outerjoin(provider, provider.id == Order.provider_id)
        .where(Order.market_id.in_(market_ids), Order.state == OrderState.disputed)
    )
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(disputed.c.at, Order.id).limit(limit).offset(offset))
    return Page[Dispute](items=[Dispute(*row) for row in rows.all()], total=total)


@dataclass
class DeskStation:
    id: int
    name: str
    address: str
    area: str | None  # the nearest of the market's places (a subdistrict centre), if it has any
    star_level: int | None
    rating_avg: float | None
    rating_count: int
    open_now: bool
    keepers: int


def _area():
    """The nearest place (landmark) of the station's market: its area."""
    return (
        sa.select(Landmark.id, Landmark.name)
        .where(Landmark.market_id == Station.market_id)
        .order_by(distance_sql(Station.lat, Station.lon, Landmark.lat, Landmark.lon), Landmark.id)
        .limit(1)
        .lateral("area")
    )


async def stations(
    db: AsyncSession,
    market_id: int,
    *,
    q: str | None = None,
    area: int | None = None,
    stars: int | None = None,
    open_now: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DeskStation]:
    """The market's stations by name: a word of the name or address, the area (a place's id: the stations
    nearest to it), a star level (0: not reviewed yet) and whether open now."""
    local = local_now(db)
    is_open = open_at(local.weekday(), station_rules.minute_of_day(local), local)
    place = _area()
    keepers = (
        sa.select(sa.func.count()).where(StationKeeper.station_id == Station.id).scalar_subquery().label("keepers")
    )
    conditions = [Station.market_id == market_id, Station.archived_at.is_(None)]
    for term in (q or "").split()[:3]:
        like = "%" + _escape_like(term) + "%"
        conditions.append(sa.or_(Station.name.ilike(like, escape="\\"), Station.address.ilike(like, escape="\\")))
    if area is not None:
        conditions.append(place.c.id == area)
    if stars is not None:
        conditions.append(Station.star_level.is_(None) if stars == 0 else Station.star_level == stars)
    if open_now is not None:
        conditions.append(is_open if open_now else ~is_open)
    # The count reads each station's area only when it filters on it: the nearest place costs a distance per place.
    counted = sa.select(sa.func.count()).select_from(Station)
    if area is not None:
        counted = counted.join(place, sa.true())
    total = (await db.execute(counted.where(*conditions))).scalar_one()
    query = sa.select(
        Station.id,
        Station.name,
        Station.address,
        place.c.name,
        Station.star_level,
        Station.rating_avg,
        Station.rating_count,
        is_open.label("open_now"),
        keepers,
    ).outerjoin(place, sa.true())
    rows = await db.execute(query.where(*conditions).order_by(Station.name, Station.id).limit(limit).offset(offset))
    return Page[DeskStation](items=[DeskStation(*row) for row in rows.all()], total=total)
