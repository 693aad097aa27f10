"""The category tree: the seven domains and what curators add below them."""

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import cache
from ..domain.categories import Reach, reach
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Category, CategoryFollow, User
from ..models.base import utcnow
from ..schemas.catalog_categories import CategoryIn, CategoryOut, CategoryPatch, CategoryTree
from . import audit


def _out(category: Category) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        parent_id=category.parent_id,
        slug=category.slug,
        name_zh=category.name_zh,
        name_en=category.name_en,
        position=category.position,
        offer_deadline_hours=category.offer_deadline_hours,
        confidential=category.confidential,
        archived=category.archived_at is not None,
    )


async def tree(db: AsyncSession, market_id: int, include_archived: bool = False) -> CategoryTree:
    query = sa.select(Category).where(Category.market_id == market_id)
    if not include_archived:
        query = query.where(Category.archived_at.is_(None))
    rows = (await db.execute(query.order_by(Category.position, Category.id))).scalars().all()
    nodes = {c.id: _out(c) for c in rows}
    roots: list[CategoryOut] = []
    for category in rows:
        node = nodes[category.id]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        if parent is not None:
            parent.children.append(node)
        elif category.parent_id is None:
            roots.append(node)
    return CategoryTree(items=roots)


def ancestors_and_self(category_id: int):
    """A CTE (column `id`) of the category and every category above it."""
    base = sa.select(Category.id, Category.parent_id).where(Category.id == category_id).cte("up", recursive=True)
    parent = sa.select(Category.id, Category.parent_id).join(base, Category.id == base.c.parent_id)
    return base.union_all(parent)


async def subtree_ids(db: AsyncSession, category_id: int) -> list[int]:
    """The category and every category below it (a listing filed under a child shows under its domain)."""
    base = sa.select(Category.id).where(Category.id == category_id).cte("tree", recursive=True)
    below = sa.select(Category.id).join(base, Category.parent_id == base.c.id)
    tree_cte = base.union_all(below)
    return list((await db.execute(sa.select(tree_cte.c.id))).scalars())


async def reach_of(db: AsyncSession, category_id: int) -> Reach:
    """The categories whose providers serve what is filed under this one (domain/categories.py)."""
    market = sa.select(Category.market_id).where(Category.id == category_id).scalar_subquery()
    parents = dict(
        (await db.execute(sa.select(Category.id, Category.parent_id).where(Category.market_id == market))).all()
    )
    return reach(category_id, parents)


async def get_live(db: AsyncSession, market_id: int, category_id: int, field: str = "category_id") -> Category:
    category = await db.get(Category, category_id)
    if category is None or category.market_id != market_id or category.archived_at is not None:
        raise InvalidInput("Unknown category: %(id)s.", field=field, params={"id": category_id})
    return category


async def _check_slug_free(db: AsyncSession, market_id: int, slug: str) -> None:
    taken = (
        await db.execute(sa.select(Category.id).where(Category.market_id == market_id, Category.slug == slug))
    ).first()
    if taken:
        raise Conflict("The slug '%(slug)s' is already used.", field="slug", params={"slug": slug})


async def create(db: AsyncSession, curator: User, data: CategoryIn) -> CategoryOut:
    if data.parent_id is not None:
        await get_live(db, curator.market_id, data.parent_id, field="parent_id")
    await _check_slug_free(db, curator.market_id, data.slug)
    category = Category(market_id=curator.market_id, **data.model_dump())
    db.add(category)
    await db.flush()
    cache.menu_changed(db, curator.market_id)
    await audit.record(db, curator, "create_category", "category", category.id, **data.model_dump())
    return _out(category)


async def update(db: AsyncSession, curator: User, category_id: int, data: CategoryPatch) -> CategoryOut:
    category = await db.get(Category, category_id, with_for_update=True)
    if category is None or category.market_id != curator.market_id:
        raise NotFound("No such category.")
    changes = data.model_dump(exclude_unset=True)
    if "parent_id" in changes:
        parent_id = changes["parent_id"]
        if parent_id is not None:
            await get_live(db, curator.market_id, parent_id, field="parent_id")
            if parent_id in await subtree_ids(db, category.id):
                # well-formed input that the tree as it stands refuses: a conflict, not bad input
                raise Conflict("A category cannot move below itself.", field="parent_id")
        category.parent_id = parent_id
    for field in ("name_zh", "name_en", "position", "offer_deadline_hours", "confidential"):
        if field in changes and (changes[field] is not None or field == "offer_deadline_hours"):
            setattr(category, field, changes[field])
    if changes.get("archived") is True and category.archived_at is None:
        category.archived_at = utcnow()
    elif changes.get("archived") is False:
        category.archived_at = None
    db.add(category)
    cache.menu_changed(db, curator.market_id)
    await audit.record(db, curator, "update_category", "category", category.id, **changes)
    return _out(category)


async def follow(db: AsyncSession, user: User, category_id: int) -> None:
    try:
        await get_live(db, user.market_id, category_id)
    except InvalidInput:  # the category is the address here, not a field sent: not found
        raise NotFound("Unknown category: %(id)s.", params={"id": category_id}) from None
    exists = await db.get(CategoryFollow, (user.id, category_id))
    if exists is None:
        db.add(CategoryFollow(user_id=user.id, category_id=category_id))


async def unfollow(db: AsyncSession, user: User, category_id: int) -> None:
    await db.execute(
        sa.delete(CategoryFollow).where(CategoryFollow.user_id == user.id, CategoryFollow.category_id == category_id)
    )


async def followed_ids(db: AsyncSession, user: User) -> list[int]:
    return list(
        (await db.execute(sa.select(CategoryFollow.category_id).where(CategoryFollow.user_id == user.id))).scalars()
    )


async def confidential_ids(db: AsyncSession, market_ids: Collection[int]) -> set[int]:
    """The markets' confidential categories and every category below one (a market has a few dozen)."""
    if not market_ids:
        return set()
    rows = (
        await db.execute(
            sa.select(Category.id, Category.parent_id, Category.confidential).where(
                Category.market_id.in_(list(market_ids))
            )
        )
    ).all()
    parents = {row.id: row.parent_id for row in rows}
    marked = {row.id for row in rows if row.confidential}
    found = set()
    for category_id in parents:
        current, seen = category_id, set()
        while current is not None and current not in seen:
            if current in marked:
                found.add(category_id)
                break
            seen.add(current)
            current = parents.get(current)
    return found
