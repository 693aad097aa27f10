"""The operators' daily digest of stuck orders: offered too long, delivered but not signed off, disputes."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderKind, OrderState
from ..domain.roles import Role
from ..models import Market, Offer, Order, User
from ..models.base import utcnow
from . import notices
from .reminders import market_zone

# Delivered this long ago and still not signed off counts as stuck (auto sign-off comes later).
SIGN_OFF_STUCK_AFTER = timedelta(days=2)
SAMPLE = 20  # order ids listed per kind; the counts are complete


async def stuck_orders(db: AsyncSession, market_id: int, now: datetime) -> dict[str, list[int]]:
    late_offers = (
        sa.select(Order.id)
        .join(Offer, sa.and_(Offer.order_id == Order.id, Offer.state == "pending"))
        .where(Order.market_id == market_id, Order.state == OrderState.offered, Offer.deadline_at <= now)
    )
    escalated_needs = sa.select(Order.id).where(
        Order.market_id == market_id,
        Order.kind == OrderKind.need,
        Order.state == OrderState.placed,
        Order.escalated_at.is_not(None),
    )
    unsigned = sa.select(Order.id).where(
        Order.market_id == market_id,
        Order.state == OrderState.delivered,
        Order.delivered_at <= now - SIGN_OFF_STUCK_AFTER,
    )
    disputes = sa.select(Order.id).where(Order.market_id == market_id, Order.state == OrderState.disputed)
    found = {}
    for name, query in (
        ("offered_too_long", sa.union(late_offers, escalated_needs)),
        ("not_signed_off", unsigned),
        ("disputed", disputes),
    ):
        found[name] = sorted((await db.execute(query)).scalars())
    return found


async def send_digest(db: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """One notice per operator of each market with something stuck; nothing when all is well."""
    now = now or utcnow()
    day = now.astimezone(market_zone(db)).date().isoformat()
    sent = markets = 0
    for market_id in (await db.execute(sa.select(Market.id))).scalars():
        stuck = await stuck_orders(db, market_id, now)
        if not any(stuck.values()):
            continue
        markets += 1
        counts = {name: len(ids) for name, ids in stuck.items()}
        body = (
            f"超时未接单 {counts['offered_too_long']} 单；交付后未签收 {counts['not_signed_off']} 单；"
            f"争议待处理 {counts['disputed']} 单。"
        )
        operators = await db.execute(
            sa.select(User.id).where(
                User.market_id == market_id,
                User.is_active.is_(True),
                sa.literal(Role.operator.value) == sa.any_(User.roles),
            )
        )
        for operator_id in operators.scalars():
            await notices.notify(
                db,
                operator_id,
                market_id,
                "stuck_digest",
                f"每日待办：{sum(counts.values())} 单需要关注",
                body,
                {"counts": counts, "order_ids": {name: ids[:SAMPLE] for name, ids in stuck.items()}, "day": day},
                dedupe_key=f"digest:{market_id}:{day}:{operator_id}",
            )
            sent += 1
    return {"markets": markets, "operators": sent}
