"""The union's figures: listings and seats, the order funnel, visits, satisfaction, reorders, unmet needs,
provider activity and how fast orders are accepted and delivered — of one market or several (a parent's
are the sum of its children's). What happened to orders is read from the figures folded per market and day
(services/rollups.py, services/figures.py), never by counting the history; listings, seats and providers
as they stand now are read live (they are small). Read-only."""

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.durations import median_hours
from ..domain.listings import ListingState
from ..domain.orders import OrderState
from ..domain.periods import DEFAULT_PERIOD, MAX_MONTHS, UNITS, buckets, conversions, period_start
from ..domain.ratings import average, satisfied_share
from ..domain.roles import Role
from ..models import Batch, Category, Listing, ListingSession, ProviderProfile, User
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
from . import figures as folded
from .figures import Sums

FUNNEL = ["ordered", "accepted", "delivered", "received", "reviewed"]


def _domain_of(market_ids: Sequence[int]):
    """A CTE (id, root_id): every category with the domain (root) it sits under."""
    base = (
        sa.select(Category.id.label("id"), Category.id.label("root_id"))
        .where(Category.market_id.in_(market_ids), Category.parent_id.is_(None))
        .cte("domain_of", recursive=True)
    )
    below = sa.select(Category.id, base.c.root_id).join(base, Category.parent_id == base.c.id)
    return base.union_all(below)


def _seats(market_ids: Sequence[int], *where, **sums):
    """Per listing of the markets, sums over its sessions that are not cancelled."""
    return (
        sa.select(ListingSession.listing_id, *(sa.func.sum(v).label(k) for k, v in sums.items()))
        .join(Listing, Listing.id == ListingSession.listing_id)
        .where(Listing.market_id.in_(market_ids), ListingSession.cancelled_at.is_(None), *where)
        .group_by(ListingSession.listing_id)
        .subquery("seats")
    )


