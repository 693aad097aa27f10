"""The market tree (省—市—区): a parent market publishes to and sees the markets below it.

Markets are few (dozens in a province), so each question is one recursive query over `markets`: no
cache to keep in step across processes. Staff of a market act across its subtree (`reaches`,
`staff_markets`); a member sees their market's menu plus what the markets above it share below
(`menu_condition`).
"""

import re

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from .. import cache
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Category, Listing, Market, User
from . import audit

# province → city → district, and one level to spare (a street's union under a district).
MAX_DEPTH = 4
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


# Both tree queries are built once, at import: every menu and every staff page asks one of them, and
# building and compiling a recursive query per request cost more CPU than running it.
def _below():
    below = sa.select(Market.id).where(Market.id == sa.bindparam("market_id")).cte("below", recursive=True)
    child = aliased(Market)
    below = below.union_all(sa.select(child.id).join(below, child.parent_id == below.c.id))
    return sa.select(below.c.id)


def _above():
    above = sa.select(Market.parent_id.label("id"), sa.literal(1).label("depth"))
    above = above.where(Market.id == sa.bindparam("market_id")).cte("above", recursive=True)
    parent = aliased(Market)
    above = above.union_all(
        sa.select(parent.parent_id, above.c.depth + 1).join(above, parent.id == above.c.id).where(above.c.depth < 64)
    )
    return sa.select(above.c.id).where(above.c.id.is_not(None)).order_by(above.c.depth)


_SUBTREE, _ANCESTORS = _below(), _above()


async def subtree_ids(db: AsyncSession, market_id: int) -> list[int]:
    """The market and every market below it (the market first)."""
    ids = list((await db.execute(_SUBTREE, {"market_id": market_id})).scalars())
    return sorted(ids, key=lambda i: (i != market_id, i))


async def ancestor_ids(db: AsyncSession, market_id: int) -> list[int]:
    """The markets above this one, nearest first (not the market itself)."""
    return list((await db.execute(_ANCESTORS, {"market_id": market_id})).scalars())


async def staff_markets(db: AsyncSession, staff: User) -> list[int]:
    """The markets a curator or operator acts in: their own and every one below it."""
    return await subtree_ids(db, staff.market_id)


async def reaches(db: AsyncSession, staff: User, market_id: int) -> bool:
    """Whether this market is the staff member's or below it (one query only when it is not their own)."""
    return market_id == staff.market_id or market_id in await subtree_ids(db, staff.market_id)


async def menu_markets(db: AsyncSession, market_id: int) -> list[int]:
    """The markets above this one: their listings shared below are on this market's menu too."""
    return await ancestor_ids(db, market_id)


def menu_condition(market_id: int, above: list[int]):
    """The listings on a market's menu: its own, and those the markets above it share below. (The menu itself
    reads this as one part per market, each in its index's order: services/menu._menu_parts.)"""
    own = Listing.market_id == market_id
    if not above:
        return own  # a market with no parent: the plain condition, on the listings' market index
    return sa.or_(own, sa.and_(Listing.market_id.in_(above), Listing.shared_below.is_(True)))


async def sees_listing(db: AsyncSession, market_id: int, order_markets: list[int], listing: Listing) -> bool:
    """Whether a member of this market (allowed to order in `order_markets` too) sees this listing."""
    if listing.market_id == market_id or listing.market_id in (order_markets or []):
        return True
    return bool(listing.shared_below) and listing.market_id in await ancestor_ids(db, market_id)


async def matching_categories(db: AsyncSession, market_id: int, category_ids: list[int]) -> list[int]:
    """The categories of the markets above this one with the same slugs as these (a district's 书法培训
    filter finds the province's shared 书法培训 listings too: the category vocabulary is shared)."""
    above = await ancestor_ids(db, market_id)
    if not above or not category_ids:
        return []
    slugs = sa.select(Category.slug).where(Category.id.in_(category_ids))
    query = sa.select(Category.id).where(Category.market_id.in_(above), Category.slug.in_(slugs))
    return list((await db.execute(query)).scalars())


