"""Deadlines: what happens when nobody acts in time.

`scan` finds what fell due at `now` and queues one job per order; each job runs in its own
transaction (jobs/deadlines.py), re-reads the order under its lock and does nothing when the
order moved on meanwhile. The scan's `now` travels with the job, so tests can move the clock.

- an offer of a need unanswered by its deadline → offer_timeout, re-matched to the next provider;
  after MAX_OFFER_ATTEMPTS offers → escalated to the operators' queue instead;
- a listing order left offered past its deadline → escalated;
- a need nobody took within its window → expire (unmet demand), the member told;
- a promoted waitlisted member who did not confirm in time → confirm_timeout, the seat to the next;
- a waitlist place whose session started → expire;
- delivered and silent for AUTO_RECEIVE_DAYS → auto_receive (签收 by the system).
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain.orders import Actor, OrderKind, OrderState
from ..domain.roles import Role
from ..models import ListingSession, Offer, Order, User
from ..models.base import utcnow
from . import notices, reminders
from .matching import queue_match
from .order_flow import close_offer, drop_reminders, free_seat_and_promote, lock_order, move

SCAN_LIMIT = 1000
SYSTEM = {Actor.system}


def _stamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


async def scan(db: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """Queue a job for everything due at `now`; returns how many of each were found."""
    now = now or utcnow()
    at = now.isoformat()
    settings = settings_of(db)
    counts: dict[str, int] = {}

    async def each(job: str, query, key) -> None:
        rows = (await db.execute(query.limit(SCAN_LIMIT))).all()
        for row in rows:
            await queue.enqueue(db, job, {"order_id": row.id, "now": at, **_extra(row)}, dedupe_key=key(row))
        counts[job] = len(rows)

    overdue = (
        sa.select(Order.id, Order.kind, Order.offer_attempts)
        .join(Offer, sa.and_(Offer.order_id == Order.id, Offer.state == "pending"))
        .where(Order.state == OrderState.offered, Offer.deadline_at <= now)
    )
    await each(
        "offer_timeout",
        overdue.where(Order.kind == OrderKind.need),
        lambda r: f"order:{r.id}:offer_timeout:{r.offer_attempts}",
    )
    await each(
        "escalate_offer",
        overdue.where(Order.kind == OrderKind.listing, Order.escalated_at.is_(None)),
        lambda r: f"order:{r.id}:escalate:{r.offer_attempts}",
    )
    await each(
        "expire_need",
        sa.select(Order.id, Order.offer_attempts).where(
            Order.kind == OrderKind.need, Order.state == OrderState.placed, Order.expires_at <= now
        ),
        lambda r: f"order:{r.id}:expire:{r.offer_attempts}",
    )
    await each(
        "confirm_timeout",
        sa.select(Order.id, Order.confirm_by).where(
            Order.confirm_by <= now, Order.state.in_([OrderState.offered, OrderState.accepted])
        ),
        lambda r: f"order:{r.id}:confirm_timeout:{_stamp(r.confirm_by)}",
    )
    await each(
        "expire_waitlisted",
        sa.select(Order.id)
        .join(ListingSession, ListingSession.id == Order.session_id)
        .where(Order.state == OrderState.waitlisted, ListingSession.starts_at <= now),
        lambda r: f"order:{r.id}:expire_waitlisted",
    )
    await each(
        "auto_receive",
        sa.select(Order.id).where(
            Order.state == OrderState.delivered,
            Order.delivered_at <= now - timedelta(days=settings.auto_receive_days),
        ),
        lambda r: f"order:{r.id}:auto_receive",
    )
    return counts


def _extra(row) -> dict:
    found = row._mapping
    extra = {}
    if "offer_attempts" in found:
        extra["attempt"] = found["offer_attempts"]
    if "confirm_by" in found:
        extra["confirm_by"] = found["confirm_by"].isoformat()
    return extra


# The jobs ------------------------------------------------------------------------------------


async def _pending_offer(db: AsyncSession, order: Order) -> Offer | None:
    return (
        await db.execute(sa.select(Offer).where(Offer.order_id == order.id, Offer.state == "pending"))
    ).scalar_one_or_none()


async def offer_timeout(db: AsyncSession, args: dict) -> str:
    now = datetime.fromisoformat(args["now"])
    order = await lock_order(db, args["order_id"])
    if order is None or order.state != OrderState.offered or order.offer_attempts != args["attempt"]:
        return "answered"
    offer = await _pending_offer(db, order)
    if offer is None or offer.deadline_at is None or offer.deadline_at > now:
        return "not due"
    provider_id = order.provider_id
    reason = "no answer before the deadline"
    move(db, order, "offer_timeout", SYSTEM, None, reason, {"provider_id": provider_id})
    await close_offer(db, order, "expired", reason)
    order.provider_id = None
    await notices.notify(
        db,
        provider_id,
        order.market_id,
        "offer_expired",
        f"请求已转交：{order.title}",
        "您未在时限内答复，这项服务请求已转给其他劳模工匠。",
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:offer_expired:{order.offer_attempts}",
    )
    if order.offer_attempts >= settings_of(db).max_offer_attempts:
        await escalate(db, order, now, f"{order.offer_attempts} offers went unanswered")
        return "escalated"
    await queue_match(db, order)
    return "to the next provider"


async def escalate_offer(db: AsyncSession, args: dict) -> str:
    now = datetime.fromisoformat(args["now"])
    order = await lock_order(db, args["order_id"])
    if order is None or order.state != OrderState.offered or order.escalated_at is not None:
        return "answered"
    offer = await _pending_offer(db, order)
    if offer is None or offer.deadline_at is None or offer.deadline_at > now:
        return "not due"
    await escalate(db, order, now, "the provider did not answer before the deadline")
    return "escalated"


async def escalate(db: AsyncSession, order: Order, now: datetime, reason: str) -> int:
    """Hand an order to the operators' queue (GET /api/v1/orders?escalated=true) and tell them."""
    move(db, order, "escalate", SYSTEM, None, reason)
    order.escalated_at = now
    operators = (
        await db.execute(
            sa.select(User.id).where(
                User.market_id == order.market_id,
                User.is_active.is_(True),
                sa.literal(Role.operator.value) == sa.any_(User.roles),
            )
        )
    ).scalars()
    told = 0
    for operator_id in operators:
        await notices.notify(
            db,
            operator_id,
            order.market_id,
            "order_escalated",
            f"需要人工处理：{order.title}",
            "无人及时接单，请联系劳模工匠或改派。",
            {"order_id": order.id, "reason": reason},
            dedupe_key=f"order:{order.id}:escalated:{order.offer_attempts}:{operator_id}",
        )
        told += 1
    return told


