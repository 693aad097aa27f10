"""抽签: a session filled by a verifiable draw, and the priority reserve of a session's seats.

- `configure` (a curator): the registration window and the draw time; the secret seed is made and sealed,
  its commitment published. The draw is queued for its time (outbox), and the deadline scan finds a draw
  whose job was lost (`due`).
- `register` (a member, through the order path): a `registered` order, holding no seat, while the window
  is open. It holds a share lock on the draw row, so closing waits for registrations in flight.
- `close`: the entries (ids of the registered orders) and their digest are published.
- `draw` (the worker): in one transaction under the draw row's lock — a second run, or a run after a killed
  one, finds it drawn (or finds nothing written) — the seed is revealed, the entries ordered by
  HMAC-SHA256(seed, id), seats given (the reserve first to the priority groups), the rest waitlisted in draw
  order, every member told. Every move goes through the transition table.
"""

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain import lottery as rules
from ..domain.lottery import PriorityGroup
from ..domain.orders import Actor, OrderKind, OrderState
from ..domain.reminders import local_text
from ..domain.service_time import service_time
from ..errors import Conflict, NotFound
from ..models import Listing, ListingSession, LotteryDraw, Order, User
from ..models.base import utcnow
from ..schemas.fairseats import DrawIn, DrawOut, DrawResult, ReserveIn
from ..texts import msg
from . import audit, notices, reminders
from .order_flow import move, open_offer, record
from .order_placement import holding_a_live_order
from .priority import priority_of

SYSTEM = {Actor.system}
DRAWN = "drawn by lot"  # the timeline reason of a draw's moves (web/pages/reasons.py)
ALGORITHM = (
    "commitment = SHA-256(seed); entries_digest = SHA-256 of the entry ids in ascending order joined by "
    "newlines; draw order = entries sorted by HMAC-SHA256(key = seed, message = entry id as decimal text), "
    'lowercase hex ascending (a priority entry of weight w holds w tickets, for the messages "id", "id:2" … '
    '"id:w", and its lowest counts); seats: the reserve first to priority entries in draw order, then the remaining '
    "seats to everyone in draw order; withdrawn entries are passed over; the rest wait in draw order."
)


# The seed at rest -----------------------------------------------------------------------------


def _pad(db: AsyncSession, session_id: int) -> bytes:
    key = settings_of(db).key("draw-seed").encode()
    return hmac.new(key, f"draw:{session_id}".encode(), hashlib.sha256).digest()


def _seal(db: AsyncSession, session_id: int, seed: str) -> str:
    """The seed XOR a one-time pad derived from the instance secret and the session: unreadable without it."""
    return bytes(a ^ b for a, b in zip(bytes.fromhex(seed), _pad(db, session_id), strict=True)).hex()


_unseal = _seal  # XOR twice gives it back


# Setting a session up -------------------------------------------------------------------------


async def _session_for_staff(db: AsyncSession, user: User, session_id: int) -> tuple[ListingSession, Listing]:
    session = await db.get(ListingSession, session_id, with_for_update=True)
    if session is None or session.market_id != user.market_id:
        raise NotFound("No such session.")
    return session, await db.get(Listing, session.listing_id)


