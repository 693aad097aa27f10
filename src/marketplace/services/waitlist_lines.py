"""The waiting list's line: a committed waitlisted order takes the next number of its session's line.

Its place is counted from that number, not from the orders the order's own transaction can see: in a burst,
the orders of concurrent transactions that have not committed yet are invisible to each other, and counting
them told most of 1,970 waiting members a place another member was told too (docs/scaling.md). Numbers are
taken after the orders commit, by one statement (`_NUMBER`) that locks the session's `waitlist_lines` row for
itself only, never across a round trip of an order; whoever holds a lower number has committed it before. (A
full session's orders written together are numbered in their own transaction instead: `number_written`.)
The place is the number less the numbered orders that have left the line (`departed`, kept by the trigger of
migration 2026_11_30_waitlist_lines), which is exact at that moment. Promotions follow the numbers
(order_flow.promote_waitlist, order_views._ahead_of).

A burst's orders would queue one by one for that row, so a web process numbers the orders committed while
its previous statement ran all in its next one (`_Numbering`): a few statements for a thousand orders.
A process that dies between an order's commit and its number leaves it unnumbered, behind every numbered one,
until the worker's minute scan numbers it (`number_stragglers`).
"""

import asyncio
import logging
from datetime import datetime, timedelta

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from ..domain.orders import OrderState
from ..models import Market, Order
from ..models.base import utcnow
from ..outage import DATABASE_ERRORS
from ..per_loop import PerLoop

log = logging.getLogger(__name__)
_PENDING_KEY = "waitlist_orders"
# An order older than this without a number lost its process between the commit and the number.
STRAGGLER_AFTER = timedelta(seconds=30)

# The orders are locked first (as promotions lock them), then their lines' rows, in id order (no deadlock
# between two processes). Numbers are derived data that the minute scan rebuilds, so this statement's commit
# does not wait for the disk (synchronous_commit off, for its own transaction when it runs alone); in the
# transaction that writes the orders (`_NUMBER_WRITTEN`), their commit waits for it as for any order.
_NUMBERING = """
WITH {fast}mine AS (
    SELECT o.id, o.session_id FROM orders o{from_fast}
    WHERE o.id = ANY($1::integer[]) AND o.state = 'waitlisted' AND o.line_place IS NULL AND o.draw_rank IS NULL
      AND o.session_id IS NOT NULL
    ORDER BY o.id
    FOR UPDATE OF o
), joining AS (
    SELECT session_id, count(*) AS n FROM mine GROUP BY session_id
), line AS (
    INSERT INTO waitlist_lines AS w (session_id, issued, departed)
    SELECT session_id, n, 0 FROM joining ORDER BY session_id
    ON CONFLICT (session_id) DO UPDATE SET issued = w.issued + EXCLUDED.issued
    RETURNING session_id, issued, departed
), numbered AS (
    SELECT mine.id, line.issued - joining.n + row_number() OVER (PARTITION BY mine.session_id ORDER BY mine.id)
        AS number, line.departed
    FROM mine JOIN joining USING (session_id) JOIN line USING (session_id)
)
UPDATE orders SET line_place = numbered.number FROM numbered WHERE orders.id = numbered.id
RETURNING orders.id, numbered.number - numbered.departed AS place
"""
_FAST = "fast AS (SELECT set_config('synchronous_commit', 'off', true)), "
_NUMBER = _NUMBERING.format(fast=_FAST, from_fast=", fast")
_NUMBER_WRITTEN = _NUMBERING.format(fast="", from_fast="")


def number_after_commit(db: AsyncSession, order: Order) -> None:
    """Have this order (waitlisted in this transaction, first come, first served) numbered after the commit."""
    if order.state == OrderState.waitlisted and order.session_id is not None and order.draw_rank is None:
        db.info.setdefault(_PENDING_KEY, []).append(order.id)


def waiting_for_places(db: AsyncSession) -> bool:
    return bool(db.info.get(_PENDING_KEY))


async def take_places(db: AsyncSession) -> dict[int, int]:
    """Number the orders this (committed) transaction waitlisted; their places in line, by order id. The
    statement runs on its own (autocommit), outside any transaction of the session."""
    ids = db.info.pop(_PENDING_KEY, None)
    if not ids:
        return {}
    try:
        return await _numberings.get().take(db, ids)
    except DATABASE_ERRORS as exc:  # the orders are committed: the scan numbers them
        log.warning("waitlist places left to the minute scan: %s: %s", type(exc).__name__, exc)
        return {}


class _Numbering:
    """A process's numbering: the orders handed in while a statement runs are numbered together by the next
    (asyncio's lock is first come, first served; the holder numbers everyone waiting, itself included)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting: dict[int, asyncio.Future] = {}
        self.engine: AsyncEngine | None = None  # its own connection (db.side_engine)

    async def number(self, db: AsyncSession, ids: list[int]) -> dict[int, int]:
        if self.engine is None:
            from ..db import side_engine  # (db.transaction takes places after its commits)

            self.engine = side_engine(db, "waitlist-lines")
        async with self.engine.connect() as connection:
            return await number_now(connection, ids)

    async def take(self, db: AsyncSession, ids: list[int]) -> dict[int, int]:
        loop = asyncio.get_running_loop()
        mine = {order_id: self.waiting.setdefault(order_id, loop.create_future()) for order_id in ids}
        async with self.lock:
            if not all(f.done() for f in mine.values()):
                batch, self.waiting = self.waiting, {}
                places: dict[int, int] = {}
                try:
                    places = await self.number(db, list(batch))
                finally:  # on a failure, all unnumbered: the minute scan numbers them
                    for order_id, future in batch.items():
                        future.set_result(places.get(order_id))  # None: it left the line already, or was numbered
        return {order_id: f.result() for order_id, f in mine.items() if f.result() is not None}


_numberings = PerLoop(_Numbering)
close = _numberings.close  # this process's numbering connection, at the app's shutdown


async def number_now(connection: AsyncConnection, ids: list[int]) -> dict[int, int]:
    """One statement on the driver: no ORM, and (unless the connection is in a transaction) autocommit."""
    driver = (await connection.get_raw_connection()).driver_connection
    return {row["id"]: row["place"] for row in await driver.fetch(_NUMBER, ids)}


async def number_written(driver: asyncpg.Connection, ids: list[int]) -> dict[int, int]:
    """Number orders in the transaction that writes them (services/waitlist_joins.py): the line's row stays
    locked until that commit, so a lower number is still committed first, and no order is ever unnumbered."""
    return {row["id"]: row["place"] for row in await driver.fetch(_NUMBER_WRITTEN, ids)}


async def number_stragglers(db: AsyncSession, now: datetime | None = None) -> int:
    """Number the waitlisted orders whose process died before it numbered them, in id order (they join the
    line's end, where promotions already put them); returns how many. Runs in the caller's transaction."""
    before = (now or utcnow()) - STRAGGLER_AFTER
    ids = (
        await db.execute(
            sa.select(Order.id)
            .where(
                # the live waiting lists of each market, off ix_orders_market_state_updated: line_place is in
                # no index, so that numbering is a HOT update
                Order.market_id.in_(sa.select(Market.id)),
                Order.state == OrderState.waitlisted,
                Order.line_place.is_(None),
                Order.draw_rank.is_(None),
                Order.session_id.is_not(None),
                Order.created_at < before,
            )
            .order_by(Order.created_at, Order.id)
            .limit(1000)
        )
    ).scalars()
    return len(await number_now(await db.connection(), list(ids)))
