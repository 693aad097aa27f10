"""Provider star levels, recomputed nightly from ratings, volume, timeliness and no-shows."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderState
from ..domain.stars import ProviderRecord, star_level
from ..models import Offer, Order, OrderEvent, ProviderProfile

_DELIVERED = [OrderState.delivered, OrderState.received, OrderState.reviewed, OrderState.disputed]


async def _by_provider(db: AsyncSession, query) -> dict[int, int]:
    return dict((await db.execute(query)).all())


async def recompute(db: AsyncSession) -> dict[str, int]:
    """Set every provider's star level; returns how many were looked at and how many changed."""
    delivered = await _by_provider(
        db,
        sa.select(Order.provider_id, sa.func.count())
        .where(Order.provider_id.is_not(None), Order.state.in_(_DELIVERED))
        .group_by(Order.provider_id),
    )
    answered = Offer.state.in_(["accepted", "declined"])
    in_time = sa.and_(answered, sa.or_(Offer.deadline_at.is_(None), Offer.responded_at <= Offer.deadline_at))
    offers = {
        pid: (int(on_time), int(total))
        for pid, on_time, total in await db.execute(
            sa.select(
                Offer.provider_id,
                sa.func.count().filter(in_time),
                sa.func.count().filter(Offer.state.in_(["accepted", "declined", "expired"])),
            ).group_by(Offer.provider_id)
        )
    }
    taken = await _by_provider(
        db,
        sa.select(Order.provider_id, sa.func.count())
        .where(Order.provider_id.is_not(None), Order.state.in_([OrderState.accepted, OrderState.no_show, *_DELIVERED]))
        .group_by(Order.provider_id),
    )
    # Dropped: staff cancelled the order after the provider had accepted it.
    dropped = await _by_provider(
        db,
        sa.select(Order.provider_id, sa.func.count(sa.distinct(Order.id)))
        .join(OrderEvent, OrderEvent.order_id == Order.id)
        .where(
            Order.provider_id.is_not(None),
            OrderEvent.action == "cancel",
            OrderEvent.from_state == OrderState.accepted,
            OrderEvent.actor_role.in_(["operator", "curator"]),
        )
        .group_by(Order.provider_id),
    )
    profiles = (await db.execute(sa.select(ProviderProfile).with_for_update(skip_locked=True))).scalars().all()
    changed = 0
    for profile in profiles:
        pid = profile.user_id
        on_time, total = offers.get(pid, (0, 0))
        level = star_level(
            ProviderRecord(
                rating_score=profile.rating_score,
                delivered=delivered.get(pid, 0),
                offers_answered_in_time=on_time,
                offers_total=total,
                accepted=taken.get(pid, 0) + dropped.get(pid, 0),
                dropped=dropped.get(pid, 0),
            )
        )
        if level != profile.star_level:
            profile.star_level = level
            changed += 1
    return {"providers": len(profiles), "changed": changed}