async def configure(db: AsyncSession, curator: User, session_id: int, data: DrawIn) -> LotteryDraw:
    session, _ = await _session_for_staff(db, curator, session_id)
    now = utcnow()
    if session.cancelled_at is not None:
        raise Conflict("This session was cancelled.", field="session_id")
    if data.draw_at >= session.starts_at:
        raise Conflict("The draw must be before the session starts.", field="draw_at")
    draw = await db.get(LotteryDraw, session_id, with_for_update=True)
    if draw is not None and (draw.opens_at <= now or draw.drawn_at is not None):
        raise Conflict("Registration for this draw has opened: its times can no longer change.", field="session_id")
    if draw is None:
        taken = await db.scalar(
            sa.select(sa.func.count()).where(Order.session_id == session_id, Order.state.not_in(_ENDED))
        )
        if taken:
            raise Conflict(
                "This session already has orders: a draw is set up before anyone orders.", field="session_id"
            )
        seed = rules.new_seed()
        draw = LotteryDraw(
            session_id=session_id,
            market_id=session.market_id,
            seed_sealed=_seal(db, session_id, seed),
            commitment=rules.commitment(seed),
            created_by=curator.id,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            draw_at=data.draw_at,
        )
        db.add(draw)
    draw.opens_at, draw.closes_at, draw.draw_at = data.opens_at, data.closes_at, data.draw_at
    draw.confirm_hours = data.confirm_hours
    await db.flush()
    await queue.enqueue_many(
        db,
        [
            (
                "draw_lottery",
                {"session_id": session_id},
                draw.closes_at,
                f"draw:{session_id}:close:{_stamp(draw.closes_at)}",
            ),
            (
                "draw_lottery",
                {"session_id": session_id},
                draw.draw_at,
                f"draw:{session_id}:draw:{_stamp(draw.draw_at)}",
            ),
        ],
    )
    await audit.record(db, curator, "set_draw", "session", session_id, draw_at=draw.draw_at.isoformat())
    return draw


_ENDED = sorted({OrderState.cancelled, OrderState.declined, OrderState.expired})


async def set_reserve(db: AsyncSession, curator: User, session_id: int, data: ReserveIn) -> ListingSession:
    session, _ = await _session_for_staff(db, curator, session_id)
    draw = await db.get(LotteryDraw, session_id)
    if draw is not None and draw.drawn_at is not None:
        raise Conflict("This session has been drawn: its reserve can no longer change.", field="session_id")
    session.reserve_percent = data.percent
    session.reserve_groups = [g.value for g in data.groups] if data.percent or data.weight > 1 else []
    session.reserve_release_at = data.release_at
    session.priority_weight = data.weight
    await audit.record(
        db,
        curator,
        "set_reserve",
        "session",
        session_id,
        percent=data.percent,
        groups=session.reserve_groups,
        weight=data.weight,
    )
    return session


def _stamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


# Registration ---------------------------------------------------------------------------------


async def register(db: AsyncSession, member: User, target, note: str = "") -> Order:
    """A `registered` order of a draw's session, while its window is open (checked under a share lock on the
    draw row, which closing takes exclusively)."""
    draw = (
        await db.execute(
            sa.select(LotteryDraw).where(LotteryDraw.session_id == target.session_id).with_for_update(read=True)
        )
    ).scalar_one()
    now = utcnow()
    zone = reminders.market_zone(db)
    if now < draw.opens_at:
        raise Conflict(
            "Registration for this draw opens at %(time)s.",
            field="session_id",
            params={"time": local_text(draw.opens_at, zone)},
        )
    if now >= draw.closes_at or draw.closed_at is not None:
        if draw.drawn_at is None:
            raise Conflict("Registration for this draw is closed; the result comes at the draw.", field="session_id")
        raise Conflict("This session has been drawn.", field="session_id")
    order = Order(
        market_id=target.market_id,
        kind=OrderKind.listing,
        member_id=member.id,
        listing_id=target.id,
        session_id=target.session_id,
        category_id=target.category_id,
        title=target.title,
        note=note,
        mode=target.mode,
        state=OrderState.placed,
    )
    try:
        async with db.begin_nested():
            db.add(order)
            await db.flush()
    except IntegrityError:
        raise holding_a_live_order() from None
    record(db, order, "place", member, Actor.member, None)
    move(db, order, "register", SYSTEM, None, when=service_time(target.starts_at, target.ends_at, {}, False))
    return order


async def withdraw(db: AsyncSession, user: User, order_id: int) -> Order:
    from .order_flow import for_action, service_time_of

    order, caps = await for_action(db, user, order_id)
    move(db, order, "withdraw", caps, user, when=await service_time_of(db, order))
    return order


