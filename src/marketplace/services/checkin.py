"""扫码签到 check-in: an accepted order's code, the provider's door (scan or type), a member's own scan.

A check-in records attendance (when, by whom, how, where) once. It feeds delivery through the transition
table's `check_in` row: at or after the session's start the order is delivered at once; before it, the
attendance is kept and the deadline scan (`due_scan`) delivers the order when the session starts. When a
session whose door took check-ins has ended, an order still not checked in is a no-show (`absent`).
"""

from dataclasses import dataclass
from datetime import datetime

import segno
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..auth import has_role
from ..db import settings_of
from ..domain import checkin as rules
from ..domain.orders import Actor, OrderState
from ..domain.phones import mask_phone
from ..domain.roles import Role
from ..domain.service_time import service_time
from ..errors import Conflict, NotFound
from ..models import CheckIn, Listing, ListingSession, Order, User
from ..models.base import hot, utcnow
from . import reminders
from .order_flow import drop_reminders, lock_order, move

NO_SEAT = "This order holds no seat at this session."
NOT_A_MEMBER_HERE = "You hold no seat at this session."
_TRIES = 8


class AlreadyCheckedIn(Conflict):
    """A code used a second time: the answer says when the first check-in was (已签到 HH:MM)."""

    def __init__(self, at: datetime, local_time: str) -> None:
        super().__init__(f"Already checked in at {local_time}.", field="code", extra={"checked_in_at": at.isoformat()})
        self.at = at
        self.template, self.params = "Already checked in at %(time)s.", {"time": local_time}


def key(db: AsyncSession) -> str:
    return settings_of(db).key("checkin")


async def ensure_code(db: AsyncSession, order: Order) -> CheckIn:
    """The order's check-in row with its short code, made the first time it is asked for (a code taken
    in the session already is drawn again)."""
    for _ in range(_TRIES):
        found = await db.get(CheckIn, order.id)
        if found is not None:
            return found
        await db.execute(
            insert(CheckIn)
            .values(
                order_id=order.id,
                market_id=order.market_id,
                session_id=order.session_id,
                code=rules.new_short_code(),
            )
            .on_conflict_do_nothing()
        )
    raise Conflict("No check-in code could be made; please try again.")


def qr_svg(text: str) -> str:
    """A QR code as inline SVG, drawn on the server (no script, no image request)."""
    return segno.make(text, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=2, omitsize=True)


@dataclass
class MemberCode:
    order_id: int
    session_id: int
    code: str
    token: str
    svg: str
    opens_at: datetime
    closes_at: datetime
    checked_in_at: datetime | None


async def member_code(db: AsyncSession, member: User, order_id: int) -> MemberCode:
    """The member's own code of an accepted (or checked-in) session order."""
    order = await db.get(Order, order_id)
    if order is None or order.member_id != member.id:
        raise NotFound("No such order.")
    if order.session_id is None or order.state not in (OrderState.accepted, OrderState.delivered):
        raise NotFound("Only an accepted order of a session has a check-in code.")
    session = await db.get(ListingSession, order.session_id)
    row = await ensure_code(db, order)
    token = rules.order_token(key(db), order.id, order.session_id)
    return MemberCode(
        order.id,
        order.session_id,
        row.code,
        token,
        qr_svg(token),
        session.starts_at - rules.CHECKIN_OPENS_BEFORE,
        session.ends_at,
        row.checked_in_at,
    )


async def door_session(db: AsyncSession, user: User, session_id: int) -> tuple[ListingSession, Listing]:
    """A session whose door this user keeps: its listing's provider, or the union's staff of its market."""
    session = await db.get(ListingSession, session_id)
    listing = await db.get(Listing, session.listing_id) if session else None
    if session is None or listing is None:
        raise NotFound("No such session.")
    staff = user.market_id == session.market_id and has_role(user, Role.operator, Role.curator)
    if listing.provider_id != user.id and not staff:
        raise NotFound("No such session.")
    return session, listing


