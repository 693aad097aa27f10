"""The union hotline (12351): an operator finds the caller's record by full phone number or union card
number (the reason recorded), then orders, cancels or posts a need on the member's behalf. Each act runs
the member's own use case, so every rule holds as if the member did it; its order events are then marked
"by operator X" (order_events.data) and it is audited, and the member is told by a notice."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.phones import normalize_phone
from ..errors import Conflict, InvalidInput, NotFound
from ..models import HotlineCall, Order, OrderEvent, User
from ..models.base import utcnow
from ..schemas.orders import OrderIn
from ..texts import Msg, msg
from . import audit, notices, orders
from .order_views import Known

TOPICS = ("order", "cancel", "need", "question", "complaint", "other")
OUTCOMES = ("resolved", "referred", "follow_up")


async def find_member(db: AsyncSession, market_id: int, phone: str | None, card: str | None) -> User:
    """The member with this full phone number or union card number (never a partial match: a masked number
    gives nothing away)."""
    if bool(phone) == bool(card):
        raise InvalidInput("Give either the caller's full phone number or their union card number.", field="phone")
    if phone:
        phone = normalize_phone(phone)
        if phone is None:
            raise InvalidInput("Enter the caller's full 11-digit mobile number.", field="phone")
        condition = User.phone == phone
    else:
        condition = User.union_card == card.strip()
    member = await db.scalar(sa.select(User).where(User.market_id == market_id, condition, User.is_active))
    if member is None:
        # 400, not 404: the number sent names no member (the API documents 404 for ids in the path only)
        raise InvalidInput("No member of this union has that number.", field="card" if card else "phone")
    return member


async def open_call(
    db: AsyncSession, operator: User, reason: str, phone: str | None = None, card: str | None = None
) -> HotlineCall:
    """Open the caller's record for this call; the look-up and its reason go into the audit trail."""
    member = await find_member(db, operator.market_id, phone, card)
    call = HotlineCall(market_id=operator.market_id, operator_id=operator.id, member_id=member.id, reason=reason)
    db.add(call)
    await db.flush()
    await audit.record(db, operator, "hotline_lookup", "user", member.id, reason=reason, call_id=call.id)
    return call


async def log_call(
    db: AsyncSession, operator: User, topic: str, outcome: str, note: str, follow_up_on: date | None = None
) -> HotlineCall:
    """A call that needed no member's record (a question answered, a referral): only the log entry."""
    call = HotlineCall(market_id=operator.market_id, operator_id=operator.id, reason="")
    db.add(call)
    _close(call, topic, outcome, note, follow_up_on)
    await db.flush()
    return call


async def call_of(db: AsyncSession, operator: User, call_id: int, *, open_only: bool = False) -> HotlineCall:
    call = await db.get(HotlineCall, call_id)
    if call is None or call.market_id != operator.market_id:
        raise NotFound("No such call.")
    if open_only and call.ended_at is not None:
        raise Conflict("This call has ended: open the member's record again for a new call.", field="call_id")
    return call


async def _caller(db: AsyncSession, operator: User, call_id: int) -> tuple[HotlineCall, User]:
    call = await call_of(db, operator, call_id, open_only=True)
    if call.member_id is None:
        raise Conflict("This call has no member's record open.", field="call_id")
    return call, await db.get(User, call.member_id)


async def _last_event_id(db: AsyncSession, order_id: int) -> int:
    return await db.scalar(
        sa.select(sa.func.coalesce(sa.func.max(OrderEvent.id), 0)).where(OrderEvent.order_id == order_id)
    )


async def _mark(db: AsyncSession, operator: User, call: HotlineCall, order_id: int, after_event: int) -> None:
    """Mark the events this act wrote as done by the operator for the member, on this call."""
    await db.flush()
    stamp = {"by_operator": operator.id, "operator_name": operator.name, "call_id": call.id}
    await db.execute(
        sa.update(OrderEvent)
        .where(OrderEvent.order_id == order_id, OrderEvent.id > after_event)
        .values(data=OrderEvent.data.op("||")(sa.cast(stamp, OrderEvent.data.type)))
    )


async def _tell(db: AsyncSession, operator: User, member: User, order: Order, kind: str, title: Msg, body: Msg) -> None:
    await notices.notify(
        db,
        member.id,
        member.market_id,
        kind,
        title,
        body,
        {"order_id": order.id, "by_operator": operator.id},
        dedupe_key=f"order:{order.id}:{kind}",
    )