async def listings_by_domain(db: AsyncSession, market_ids: Sequence[int]) -> list[DomainFigures]:
    tree = _domain_of(market_ids)
    root = sa.orm.aliased(Category)
    seats = _seats(
        market_ids,
        ListingSession.starts_at > sa.func.now(),
        seats=ListingSession.capacity,
        left=ListingSession.capacity - ListingSession.seats_taken,
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
    seats = _seats(market_ids, seats=ListingSession.capacity, taken=ListingSession.seats_taken)
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


async def provider_levels(db: AsyncSession, market_ids: Sequence[int]) -> dict[int, int]:
    """Providers of the markets by star level (as they stand now)."""
    rows = await db.execute(
        sa.select(ProviderProfile.star_level, sa.func.count())
        .join(User, User.id == ProviderProfile.user_id)
        .where(_is_provider(market_ids))
        .group_by(ProviderProfile.star_level)
    )
    return dict(sorted(rows.all()))


def _is_provider(market_ids: Sequence[int]):
    return sa.and_(User.market_id.in_(market_ids), sa.literal(Role.provider.value) == sa.any_(User.roles))


async def unmet_needs(db: AsyncSession, counts: dict[str, int], limit: int = 20) -> list[UnmetNeed]:
    """The categories with the most needs still unmet (placed, offered or expired), with the listings
    published in each."""
    top = sorted(((-n, int(c)) for c, n in counts.items() if n > 0))[:limit]
    ids = [c for _, c in top]
    published = (
        sa.select(Listing.category_id, sa.func.count().label("n"))
        .where(Listing.state == ListingState.published, Listing.category_id.in_(ids))
        .group_by(Listing.category_id)
        .subquery("published")
    )
    rows = await db.execute(
        sa.select(Category.id, Category.name_zh, Category.name_en, published.c.n)
        .outerjoin(published, published.c.category_id == Category.id)
        .where(Category.id.in_(ids))
    )
    named = {r[0]: r for r in rows}
    return [
        UnmetNeed(category_id=c, name_zh=named[c][1], name_en=named[c][2], needs=-n, listings=named[c][3] or 0)
        for n, c in top
        if c in named
    ]


def _durations(figures: Sums, what: str) -> Durations:
    buckets = {int(b): (n, figures.get(f"{what}_us", b)) for b, n in figures.keyed(f"{what}_n").items()}
    count = sum(n for n, _ in buckets.values())
    median = median_hours(buckets)
    mean = sum(total for _, total in buckets.values()) / count / 3_600_000_000 if count else None
    return Durations(
        orders=count,
        median_hours=round(median, 1) if median is not None else None,
        average_hours=round(mean, 1) if mean is not None else None,
    )


def _reviews(figures: Sums) -> ReviewFigures:
    histogram = {stars: figures.get("stars", str(stars)) for stars in range(1, 6)}
    count = sum(histogram.values())
    stars = [s for s, n in histogram.items() for _ in range(n)]
    return ReviewFigures(
        count=count,
        average=average(sum(s * n for s, n in histogram.items()), count),
        satisfied_share=satisfied_share(stars),
        histogram=histogram,
    )


def _trend(figures: Sums, starts: list[datetime], unit: str) -> Trend:
    points = []
    for b in starts:
        day = b.date()
        reviewed = sum(figures.get(day, "stars", str(s)) for s in range(1, 6))
        stars = sum(s * figures.get(day, "stars", str(s)) for s in range(1, 6))
        points.append(
            TrendPoint(
                starts=b,
                ordered=figures.total(day, "state"),
                delivered=figures.get(day, "delivered", ""),
                reviewed=reviewed,
                average_stars=round(stars / reviewed, 2) if reviewed else None,
            )
        )
    return Trend(unit=unit, points=points)


async def stats(
    db: AsyncSession, market_ids: Sequence[int], period: str = DEFAULT_PERIOD, zone: ZoneInfo | None = None
) -> StatsOut:
    """The figures of the markets; orders, visits, reviews, reorders, needs and durations of the period
    (listings, seats and providers as they stand now), with the period's trend. Days are the markets' local
    days (`zone` is theirs)."""
    zone = zone or ZoneInfo("Asia/Shanghai")
    now = utcnow()
    since = period_start(period, now, zone)
    unit = UNITS[period]
    trend_from = buckets(since, now, unit, zone)[0].date() if since is not None else None
    # all time: the trend starts at the first order, at most two years back (its bucket is known once read)
    found = await folded.read(
        db,
        market_ids,
        since.date() if since else None,
        trend_from or (now - timedelta(days=31 * MAX_MONTHS + 31)).date().replace(day=1),
        unit,
        now,
    )
    sums = found.period
    by_state = {state.value: sums.get("state", state.value) for state in OrderState}
    total = sum(by_state.values())
    reached = [total] + [sums.get("reached", stage) for stage in FUNNEL[1:]]
    listing_orders, reorders = sums.get("listing_orders", ""), sums.get("reorders", "")
    if since is None:
        first = datetime.combine(found.first_day, time(), zone) if found.first_day else now
        start = max(first, now - timedelta(days=31 * MAX_MONTHS))
    else:
        start = since
    levels = await provider_levels(db, market_ids)
    return StatsOut(
        listings_by_domain=await listings_by_domain(db, market_ids),
        listings_by_batch=await listings_by_batch(db, market_ids),
        funnel=[
            FunnelStage(stage=stage, orders=n, share_of_previous=share)
            for stage, n, share in zip(FUNNEL, reached, conversions(reached), strict=True)
        ],
        orders_by_state=by_state,
        visits_served=sums.get("served", "") + (sums.get("served_undated", "") if since is None else 0),
        members_served=found.members_served,
        reviews=_reviews(sums),
        reorder=ReorderFigures(
            orders=listing_orders,
            reorders=reorders,
            rate=round(reorders / listing_orders, 3) if listing_orders else None,
        ),
        unmet_needs=await unmet_needs(db, sums.keyed("unmet")),
        providers=ProviderActivity(
            total=sum(levels.values()),
            active_90_days=found.providers_active,
            by_star_level=levels,
            top=[
                ProviderFigures(id=r[0], name=r[1], star_level=r[2], rating_avg=r[3], delivered=r[4]) for r in found.top
            ],
        ),
        to_acceptance=_durations(sums, "accept"),
        to_delivery=_durations(sums, "deliver"),
        period=period,
        since=since,
        trend=_trend(found.trend, buckets(start, now, unit, zone), unit),
    )
