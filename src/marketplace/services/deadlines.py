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
- an accepted order whose service ended unrecorded → its provider is asked to record attendance
  (ATTENDANCE_REMIND_HOURS after the end), then it goes to the operators (ATTENDANCE_ESCALATE_HOURS);
- delivered and silent for AUTO_RECEIVE_DAYS → auto_receive (签收 by the system);
- a 免申即享 campaign with an offer past its deadline (or its session begun) → campaign_sweep;
- a follow-up case (回访) not contacted within CASE_CONTACT_HOURS or not resolved within CASE_RESOLVE_HOURS
  → escalate_case (the curators told, once per state).
- a listing whose next session has started → its kept next start moved on (services/listing_seats.py).
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain.orders import Actor, OrderKind, OrderState
from ..domain.roles import Role
from ..domain.service_time import Overdue, overdue_stage
from ..models import ListingSession, Offer, Order, User
from ..models.base import utcnow
from ..texts import Msg, msg
from . import campaigns, checkin, listing_seats, lottery, notices, reminders, satisfaction
from .matching import queue_match
from .order_flow import (
    SERVICE_END,
    close_offer,
    drop_reminders,
    free_seat_and_promote,
    lock_order,
    move,
    service_time_of,
)

SCAN_LIMIT = 1000
SYSTEM = {Actor.system}
NOBODY_TOOK_IT = msg("Nobody took it in time: please contact a provider or assign it to another.")


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
    overdue_after = sa.select(Order.id).outerjoin(ListingSession, ListingSession.id == Order.session_id)
    unrecorded = sa.and_(Order.state == OrderState.accepted, Order.escalated_at.is_(None))
    await each(
        "attendance_overdue",
        overdue_after.where(unrecorded, SERVICE_END <= now - timedelta(hours=settings.attendance_remind_hours)),
        lambda r: f"order:{r.id}:attendance_overdue",
    )
    await each(
        "escalate_overdue",
        overdue_after.where(unrecorded, SERVICE_END <= now - timedelta(hours=settings.attendance_escalate_hours)),
        lambda r: f"order:{r.id}:escalate_overdue",
    )
    await each(
        "auto_receive",
        sa.select(Order.id).where(
            Order.state == OrderState.delivered,
            Order.delivered_at <= now - timedelta(days=settings.auto_receive_days),
        ),
        lambda r: f"order:{r.id}:auto_receive",
    )
    # 扫码签到: checked in before the start, delivered once the session has started
    await each("deliver_checked_in", checkin.due_query(now), lambda r: f"order:{r.id}:deliver_checked_in")
    await each("mark_absent", checkin.absent_query(now), lambda r: f"order:{r.id}:absent")
    counts["draw_lottery"] = await lottery.due(db, now)  # 抽签: a draw whose job went missing
    counts["campaign_sweep"] = await campaigns.due(db, now)  # 免申即享: offers past their deadline pass on
    counts["escalate_case"] = await satisfaction.due(db, now)  # 回访: overdue cases go to the curators
    counts["listing_seats"] = await listing_seats.refresh_started(db)  # the menu's next session moves on
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
        msg("Request passed on: %(title)s", title=order.title),
        msg("You did not answer in time, so this service request went to another provider."),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:offer_expired:{order.offer_attempts}",
    )
    return await offer_on(db, order, now)


async def offer_on(db: AsyncSession, order: Order, now: datetime) -> str:
    """A need back in `placed` (declined, or unanswered in time) goes to the next provider, or — after
    MAX_OFFER_ATTEMPTS offers, whatever their answers — to the operators, saying what the answers were."""
    if order.offer_attempts < settings_of(db).max_offer_attempts:
        await queue_match(db, order)
        return "to the next provider"
    answers = dict(
        (
            await db.execute(
                sa.select(Offer.state, sa.func.count()).where(Offer.order_id == order.id).group_by(Offer.state)
            )
        ).all()
    )
    declined, unanswered = answers.get("declined", 0), answers.get("expired", 0)
    reason = f"{order.offer_attempts} offers: {declined} declined, {unanswered} unanswered"
    summary = msg(
        "%(n)s providers were asked: %(declined)s declined, %(unanswered)s did not answer.",
        n=order.offer_attempts,
        declined=declined,
        unanswered=unanswered,
    )
    await escalate(db, order, now, reason, summary, {"declined": declined, "unanswered": unanswered})
    return "escalated"


