"""The union's figures: listings and seats, the order funnel, visits, satisfaction, reorders,
unmet needs, provider activity and how fast orders are accepted and delivered. Read-only queries."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.listings import ListingState
from ..domain.orders import OrderKind, OrderState
from ..domain.periods import DEFAULT_PERIOD, MAX_MONTHS, UNITS, buckets, conversions, period_start
from ..domain.ratings import average, satisfied_share
from ..domain.roles import Role
from ..models import Batch, Category, Listing, ListingSession, Order, OrderEvent, ProviderProfile, Review, User
from ..models.base import utcnow
from ..schemas.insights import (
    BatchFigures,
    DomainFigures,
    Durations,
    FunnelStage,
    ProviderActivity,
    ProviderFigures,
    ReorderFigures,
    ReviewFigures,
    StatsOut,
    Trend,
    TrendPoint,
    UnmetNeed,
)

FUNNEL = ["ordered", "accepted", "delivered", "received", "reviewed"]
SERVED = [OrderState.delivered, OrderState.received, OrderState.reviewed, OrderState.disputed]


def _domain_of(market_ids: Sequence[int]):
    """A CTE (id, root_id): every category with the domain (root) it sits under."""
    base = (
        sa.select(Category.id.label("id"), Category.id.label("root_id"))
        .where(Category.market_id.in_(market_ids), Category.parent_id.is_(None))
        .cte("domain_of", recursive=True)
    )
    below = sa.select(Category.id, base.c.root_id).join(base, Category.parent_id == base.c.id)
    return base.union_all(below)


async def listings_by_domain(db: AsyncSession, market_ids: Sequence[int]) -> list[DomainFigures]:
    tree = _domain_of(market_ids)
    root = sa.orm.aliased(Category)
    seats = (
        sa.select(
            ListingSession.listing_id,
            sa.func.sum(ListingSession.capacity).label("seats"),
            sa.func.sum(ListingSession.capacity - ListingSession.seats_taken).label("left"),
        )
        .where(ListingSession.starts_at > sa.func.now(), ListingSession.cancelled_at.is_(None))
        .group_by(ListingSession.listing_id)
        .subquery("seats")
    )
    rows = await db.execute(
        sa.select(
            root.id,
            root.name_zh,
            root.name_en,
            sa.func.count(Listing.id),
            sa.func.coalesce(sa.func.sum(seats.c.seats), 0),
            sa.func.coalesce(sa.func.sum(seats.c.left), 0),
        )
        .select_from(tree)
        .join(root, root.id == tree.c.root_id)
        .outerjoin(Listing, sa.and_(Listing.category_id == tree.c.id, Listing.state == ListingState.published))
        .outerjoin(seats, seats.c.listing_id == Listing.id)
        .where(root.archived_at.is_(None))
        .group_by(root.id, root.name_zh, root.name_en, root.position)
        .order_by(root.position, root.id)
    )
    return [
        DomainFigures(domain_id=r[0], name_zh=r[1], name_en=r[2], listings=r[3], seats=r[4], seats_left=r[5])
        for r in rows
    ]


async def listings_by_batch(db: AsyncSession, market_ids: Sequence[int]) -> list[BatchFigures]:
    seats = (
        sa.select(
            ListingSession.listing_id,
            sa.func.sum(ListingSession.capacity).label("seats"),
            sa.func.sum(ListingSession.seats_taken).label("taken"),
        )
        .where(ListingSession.cancelled_at.is_(None))
        .group_by(ListingSession.listing_id)
        .subquery("seats")
    )
    rows = await db.execute(
        sa.select(
            Batch.id,
            Batch.name,
            sa.func.count(Listing.id),
            sa.func.coalesce(sa.func.sum(seats.c.seats), 0),
            sa.func.coalesce(sa.func.sum(seats.c.taken), 0),
        )
        .outerjoin(Listing, Listing.batch_id == Batch.id)
        .outerjoin(seats, seats.c.listing_id == Listing.id)
        .where(Batch.market_id.in_(market_ids))
        .group_by(Batch.id, Batch.name)
        .order_by(Batch.id)
    )
    return [BatchFigures(batch_id=r[0], name=r[1], listings=r[2], seats=r[3], seats_taken=r[4]) for r in rows]


def _since(column, since: datetime | None):
    """The period's condition on a time column (always true for all time)."""
    return column >= since if since is not None else sa.true()


async def orders_by_state(db: AsyncSession, market_ids: Sequence[int], since: datetime | None = None) -> dict[str, int]:
    rows = await db.execute(
        sa.select(Order.state, sa.func.count())
        .where(Order.market_id.in_(market_ids), _since(Order.created_at, since))
        .group_by(Order.state)
    )
    found = dict(rows.all())
    return {state.value: found.get(state.value, 0) for state in OrderState}