async def depth_of(db: AsyncSession, market_id: int) -> int:
    """1 for a market with no parent, 2 for its child, …"""
    return 1 + len(await ancestor_ids(db, market_id))


async def _height(db: AsyncSession, market_id: int) -> int:
    """How many levels the subtree of this market holds (1: no children)."""
    below = sa.select(Market.id, sa.literal(1).label("level")).where(Market.id == market_id)
    below = below.cte("levels", recursive=True)
    child = aliased(Market)
    below = below.union_all(sa.select(child.id, below.c.level + 1).join(below, child.parent_id == below.c.id))
    return (await db.execute(sa.select(sa.func.max(below.c.level)))).scalar_one()


async def _check_parent(db: AsyncSession, market_id: int | None, parent_id: int, height: int = 1) -> None:
    if market_id is not None and (market_id == parent_id or parent_id in await subtree_ids(db, market_id)):
        raise Conflict("A market cannot be placed under itself or a market below it.", field="parent")
    if await depth_of(db, parent_id) + height > MAX_DEPTH:
        raise Conflict(
            "Markets nest at most %(levels)s levels deep (province, city, district, street).",
            field="parent",
            params={"levels": MAX_DEPTH},
        )


async def by_slug(db: AsyncSession, slug: str) -> Market:
    market = (await db.execute(sa.select(Market).where(Market.slug == slug))).scalar_one_or_none()
    if market is None:
        raise NotFound("There is no market called '%(slug)s'.", field="market", params={"slug": slug})
    return market


async def add(db: AsyncSession, slug: str, name_zh: str, name_en: str, parent_id: int | None) -> Market:
    """A new market, under `parent_id` if given (at most MAX_DEPTH levels deep)."""
    if not SLUG.match(slug):
        raise InvalidInput(
            "A market's slug is 1–40 lower-case letters, digits and hyphens, starting with a letter or digit.",
            field="slug",
        )
    if (await db.execute(sa.select(Market.id).where(Market.slug == slug))).first() is not None:
        raise Conflict("There is already a market called '%(slug)s'.", field="slug", params={"slug": slug})
    if parent_id is not None:
        await _check_parent(db, None, parent_id)
    market = Market(slug=slug, name_zh=name_zh.strip(), name_en=name_en.strip(), parent_id=parent_id)
    db.add(market)
    await db.flush()
    return market


async def move(db: AsyncSession, market_id: int, parent_id: int | None) -> Market:
    """Place a market (with its subtree) under another, or at the top (no cycles, no deeper than allowed)."""
    market = await db.get(Market, market_id, with_for_update=True)
    if market is None:
        raise NotFound("No such market.")
    if parent_id is not None:
        await _check_parent(db, market_id, parent_id, await _height(db, market_id))
    market.parent_id = parent_id
    cache.menu_changed(db, market_id)  # its menu, and those below it, show what other markets share now
    return market


async def tree(db: AsyncSession, root_id: int | None = None) -> list[tuple[Market, int]]:
    """The markets (of `root_id`'s subtree, or all) in tree order, each with its depth (0 at the top)."""
    query = sa.select(Market)
    if root_id is not None:
        query = query.where(Market.id.in_(await subtree_ids(db, root_id)))
    markets = list((await db.execute(query.order_by(Market.slug))).scalars())
    ids = {m.id for m in markets}
    children: dict[int | None, list[Market]] = {}
    for market in markets:
        children.setdefault(market.parent_id if market.parent_id in ids else None, []).append(market)
    ordered: list[tuple[Market, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for market in children.get(parent, []):
            ordered.append((market, depth))
            walk(market.id, depth + 1)

    walk(None, 0)
    return ordered


async def add_below(db: AsyncSession, curator: User, slug: str, name_zh: str, name_en: str, parent_id: int | None):
    """A curator adds a market under their own market or one below it."""
    parent_id = parent_id or curator.market_id
    if not await reaches(db, curator, parent_id):
        raise InvalidInput("Unknown market: %(id)s.", field="parent_id", params={"id": parent_id})
    market = await add(db, slug, name_zh, name_en, parent_id)
    await audit.record(db, curator, "add_market", "market", market.id, slug=slug, parent_id=parent_id)
    return market
