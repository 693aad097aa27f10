"""下单: placing an order of a listed service — the path two thousand members take in the same minute.

One read (listing, session, category, provider, and the new order's id) and one statement: it takes
the seat, writes the order in the state the transition table gives it and both of its events (place,
then auto_accept / offer / waitlist), the follow-ups of an order that got its seat (reminders or the
offer, the provider's notice); one that did not takes its place in line after the commit
(services/waitlist_lines.py). Both statements are
built once, at import, so a request only binds values (issue #6: building and compiling ~28 ORM
statements per order cost ten times the database work). The answer is made from what they returned.
"""

from collections.abc import Collection
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain.listings import ListingShape, ListingState
from ..domain.orders import Actor, OrderKind, OrderState, Transition, acting_role, transition
from ..domain.service_time import ServiceTime, Window, offer_deadline, window_refusal
from ..errors import Conflict, Forbidden, InvalidInput
from ..models import Category, IdempotencyKey, Listing, ListingSession, LotteryDraw, Market, Order, Quota, User
from ..models.base import utcnow
from ..prepared import Prepared
from ..schemas.orders import ListingRef, SessionRef
from ..texts import msg
from . import notices, outbound, reminders, waitlist_lines
from .order_flow import answer_window, offer_notice
from .order_views import Known, NewOffer, Party

# The listing, its category's answer window, its provider and the wanted session, in one read. Table
# columns, not ORM attributes: the rows are read as plain rows, with no ORM loading.
_LISTINGS, _SESSIONS = Listing.__table__.c, ListingSession.__table__.c
_CATEGORIES, _USERS = Category.__table__.c, User.__table__.c
_DRAWS, _MARKETS, _QUOTAS = LotteryDraw.__table__.c, Market.__table__.c, Quota.__table__.c
_KEYS = IdempotencyKey.__table__.c
_TARGET = (
    sa.select(
        _LISTINGS.id,
        _LISTINGS.market_id,
        _LISTINGS.state,
        _LISTINGS.shape,
        _LISTINGS.mode,
        _LISTINGS.location,
        _LISTINGS.title,
        _LISTINGS.provider_id,
        _LISTINGS.category_id,
        _LISTINGS.auto_accept,
        _LISTINGS.target_groups,
        _LISTINGS.verified_only,
        _LISTINGS.shared_below,
        _MARKETS.verified_only.label("market_verified_only"),
        _CATEGORIES.offer_deadline_hours,
        _USERS.name.label("provider_name"),
        _USERS.phone.label("provider_phone"),
        _SESSIONS.id.label("session_id"),
        _SESSIONS.starts_at,
        _SESSIONS.ends_at,
        _SESSIONS.cancelled_at,
        _SESSIONS.waitlist_open,
        _SESSIONS.capacity,
        _SESSIONS.seats_taken,
        _SESSIONS.reserve_percent,
        _SESSIONS.reserve_groups,
        _SESSIONS.reserve_release_at,
        _DRAWS.session_id.label("draw_session_id"),
        # Whether the member's market has any quota: most have none, and then no order reads the rules.
        sa.exists().where(_QUOTAS.market_id == sa.bindparam("member_market_id")).label("quotas_apply"),
        # Whether the member's Idempotency-Key has been used already (a retry: its first answer is replayed).
        sa.exists()
        .where(_KEYS.user_id == sa.bindparam("member_id"), _KEYS.key == sa.bindparam("idempotency_key"))
        .label("key_used"),
        # The new order's id, drawn now, so its follow-ups (reminder keys, the notice) can name it.
        sa.func.nextval(sa.func.pg_get_serial_sequence("orders", "id")).label("order_id"),
    )
    .select_from(Listing.__table__)
    .join(Category.__table__, _CATEGORIES.id == _LISTINGS.category_id)
    .join(User.__table__, _USERS.id == _LISTINGS.provider_id)
    .join(Market.__table__, _MARKETS.id == _LISTINGS.market_id)
    .outerjoin(
        ListingSession.__table__,
        sa.and_(_SESSIONS.id == sa.bindparam("session_id"), _SESSIONS.listing_id == _LISTINGS.id),
    )
    .outerjoin(LotteryDraw.__table__, _DRAWS.session_id == _SESSIONS.id)
    .where(_LISTINGS.id == sa.bindparam("listing_id"))
)

_READ_TARGET = Prepared(_TARGET)
Target = SimpleNamespace  # one row of _TARGET, its columns as attributes