async def escalate_offer(db: AsyncSession, args: dict) -> str:
    now = datetime.fromisoformat(args["now"])
    order = await lock_order(db, args["order_id"])
    if order is None or order.state != OrderState.offered or order.escalated_at is not None:
        return "answered"
    offer = await _pending_offer(db, order)
    if offer is None or offer.deadline_at is None or offer.deadline_at > now:
        return "not due"
    summary = msg("The provider did not answer in time.")
    await escalate(db, order, now, "the provider did not answer before the deadline", summary)
    return "escalated"


async def escalate(
    db: AsyncSession,
    order: Order,
    now: datetime,
    reason: str,
    summary: Msg | str = NOBODY_TOOK_IT,
    data: dict | None = None,
    when=None,
) -> int:
    """Hand an order to the operators' queue (GET /api/v1/orders?escalated=true) and tell them."""
    move(db, order, "escalate", SYSTEM, None, reason, data, when=when, now=now)
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
            msg("Needs a person to handle it: %(title)s", title=order.title),
            summary,
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
        msg("No provider found yet: %(title)s", title=order.title),
        msg(
            "Sorry, no provider took your request in time. It is recorded as an unmet need, and the union "
            "will plan services with it."
        ),
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
    passed_on = await free_seat_and_promote(db, order)
    # Say what really happened to the seat: the next in line got it, or nobody was left to take it.
    where = msg("the place went to the next on the waiting list") if passed_on else msg("the place was released")
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "promotion_lapsed",
        msg("Waiting-list place lapsed: %(title)s", title=order.title),
        msg("You did not confirm in time, so %(where)s.", where=where),
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
    when = await service_time_of(db, order)
    move(db, order, "expire", SYSTEM, None, "the session started before a seat came free", when=when, now=now)
    await notices.notify(
        db,
        order.member_id,
        order.market_id,
        "waitlist_expired",
        msg("No place came free: %(title)s", title=order.title),
        msg("The session has started and no place came free for you. You are welcome to book another session."),
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
        msg("Signed off for you: %(title)s", title=order.title),
        msg(
            "The service was not confirmed within %(days)s days of delivery, so it was signed off for you. "
            "You are welcome to review it.",
            days=days,
        ),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:auto_received",
    )
    return "signed off"


async def _overdue(db: AsyncSession, args: dict, wanted: Overdue) -> tuple[Order | None, object]:
    """The order, locked, and its service time, if it is (still) overdue at this stage or later."""
    now = datetime.fromisoformat(args["now"])
    settings = settings_of(db)
    order = await lock_order(db, args["order_id"])
    if order is None or order.state != OrderState.accepted or order.escalated_at is not None:
        return None, None
    when = await service_time_of(db, order)
    stage = overdue_stage(
        now,
        when,
        timedelta(hours=settings.attendance_remind_hours),
        timedelta(hours=settings.attendance_escalate_hours),
    )
    if stage is None or (wanted == Overdue.escalate and stage != Overdue.escalate):
        return None, None
    return order, when


async def attendance_overdue(db: AsyncSession, args: dict) -> str:
    """The service ended and the provider recorded nothing: ask them to (delivered or no-show)."""
    order, _ = await _overdue(db, args, Overdue.remind_provider)
    if order is None:
        return "recorded or not due"
    await notices.notify(
        db,
        order.provider_id,
        order.market_id,
        "attendance_overdue",
        msg("Please record the service: %(title)s", title=order.title),
        msg("The service time has passed: please mark it delivered or absent."),
        {"order_id": order.id},
        dedupe_key=f"order:{order.id}:attendance_overdue",
    )
    return "provider reminded"


async def escalate_overdue(db: AsyncSession, args: dict) -> str:
    """Still unrecorded long after its end: the operators take it on (the order stays accepted)."""
    order, when = await _overdue(db, args, Overdue.escalate)
    if order is None:
        return "recorded or not due"
    now = datetime.fromisoformat(args["now"])
    await escalate(
        db,
        order,
        now,
        "the service ended and its provider recorded nothing",
        msg("The service time has passed and its provider recorded nothing: please check with them."),
        when=when,
    )
    return "escalated"
