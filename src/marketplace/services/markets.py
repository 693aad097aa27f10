import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import NotFound
from ..models import Market


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
