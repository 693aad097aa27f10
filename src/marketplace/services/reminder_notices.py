"""Sending a planned reminder: re-read the order, and say nothing when it is no longer true."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import settings_of
from ..domain.orders import OrderState
from ..domain.reminders import local_text
from ..models import Listing, ListingSession, Offer, Order
from ..models.base import utcnow
from . import notices
from .reminders import market_zone, order_start


async def send(db: AsyncSession, args: dict) -> str:
    kind = args["kind"]
    if kind == "offer":
        return await _offer(db, args)
    if kind in ("day_before", "hour_before"):
        if "session_id" in args:
            return await _session_provider(db, args)
        return await _session_order(db, args)
    if kind == "sign_off":
        return await _simple(db, args, OrderState.delivered)
    if kind == "review":
        return await _simple(db, args, OrderState.received)
    return f"unknown reminder {kind!r}"


async def _offer(db: AsyncSession, args: dict) -> str:
    order = await db.get(Order, args["order_id"])
    if order is None or order.state != OrderState.offered or order.offer_attempts != args["attempt"]:
        return "answered"
    offer = (
        await db.execute(sa.select(Offer).where(Offer.order_id == order.id, Offer.state == "pending"))
    ).scalar_one_or_none()
    if offer is None or offer.deadline_at is None or offer.deadline_at <= utcnow():
        return "answered"
    await notices.notify(
        db,
        offer.provider_id,
        order.market_id,
        "offer_reminder",
        f"待您答复：{order.title}",
        f"请在 {local_text(offer.deadline_at, market_zone(db))} 前接单或婉拒。",
        {"order_id": order.id},
        dedupe_key=args["key"],
    )
    return "sent"


def _title(kind: str, title: str) -> str:
    return f"明天的服务：{title}" if kind == "day_before" else f"服务即将开始：{title}"


async def _place_of(db: AsyncSession, order: Order) -> str:
    parts = []
    place = order.arrangement.get("place")
    if not place and order.listing_id is not None:
        listing = await db.get(Listing, order.listing_id)
        place = listing.location if listing else ""
    if place:
        parts.append(f"地点：{place}")
    if order.arrangement.get("link"):
        parts.append(f"链接：{order.arrangement['link']}")
    return "；".join(parts)


def _too_late(kind: str, starts_at: datetime, zone) -> bool:
    now = utcnow()
    if starts_at <= now:
        return True
    # "Tomorrow", sent late on the day itself, would be wrong; the one-hour reminder covers that day.
    return kind == "day_before" and starts_at.astimezone(zone).date() <= now.astimezone(zone).date()


async def _session_order(db: AsyncSession, args: dict) -> str:
    order = await db.get(Order, args["order_id"])
    if order is None or order.state != OrderState.accepted:
        return "not accepted"
    planned = datetime.fromisoformat(args["starts_at"])
    starts_at = await order_start(db, order)
    if starts_at != planned:
        return "moved"
    zone = market_zone(db)
    if _too_late(args["kind"], starts_at, zone):
        return "too late"
    user_id = order.member_id if args["to"] == "member" else order.provider_id
    details = "；".join(p for p in (f"时间：{local_text(starts_at, zone)}", await _place_of(db, order)) if p)
    await notices.notify(
        db,
        user_id,
        order.market_id,
        f"reminder_{args['kind']}",
        _title(args["kind"], order.title),
        details,
        {"order_id": order.id},
        dedupe_key=args["key"],
    )
    return "sent"


async def _session_provider(db: AsyncSession, args: dict) -> str:
    session = await db.get(ListingSession, args["session_id"])
    planned = datetime.fromisoformat(args["starts_at"])
    if session is None or session.cancelled_at is not None or session.starts_at != planned:
        return "moved"
    zone = market_zone(db)
    if _too_late(args["kind"], session.starts_at, zone):
        return "too late"
    coming = (
        await db.execute(
            sa.select(sa.func.count()).where(Order.session_id == session.id, Order.state == OrderState.accepted)
        )
    ).scalar_one()
    if coming == 0:
        return "nobody coming"
    listing = await db.get(Listing, session.listing_id)
    where = f"；地点：{listing.location}" if listing.location else ""
    await notices.notify(
        db,
        listing.provider_id,
        session.market_id,
        f"reminder_{args['kind']}",
        _title(args["kind"], listing.title),
        f"时间：{local_text(session.starts_at, zone)}{where}；已确认 {coming} 人",
        {"listing_id": listing.id, "session_id": session.id},
        dedupe_key=args["key"],
    )
    return "sent"


async def _simple(db: AsyncSession, args: dict, state: OrderState) -> str:
    order = await db.get(Order, args["order_id"])
    if order is None or order.state != state:
        return "done already"
    if args["kind"] == "sign_off":
        days = settings_of(db).auto_receive_days
        title, body = f"请确认签收：{order.title}", f"服务已完成，请确认签收；{days} 天内未确认将自动签收。"
    else:
        title, body = f"邀请您评价：{order.title}", "您的评价能帮助其他职工选择服务，也是对劳模工匠的鼓励。"
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        f"reminder_{args['kind']}",
        title,
        body,
        {"order_id": order.id},
        dedupe_key=args["key"],
    )
    return "sent"
