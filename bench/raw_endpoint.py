"""The ceiling for order placement: a minimal Litestar endpoint doing the product's order transaction
with raw asyncpg — the same rows written (idempotency key, order, seat, events, outbox rows, a notice,
an offer when the listing does not accept at once), the same checks, one answer — and no ORM.

Serve: python -m uvicorn bench.raw_endpoint:app --port 8100   (DATABASE_URL, SECRET_KEY from the env)
"""

import json
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
import jwt
from litestar import Litestar, Request, Response, get, post

from marketplace.domain.reminders import session_reminders
from marketplace.keys import derive
from marketplace.models.orders import LIVE_SESSION_ORDER

DSN = os.environ.get("DATABASE_URL", "").replace("postgresql+asyncpg://", "postgresql://", 1)
# The product signs tokens with a key derived from SECRET_KEY (marketplace/keys.py).
SECRET = derive(os.environ.get("SECRET_KEY", ""), "tokens")
POOL = int(os.environ.get("DB_POOL_SIZE", "20"))  # the product's pool: up to this many, kept open
ZONE = ZoneInfo(os.environ.get("TIME_ZONE", "Asia/Shanghai"))

# The user behind a live login session, as the product's auth.user_for_token reads it.
AUTH = (
    "SELECT u.id, u.market_id, 'member' = ANY(u.roles) AS member, u.groups FROM users u "
    "JOIN login_sessions s ON s.user_id = u.id "
    "WHERE u.id = $1 AND u.is_active AND s.id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()"
)
CLAIM = (
    "INSERT INTO idempotency_keys (user_id, key, created_at) VALUES ($1, $2, now()) "
    "ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
)
STORED = "SELECT status_code, response FROM idempotency_keys WHERE user_id = $1 AND key = $2"
TARGET = (
    "SELECT l.market_id, l.state, l.provider_id, l.category_id, l.title, l.mode, l.auto_accept, l.target_groups, "
    "s.starts_at, s.cancelled_at, s.waitlist_open FROM listings l JOIN listing_sessions s ON s.listing_id = l.id "
    "WHERE l.id = $1 AND s.id = $2"
)
INSERT_ORDER = (
    "INSERT INTO orders (market_id, kind, member_id, listing_id, session_id, category_id, state, holds_seat, title, "
    "description, note, mode, preferred_times, arrangement, delivery_note, offer_attempts, created_at, updated_at) "
    "VALUES ($1, 'listing', $2, $3, $4, $5, 'placed', false, $6, '', $7, $8, '[]', '{}', '', 0, now(), now()) "
    f"ON CONFLICT (member_id, session_id) WHERE {LIVE_SESSION_ORDER} DO NOTHING RETURNING id, created_at"
)
TAKE_SEAT = (
    "UPDATE listing_sessions SET seats_taken = seats_taken + 1 "
    "WHERE id = $1 AND seats_taken < capacity AND cancelled_at IS NULL RETURNING id"
)
SET_STATE = "UPDATE orders SET state = $2, holds_seat = $3, provider_id = $4, offer_attempts = $5 WHERE id = $1"
EVENTS = (
    "INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, "
    "data) VALUES ($1, $2, now(), $3, 'member', 'place', NULL, 'placed', '', '{}'), "
    "($1, $2, now(), NULL, 'system', $4, 'placed', $5, $6, '{}')"
)
OUTBOX = (
    "INSERT INTO outbox_jobs (job, args, due_at, dedupe_key, state, attempts, sends, created_at) "
    "SELECT 'remind', a, d, k, 'pending', 0, 0, now() FROM unnest($1::jsonb[], $2::timestamptz[], $3::text[]) "
    "AS t(a, d, k) ON CONFLICT (dedupe_key) DO NOTHING"
)
OFFER = (
    "INSERT INTO offers (market_id, order_id, provider_id, state, score_parts, deadline_at, reason, created_at) "
    "VALUES ($1, $2, $3, 'pending', '{}', now() + interval '48 hours', '', now())"
)
NOTIFY = (
    "INSERT INTO notifications (market_id, user_id, kind, title, body, data, dedupe_key, created_at) "
    "VALUES ($1, $2, $3, $4, '', $5, $6, now()) ON CONFLICT (dedupe_key) DO NOTHING"
)
POSITION = (
    "SELECT count(*) + 1 FROM orders WHERE session_id = $1 AND state = 'waitlisted' AND (created_at, id) < ($2, $3)"
)
REMEMBER = "UPDATE idempotency_keys SET status_code = 201, response = $3 WHERE user_id = $1 AND key = $2"


def _refuse(status: int, detail: str) -> Response:
    return Response({"status_code": status, "detail": detail}, status_code=status)


