"""The menu's session facts kept on each listing (`next_session_at`, `seats_open_until`).

The triggers of migration 2026_11_30_menuseats keep them as sessions are added, moved, called off, fill up
or free a seat. Time passing is the one change no statement makes: a listing's `next_session_at` names a
session that has started until this refresh (the worker's minute scan) moves it on. The menu never depends
on it for exactness (`menu._soonest` computes the next start of a listing not refreshed yet); it keeps those
listings few, so the soonest-first menu stays an index read.
"""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Listing

# Listings refreshed per scan: one minute's starts at province scale are far fewer.
REFRESH_LIMIT = 1000


async def refresh_started(db: AsyncSession) -> int:
    """Move on the listings whose next session has started; returns how many there were. The database's
    clock, not the scan's `now` (which tests move): the menu compares with the database's."""
    started = (
        sa.select(Listing.id)
        .where(Listing.next_session_at <= sa.func.now())
        .order_by(Listing.next_session_at)
        .limit(REFRESH_LIMIT)
    )
    ids = list((await db.execute(started)).scalars())
    if ids:
        await db.execute(sa.select(sa.func.refresh_listing_seats(sa.cast(ids, sa.ARRAY(sa.Integer)))))
    return len(ids)