async def expire_need(db: AsyncSession, args: dict) -> str:
    now = datetime.fromisoformat(args["now"])
    order = await lock_order(db, args["order_id"])
    if (
        order is None
        or order.state != OrderState.placed
        or order.offer_attempts != args["attempt"]
        or order.expires_at is None
        or order.expires_at > now
    ):
        return "taken or not due"
    # The event's data marks it as unmet demand for the union's figures.
    move(db, order, "expire", SYSTEM, None, "no provider took it in time", {"unmet": True})
    await drop_reminders(db, order)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "need_expired",
        f"暂未匹配到服务：{order.title}",
        "很抱歉，有效期内没有劳模工匠接单。您的需求已记入待满足需求，工会将据此增设服务。",
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:expired",
    )
    return "expired"


async def confirm_timeout(db: AsyncSession, args: dict) -> str:
    now = datetime.fromisoformat(args["now"])
    order = await lock_order(db, args["order_id"])
    if order is None or order.confirm_by is None or order.confirm_by.isoformat() != args["confirm_by"]:
        return "confirmed"
    if order.confirm_by > now or order.state not in (OrderState.offered, OrderState.accepted):
        return "not due"
    move(db, order, "confirm_timeout", SYSTEM, None, "the promoted place was not confirmed in time")
    order.confirm_by = None
    await close_offer(db, order, "withdrawn", "not confirmed")
    await drop_reminders(db, order)
    await free_seat_and_promote(db, order)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "promotion_lapsed",
        f"候补名额已失效：{order.title}",
        "您未在时限内确认，名额已顺延给下一位候补。",
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:promotion_lapsed:{args['confirm_by']}",
    )
    return "seat passed on"


async def expire_waitlisted(db: AsyncSession, args: dict) -> str:
    now = datetime.fromisoformat(args["now"])
    order = await lock_order(db, args["order_id"])
    if order is None or order.state != OrderState.waitlisted:
        return "promoted or gone"
    session = await db.get(ListingSession, order.session_id)
    if session is None or session.starts_at > now:
        return "not due"
    move(db, order, "expire", SYSTEM, None, "the session started before a seat came free")
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "waitlist_expired",
        f"候补未成功：{order.title}",
        "活动已开始，未能为您空出名额。欢迎报名其他场次。",
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:waitlist_expired",
    )
    return "expired"


async def auto_receive(db: AsyncSession, args: dict) -> str:
    now = datetime.fromisoformat(args["now"])
    days = settings_of(db).auto_receive_days
    order = await lock_order(db, args["order_id"])
    if order is None or order.state != OrderState.delivered:
        return "signed off already"
    if order.delivered_at is None or order.delivered_at > now - timedelta(days=days):
        return "not due"
    move(db, order, "auto_receive", SYSTEM, None, f"no answer within {days} days of delivery")
    await drop_reminders(db, order)
    await reminders.plan_review(db, order)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "order_auto_received",
        f"已自动签收：{order.title}",
        f"服务完成 {days} 天内未确认，系统已为您自动签收。欢迎评价。",
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:auto_received",
    )
    return "signed off"
