"""Sending planned reminders: re-read the order, and say nothing when it is no longer true.

`send_many` handles a batch in one transaction: the orders, sessions, listings and pending offers
the reminders need are read in a few set-based queries (then found in the session without SQL),
and every notice is written with one statement (notices.notify_many).
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import settings_of
from ..domain.orders import OrderState
from ..models import Listing, ListingSession, Offer, Order
from ..models.base import utcnow
from ..texts import Msg, joined, msg
from . import notices
from .reminders import market_zone

SESSION_KINDS = ("day_before", "hour_before")


@dataclass
class _Batch:
    """What a batch of reminders read up front, and the notices it will write."""

    offers: dict[int, Offer | None] = field(default_factory=dict)  # order id → its pending offer
    coming: dict[int, int] = field(default_factory=dict)  # session id → accepted orders
    out: list[dict] = field(default_factory=list)
    # The rows read up front. The session's identity map holds rows weakly: kept here, db.get finds them.
    held: list = field(default_factory=list)


async def send(db: AsyncSession, args: dict) -> str:
    """One reminder."""
    return (await send_many(db, [args]))[0]


async def send_many(db: AsyncSession, batch: list[dict]) -> list[str]:
    """Reminders in the caller's transaction; one result per reminder, in order."""
    loaded = await _prefetch(db, batch)
    results = [await _one(db, args, loaded) for args in batch]
    await notices.notify_many(db, loaded.out)
    return results


async def _in(db: AsyncSession, model, ids: set[int]) -> list:
    """Rows by id, loaded into the session so that db.get finds them without a query."""
    if not ids:
        return []
    return list((await db.execute(sa.select(model).where(model.id.in_(ids)))).scalars())


async def _prefetch(db: AsyncSession, batch: list[dict]) -> _Batch:
    loaded = _Batch()
    orders = {o.id: o for o in await _in(db, Order, {a["order_id"] for a in batch if "order_id" in a})}
    loaded.held.extend(orders.values())
    session_ids = {a["session_id"] for a in batch if "session_id" in a}
    listing_ids: set[int] = set()
    offer_orders: set[int] = set()
    for args in batch:
        order = orders.get(args.get("order_id"))
        if order is None:
            continue
        if args["kind"] == "offer":
            offer_orders.add(order.id)
        elif args["kind"] in SESSION_KINDS and "session_id" not in args:
            if not order.arrangement.get("starts_at") and order.session_id is not None:
                session_ids.add(order.session_id)
            if not order.arrangement.get("place") and order.listing_id is not None:
                listing_ids.add(order.listing_id)
    provider_sessions = {a["session_id"] for a in batch if "session_id" in a}
    sessions = await _in(db, ListingSession, session_ids)
    listing_ids |= {s.listing_id for s in sessions if s.id in provider_sessions}
    loaded.held.extend(sessions)
    loaded.held.extend(await _in(db, Listing, listing_ids))
    if offer_orders:
        loaded.offers = dict.fromkeys(offer_orders)
        pending = await db.execute(sa.select(Offer).where(Offer.order_id.in_(offer_orders), Offer.state == "pending"))
        for offer in pending.scalars():
            if loaded.offers[offer.order_id] is not None:
                raise ValueError(f"order {offer.order_id} has more than one pending offer")
            loaded.offers[offer.order_id] = offer
    if provider_sessions:
        counts = await db.execute(
            sa.select(Order.session_id, sa.func.count())
            .where(Order.session_id.in_(provider_sessions), Order.state == OrderState.accepted)
            .group_by(Order.session_id)
        )
        loaded.coming = {session_id: count for session_id, count in counts}
    return loaded


async def _one(db: AsyncSession, args: dict, loaded: _Batch) -> str:
    kind = args["kind"]
    if kind == "offer":
        return await _offer(db, args, loaded)
    if kind in SESSION_KINDS:
        if "session_id" in args:
            return await _session_provider(db, args, loaded)
        return await _session_order(db, args, loaded)
    if kind == "sign_off":
        return await _simple(db, args, OrderState.delivered, loaded)
    if kind == "review":
        return await _simple(db, args, OrderState.received, loaded)
    return f"unknown reminder {kind!r}"


async def _offer(db: AsyncSession, args: dict, loaded: _Batch) -> str:
    order = await db.get(Order, args["order_id"])
    if order is None or order.state != OrderState.offered or order.offer_attempts != args["attempt"]:
        return "answered"
    offer = loaded.offers.get(order.id)
    if offer is None or offer.deadline_at is None or offer.deadline_at <= utcnow():
        return "answered"
    loaded.out.append(
        notices.notice(
            offer.provider_id,
            order.market_id,
            "offer_reminder",
            msg("Waiting for your answer: %(title)s", title=order.title),
            msg("Please accept or decline before %(deadline)s.", deadline=offer.deadline_at),
            {"order_id": order.id},
            dedupe_key=args["key"],
        )
    )
    return "sent"