async def order_for(
    db: AsyncSession, operator: User, call_id: int, listing_id: int, session_id: int | None, note: str = ""
) -> Order:
    """Order a listed service for the caller: the member's own use case, marked as the operator's act."""
    call, member = await _caller(db, operator, call_id)
    order = await orders.place_listing_order(db, member, listing_id, session_id, note)
    await _mark(db, operator, call, order.id, 0)
    Known.forget(order)
    await audit.record(db, operator, "hotline_order", "order", order.id, member_id=member.id, call_id=call.id)
    await _tell(
        db,
        operator,
        member,
        order,
        "hotline_order",
        msg("The union hotline ordered for you: %(title)s", title=order.title),
        msg(
            "As you asked on the phone, operator %(operator)s booked “%(title)s” for you. See or cancel it in "
            "My orders.",
            operator=operator.name,
            title=order.title,
        ),
    )
    return order


async def need_for(db: AsyncSession, operator: User, call_id: int, data: OrderIn) -> Order:
    """Post the caller's need (点单 for something not on the menu), marked as the operator's act."""
    call, member = await _caller(db, operator, call_id)
    order = await orders.place_need(db, member, data)
    await _mark(db, operator, call, order.id, 0)
    await audit.record(db, operator, "hotline_need", "order", order.id, member_id=member.id, call_id=call.id)
    await _tell(
        db,
        operator,
        member,
        order,
        "hotline_need",
        msg("The union hotline posted your need: %(title)s", title=order.title),
        msg(
            "As you asked on the phone, operator %(operator)s posted your need “%(title)s”; you will be told "
            "when a model worker or craftsman can help.",
            operator=operator.name,
            title=order.title,
        ),
    )
    return order


async def cancel_for(db: AsyncSession, operator: User, call_id: int, order_id: int, reason: str) -> Order:
    """Cancel one of the caller's orders at their request (the member's own rules: before the start)."""
    call, member = await _caller(db, operator, call_id)
    owned = await db.scalar(sa.select(Order.id).where(Order.id == order_id, Order.member_id == member.id))
    if owned is None:
        raise NotFound("No such order.", field="order_id")
    before = await _last_event_id(db, order_id)
    order = await orders.cancel(db, member, order_id, reason)
    await _mark(db, operator, call, order.id, before)
    await audit.record(
        db, operator, "hotline_cancel", "order", order.id, member_id=member.id, call_id=call.id, reason=reason
    )
    await _tell(
        db,
        operator,
        member,
        order,
        "hotline_cancel",
        msg("The union hotline cancelled your order: %(title)s", title=order.title),
        msg(
            "As you asked on the phone, operator %(operator)s cancelled “%(title)s”. Reason: %(reason)s",
            operator=operator.name,
            title=order.title,
            reason=reason,
        ),
    )
    return order


def _close(call: HotlineCall, topic: str, outcome: str, note: str, follow_up_on: date | None) -> None:
    if topic not in TOPICS:
        raise InvalidInput("Choose what the call was about.", field="topic")
    if outcome not in OUTCOMES:
        raise InvalidInput("Choose how the call ended.", field="outcome")
    if outcome == "follow_up" and follow_up_on is None:
        raise InvalidInput("Give the day to call the member back.", field="follow_up_on")
    today = utcnow().date()
    if follow_up_on is not None and not today - timedelta(days=1) <= follow_up_on <= today + timedelta(days=366):
        raise InvalidInput("The call-back day is within a year from today.", field="follow_up_on")
    call.topic, call.outcome, call.note = topic, outcome, note
    call.follow_up_on = follow_up_on if outcome == "follow_up" else None
    call.ended_at = utcnow()


async def end_call(
    db: AsyncSession, operator: User, call_id: int, topic: str, outcome: str, note: str, follow_up_on: date | None
) -> HotlineCall:
    call = await call_of(db, operator, call_id, open_only=True)
    _close(call, topic, outcome, note, follow_up_on)
    return call


async def calls(
    db: AsyncSession,
    market_id: int,
    limit: int = 50,
    offset: int = 0,
    *,
    outcome: str | None = None,
    topic: str | None = None,
    since: datetime | None = None,
) -> tuple[list[HotlineCall], int]:
    """The call log, newest first; calls to return (回访) first among them. By outcome (`open`: not ended),
    topic and the moment the call started from, when asked."""
    scope = [HotlineCall.market_id == market_id]
    if outcome:
        scope.append(HotlineCall.outcome == outcome)
    if topic:
        scope.append(HotlineCall.topic == topic)
    if since is not None:
        scope.append(HotlineCall.started_at >= since)
    total = await db.scalar(sa.select(sa.func.count()).select_from(HotlineCall).where(*scope))
    rows = await db.execute(
        sa.select(HotlineCall)
        .where(*scope)
        .order_by((HotlineCall.outcome == "follow_up").desc(), HotlineCall.started_at.desc(), HotlineCall.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), total or 0
