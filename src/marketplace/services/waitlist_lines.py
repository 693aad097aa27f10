"""The waiting list's line: a committed waitlisted order takes the next number of its session's line.

Its place is counted from that number, not from the orders the order's own transaction can see: in a burst,
the orders of concurrent transactions that have not committed yet are invisible to each other, and counting
them told most of 1,970 waiting members a place another member was told too (docs/scaling.md). Numbers are
taken after the order commits, one short statement each (`_TAKE`): the session's `waitlist_lines` row
is locked only for that statement, never across a round trip of the order, so a burst does not queue behind
it, and whoever holds a lower number has committed it before. The place is then the number less the numbered
orders that have left the line (`departed`, kept by the trigger of migration 2026_11_30_waitlist_lines), which
is exact at that moment. Promotions follow the numbers (order_flow.promote_waitlist, order_views._ahead_of).

The web process numbers its orders right after the commit (`take_places`, also from db.transaction's exit);
a process that dies in between leaves its order unnumbered, behind every numbered one, until the worker's
minute scan numbers it (`number_stragglers`).
"""

import logging
from datetime import datetime, timedelta

import asyncpg
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderState
from ..models import Order
from ..models.base import utcnow

log = logging.getLogger(__name__)
_PENDING_KEY = "waitlist_orders"
# An order older than this without a number lost its process between the commit and the number.
STRAGGLER_AFTER = timedelta(seconds=30)

# The order's row is locked first (as promotions lock it), then the line's, for this statement only. The
# numbering is derived data that the minute scan rebuilds, so its commit does not wait for the disk
# (synchronous_commit off, for this statement's own transaction when it runs alone).
_TAKE = """
WITH fast AS (
    SELECT set_config('synchronous_commit', 'off', true)
), mine AS (
    SELECT id, session_id FROM orders
    WHERE id = $1 AND state = 'waitlisted' AND line_place IS NULL AND draw_rank IS NULL AND session_id IS NOT NULL
    FOR UPDATE
), line AS (
    INSERT INTO waitlist_lines AS w (session_id, issued, departed)
    SELECT session_id, 1, 0 FROM mine, fast
    ON CONFLICT (session_id) DO UPDATE SET issued = w.issued + 1
    RETURNING issued, departed
)
UPDATE orders SET line_place = line.issued FROM line WHERE orders.id = $1
RETURNING line.issued - line.departed AS place
"""


def number_after_commit(db: AsyncSession, order: Order) -> None:
    """Have this order (waitlisted in this transaction, first come, first served) numbered after the commit."""
    if order.state == OrderState.waitlisted and order.session_id is not None and order.draw_rank is None:
        db.info.setdefault(_PENDING_KEY, []).append(order.id)


def waiting_for_places(db: AsyncSession) -> bool:
    return bool(db.info.get(_PENDING_KEY))


async def take_places(db: AsyncSession) -> dict[int, int]:
    """Number the orders this (committed) transaction waitlisted; their places in line, by order id. Each
    statement runs on its own (autocommit), outside any transaction of the session."""
    ids = db.info.pop(_PENDING_KEY, None)
    places: dict[int, int] = {}
    if not ids:
        return places
    try:
        driver = await _driver(db)
        for order_id in ids:
            place = await driver.fetchval(_TAKE, order_id)
            if place is not None:  # None: it left the line already (promoted, cancelled) or was numbered
                places[order_id] = place
    except (OSError, SQLAlchemyError, asyncpg.PostgresError) as exc:  # the order is committed: the scan numbers it
        log.warning("waitlist places left to the minute scan: %s: %s", type(exc).__name__, exc)
    return places


async def number_stragglers(db: AsyncSession, now: datetime | None = None) -> int:
    """Number the waitlisted orders whose process died before it numbered them, oldest first (they join the
    line's end, where promotions already put them); returns how many. Runs in the caller's transaction."""
    before = (now or utcnow()) - STRAGGLER_AFTER
    ids = (
        await db.execute(
            sa.select(Order.id)
            .where(
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
    ids = list(ids)
    driver = await _driver(db)
    for order_id in ids:
        await driver.fetchval(_TAKE, order_id)
    return len(ids)


async def _driver(db: AsyncSession):
    """The asyncpg connection under the session: one statement, no ORM, and no transaction begun for it."""
    connection = await db.connection()
    return (await connection.get_raw_connection()).driver_connection