async def funnel(
    db: AsyncSession, market_ids: Sequence[int], total: int, since: datetime | None = None
) -> list[FunnelStage]:
    """Orders that ever reached each stage (from the event history, so later moves do not hide them), of
    the orders placed in the period; each stage with its share of the stage before."""
    query = sa.select(OrderEvent.to_state, sa.func.count(sa.distinct(OrderEvent.order_id))).where(
        OrderEvent.market_id.in_(market_ids), OrderEvent.to_state.in_(FUNNEL[1:])
    )
    if since is not None:
        query = query.join(Order, Order.id == OrderEvent.order_id).where(Order.created_at >= since)
    reached = dict((await db.execute(query.group_by(OrderEvent.to_state))).all())
    counts = [total] + [reached.get(stage, 0) for stage in FUNNEL[1:]]
    return [
        FunnelStage(stage=stage, orders=n, share_of_previous=share)
        for stage, n, share in zip(FUNNEL, counts, conversions(counts), strict=True)
    ]


async def served(db: AsyncSession, market_ids: Sequence[int], since: datetime | None = None) -> tuple[int, int]:
    visits, members = (
        await db.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(Order.member_id))).where(
                Order.market_id.in_(market_ids), Order.state.in_(SERVED), _since(Order.delivered_at, since)
            )
        )
    ).one()
    return visits, members


async def review_figures(db: AsyncSession, market_ids: Sequence[int], since: datetime | None = None) -> ReviewFigures:
    rows = await db.execute(
        sa.select(Review.stars, sa.func.count())
        .where(Review.market_id.in_(market_ids), Review.hidden_at.is_(None), _since(Review.created_at, since))
        .group_by(Review.stars)
    )
    histogram = {stars: 0 for stars in range(1, 6)} | dict(rows.all())
    count = sum(histogram.values())
    stars = [s for s, n in histogram.items() for _ in range(n)]
    return ReviewFigures(
        count=count,
        average=average(sum(s * n for s, n in histogram.items()), count),
        satisfied_share=satisfied_share(stars),
        histogram=histogram,
    )


async def reorder_figures(db: AsyncSession, market_ids: Sequence[int], since: datetime | None = None) -> ReorderFigures:
    orders, reorders = (
        await db.execute(
            sa.select(sa.func.count(), sa.func.count(Order.reorder_of_id)).where(
                Order.market_id.in_(market_ids), Order.kind == OrderKind.listing, _since(Order.created_at, since)
            )
        )
    ).one()
    return ReorderFigures(orders=orders, reorders=reorders, rate=round(reorders / orders, 3) if orders else None)


async def unmet_needs(
    db: AsyncSession, market_ids: Sequence[int], limit: int = 20, since: datetime | None = None
) -> list[UnmetNeed]:
    published = (
        sa.select(Listing.category_id, sa.func.count().label("n"))
        .where(Listing.state == ListingState.published)
        .group_by(Listing.category_id)
        .subquery("published")
    )
    rows = await db.execute(
        sa.select(Category.id, Category.name_zh, Category.name_en, sa.func.count(Order.id), published.c.n)
        .join(Order, Order.category_id == Category.id)
        .outerjoin(published, published.c.category_id == Category.id)
        .where(
            Order.market_id.in_(market_ids),
            Order.kind == OrderKind.need,
            Order.state.in_([OrderState.placed, OrderState.offered, OrderState.expired]),
            _since(Order.created_at, since),
        )
        .group_by(Category.id, Category.name_zh, Category.name_en, published.c.n)
        .order_by(sa.func.count(Order.id).desc(), Category.id)
        .limit(limit)
    )
    return [UnmetNeed(category_id=r[0], name_zh=r[1], name_en=r[2], needs=r[3], listings=r[4] or 0) for r in rows]


async def provider_activity(db: AsyncSession, market_ids: Sequence[int]) -> ProviderActivity:
    is_provider = sa.and_(User.market_id.in_(market_ids), sa.literal(Role.provider.value) == sa.any_(User.roles))
    levels = await db.execute(
        sa.select(ProviderProfile.star_level, sa.func.count())
        .join(User, User.id == ProviderProfile.user_id)
        .where(is_provider)
        .group_by(ProviderProfile.star_level)
    )
    by_level = dict(levels.all())
    active = (
        await db.execute(
            sa.select(sa.func.count(sa.distinct(Order.provider_id))).where(
                Order.market_id.in_(market_ids), Order.delivered_at > utcnow() - timedelta(days=90)
            )
        )
    ).scalar_one()
    delivered = sa.func.count(Order.id)
    top = await db.execute(
        sa.select(User.id, User.name, ProviderProfile.star_level, ProviderProfile.rating_avg, delivered)
        .join(ProviderProfile, ProviderProfile.user_id == User.id)
        .join(Order, sa.and_(Order.provider_id == User.id, Order.delivered_at.is_not(None)))
        .where(is_provider)
        .group_by(User.id, User.name, ProviderProfile.star_level, ProviderProfile.rating_avg)
        .order_by(delivered.desc(), User.id)
        .limit(10)
    )
    return ProviderActivity(
        total=sum(by_level.values()),
        active_90_days=active,
        by_star_level=dict(sorted(by_level.items())),
        top=[ProviderFigures(id=r[0], name=r[1], star_level=r[2], rating_avg=r[3], delivered=r[4]) for r in top],
    )


