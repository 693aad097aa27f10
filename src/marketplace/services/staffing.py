"""Who could take an order: the providers serving its category, for operators and curators reassigning by hand."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderState
from ..domain.roles import Role
from ..models import Order, ProviderCategory, ProviderProfile, User
from . import categories


async def candidates(db: AsyncSession, market_id: int, category_id: int, limit: int = 30) -> list[dict]:
    """Active providers serving the category (one above it or below it), least loaded and best rated first."""
    reach = await categories.reach_of(db, category_id)
    load = (
        sa.select(Order.provider_id, sa.func.count().label("open"))
        .where(Order.state.in_([OrderState.offered, OrderState.accepted]), Order.provider_id.is_not(None))
        .group_by(Order.provider_id)
        .subquery("load")
    )
    rows = await db.execute(
        sa.select(User.id, User.name, ProviderProfile.star_level, ProviderProfile.rating_avg, load.c.open)
        .join(ProviderProfile, ProviderProfile.user_id == User.id)
        .outerjoin(load, load.c.provider_id == User.id)
        .where(
            User.market_id == market_id,
            User.is_active.is_(True),
            sa.literal(Role.provider.value) == sa.any_(User.roles),
            User.id.in_(sa.select(ProviderCategory.provider_id).where(ProviderCategory.category_id.in_(reach.ids))),
        )
        .order_by(sa.func.coalesce(load.c.open, 0), ProviderProfile.rating_score.desc().nulls_last(), User.id)
        .limit(limit)
    )
    return [
        {"id": r.id, "name": r.name, "star_level": r.star_level, "rating_avg": r.rating_avg, "open": r.open or 0}
        for r in rows
    ]