def _title(kind: str, title: str) -> Msg:
    if kind == "day_before":
        return msg("Your service tomorrow: %(title)s", title=title)
    return msg("Your service starts soon: %(title)s", title=title)


async def _place_of(db: AsyncSession, order: Order) -> list[Msg]:
    parts = []
    place = order.arrangement.get("place")
    if not place and order.listing_id is not None:
        listing = await db.get(Listing, order.listing_id)
        place = listing.location if listing else ""
    if place:
        parts.append(msg("Place: %(place)s.", place=place))
    if order.arrangement.get("link"):
        parts.append(msg("Link: %(link)s", link=order.arrangement["link"]))
    return parts


async def _start_of(db: AsyncSession, order: Order) -> datetime | None:
    """services.reminders.order_start, from the session's row read with the batch."""
    agreed = order.arrangement.get("starts_at")
    if agreed:
        return datetime.fromisoformat(agreed)
    if order.session_id is not None:
        session = await db.get(ListingSession, order.session_id)
        return session.starts_at if session is not None else None
    return None


def _too_late(kind: str, starts_at: datetime, zone) -> bool:
    now = utcnow()
    if starts_at <= now:
        return True
    # "Tomorrow", sent late on the day itself, would be wrong; the one-hour reminder covers that day.
    return kind == "day_before" and starts_at.astimezone(zone).date() <= now.astimezone(zone).date()


async def _session_order(db: AsyncSession, args: dict, loaded: _Batch) -> str:
    order = await db.get(Order, args["order_id"])
    if order is None or order.state != OrderState.accepted:
        return "not accepted"
    planned = datetime.fromisoformat(args["starts_at"])
    starts_at = await _start_of(db, order)
    if starts_at != planned:
        return "moved"
    zone = market_zone(db)
    if _too_late(args["kind"], starts_at, zone):
        return "too late"
    user_id = order.member_id if args["to"] == "member" else order.provider_id
    details = joined(msg("Time: %(at)s.", at=starts_at), *await _place_of(db, order))
    loaded.out.append(
        notices.notice(
            user_id,
            order.market_id,
            f"reminder_{args['kind']}",
            _title(args["kind"], order.title),
            details,
            {"order_id": order.id},
            dedupe_key=args["key"],
        )
    )
    return "sent"


async def _session_provider(db: AsyncSession, args: dict, loaded: _Batch) -> str:
    session = await db.get(ListingSession, args["session_id"])
    planned = datetime.fromisoformat(args["starts_at"])
    if session is None or session.cancelled_at is not None or session.starts_at != planned:
        return "moved"
    zone = market_zone(db)
    if _too_late(args["kind"], session.starts_at, zone):
        return "too late"
    coming = loaded.coming.get(session.id, 0)
    if coming == 0:
        return "nobody coming"
    listing = await db.get(Listing, session.listing_id)
    where = msg("Place: %(place)s.", place=listing.location) if listing.location else None
    loaded.out.append(
        notices.notice(
            listing.provider_id,
            session.market_id,
            f"reminder_{args['kind']}",
            _title(args["kind"], listing.title),
            joined(
                msg("Time: %(at)s.", at=session.starts_at),
                where,
                msg("Booked: %(n)s.", n=coming),
            ),
            {"listing_id": listing.id, "session_id": session.id},
            dedupe_key=args["key"],
        )
    )
    return "sent"


async def _simple(db: AsyncSession, args: dict, state: OrderState, loaded: _Batch) -> str:
    order = await db.get(Order, args["order_id"])
    if order is None or order.state != state:
        return "done already"
    if args["kind"] == "sign_off":
        days = settings_of(db).auto_receive_days
        title = msg("Please sign off: %(title)s", title=order.title)
        body = msg("The service is done: please sign it off. It is signed off for you after %(days)s days.", days=days)
    else:
        title = msg("Please review: %(title)s", title=order.title)
        body = msg("Your review helps other workers choose, and encourages the provider.")
    loaded.out.append(
        notices.notice(
            order.member_id,
            order.market_id,
            f"reminder_{args['kind']}",
            title,
            body,
            {"order_id": order.id},
            dedupe_key=args["key"],
        )
    )
    return "sent"
