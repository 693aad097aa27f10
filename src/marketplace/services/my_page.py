"""What 我的 shows of a member besides their settings: the needs they posted and the categories they follow."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import OrderKind
from ..models import Category, CategoryFollow, Order, User
from ..models.base import any_age

SHOWN = 10


@dataclass(frozen=True)
class MyNeed:
    id: int
    title: str
    state: str
    created_at: datetime


@dataclass(frozen=True)
class Followed:
    id: int
    name_zh: str
    name_en: str


async def needs(db: AsyncSession, user: User) -> tuple[list[MyNeed], int]:
    """The member's newest needs, and how many they posted in all."""
    mine = Order.member_id == user.id, any_age(Order), Order.kind == OrderKind.need
    total = (await db.execute(sa.select(sa.func.count()).select_from(Order).where(*mine))).scalar_one()
    rows = await db.execute(
        sa.select(Order.id, Order.title, Order.state, Order.created_at)
        .where(*mine)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(SHOWN)
    )
    return [MyNeed(*row) for row in rows.all()], total


async def follows(db: AsyncSession, user: User) -> list[Followed]:
    rows = await db.execute(
        sa.select(Category.id, Category.name_zh, Category.name_en)
        .join(CategoryFollow, CategoryFollow.category_id == Category.id)
        .where(CategoryFollow.user_id == user.id)
        .order_by(Category.position, Category.id)
    )
    return [Followed(*row) for row in rows.all()]
