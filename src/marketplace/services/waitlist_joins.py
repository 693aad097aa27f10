"""A full session's orders, written together: the waitlisted orders of the same few milliseconds share a commit.

In a burst (抢座) all but a session's few seats are waitlisted: 1,970 of 2,000 members pressing 报名 at once.
Alone, each cost the web process a transaction of its own (the Idempotency-Key's claim, the placement, the
key's answer, the commit, the line's number) and PostgreSQL a commit: 3.3 s of one core for the last member's
answer (docs/scaling.md). Here a web process writes the orders handed in while its previous group was being
written all in its next one, on its own connection (group commit): one transaction of three statements for a
group of hundreds, whatever its size.

Who joins: a member (not staff: a member's answer reads nothing, order_views.known_answer) ordering a session
of a listing in their own market that their one read of the target (order_placement.read_target) found with
every seat taken, its waiting list open, no priority reserve, no draw, no quota in the market and their
Idempotency-Key unused. The request makes every check the usual path makes, counts the order against the
member's rate limit, gives its pooled connection back (its two reads, the login session and the target, ran
before any transaction: it sends no BEGIN or COMMIT) and waits for its group.
Everything else, and any order its group could not write, is placed alone (services/orders.place) as before.

A group's transaction claims the Idempotency-Keys (in key order: no deadlock between two processes' groups),
writes each order whose key it claimed, and both its events (place, then waitlist), refusing as the usual path
does a member's second live order for the session (the partial unique index); it numbers the orders in their
lines (waitlist_lines.number_written: the line's row stays locked until the commit, so a lower number is still
committed first), stores each answer with its key and drops the keys of the refused, and commits. An order
whose key another request holds goes alone, where the claim waits for that request and replays its answer.
The seat row is neither locked nor read again: a seat freed meanwhile is given to the line by the worker's
minute scan (services/free_seats.py), as after any such race alone.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..auth import has_role
from ..domain.listings import ListingShape
from ..domain.orders import Actor, OrderState, acting_role
from ..domain.roles import Role
from ..models import User
from ..models.base import utcnow
from ..outage import DATABASE_ERRORS
from ..per_loop import PerLoop
from ..schemas.orders import OrderIn, OrderOut
from . import order_placement as placement
from . import order_views, waitlist_lines

log = logging.getLogger(__name__)

# Every order of the group and its two events, as placement._PLACE writes a waitlisted order. An order is
# written only while its session is not cancelled and only if its key (when it has one) was claimed here;
# each input row comes back with what became of it.
_WRITE = """
WITH input AS (
    SELECT * FROM unnest($1::integer[], $2::integer[], $3::integer[], $4::integer[], $5::integer[],
        $6::integer[], $7::varchar[], $8::text[], $9::varchar[], $10::varchar[])
        AS i(order_id, market_id, member_id, listing_id, session_id, category_id, title, note, mode, key)
), open AS (
    SELECT input.* FROM input JOIN listing_sessions s ON s.id = input.session_id AND s.cancelled_at IS NULL
), claimed AS (
    INSERT INTO idempotency_keys (user_id, key, response, created_at)
    SELECT member_id, key, NULL, $11::timestamptz FROM open WHERE key IS NOT NULL ORDER BY member_id, key
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING user_id, key
), placed AS (
    INSERT INTO orders (id, market_id, kind, member_id, listing_id, session_id, category_id, provider_id, state,
        holds_seat, title, description, note, mode, preferred_times, arrangement, delivery_note,
        offer_attempts, reorder_of_id, created_at, updated_at)
    SELECT order_id, market_id, 'listing', member_id, listing_id, session_id, category_id, NULL, $12::varchar,
        false, title, '', note, mode, '[]', '{}', '', 0, NULL, $11, $11
    FROM open
    WHERE key IS NULL OR (member_id, key) IN (SELECT user_id, key FROM claimed)
    ORDER BY member_id, order_id
    ON CONFLICT DO NOTHING
    RETURNING *
), events AS (
    INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state,
        reason, data)
    SELECT id, market_id, $11, member_id, $13::varchar, 'place', NULL, $14::varchar, '', '{}'::jsonb FROM placed
    UNION ALL
    SELECT id, market_id, $11, NULL, $15::varchar, $16::varchar, $14::varchar, state, $17::text, '{}'::jsonb FROM placed
)
SELECT input.order_id AS joined_as,
    CASE WHEN placed.id IS NOT NULL THEN 'placed'
        WHEN open.order_id IS NULL THEN 'alone'  -- its session was cancelled meanwhile: the usual path says so
        WHEN input.key IS NOT NULL AND claimed.key IS NULL THEN 'alone'  -- its key was claimed meanwhile
        ELSE 'refused' END AS outcome,
    placed.*