_ORDER_COLUMNS = [c.name for c in Order.__table__.c]
# The seat is taken only while one is free (PostgreSQL's row lock on the session serialises takers, so
# exactly `capacity` succeed); the order is written only if the member holds no live order for the
# session, or for the on-request listing (the two partial unique indexes decide: ON CONFLICT without a
# target covers both, and the order's id is new): a caller that gets no row back raises, and the rollback
# gives the seat back. Everything else reads what this statement wrote, through RETURNING: the events,
# and — only for an order that got its seat (or needs none) — its outbox jobs, its offer and the
# provider's notice. One that did not is numbered in its session's waiting line after the commit
# (services/waitlist_lines.py): a count here could not see concurrent orders not committed yet.
_PLACE = (
    sa.text(
        f"""
WITH seat AS (
    UPDATE listing_sessions SET seats_taken = seats_taken + 1
    WHERE id = CAST(:session_id AS integer) AND CAST(:needs_seat AS boolean)
      AND seats_taken < capacity - CAST(:held_back AS integer) AND cancelled_at IS NULL
    RETURNING id
), outcome AS (
    SELECT NOT CAST(:needs_seat AS boolean) OR EXISTS (SELECT FROM seat) AS seated
), placed AS (
    INSERT INTO orders (id, market_id, kind, member_id, listing_id, session_id, category_id, provider_id, state,
        holds_seat, title, description, note, mode, preferred_times, arrangement, delivery_note,
        offer_attempts, reorder_of_id, created_at, updated_at)
    SELECT CAST(:order_id AS integer), CAST(:market_id AS integer), 'listing', CAST(:member_id AS integer),
        CAST(:listing_id AS integer), CAST(:session_id AS integer), CAST(:category_id AS integer),
        CASE WHEN seated THEN CAST(:provider_id AS integer) END,
        CASE WHEN seated THEN CAST(:seated_state AS varchar) ELSE CAST(:full_state AS varchar) END,
        seated AND CAST(:needs_seat AS boolean), CAST(:title AS varchar), '', CAST(:note AS text),
        CAST(:mode AS varchar), '[]', '{{}}', '', CASE WHEN seated THEN CAST(:offer_attempts AS integer) ELSE 0 END,
        CAST(:reorder_of AS integer), CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM outcome
    ON CONFLICT DO NOTHING
    RETURNING *
), seated AS (
    SELECT id, market_id FROM placed WHERE state = CAST(:seated_state AS varchar)
), events AS (
    INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state,
        reason, data)
    SELECT id, market_id, CAST(:now AS timestamptz), CAST(:member_id AS integer), CAST(:member_role AS varchar),
        'place', NULL, CAST(:placed_state AS varchar), '', CAST(:place_data AS jsonb)
    FROM placed
    UNION ALL
    SELECT id, market_id, CAST(:now AS timestamptz), NULL, CAST(:system_role AS varchar),
        CASE WHEN state = CAST(:seated_state AS varchar)
            THEN CAST(:seated_action AS varchar) ELSE CAST(:full_action AS varchar) END,
        CAST(:placed_state AS varchar), state,
        CASE WHEN state = CAST(:seated_state AS varchar) THEN '' ELSE CAST(:full_reason AS text) END,
        '{{}}'
    FROM placed
), jobs AS (
    {queue.enqueue_sql("jobs", "EXISTS (SELECT FROM seated)")}
), offer AS (
    INSERT INTO offers (market_id, order_id, provider_id, state, score, score_parts, deadline_at, reason,
        created_at)
    SELECT market_id, id, CAST(:provider_id AS integer), 'pending', NULL, '{{}}',
        CAST(:offer_deadline AS timestamptz), '', CAST(:now AS timestamptz)
    FROM seated WHERE CAST(:offer_deadline AS timestamptz) IS NOT NULL
    RETURNING id
), notice AS (
    INSERT INTO notifications (user_id, market_id, kind, title, body, data, dedupe_key, created_at)
    SELECT CAST(:provider_id AS integer), market_id, CAST(:notice_kind AS varchar), CAST(:notice_title AS varchar),
        CAST(:notice_body AS text), CAST(:notice_data AS jsonb), CAST(:notice_key AS varchar),
        CAST(:now AS timestamptz)
    FROM seated
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
)
SELECT {", ".join(f"placed.{name}" for name in _ORDER_COLUMNS)},
    ARRAY(SELECT id FROM jobs WHERE due_at <= CAST(:send_soon_before AS timestamptz)) AS jobs_due_soon,
    (SELECT id FROM offer) AS offer_id,
    (SELECT id FROM notice) AS notice_id
FROM placed
"""
    )
    .bindparams(
        sa.bindparam("place_data", type_=JSONB),
        sa.bindparam("jobs", type_=JSONB),
        sa.bindparam("notice_data", type_=JSONB),
    )
    .columns(
        *Order.__table__.c,
        sa.column("jobs_due_soon", ARRAY(sa.Integer)),
        sa.column("offer_id", sa.Integer),
        sa.column("notice_id", sa.Integer),
    )
)
_PLACE_ORDER = Prepared(_PLACE)
FULL_REASON = "the session is full"


