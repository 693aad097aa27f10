"""Seats free while members wait: the minute scan gives them to the waiting line when nothing else did.

A seat freed by a cancel, a decline or a no-show goes to the line in the transaction that frees it
(order_flow.free_seat_and_promote). Two things leave seats free with members waiting, and no transaction to
give them on: a priority reserve's release time passing (its seats open to everyone, and the members
waitlisted because only reserved seats were left wait on), and a promotion that passed over the first in
line because another transaction held that order's row at that instant (its place being numbered,
services/waitlist_lines.py)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderState
from ..models import ListingSession, Market, Order
from ..models.base import utcnow
from .order_flow import promote_waitlist

# Sessions looked at per scan; more are left to the next minute's.
SCAN_LIMIT = 1000


async def promote_into_free_seats(db: AsyncSession, now: datetime | None = None) -> int:
    """Promote the waiting members of upcoming sessions with free seats (a reserve still held keeps its seats
    for its groups: order_flow.promote_waitlist); returns how many were promoted. Runs in the caller's
    transaction."""
    now = now or utcnow()
    sessions = ListingSession.__table__.c
    # the live waiting lists of each market, off ix_orders_market_state_updated (waitlisted orders expire when
    # their session starts, so these do not pile up with the years)
    waiting = sa.select(Order.session_id).where(
        Order.market_id.in_(sa.select(Market.id)), Order.state == OrderState.waitlisted
    )
    free = (
        await db.execute(
            sa.select(sessions.id)
            .where(
                sessions.starts_at > now,
                sessions.cancelled_at.is_(None),
                sessions.seats_taken < sessions.capacity,
                sessions.id.in_(waiting),
            )
            .order_by(sessions.starts_at, sessions.id)
            .limit(SCAN_LIMIT)
        )
    ).scalars()
    return sum([len(await promote_waitlist(db, session_id)) for session_id in free])
