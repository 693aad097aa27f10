"""Planning reminders: outbox rows due at the moment each reminder should go out.

An order's reminders have keys starting f"order:{id}:" (so order_flow.drop_reminders drops them
with the order); a group session's provider is reminded once per session, f"session:{id}:…".
The time a session reminder was planned for is part of its key and its arguments: when the
session moves, the old rows are cancelled and new ones planned, and a row that runs for a time
no longer true does nothing (reminder_notices.py).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain import reminders as plan
from ..domain.orders import OrderState
from ..models import ListingSession, Offer, Order
from ..models.base import utcnow

REMIND = "remind"


def market_zone(db: AsyncSession) -> ZoneInfo:
    return ZoneInfo(settings_of(db).time_zone)


def _stamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


async def order_start(db: AsyncSession, order: Order) -> datetime | None:
    """When the service happens: the agreed time, else the session's."""
    agreed = order.arrangement.get("starts_at")
    if agreed:
        return datetime.fromisoformat(agreed)
    if order.session_id is not None:
        return (
            await db.execute(sa.select(ListingSession.starts_at).where(ListingSession.id == order.session_id))
        ).scalar_one_or_none()
    return None


async def _remind(db: AsyncSession, key: str, due_at: datetime, **args) -> None:
    await queue.enqueue(db, REMIND, {"key": key, **args}, due_at=due_at, dedupe_key=key)


# (job, args, due_at, dedupe_key): one outbox row, as queue.enqueue_many takes it.
Job = tuple[str, dict, datetime, str]


def session_jobs(
    order_id: int, session_id: int | None, group_session: bool, starts_at: datetime, now: datetime, zone: ZoneInfo
) -> list[Job]:
    """ "Tomorrow" and "in one hour" for an accepted order starting then: to its member, and to its provider
    (once per group session, whichever order plans it first)."""
    stamp, when = _stamp(starts_at), starts_at.isoformat()
    jobs = []
    for kind, due in plan.session_reminders(starts_at, now, zone).items():
        key = f"order:{order_id}:remind:session:{kind}:member:{stamp}"
        jobs.append((key, due, {"kind": kind, "to": "member", "order_id": order_id, "starts_at": when}))
        if group_session:
            key = f"session:{session_id}:remind:{kind}:{stamp}"
            args = {"kind": kind, "to": "provider", "session_id": session_id, "starts_at": when}
        else:
            key = f"order:{order_id}:remind:session:{kind}:provider:{stamp}"
            args = {"kind": kind, "to": "provider", "order_id": order_id, "starts_at": when}
        jobs.append((key, due, args))
    return [(REMIND, {"key": key, **args}, due, key) for key, due, args in jobs]


def offer_job(order_id: int, attempt: int, opened_at: datetime, deadline_at: datetime | None) -> Job | None:
    """A nudge to the provider before an offer's deadline, if there is time for one."""
    due = plan.offer_reminder(opened_at, deadline_at)
    if due is None:
        return None
    key = f"order:{order_id}:remind:offer:{attempt}"
    return REMIND, {"key": key, "kind": "offer", "to": "provider", "order_id": order_id, "attempt": attempt}, due, key


async def plan_session(db: AsyncSession, order: Order, now: datetime | None = None) -> None:
    """(Re)plan the session reminders of an accepted order (cancelling those of an earlier time)."""
    await queue.cancel_jobs(db, f"order:{order.id}:remind:session:")
    starts_at = await order_start(db, order)
    if starts_at is None or order.state != OrderState.accepted or order.provider_id is None:
        return
    group_session = order.session_id is not None and not order.arrangement.get("starts_at")
    jobs = session_jobs(order.id, order.session_id, group_session, starts_at, now or utcnow(), market_zone(db))
    await queue.enqueue_many(db, jobs)


async def replan_session(db: AsyncSession, session_id: int) -> int:
    """A session moved: its reminders follow it. Returns the orders replanned."""
    await queue.cancel_jobs(db, f"session:{session_id}:remind:")
    orders = (
        await db.execute(sa.select(Order).where(Order.session_id == session_id, Order.state == OrderState.accepted))
    ).scalars()
    count = 0
    for order in orders:
        await plan_session(db, order)
        count += 1
    return count


async def plan_offer(db: AsyncSession, order: Order, offer: Offer) -> None:
    job = offer_job(order.id, order.offer_attempts, offer.created_at, offer.deadline_at)
    if job is not None:
        await queue.enqueue_many(db, [job])


async def plan_sign_off(db: AsyncSession, order: Order) -> None:
    delivered = order.delivered_at or utcnow()
    key = f"order:{order.id}:remind:sign_off"
    await _remind(db, key, delivered + plan.SIGN_OFF_REMINDER_AFTER, kind="sign_off", to="member", order_id=order.id)


async def plan_review(db: AsyncSession, order: Order, received_at: datetime | None = None) -> None:
    received = received_at or utcnow()
    key = f"order:{order.id}:remind:review"
    await _remind(db, key, received + plan.REVIEW_REQUEST_AFTER, kind="review", to="member", order_id=order.id)