def holding_a_live_order() -> Conflict:
    """The refusal of a member's second live order for a session (placed, grouped or drawn)."""
    return Conflict("You already hold a live order for this session.", field="session_id")


def moves(auto_accept: bool) -> tuple[Transition, Transition]:
    """The transition table's moves for a new listing order: with a seat (or none needed), and without one."""
    system = {Actor.system}
    seated = transition(OrderState.placed, "auto_accept" if auto_accept else "offer", OrderKind.listing, system)
    full = transition(OrderState.placed, "waitlist", OrderKind.listing, system)
    return seated, full


async def read_target(
    db: AsyncSession, member: User, listing_id: int, session_id: int | None, idempotency_key: str | None = None
):
    """The target's row (its columns as attributes), or None for an unknown listing. Read before the request's
    transaction when nothing has begun it yet (a read: its place in line is taken by the statements after it,
    each with a snapshot of its own in READ COMMITTED, as before)."""
    params = {
        "listing_id": listing_id,
        "session_id": session_id,
        "member_market_id": member.market_id,
        "member_id": member.id,
        "idempotency_key": idempotency_key,
    }
    return await _READ_TARGET.first(db, params, begin=False)


def check_orderable(member: User, target: Target | None, listing_id: int, above: Collection[int] = ()) -> Target:
    """Refuse what the member may not order: an unknown or closed listing, one's own, another group's, another
    market's (but for the listings the markets `above` the member's share below)."""
    if target is None or target.state in (ListingState.draft, ListingState.submitted):
        raise InvalidInput("Unknown listing: %(id)s.", field="listing_id", params={"id": listing_id})
    if target.state != ListingState.published:
        raise Conflict(
            "This listing takes no orders (it is %(listing_state)s).",
            field="listing_id",
            params={"listing_state": target.state},
        )
    if target.provider_id == member.id:
        raise Conflict("You cannot order your own listing.", field="listing_id")
    # Members order in their own union's market, what the markets above it share, or where a curator allowed.
    shared = target.shared_below and target.market_id in above
    if target.market_id != member.market_id and target.market_id not in (member.order_markets or []) and not shared:
        raise Forbidden("This service is in another union's market; members order in their own union's market.")
    unverified = member.verified_at is None
    if (target.verified_only or target.market_verified_only) and unverified:
        raise Forbidden(
            "Only members verified by the union (real name) may order this service: ask for verification on "
            "your Me page.",
            field="verified",
        )
    if target.target_groups and not set(target.target_groups) & set(member.groups):
        if set(target.target_groups) & set(member.claimed_groups):
            # said, not yet verified: a self-declared group opens nothing
            raise Forbidden(
                "This service is for %(groups)s only, and the union has not verified your group yet.",
                field="groups",
                params={"groups": list(target.target_groups)},
            )
        raise Forbidden("This service is for %(groups)s only.", params={"groups": list(target.target_groups)})
    return target


def check_session(target: Target, session_id: int) -> None:
    if target.session_id is None:
        raise InvalidInput(
            "Listing %(listing)s has no session %(session)s.",
            field="session_id",
            params={"listing": target.id, "session": session_id},
        )
    if target.cancelled_at is not None:
        raise Conflict("This session was cancelled.", field="session_id")
    # The same time guard as the transition table's: a seat is given only before the session starts.
    refusal = window_refusal(Window.before_start, utcnow(), ServiceTime(target.starts_at, target.ends_at))
    if refusal:
        raise Conflict(refusal, field="session_id")


