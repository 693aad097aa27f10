"""Archiving (issue #17 item 5): finished orders and read notices older than ARCHIVE_AFTER_DAYS leave the hot
indexes. Nothing is deleted: the row gets `archived_at`, which takes it out of the hot partial indexes
(`WHERE archived_at IS NULL`: my orders, the provider's console, the notices page) into their archive twins,
and an archived order's events move to the archive partition of `order_events` (`archived = true`).
Figures, exports, a person's history and data download read every row, as before.

The nightly job walks each table by id in fixed ranges, one short transaction per range, so it holds few row
locks for a few milliseconds at a time and never waits for an order being moved (SKIP LOCKED; such an order is
taken another night). Run again, or after being killed midway, it flags what is left and nothing twice."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import FINISHED_STATES
from ..models import Notification, Order, OrderEvent
from ..models.base import hot

Unit = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass
class ArchiveReport:
    orders: int = 0
    notices: int = 0
    batches: int = 0


def _old_finished_order(cutoff: datetime):
    return sa.and_(hot(Order), Order.state.in_(sorted(FINISHED_STATES)), Order.updated_at < cutoff)


def _old_read_notice(cutoff: datetime):
    return sa.and_(hot(Notification), Notification.read_at.is_not(None), Notification.created_at < cutoff)


async def _flag_range(db: AsyncSession, model, which, low: int, high: int, now: datetime) -> int:
    """Flag the rows `which` selects among ids in (low, high]; rows locked by someone else are left for later.
    An order's events go with it, in the same transaction: to the archive partition of `order_events`."""
    ids = sa.select(model.id).where(model.id > low, model.id <= high, which).with_for_update(skip_locked=True)
    flagged = (
        (await db.execute(sa.update(model).where(model.id.in_(ids)).values(archived_at=now).returning(model.id)))
        .scalars()
        .all()
    )
    if model is Order and flagged:
        await _move_events(db, flagged)
    return len(flagged)


async def _move_events(db: AsyncSession, order_ids: list[int]) -> None:
    """The orders' hot events to the archive partition: an UPDATE of the partition key, which PostgreSQL
    carries out as a delete from `order_events_hot` and an insert into `order_events_archive` (same id, so
    the figures' fold by id is none the wiser). `archived = false` reads only the hot partition."""
    await db.execute(
        sa.update(OrderEvent)
        .where(OrderEvent.order_id == sa.any_(sa.cast(order_ids, ARRAY(sa.Integer))), OrderEvent.archived.is_(False))
        .values(archived=True)
    )


async def run(unit: Unit, *, now: datetime, after_days: int, batch_size: int) -> ArchiveReport:
    """Archive everything due; each range of `batch_size` ids is its own transaction (`unit()`)."""
    cutoff = now - timedelta(days=after_days)
    report = ArchiveReport()
    for model, which, field in (
        (Order, _old_finished_order(cutoff), "orders"),
        (Notification, _old_read_notice(cutoff), "notices"),
    ):
        async with unit() as db:
            last = await db.scalar(sa.select(sa.func.max(model.id)))
        for low in range(0, last or 0, batch_size):
            async with unit() as db:
                flagged = await _flag_range(db, model, which, low, low + batch_size, now)
            setattr(report, field, getattr(report, field) + flagged)
            report.batches += 1
    return report
