"""The public menu and category tree, through the shared cache (cache.py) for the API and the pages."""

from collections.abc import Awaitable

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from .. import cache
from ..schemas.catalog_categories import CategoryTree
from ..schemas.common import Page
from ..schemas.listings import ListingSummaryOut
from ..services import categories, menu

MenuPage = Page[ListingSummaryOut]


def _cached(state: State, market_id: int, name: str, params: dict, compute):
    settings = state.settings
    return cache.cached(state.redis, settings.queue_name, settings.menu_cache_seconds, market_id, name, params, compute)


def fragment(state: State, market_id: int, name: str, params: dict, render) -> Awaitable[bytes]:
    """A rendered public page or part of one (UTF-8), cached like the menu (same version, same TTL);
    `params` names everything it depends on (language, query, page), `render` uses nothing of the visitor."""
    settings = state.settings
    return cache.cached_fragment(
        state.redis, settings.queue_name, settings.menu_cache_seconds, market_id, name, params, render
    )


async def menu_json(state: State, db: AsyncSession | None, market_id: int, **filters) -> bytes:
    """Without a session (the public API), one is opened only on a miss: a hit touches no database."""

    async def compute() -> bytes:
        if db is None:
            async with state.sessionmaker() as own:
                return (await menu.browse(own, market_id, **filters)).model_dump_json().encode()
        return (await menu.browse(db, market_id, **filters)).model_dump_json().encode()

    return await _cached(state, market_id, "browse", filters, compute)


async def menu_page(state: State, db: AsyncSession, market_id: int, **filters) -> MenuPage:
    return MenuPage.model_validate_json(await menu_json(state, db, market_id, **filters))


async def category_tree_json(state: State, db: AsyncSession, market_id: int) -> bytes:
    async def compute() -> bytes:
        return (await categories.tree(db, market_id)).model_dump_json().encode()

    return await _cached(state, market_id, "categories", {}, compute)


async def category_tree(state: State, db: AsyncSession, market_id: int) -> CategoryTree:
    return CategoryTree.model_validate_json(await category_tree_json(state, db, market_id))
