from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.listings import ListingState
from ..domain.roles import Role
from ..errors import NotFound
from ..models import Listing, Market, Order, User


async def ensure_market(
    db: AsyncSession, slug: str, name_zh: str = "工会云集市", name_en: str = "Union Cloud Market"
) -> int:
    """The id of the market with this slug, creating it on first start."""
    await db.execute(
        insert(Market)
        .values(slug=slug, name_zh=name_zh, name_en=name_en)
        .on_conflict_do_nothing(index_elements=["slug"])
    )
    return (await db.execute(sa.select(Market.id).where(Market.slug == slug))).scalar_one()


async def market_id_for(db: AsyncSession, slug: str) -> int:
    market_id = (await db.execute(sa.select(Market.id).where(Market.slug == slug))).scalar_one_or_none()
    if market_id is None:
        raise NotFound("There is no market called '%(slug)s'.", field="market", params={"slug": slug})
    return market_id


async def figures_by_market(db: AsyncSession, market_ids: list[int], since: datetime) -> dict[int, dict[str, int]]:
    """Per market: its people, providers, published listings, and the orders placed since `since` — the
    parent's desk shows each market of its subtree with these (one grouped count a table, not a scan each)."""
    found = {m: {"people": 0, "providers": 0, "listings": 0, "orders": 0} for m in market_ids}
    provider = sa.literal(Role.provider.value) == sa.any_(User.roles)
    counts = {
        "people": sa.select(User.market_id, sa.func.count()).where(User.market_id.in_(market_ids)),
        "providers": sa.select(User.market_id, sa.func.count()).where(User.market_id.in_(market_ids), provider),
        "listings": sa.select(Listing.market_id, sa.func.count()).where(
            Listing.market_id.in_(market_ids), Listing.state == ListingState.published
        ),
        "orders": sa.select(Order.market_id, sa.func.count()).where(
            Order.market_id.in_(market_ids), Order.created_at >= since
        ),
    }
    for name, query in counts.items():
        for market_id, n in (await db.execute(query.group_by(sa.text("1")))).all():
            found[market_id][name] = n
    return found