def _reminder_rows(order_id: int, provider_id: int, session_id: int, starts_at: datetime) -> tuple[list, list, list]:
    """The same reminder rows services/reminders.plan_session writes for an accepted group order."""
    args, dues, keys = [], [], []
    stamp = str(int(starts_at.timestamp()))
    for kind, due in session_reminders(starts_at, datetime.now(UTC), ZONE).items():
        member = {"kind": kind, "to": "member", "order_id": order_id, "starts_at": starts_at.isoformat()}
        provider = {"kind": kind, "to": "provider", "session_id": session_id, "starts_at": starts_at.isoformat()}
        for key, row in (
            (f"order:{order_id}:remind:session:{kind}:member:{stamp}", member),
            (f"session:{session_id}:remind:{kind}:{stamp}", provider),
        ):
            args.append(json.dumps({"key": key, **row}))
            dues.append(due)
            keys.append(key)
    return args, dues, keys


async def _place(conn: asyncpg.Connection, user, key: str | None, listing_id: int, session_id: int) -> Response:
    if key is not None and await conn.fetchval(CLAIM, user["id"], key) is None:
        status, body = await conn.fetchrow(STORED, user["id"], key)
        return Response(json.loads(body), status_code=status)
    target = await conn.fetchrow(TARGET, listing_id, session_id)
    if target is None or target["state"] != "published":
        return _refuse(409, "This listing takes no orders.")
    if target["cancelled_at"] is not None or target["starts_at"] <= datetime.now(UTC):
        return _refuse(409, "This session is not open.")
    if target["target_groups"] and not set(target["target_groups"]) & set(user["groups"]):
        return _refuse(403, "This service is for a group only.")
    m = target["market_id"]
    row = await conn.fetchrow(
        INSERT_ORDER, m, user["id"], listing_id, session_id, target["category_id"], target["title"], "", target["mode"]
    )
    if row is None:
        return _refuse(409, "You already hold a live order for this session.")
    order_id, provider_id = row["id"], target["provider_id"]
    if await conn.fetchval(TAKE_SEAT, session_id) is None:
        if not target["waitlist_open"]:
            raise _Full
        state, holds, provider, attempts = "waitlisted", False, None, 0
    elif target["auto_accept"]:
        state, holds, provider, attempts = "accepted", True, provider_id, 0
    else:
        state, holds, provider, attempts = "offered", True, provider_id, 1
    await conn.execute(SET_STATE, order_id, state, holds, provider, attempts)
    action = {"waitlisted": "waitlist", "accepted": "auto_accept", "offered": "offer"}[state]
    await conn.execute(EVENTS, order_id, m, user["id"], action, state, "the session is full" if not holds else "")
    position = None
    if state == "accepted":
        await conn.execute(OUTBOX, *_reminder_rows(order_id, provider_id, session_id, target["starts_at"]))
        await conn.execute(NOTIFY, m, provider_id, "order_accepted", target["title"], "{}", f"order:{order_id}:acc")
    elif state == "offered":
        await conn.execute(OFFER, m, order_id, provider_id)
        await conn.execute(NOTIFY, m, provider_id, "offer", target["title"], "{}", f"order:{order_id}:offer:1")
    else:
        position = await conn.fetchval(POSITION, session_id, row["created_at"], order_id)
    body = {"id": order_id, "state": state, "session_id": session_id, "waitlist_position": position}
    if key is not None:
        await conn.execute(REMEMBER, user["id"], key, json.dumps(body))
    return Response(body, status_code=201)


class _Full(Exception):
    pass


@post("/raw/orders")
async def place(request: Request, data: dict) -> Response:
    header = request.headers.get("authorization", "")
    try:
        claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"])
        user_id, session_id = int(claims["sub"]), int(claims["sid"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return _refuse(401, "Please log in first.")
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                user = await conn.fetchrow(AUTH, user_id, session_id)
                if user is None or not user["member"]:
                    return _refuse(401, "Please log in first.")
                key = request.headers.get("idempotency-key")
                return await _place(conn, user, key, int(data["listing_id"]), int(data["session_id"]))
        except _Full:
            return _refuse(409, "This session is full.")


@get("/raw/hello")
async def hello() -> dict:
    return {"hello": "world"}


@asynccontextmanager
async def pool_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    # Like the product's pool: connections opened on demand, up to POOL, and kept.
    app.state.pool = await asyncpg.create_pool(
        DSN, min_size=0, max_size=POOL, max_inactive_connection_lifetime=0, server_settings={"timezone": "UTC"}
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = Litestar([place, hello], lifespan=[pool_lifespan])
