"""Stuck orders — every kind, each with how long it has been stuck — for the desk and the operators'
daily digest: offered too long, needs nobody took, accepted past their session, delivered but not
signed off, disputes."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..db import settings_of
from ..domain.orders import OrderKind, OrderState
from ..domain.roles import Role
from ..models import ListingSession, Market, Offer, Order, User
from ..models.base import utcnow
from ..texts import Msg, msg
from . import notices
from .order_flow import SERVICE_END
from .reminders import market_zone

# Delivered this long ago and still not signed off counts as stuck (auto sign-off comes later).
SIGN_OFF_STUCK_AFTER = timedelta(days=2)
# A need the matcher has not placed with anyone for this long counts as stuck (it runs every 2 minutes).
UNMATCHED_STUCK_AFTER = timedelta(hours=1)
SAMPLE = 20  # order ids listed per kind in the digest; the counts are complete
KINDS = ("offered_too_long", "placed_unmatched", "accepted_overdue", "not_signed_off", "disputed")


@dataclass(frozen=True)
class StuckOrder:
    id: int
    title: str
    state: str
    since: datetime  # when it became stuck: the offer's deadline, the order, the service's end, …
    provider_name: str | None


@dataclass
class StuckList:
    total: int = 0
    items: list[StuckOrder] = field(default_factory=list)


def _queries(market_ids: list[int], now: datetime, attendance_grace: timedelta) -> dict[str, tuple]:
    """Per kind: (the moment it became stuck, the conditions), over orders outer-joined to their session
    and pending offer."""
    mine = Order.market_id.in_(market_ids)
    return {
        "offered_too_long": (Offer.deadline_at, (mine, Order.state == OrderState.offered, Offer.deadline_at <= now)),
        "placed_unmatched": (
            Order.created_at,
            (
                mine,
                Order.kind == OrderKind.need,
                Order.state == OrderState.placed,
                sa.or_(Order.escalated_at.is_not(None), Order.created_at <= now - UNMATCHED_STUCK_AFTER),
            ),
        ),
        "accepted_overdue": (
            SERVICE_END,
            (mine, Order.state == OrderState.accepted, SERVICE_END <= now - attendance_grace),
        ),
        "not_signed_off": (
            Order.delivered_at,
            (mine, Order.state == OrderState.delivered, Order.delivered_at <= now - SIGN_OFF_STUCK_AFTER),
        ),
        "disputed": (Order.updated_at, (mine, Order.state == OrderState.disputed)),
    }


async def stuck_orders(db: AsyncSession, market_ids: list[int], now: datetime, limit: int = 50) -> dict[str, StuckList]:
    """Every kind of stuck order of these markets (a staff member's and those below it; the digest: one
    market's), longest stuck first, with complete counts."""
    grace = timedelta(hours=settings_of(db).attendance_remind_hours)
    provider = aliased(User)
    found: dict[str, StuckList] = {}
    for name, (since, conditions) in _queries(market_ids, now, grace).items():
        base = (
            sa.select(Order.id)
            .outerjoin(ListingSession, ListingSession.id == Order.session_id)
            .outerjoin(Offer, sa.and_(Offer.order_id == Order.id, Offer.state == "pending"))
            .where(*conditions)
        )
        total = (await db.execute(sa.select(sa.func.count()).select_from(base.subquery()))).scalar_one()
        rows = await db.execute(
            base.add_columns(Order.title, Order.state, since.label("since"), provider.name)
            .outerjoin(provider, provider.id == Order.provider_id)
            .order_by(since, Order.id)
            .limit(limit)
        )
        found[name] = StuckList(total, [StuckOrder(*row) for row in rows])
    return found


async def send_digest(db: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """One notice per operator of each market with something stuck; nothing when all is well."""
    now = now or utcnow()
    day = now.astimezone(market_zone(db)).date().isoformat()
    sent = markets = 0
    for market_id in (await db.execute(sa.select(Market.id))).scalars():
        stuck = await stuck_orders(db, [market_id], now, SAMPLE)
        counts = {name: found.total for name, found in stuck.items()}
        if not any(counts.values()):
            continue
        markets += 1
        body = msg(
            "Offers unanswered too long: %(offered)s; needs nobody took: %(unmatched)s; services past and "
            "unrecorded: %(overdue)s; delivered and not signed off: %(unsigned)s; disputes: %(disputed)s. "
            "The oldest has waited %(longest)s.",
            offered=counts["offered_too_long"],
            unmatched=counts["placed_unmatched"],
            overdue=counts["accepted_overdue"],
            unsigned=counts["not_signed_off"],
            disputed=counts["disputed"],
            longest=_longest(stuck, now),
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
                msg("Today's to-do: %(n)s orders need attention", n=sum(counts.values())),
                body,
                {
                    "counts": counts,
                    "order_ids": {name: [o.id for o in found.items] for name, found in stuck.items()},
                    "day": day,
                },
                dedupe_key=f"digest:{market_id}:{day}:{operator_id}",
            )
            sent += 1
    return {"markets": markets, "operators": sent}


def _longest(stuck: dict[str, StuckList], now: datetime) -> Msg:
    oldest = min(o.since for found in stuck.values() for o in found.items)
    hours = max(0, int((now - oldest).total_seconds() // 3600))
    return msg("%(n)s days", n=hours // 24) if hours >= 48 else msg("%(n)s hours", n=hours)