FROM input
LEFT JOIN open ON open.order_id = input.order_id
LEFT JOIN claimed ON claimed.user_id = input.member_id AND claimed.key = input.key
LEFT JOIN placed ON placed.id = input.order_id
"""
# The answers of the placed, stored with their keys (replayed to a retry); the keys of the refused, dropped
# (their orders were not written, as a refusal alone rolls its claim back).
_ANSWER = """
WITH answers AS (
    SELECT * FROM unnest($1::integer[], $2::varchar[], $3::text[]) AS a(user_id, key, body)
), stored AS (
    UPDATE idempotency_keys k SET status_code = 201, response = CAST(a.body AS jsonb)
    FROM answers a WHERE k.user_id = a.user_id AND k.key = a.key AND a.body IS NOT NULL
)
DELETE FROM idempotency_keys k USING answers a WHERE k.user_id = a.user_id AND k.key = a.key AND a.body IS NULL
"""


@dataclass(eq=False)
class _Join:
    """One member's order waiting for its group; its outcome: the answer, a refusal, or None (go alone)."""

    member: User
    target: placement.Target
    note: str
    key: str | None
    taken: bool = False  # into a group
    outcome: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def joins_the_line(member: User, target: placement.Target | None) -> bool:
    """Whether this order, as its target was read, would be waitlisted by the usual path with nothing more to
    read (see the module's docstring); its checks are still to be made."""
    return (
        target is not None
        and not target.key_used
        and not has_role(member, Role.operator, Role.curator)
        and target.market_id == member.market_id
        and target.shape != ListingShape.on_request
        and target.session_id is not None
        and target.cancelled_at is None
        and target.draw_session_id is None
        and not target.quotas_apply
        and not target.reserve_percent
        and target.waitlist_open
        and target.seats_taken >= target.capacity
    )


class Joined(NamedTuple):
    """What became of an order offered to a group: its answer (JSON, as sent; its place in line included),
    or none, and then the caller places it alone, with the target read for it if it was read and still holds."""

    answer: bytes | None = None
    target: placement.Target | None = None


async def join_if_full(
    db: AsyncSession, member: User, data: OrderIn, key: str | None, count_order: Callable[[], Awaitable[None]]
) -> Joined:
    """An order of a full session, written with the others of its moment; any other is left to the caller."""
    if data.listing_id is None or data.session_id is None:
        return Joined()
    target = await placement.read_target(db, member, data.listing_id, data.session_id, key)
    if not joins_the_line(member, target):
        return Joined(target=target)  # placed alone: not read again
    await count_order()  # where the usual path counts it: before its checks
    placement.check_orderable(member, target, data.listing_id)
    placement.check_session(target, data.session_id)
    await db.commit()  # its reads are done: the pooled connection goes back while the group writes
    return Joined(answer=await _groups.get().join(db, _Join(member, target, data.note, key)))  # none: read again