def _durations(hours):
    return sa.select(
        sa.func.count(hours),
        sa.func.percentile_cont(0.5).within_group(hours),
        sa.func.avg(hours),
    )


def _out(row) -> Durations:
    n, median, mean = row
    return Durations(
        orders=n,
        median_hours=round(float(median), 1) if median is not None else None,
        average_hours=round(float(mean), 1) if mean is not None else None,
    )


async def durations(
    db: AsyncSession, market_ids: Sequence[int], since: datetime | None = None
) -> tuple[Durations, Durations]:
    """Hours from ordering to a provider's acceptance (orders a provider answered: a seat taken at once by
    an auto-accepting listing waits for no one, and would pull the figure to 0), and from ordering to
    delivery; of the orders placed in the period."""
    first_accept = (
        sa.select(OrderEvent.order_id, sa.func.min(OrderEvent.at).label("at"))
        .where(
            OrderEvent.market_id.in_(market_ids),
            OrderEvent.to_state == OrderState.accepted,
            OrderEvent.action == "accept",
        )
        .group_by(OrderEvent.order_id)
        .subquery("first_accept")
    )
    to_accept = sa.extract("epoch", first_accept.c.at - Order.created_at) / 3600
    accepted = (
        await db.execute(
            _durations(to_accept)
            .select_from(Order)
            .join(first_accept, first_accept.c.order_id == Order.id)
            .where(Order.market_id.in_(market_ids), _since(Order.created_at, since))
        )
    ).one()
    to_deliver = sa.extract("epoch", Order.delivered_at - Order.created_at) / 3600
    delivered = (
        await db.execute(
            _durations(to_deliver).where(
                Order.market_id.in_(market_ids), Order.delivered_at.is_not(None), _since(Order.created_at, since)
            )
        )
    ).one()
    return _out(accepted), _out(delivered)


async def trend(db: AsyncSession, market_ids: Sequence[int], period: str, now: datetime, zone: ZoneInfo) -> Trend:
    """Orders placed, delivered and reviewed (with the average stars) per day, week or month of the period,
    every bucket present (0 when quiet). All time: from the first order, at most the last two years."""
    unit = UNITS[period]
    start = period_start(period, now, zone)
    if start is None:
        first = (
            await db.execute(sa.select(sa.func.min(Order.created_at)).where(Order.market_id.in_(market_ids)))
        ).scalar_one()
        start = max(first or now, now - timedelta(days=31 * MAX_MONTHS))
    starts = buckets(start, now, unit, zone)
    since = starts[0]

    def per_bucket(column):
        return sa.func.date_trunc(unit, sa.func.timezone(zone.key, column)).label("bucket")

    async def counted(column, *where, value=None):
        bucket = per_bucket(column)
        figure = sa.func.count() if value is None else value
        rows = await db.execute(sa.select(bucket, figure).where(column >= since, *where).group_by(bucket))
        return {b.replace(tzinfo=zone): v for b, v in rows.all()}

    ordered = await counted(Order.created_at, Order.market_id.in_(market_ids))
    delivered = await counted(Order.delivered_at, Order.market_id.in_(market_ids))
    visible = (Review.market_id.in_(market_ids), Review.hidden_at.is_(None))
    reviewed = await counted(Review.created_at, *visible)
    stars = await counted(Review.created_at, *visible, value=sa.func.avg(Review.stars))
    return Trend(
        unit=unit,
        points=[
            TrendPoint(
                starts=b,
                ordered=ordered.get(b, 0),
                delivered=delivered.get(b, 0),
                reviewed=reviewed.get(b, 0),
                average_stars=round(float(stars[b]), 2) if stars.get(b) is not None else None,
            )
            for b in starts
        ],
    )


async def stats(
    db: AsyncSession, market_ids: Sequence[int], period: str = DEFAULT_PERIOD, zone: ZoneInfo | None = None
) -> StatsOut:
    """The figures; orders, visits, reviews, reorders, needs and durations of the period (listings, seats and
    providers as they stand now), with the period's trend."""
    zone = zone or ZoneInfo("Asia/Shanghai")
    now = utcnow()
    since = period_start(period, now, zone)
    by_state = await orders_by_state(db, market_ids, since)
    visits, members = await served(db, market_ids, since)
    to_acceptance, to_delivery = await durations(db, market_ids, since)
    return StatsOut(
        listings_by_domain=await listings_by_domain(db, market_ids),
        listings_by_batch=await listings_by_batch(db, market_ids),
        funnel=await funnel(db, market_ids, sum(by_state.values()), since),
        orders_by_state=by_state,
        visits_served=visits,
        members_served=members,
        reviews=await review_figures(db, market_ids, since),
        reorder=await reorder_figures(db, market_ids, since),
        unmet_needs=await unmet_needs(db, market_ids, since=since),
        providers=await provider_activity(db, market_ids),
        to_acceptance=to_acceptance,
        to_delivery=to_delivery,
        period=period,
        since=since,
        trend=await trend(db, market_ids, period, now, zone),
    )