# Closing and drawing --------------------------------------------------------------------------


async def close(db: AsyncSession, draw: LotteryDraw, now: datetime) -> bool:
    """Publish the entries and their digest (the draw row locked by the caller)."""
    if draw.closed_at is not None or now < draw.closes_at:
        return False
    entries = sorted(
        (
            await db.execute(
                sa.select(Order.id).where(Order.session_id == draw.session_id, Order.state == OrderState.registered)
            )
        ).scalars()
    )
    draw.entries = entries
    draw.entries_digest = rules.entries_digest(entries)
    draw.closed_at = now
    return True


async def run(db: AsyncSession, session_id: int, now: datetime | None = None) -> str:
    """The job: close when due, draw when due; what was done is not done again."""
    now = now or utcnow()
    draw = (
        await db.execute(sa.select(LotteryDraw).where(LotteryDraw.session_id == session_id).with_for_update())
    ).scalar_one_or_none()
    if draw is None:
        return "no draw"
    if draw.drawn_at is not None:
        return "already drawn"
    closed = await close(db, draw, now)
    if now < draw.draw_at:
        return "closed" if closed else "not due"
    await _draw(db, draw, now)
    return "drawn"


async def _draw(db: AsyncSession, draw: LotteryDraw, now: datetime) -> None:
    session = await db.get(ListingSession, draw.session_id, with_for_update=True)
    listing = await db.get(Listing, session.listing_id)
    seed = _unseal(db, draw.session_id, draw.seed_sealed)
    if rules.commitment(seed) != draw.commitment:  # another instance secret: never draw with a wrong seed
        raise RuntimeError(f"session {draw.session_id}: the sealed seed does not match its commitment")
    entries = list(draw.entries or [])
    rows = {
        o.id: o
        for o in (
            await db.execute(sa.select(Order).where(Order.id.in_(entries)).order_by(Order.id).with_for_update())
        ).scalars()
    }
    eligible = {i for i, o in rows.items() if o.state == OrderState.registered}
    members = {
        m.id: list(m.groups)
        for m in (await db.execute(sa.select(User).where(User.id.in_({o.member_id for o in rows.values()})))).scalars()
    }
    groups_of_member = await priority_of(db, members, session.reserve_groups)
    groups = {i: groups_of_member.get(rows[i].member_id, []) for i in entries}
    priority = {i: bool(groups[i]) for i in entries}
    weights = {i: rules.weight_of(priority[i], session.priority_weight) for i in entries}
    order = rules.draw_order(seed, entries, weights)
    cancelled = session.cancelled_at is not None or session.starts_at <= now
    seats = 0 if cancelled else max(0, session.capacity - session.seats_taken)
    reserve = min(rules.reserve_seats(session.capacity, session.reserve_percent), seats)
    allocation = rules.allocate(order, seats, reserve, priority, eligible)
    if allocation.winners:
        taken = await db.execute(
            sa.update(ListingSession)
            .where(
                ListingSession.id == session.id,
                ListingSession.seats_taken + len(allocation.winners) <= ListingSession.capacity,
            )
            .values(seats_taken=ListingSession.seats_taken + len(allocation.winners))
            .returning(ListingSession.id)
        )
        if taken.first() is None:  # cannot happen under the session's lock; never give more than there is
            raise RuntimeError(f"session {session.id}: fewer free seats than the draw counted")
    when = service_time(session.starts_at, session.ends_at, {}, False)
    winners, reserved = set(allocation.winners), set(allocation.reserve_winners)
    confirm_by = min(now + timedelta(hours=draw.confirm_hours), session.starts_at) if draw.confirm_hours else None
    told: list[dict] = []
    results = []
    waiting_place = 0
    for rank, entry in enumerate(order, start=1):
        row = rows.get(entry)
        outcome = "withdrawn"
        if row is not None and entry in eligible:
            row.draw_rank = rank
            if entry in winners:
                outcome = "won"
                row.holds_seat = True
                if listing.auto_accept:
                    move(db, row, "win", SYSTEM, None, DRAWN, {"rank": rank}, when=when, now=now)
                    row.provider_id = listing.provider_id
                    await reminders.plan_session(db, row)
                else:
                    move(db, row, "win_offer", SYSTEM, None, DRAWN, {"rank": rank}, when=when, now=now)
                    await open_offer(db, row, listing.provider_id, when=when)
                row.confirm_by = confirm_by
                body = (
                    msg(
                        "You won a place! Please confirm by %(at)s; after that it passes to the waiting list.",
                        at=confirm_by,
                    )
                    if confirm_by
                    else msg("You won a place! It is kept for you; you will be reminded before it starts.")
                )
                told.append(
                    notices.notice(
                        row.member_id,
                        row.market_id,
                        "draw_won",
                        msg("Draw result: %(title)s", title=listing.title),
                        body,
                        {"order_id": row.id, "session_id": session.id},
                        f"order:{row.id}:draw",
                    )
                )
            else:
                outcome = "waiting"
                waiting_place += 1
                move(db, row, "lose", SYSTEM, None, DRAWN, {"rank": rank}, when=when, now=now)
                told.append(
                    notices.notice(
                        row.member_id,
                        row.market_id,
                        "draw_waiting",
                        msg("Draw result: %(title)s", title=listing.title),
                        msg(
                            "Not drawn this time: you are number %(n)s on the waiting list; freed places go "
                            "in draw order.",
                            n=waiting_place,
                        ),
                        {"order_id": row.id, "session_id": session.id},
                        f"order:{row.id}:draw",
                    )
                )
        published = DrawResult(
            entry=entry,
            ticket=rules.ticket(seed, entry, weights[entry]),
            priority=priority[entry],
            weight=weights[entry],
            outcome=outcome,
            reserve=entry in reserved,
        )
        # which groups is kept for the figures only: the public result says "priority" and no more of a person
        results.append({**published.model_dump(), "groups": groups[entry]})
    await notices.notify_many(db, told)
    draw.seed = seed
    draw.drawn_at = now
    draw.seats = seats
    draw.reserve_seats = reserve
    draw.results = results
    draw.figures = figures(results, session.reserve_groups)