async def check_in_code(
    db: AsyncSession,
    user: User,
    session_id: int,
    text: str,
    method: str = "typed",
    latitude: float | None = None,
    longitude: float | None = None,
    now: datetime | None = None,
) -> Order:
    """The provider (or staff) at the door checks in the holder of a scanned or typed code."""
    session, listing = await door_session(db, user, session_id)
    try:
        scanned = rules.read_code(key(db), text)
    except ValueError as exc:
        raise Conflict(str(exc), field="code") from None
    if scanned.order_id is not None:
        if scanned.session_id != session_id:
            raise Conflict(rules.OTHER_SESSION, field="code")
        order_id = scanned.order_id
    else:
        rows = (
            await db.execute(
                sa.select(CheckIn.order_id, CheckIn.session_id).where(
                    CheckIn.code == scanned.short_code, CheckIn.market_id == session.market_id
                )
            )
        ).all()
        here = [r.order_id for r in rows if r.session_id == session_id]
        if not here:
            raise Conflict(rules.OTHER_SESSION if rows else rules.FORGED, field="code")
        order_id = here[0]
    caps = {Actor.provider} if listing.provider_id == user.id else {Actor.system}
    return await _check_in(db, order_id, session, user, caps, method, latitude, longitude, now)


async def self_check_in(
    db: AsyncSession,
    member: User,
    token: str,
    latitude: float | None = None,
    longitude: float | None = None,
    now: datetime | None = None,
) -> Order:
    """A member scanned the session's own code (a link) while logged in: their seat there is checked in."""
    try:
        session_id = rules.read_session_token(key(db), token)
    except ValueError as exc:
        raise Conflict(str(exc), field="code") from None
    session = await db.get(ListingSession, session_id)
    if session is None:
        raise Conflict(rules.FORGED, field="code")
    order_id = (
        await db.execute(
            sa.select(Order.id)
            .where(
                Order.member_id == member.id,
                hot(Order),  # accepted or delivered: live, never archived
                Order.session_id == session_id,
                Order.state.in_([OrderState.accepted, OrderState.delivered]),
            )
            .order_by(Order.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if order_id is None:
        raise Conflict(NOT_A_MEMBER_HERE, field="code")
    return await _check_in(db, order_id, session, member, {Actor.system}, "self", latitude, longitude, now)


async def _check_in(
    db: AsyncSession,
    order_id: int,
    session: ListingSession,
    by: User,
    caps: set[Actor],
    method: str,
    latitude: float | None,
    longitude: float | None,
    now: datetime | None,
) -> Order:
    now = now or utcnow()
    order = await lock_order(db, order_id)
    if order is None or order.session_id != session.id:
        raise Conflict(rules.OTHER_SESSION, field="code")
    row = await ensure_code(db, order)
    row = (await db.execute(sa.select(CheckIn).where(CheckIn.order_id == order.id).with_for_update())).scalar_one()
    if row.checked_in_at is not None:
        local = row.checked_in_at.astimezone(reminders.market_zone(db)).strftime("%H:%M")
        raise AlreadyCheckedIn(row.checked_in_at, local)
    refusal = rules.window_refusal(now, session.starts_at, session.ends_at)
    if refusal:
        raise Conflict(refusal, field="code")
    if order.state != OrderState.accepted:
        raise Conflict(NO_SEAT, field="code")
    row.checked_in_at = now
    row.checked_in_by = by.id
    row.method = method
    row.latitude, row.longitude = _place(latitude, longitude)
    if now >= session.starts_at:
        await deliver_checked_in(db, order, session, by, caps, now)
    return order


def _place(latitude: float | None, longitude: float | None) -> tuple[float | None, float | None]:
    """Coordinates when the browser gave sensible ones (else none: the place is optional)."""
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


async def deliver_checked_in(
    db: AsyncSession, order: Order, session: ListingSession, by: User | None, caps: set[Actor], now: datetime
) -> None:
    from .orders import after_delivery  # orders imports much of the house; only this use needs it

    when = service_time(session.starts_at, session.ends_at, order.arrangement or {}, order.arranged_at is not None)
    move(db, order, "check_in", caps, by, "checked in", when=when, now=now)
    await after_delivery(db, order, "checked in")


# The deadline scan's part: a check-in before the start is delivered when the session starts.


def _accepted_seats():
    return (
        sa.select(Order.id)
        .join(ListingSession, ListingSession.id == Order.session_id)
        .where(Order.state == OrderState.accepted)
    )


def due_query(now: datetime):
    return (
        _accepted_seats()
        .join(CheckIn, CheckIn.order_id == Order.id)
        .where(CheckIn.checked_in_at.is_not(None), ListingSession.starts_at <= now)
    )


async def _accepted_order(db: AsyncSession, args: dict) -> tuple | None:
    """A deadline job's order, locked, with its session and check-in row: None once it is no longer accepted."""
    order = await lock_order(db, args["order_id"])
    if order is None or order.state != OrderState.accepted or order.session_id is None:
        return None
    return order, await db.get(ListingSession, order.session_id), await db.get(CheckIn, order.id)


async def deliver_due(db: AsyncSession, args: dict) -> str:
    """Job: an order checked in before its session started is delivered now that it has (idempotent)."""
    now = datetime.fromisoformat(args["now"])
    found = await _accepted_order(db, args)
    if found is None:
        return "nothing to do"
    order, session, row = found
    if row is None or row.checked_in_at is None or session.starts_at > now:
        return "not due"
    await deliver_checked_in(db, order, session, None, {Actor.system}, now)
    return "delivered"


ABSENT = "not checked in by the end of the session"


def _door_used(session_id):
    """The session's door took at least one check-in (else its provider records attendance by hand)."""
    used = aliased(CheckIn)
    return sa.exists().where(used.session_id == session_id, used.checked_in_at.is_not(None))


def absent_query(now: datetime):
    """Orders still accepted, never checked in, of a session that has ended and whose door was used."""
    return (
        _accepted_seats()
        .outerjoin(CheckIn, CheckIn.order_id == Order.id)
        .where(CheckIn.checked_in_at.is_(None), ListingSession.ends_at <= now, _door_used(Order.session_id))
    )


async def mark_absent(db: AsyncSession, args: dict) -> str:
    """Job: a seat not checked in at a session whose door was used is a no-show once it ended (idempotent)."""
    now = datetime.fromisoformat(args["now"])
    found = await _accepted_order(db, args)
    if found is None:
        return "nothing to do"
    order, session, row = found
    if (row is not None and row.checked_in_at is not None) or session.ends_at > now:
        return "not due"
    if not await db.scalar(sa.select(_door_used(session.id))):
        return "door not used"
    when = service_time(session.starts_at, session.ends_at, {}, False)
    move(db, order, "absent", {Actor.system}, None, ABSENT, when=when, now=now)
    order.attended = False
    await drop_reminders(db, order)
    return "no-show"


@dataclass
class DoorRow:
    order_id: int
    name: str
    phone: str
    state: str
    checked_in_at: datetime | None
    method: str | None


async def door_list(db: AsyncSession, session_id: int) -> list[DoorRow]:
    """Everyone holding (or having used) a seat of the session, with their check-in."""
    rows = (
        await db.execute(
            sa.select(Order.id, User.name, User.phone, Order.state, CheckIn.checked_in_at, CheckIn.method)
            .join(User, User.id == Order.member_id)
            .outerjoin(CheckIn, CheckIn.order_id == Order.id)
            .where(
                Order.session_id == session_id,
                Order.state.in_([OrderState.accepted, OrderState.delivered, OrderState.received, OrderState.no_show]),
            )
            .order_by(CheckIn.checked_in_at.desc().nulls_last(), User.name, Order.id)
        )
    ).all()
    return [DoorRow(r[0], r[1], mask_phone(r[2]), r[3], r[4], r[5]) for r in rows]
