"""Satisfaction figures (满意度测评) per listing, provider, domain and batch, for a period, with the trend.

The audience is the orders signed off (签收, their first `received` event) in the period; the response rate
is the share of them whose member answered the survey, the satisfaction rate the share of answers of 4–5
(满意, 非常满意), the recommend rate the share who would recommend the service. Read-only queries.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderState
from ..domain.periods import MAX_MONTHS, UNITS, buckets, period_start
from ..domain.satisfaction import SATISFIED_AT_LEAST
from ..models import Batch, Category, Listing, Order, OrderEvent, SatisfactionSurvey, User
from ..models.base import utcnow
from ..schemas.satisfaction_figures import Breakdown, Rates, RatesPoint, RatesRow, SatisfactionOut
from .insights import _domain_of

MAX_ROWS = 200


def _signed_off(market_id: int, since: datetime | None):
    """Each order of the market signed off, with when (its first move to `received`)."""
    at = sa.func.min(OrderEvent.at)
    query = (
        sa.select(OrderEvent.order_id.label("order_id"), at.label("at"))
        .where(OrderEvent.market_id == market_id, OrderEvent.to_state == OrderState.received)
        .group_by(OrderEvent.order_id)
    )
    if since is not None:
        query = query.having(at >= since)
    return query.subquery("signed")


def _counts():
    """The figures' columns over the joined signed-off orders and their surveys."""
    answered = SatisfactionSurvey.order_id.is_not(None)
    return (
        sa.func.count().label("signed_off"),
        sa.func.count(SatisfactionSurvey.order_id).label("answered"),
        sa.func.count().filter(SatisfactionSurvey.overall >= SATISFIED_AT_LEAST).label("satisfied"),
        sa.func.count().filter(answered, SatisfactionSurvey.recommend.is_(True)).label("recommend"),
        sa.func.count()
        .filter(answered, sa.or_(SatisfactionSurvey.overall <= 2, SatisfactionSurvey.as_arranged.is_(False)))
        .label("poor"),
    )


def _rates(signed_off: int, answered: int, satisfied: int, recommend: int, poor: int) -> dict:
    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "signed_off": signed_off,
        "answered": answered,
        "satisfied": satisfied,
        "recommend": recommend,
        "poor": poor,
        "response_rate": share(answered, signed_off),
        "satisfaction_rate": share(satisfied, answered),
        "recommend_rate": share(recommend, answered),
    }


def _base(signed):
    return (
        sa.select()
        .select_from(signed)
        .join(Order, Order.id == signed.c.order_id)
        .outerjoin(SatisfactionSurvey, SatisfactionSurvey.order_id == Order.id)
    )


def _breakdown(by: Breakdown, market_id: int, query):
    """The query grouped by the breakdown: (id, name, name_en, figures…)."""
    if by == "listing":
        query = query.outerjoin(Listing, Listing.id == Order.listing_id)
        return query.add_columns(Listing.id, sa.func.max(Order.title), sa.func.max(Order.title)).group_by(Listing.id)
    if by == "provider":
        query = query.outerjoin(User, User.id == Order.provider_id)
        return query.add_columns(User.id, sa.func.max(User.name), sa.func.max(User.name)).group_by(User.id)
    if by == "batch":
        query = query.outerjoin(Listing, Listing.id == Order.listing_id).outerjoin(Batch, Batch.id == Listing.batch_id)
        return query.add_columns(Batch.id, sa.func.max(Batch.name), sa.func.max(Batch.name)).group_by(Batch.id)
    tree = _domain_of([market_id])
    root = sa.orm.aliased(Category)
    query = query.join(tree, tree.c.id == Order.category_id).join(root, root.id == tree.c.root_id)
    columns = (root.id, sa.func.max(root.name_zh), sa.func.max(sa.func.coalesce(root.name_en, root.name_zh)))
    return query.add_columns(*columns).group_by(root.id)


async def figures(
    db: AsyncSession, market_id: int, period: str, by: Breakdown, zone: ZoneInfo, now: datetime | None = None
) -> SatisfactionOut:
    now = now or utcnow()
    since = period_start(period, now, zone)
    signed = _signed_off(market_id, since)
    total = (await db.execute(_base(signed).add_columns(*_counts()))).one()

    rows = await db.execute(
        _breakdown(by, market_id, _base(signed))
        .add_columns(*_counts())
        .order_by(sa.text("answered DESC, 1"))
        .limit(MAX_ROWS)
    )
    found = [
        RatesRow(id=row_id, name=name or "—", name_en=name_en or name or "—", **_rates(*figures))
        for row_id, name, name_en, *figures in rows.all()
    ]

    unit = UNITS[period]
    start = since
    if start is None:
        first = (await db.execute(sa.select(sa.func.min(signed.c.at)))).scalar_one()
        start = max(first or now, now - timedelta(days=31 * MAX_MONTHS))
    bucket = sa.func.date_trunc(unit, sa.func.timezone(zone.key, signed.c.at)).label("bucket")
    per_bucket = await db.execute(
        _base(signed).add_columns(bucket, *_counts()).where(signed.c.at >= start).group_by(bucket)
    )
    counted = {b.replace(tzinfo=zone): figures for b, *figures in per_bucket.all()}
    trend = [RatesPoint(starts=b, **_rates(*counted.get(b, (0, 0, 0, 0, 0)))) for b in buckets(start, now, unit, zone)]
    return SatisfactionOut(
        period=period, since=since, by=by, total=Rates(**_rates(*total)), unit=unit, trend=trend, rows=found
    )