class _Groups:
    """A process's groups: the orders handed in while a group is written go together in the next (asyncio's
    lock is first come, first served; its holder writes everyone waiting, itself included)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting: list[_Join] = []
        self.engine: AsyncEngine | None = None  # its own connection (db.side_engine)

    async def join(self, db: AsyncSession, join: _Join) -> bytes | None:
        self.waiting.append(join)
        async with self.lock:
            if not join.taken:
                group, self.waiting = self.waiting, []
                for each in group:
                    each.taken = True
                if self.engine is None:
                    from ..db import side_engine

                    self.engine = side_engine(db, "waitlist-joins")
                # shielded: a request given up on (its client gone) does not cut its group's transaction short
                await asyncio.shield(_write_group(self.engine, group))
        outcome = await join.outcome
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


_groups = PerLoop(_Groups)
close = _groups.close  # this process's connection for the groups, at the app's shutdown


async def _write_group(engine: AsyncEngine, group: list[_Join]) -> None:
    outcomes: dict[_Join, bytes | Exception] = {}
    try:
        outcomes = await _write(engine, _one_per_key(group))
    except DATABASE_ERRORS as exc:
        # nothing was written (or, if the commit's answer was lost, the keys and the live-order index make each
        # retry alone replay or refuse): each goes alone, where a lasting outage is answered as usual (503)
        log.warning("a full session's group of %d goes alone: %s: %s", len(group), type(exc).__name__, exc)
    finally:
        for join in group:
            join.outcome.set_result(outcomes.get(join))


def _one_per_key(group: list[_Join]) -> list[_Join]:
    """A key sent twice at once (a double tap) is claimed by its first order; the other goes alone and
    replays the first's answer once it is committed."""
    seen: set[tuple[int, str]] = set()
    firsts = []
    for join in group:
        if join.key is None or (join.member.id, join.key) not in seen:
            seen.add((join.member.id, join.key))
            firsts.append(join)
    return firsts


async def _write(engine: AsyncEngine, group: list[_Join]) -> dict[_Join, bytes | Exception]:
    """Write the group in one transaction; each order's answer as sent (its place in line included) or
    refusal. A join left out goes alone."""
    now = utcnow()
    _, full = placement.moves(False)  # a full session's move is the same for either kind of listing
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        try:
            async with driver.transaction():
                rows = await driver.fetch(_WRITE, *_columns(group), now, *_constants(full))
                outcomes = _outcomes(group, rows, now)
                placed = {out.id: out for out in outcomes.values() if isinstance(out, OrderOut)}
                if placed:
                    for order_id, place in (await waitlist_lines.number_written(driver, list(placed))).items():
                        placed[order_id].waitlist_position = place
                answers = {
                    join: out.model_dump_json().encode() if isinstance(out, OrderOut) else out
                    for join, out in outcomes.items()
                }
                await driver.execute(_ANSWER, *_keys(answers))
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
            # lost (or its protocol left mid-operation by a cut): not pooled again
            if driver.is_closed() or isinstance(exc, asyncpg.InternalClientError):
                await connection.invalidate()
            raise
    return answers


def _columns(group: list[_Join]) -> list[list]:
    """The group as the arrays `_WRITE` unnests, one element a join."""
    return [
        [j.target.order_id for j in group],
        [j.target.market_id for j in group],
        [j.member.id for j in group],
        [j.target.id for j in group],
        [j.target.session_id for j in group],
        [j.target.category_id for j in group],
        [j.target.title for j in group],
        [j.note for j in group],
        [j.target.mode for j in group],
        [j.key for j in group],
    ]


def _constants(full) -> list:
    """The waitlist move of the transition table, as `_WRITE` writes it ($12 to $17)."""
    return [
        full.target.value,
        Actor.member.value,
        OrderState.placed.value,
        acting_role(full, {Actor.system}).value,
        full.action,
        placement.FULL_REASON,
    ]


def _outcomes(group: list[_Join], rows: list, now) -> dict[_Join, OrderOut | Exception]:
    by_order = {j.target.order_id: j for j in group}
    outcomes: dict[_Join, OrderOut | Exception] = {}
    for row in rows:
        values = dict(row)
        join, outcome = by_order[values.pop("joined_as")], values.pop("outcome")
        if outcome == "placed":
            order = SimpleNamespace(**values)  # the row as written: an ORM object would cost more than the answer
            moves = placement.moves(join.target.auto_accept)
            known = placement.known_of_placement(join.member, join.target, order, moves, now, None)
            outcomes[join] = order_views.known_answer(join.member, order, known)
        elif outcome == "refused":
            outcomes[join] = placement.holding_a_live_order()
    return outcomes


def _keys(answers: dict[_Join, bytes | Exception]) -> list[list]:
    """($1, $2, $3) of `_ANSWER`: each claimed key, with its order's answer as sent (a replay is told its place
    in line anew, web/orders.py), or none for a refused order's."""
    keyed = [(join, answer) for join, answer in answers.items() if join.key is not None]
    return [
        [join.member.id for join, _ in keyed],
        [join.key for join, _ in keyed],
        [answer.decode() if isinstance(answer, bytes) else None for _, answer in keyed],
    ]