async def place(
    db: AsyncSession,
    member: User,
    target: Target,
    note: str = "",
    reorder_of: int | None = None,
    held_back: int = 0,
) -> Order:
    """Write the order of a checked target (a session's seat, or an on-request listing) and its follow-ups.
    `held_back`: seats of a priority reserve this member may not take (services/priority.reserve_held_back)."""
    seated, full = moves(target.auto_accept)
    needs_seat = target.shape != ListingShape.on_request
    now = utcnow()
    follow_ups = _follow_ups(db, member, target, needs_seat, now)
    row = await _PLACE_ORDER.first(
        db,
        {
            "order_id": target.order_id,
            "session_id": target.session_id if needs_seat else None,
            "needs_seat": needs_seat,
            "held_back": held_back,
            "market_id": target.market_id,
            "member_id": member.id,
            "listing_id": target.id,
            "category_id": target.category_id,
            "provider_id": target.provider_id,
            "seated_state": seated.target.value,
            "full_state": full.target.value,
            "seated_action": seated.action,
            "full_action": full.action,
            "placed_state": OrderState.placed.value,
            "member_role": Actor.member.value,
            "system_role": acting_role(seated, {Actor.system}).value,
            "full_reason": FULL_REASON,
            "offer_attempts": 0 if target.auto_accept else 1,
            "title": target.title,
            "note": note,
            "mode": target.mode,
            "reorder_of": reorder_of,
            "place_data": {"reorder_of": reorder_of} if reorder_of else {},
            "now": now,
            "send_soon_before": now + queue.SEND_HORIZON,
            **follow_ups,
        },
    )
    if row is None:
        if needs_seat:
            raise holding_a_live_order()
        raise Conflict("You already hold a live order for this service.", field="listing_id")
    values = vars(row)
    due_soon, offer_id, notice_id = values.pop("jobs_due_soon"), values.pop("offer_id"), values.pop("notice_id")
    order = Order(**values)
    if order.state == full.target:
        if not target.waitlist_open:
            raise Conflict("This session is full.", field="session_id")
        waitlist_lines.number_after_commit(db, order)
    queue.send_after_commit_too(db, due_soon)
    if notice_id is not None:
        await outbound.queue_deliveries(db, [notice_id])
    offer = NewOffer(target.provider_id, follow_ups["offer_deadline"]) if offer_id is not None else None
    known_of_placement(member, target, order, (seated, full), now, offer).attach(order)
    return order


def _follow_ups(db: AsyncSession, member: User, target: Target, needs_seat: bool, now: datetime) -> dict:
    """What an order that gets its seat brings with it. Accepted at once: its reminders and the provider's
    notice (新报名). Offered to the provider: the offer with the category's answer window, a reminder before
    its deadline and the provider's notice. The statement writes them only if the seat was taken."""
    order_id = target.order_id
    if target.auto_accept:
        starts_at = target.starts_at if needs_seat else None
        zone = reminders.market_zone(db)
        jobs = reminders.session_jobs(order_id, target.session_id, True, starts_at, now, zone) if starts_at else []
        deadline = None
        title = msg("New booking: %(title)s", title=target.title)
        body = msg("Booked by %(name)s.", name=member.name)
        notice = ("order_accepted", title, body, f"order:{order_id}:auto_accepted")
    else:
        hours = answer_window(target.offer_deadline_hours)
        when = ServiceTime(target.starts_at, target.ends_at) if needs_seat else ServiceTime()
        deadline = offer_deadline(now, hours, when)
        job = reminders.offer_job(order_id, 1, now, deadline)
        jobs = [job] if job is not None else []
        notice = offer_notice(order_id, target.title, deadline, 1)
    kind, title, body, key = notice
    title, body, data = notices.stored(settings_of(db), title, body, {"order_id": order_id})
    return {
        "jobs": queue.job_rows(jobs, now),
        "offer_deadline": deadline,
        "notice_kind": kind,
        "notice_title": title,
        "notice_body": body,
        "notice_data": data,
        "notice_key": key,
    }


def known_of_placement(
    member: User,
    target: Target,
    order: Order,
    moves: tuple[Transition, Transition],
    now: datetime,
    offer: NewOffer | None,
) -> Known:
    """What the answer shows, from what was just written: order_views.build asks the database for none of it
    (`order` is the row written, as an Order or with its columns as attributes)."""
    provider = Party(id=target.provider_id, name=target.provider_name, phone=target.provider_phone)
    seated = order.state == moves[0].target
    second = moves[0] if seated else moves[1]
    events = [
        _event(now, Actor.member, member.id, "place", None, OrderState.placed, ""),
        _event(now, Actor.system, None, second.action, OrderState.placed, order.state, "" if seated else FULL_REASON),
    ]
    return Known(
        users={member.id: member, provider.id: provider},
        listings={
            target.id: ListingRef(
                id=target.id, title=target.title, shape=target.shape, mode=target.mode, location=target.location
            )
        },
        sessions={
            target.session_id: SessionRef(id=target.session_id, starts_at=target.starts_at, ends_at=target.ends_at)
        }
        if order.session_id is not None
        else {},
        events=events,
        offer=offer,  # a waitlisted order's place is taken after the commit (web/orders.py)
    )


def _event(at, role: Actor, actor_id, action: str, from_state, to_state, reason: str) -> dict:
    return {
        "at": at,
        "actor": role.value,
        "actor_id": actor_id,
        "action": action,
        "from": from_state.value if from_state else None,
        "to": str(to_state),
        "reason": reason,
    }