def figures(results: list[dict], reserve_groups: list[str]) -> dict:
    """Who got seats, by group: entries, winners (and of them on the reserve) per group, and in all."""
    out = {"all": {"entries": 0, "won": 0, "reserve": 0}}
    for group in reserve_groups:
        out[group] = {"entries": 0, "won": 0, "reserve": 0}
    for r in results:
        for key in ("all", *r["groups"]):
            if key not in out:
                continue
            out[key]["entries"] += 1
            out[key]["won"] += r["outcome"] == "won"
            out[key]["reserve"] += bool(r["reserve"])
    return out


async def due(db: AsyncSession, now: datetime) -> int:
    """The safety net of the deadline scan: a draw due to close or to draw whose job went missing is queued
    again (at most once an hour; the job is idempotent)."""
    rows = (
        (
            await db.execute(
                sa.select(LotteryDraw.session_id).where(
                    LotteryDraw.drawn_at.is_(None),
                    sa.or_(
                        LotteryDraw.draw_at <= now,
                        sa.and_(LotteryDraw.closed_at.is_(None), LotteryDraw.closes_at <= now),
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    hour = _stamp(now.replace(minute=0, second=0, microsecond=0))
    await queue.enqueue_many(
        db, [("draw_lottery", {"session_id": sid}, None, f"draw:{sid}:scan:{hour}") for sid in rows]
    )
    return len(rows)


# What everyone may see ------------------------------------------------------------------------


def state_of(draw: LotteryDraw, now: datetime) -> str:
    if draw.drawn_at is not None:
        return "drawn"
    if draw.closed_at is not None or now >= draw.closes_at:
        return "closed"
    return "open" if now >= draw.opens_at else "upcoming"


async def public(db: AsyncSession, session_id: int) -> DrawOut:
    draw = await db.get(LotteryDraw, session_id)
    session = await db.get(ListingSession, session_id)
    if draw is None or session is None:
        raise NotFound("No such draw.")
    listing = await db.get(Listing, session.listing_id)
    if listing is None or listing.state in ("draft", "submitted"):
        raise NotFound("No such draw.")
    drawn = draw.drawn_at is not None
    return DrawOut(
        session_id=session.id,
        listing_id=listing.id,
        title=listing.title,
        starts_at=session.starts_at,
        capacity=session.capacity,
        state=state_of(draw, utcnow()),
        opens_at=draw.opens_at,
        closes_at=draw.closes_at,
        draw_at=draw.draw_at,
        confirm_hours=draw.confirm_hours,
        reserve_percent=session.reserve_percent,
        reserve_groups=list(session.reserve_groups),
        priority_weight=session.priority_weight,
        commitment=draw.commitment,
        entries=draw.entries if draw.closed_at is not None else None,
        entries_digest=draw.entries_digest,
        seed=draw.seed if drawn else None,
        drawn_at=draw.drawn_at,
        seats=draw.seats,
        reserve_seats=draw.reserve_seats,
        results=[DrawResult(**r) for r in draw.results] if drawn and draw.results else None,
        figures=draw.figures if drawn else {},
        algorithm=ALGORITHM,
    )


async def draw_for_session(db: AsyncSession, session_id: int | None) -> LotteryDraw | None:
    if session_id is None:
        return None
    return await db.get(LotteryDraw, session_id)


async def entries_of(db: AsyncSession, member_id: int, session_id: int) -> set[int]:
    """The member's own entries in a session's draw (to find them in the published list)."""
    rows = await db.execute(sa.select(Order.id).where(Order.member_id == member_id, Order.session_id == session_id))
    return set(rows.scalars())


async def published_for(db: AsyncSession, session_ids: list[int]) -> dict[int, DrawOut]:
    """The published draws of these sessions (those that have one)."""
    if not session_ids:
        return {}
    found = (
        await db.execute(sa.select(LotteryDraw.session_id).where(LotteryDraw.session_id.in_(session_ids)))
    ).scalars()
    return {sid: await public(db, sid) for sid in found}


SEATED = sorted(
    {OrderState.offered, OrderState.accepted, OrderState.delivered, OrderState.received, OrderState.reviewed}
)


async def seat_figures(db: AsyncSession, staff: User, session_id: int) -> dict:
    """For the union's staff: who holds the session's seats now (after promotions and cancels), by the
    priority groups of its reserve, beside how many wait and how many entered its draw."""
    session = await db.get(ListingSession, session_id)
    if session is None or session.market_id != staff.market_id:
        raise NotFound("No such session.")
    listing = await db.get(Listing, session.listing_id)
    rows = (await db.execute(sa.select(Order.member_id, Order.state).where(Order.session_id == session_id))).all()
    members = {
        m.id: list(m.groups)
        for m in (await db.execute(sa.select(User).where(User.id.in_({r.member_id for r in rows})))).scalars()
    }
    groups = sorted(set(session.reserve_groups) | {g.value for g in PriorityGroup})
    of_member = await priority_of(db, members, groups)
    table = {key: {"seated": 0, "waiting": 0} for key in ("all", *groups)}
    for member_id, state in rows:
        column = "seated" if state in SEATED else "waiting" if state == OrderState.waitlisted else None
        if column is None:
            continue
        for key in ("all", *of_member.get(member_id, [])):
            table[key][column] += 1
    draw = await db.get(LotteryDraw, session_id)
    return {
        "session": session,
        "listing": listing,
        "rows": table,
        "reserve_seats": rules.reserve_seats(session.capacity, session.reserve_percent),
        "draw": draw,
    }
