"""A provider's schedule: their sessions around now with who is coming, and one session's attendance list."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderState
from ..errors import NotFound
from ..models import Listing, ListingSession, Order, User
from ..models.base import utcnow

_COUNTED = [OrderState.offered, OrderState.accepted, OrderState.delivered, OrderState.no_show]


async def sessions_of(db: AsyncSession, provider: User, days_back: int = 7, days_ahead: int = 60) -> list[dict]:
    """The provider's uncancelled sessions from a week ago on, with their orders counted by state."""
    now = utcnow()
    counts = (
        sa.select(
            Order.session_id,
            *(sa.func.count().filter(Order.state == state).label(state.value) for state in _COUNTED),
        )
        .where(Order.session_id.is_not(None), Order.state.in_(_COUNTED))
        .group_by(Order.session_id)
        .subquery("counts")
    )
    rows = await db.execute(
        sa.select(ListingSession, Listing.id, Listing.title, Listing.shape, *(counts.c[s.value] for s in _COUNTED))
        .join(Listing, Listing.id == ListingSession.listing_id)
        .outerjoin(counts, counts.c.session_id == ListingSession.id)
        .where(
            Listing.provider_id == provider.id,
            ListingSession.cancelled_at.is_(None),
            ListingSession.starts_at > now - timedelta(days=days_back),
            ListingSession.starts_at < now + timedelta(days=days_ahead),
        )
        .order_by(ListingSession.starts_at, ListingSession.id)
    )
    found = []
    for session, listing_id, title, shape, *numbers in rows:
        found.append(
            {
                "session": session,
                "listing_id": listing_id,
                "title": title,
                "shape": shape,
                "started": session.starts_at <= now,
                **{state.value: n or 0 for state, n in zip(_COUNTED, numbers, strict=True)},
            }
        )
    return found


async def own_session(db: AsyncSession, provider: User, session_id: int) -> tuple[ListingSession, Listing]:
    session = await db.get(ListingSession, session_id)
    listing = await db.get(Listing, session.listing_id) if session else None
    if session is None or listing.provider_id != provider.id:
        raise NotFound("No such session.")
    return session, listing
