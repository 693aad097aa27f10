"""限额: quotas counted in the order's own transaction, under a lock per member.

`check` runs before an order (or a draw registration) is written: it takes the member's advisory lock
(pg_advisory_xact_lock, held until commit), so a burst of one member's orders is counted one after the
other and can never pass a quota; other members are not held up.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.orders import LIVE_STATES, OrderState
from ..domain.quotas import QuotaRule
from ..domain.quotas import check as check_rule
from ..errors import Conflict, NotFound
from ..models import Category, Order, Quota, User
from ..models.base import any_age, utcnow
from ..schemas.common import Page
from ..schemas.fairseats import QuotaIn, QuotaOut
from . import audit
from .categories import get_live
from .reminders import market_zone

# The first key of the member's advisory lock (the second is the member's id).
QUOTA_LOCK = 15_001
# Orders that never happened do not count against a period (withdrawn, declined, expired).
_NOT_COUNTED = sorted({OrderState.cancelled, OrderState.declined, OrderState.expired})

LIVE_MESSAGE = (
    "You may hold at most %(limit)s live orders of this kind at once; "
    "you may order again when one of them is finished or cancelled."
)
PERIOD_MESSAGE = (
    "You may place at most %(limit)s orders of this kind in %(days)s days; you may order again from %(date)s."
)


# The quotas over a category — the market's own and those of the category and everything above it — built
# once, in Core: every order asks, and most markets have none (a fresh ORM query with its recursive CTE
# cost more CPU per order than the order's own statement).
_QUOTAS = Quota.__table__.c
_UP = (
    sa.select(Category.id, Category.parent_id)
    .where(Category.id == sa.bindparam("category_id"))
    .cte("up", recursive=True)
)
_UP = _UP.union_all(sa.select(Category.id, Category.parent_id).join(_UP, Category.id == _UP.c.parent_id))
_RULES = (
    sa.select(_QUOTAS.id, _QUOTAS.category_id, _QUOTAS.max_live, _QUOTAS.max_per_period, _QUOTAS.period_days)
    .where(
        _QUOTAS.market_id == sa.bindparam("market_id"),
        sa.or_(_QUOTAS.category_id.is_(None), _QUOTAS.category_id.in_(sa.select(_UP.c.id))),
    )
    .order_by(_QUOTAS.id)
)


async def rules_for(db: AsyncSession, market_id: int, category_id: int) -> list[sa.Row]:
    """The quotas over this category (id, category_id, max_live, max_per_period, period_days)."""
    return list((await db.execute(_RULES, {"market_id": market_id, "category_id": category_id})).all())


def _subtree(category_id: int):
    base = sa.select(Category.id).where(Category.id == category_id).cte("quota_tree", recursive=True)
    return base.union_all(sa.select(Category.id).join(base, Category.parent_id == base.c.id))


async def check(db: AsyncSession, member: User, category_id: int, now: datetime | None = None) -> None:
    """Refuse (409) an order that would pass one of the quotas over its category; else return, holding the
    member's lock until the transaction ends."""
    rules = await rules_for(db, member.market_id, category_id)
    if not rules:
        return
    now = now or utcnow()
    await db.execute(sa.select(sa.func.pg_advisory_xact_lock(QUOTA_LOCK, member.id)))
    for quota in rules:
        mine = sa.select(Order.state, Order.created_at).where(Order.member_id == member.id, any_age(Order))
        if quota.category_id is not None:
            tree = _subtree(quota.category_id)
            mine = mine.where(Order.category_id.in_(sa.select(tree.c.id)))
        rows = (await db.execute(mine.where(Order.state.not_in(_NOT_COUNTED)))).all()
        live = sum(1 for state, _ in rows if state in LIVE_STATES)
        placed = [created for state, created in rows if state not in _NOT_COUNTED]
        rule = QuotaRule(quota.id, quota.max_live, quota.max_per_period, quota.period_days)
        refusal = check_rule(rule, live, placed, now)
        if refusal is None:
            continue
        if refusal.kind == "live":
            values = {"limit": refusal.limit}
            raise Conflict(LIVE_MESSAGE, params=values, extra={"quota_id": quota.id})
        date = refusal.again_at.astimezone(market_zone(db)).date().isoformat()
        values = {"limit": refusal.limit, "days": quota.period_days, "date": date}
        raise Conflict(
            PERIOD_MESSAGE, params=values, extra={"quota_id": quota.id, "again_at": refusal.again_at.isoformat()}
        )


def out(quota: Quota) -> QuotaOut:
    return QuotaOut.model_validate(quota, from_attributes=True)


async def list_quotas(
    db: AsyncSession, market_id: int, name: str | None = None, limit: int | None = None, offset: int = 0
) -> Page[QuotaOut]:
    """The market's quotas, oldest first; those of a category whose Chinese or English name has `name` in it
    (taken as typed) when asked."""
    scope = [Quota.market_id == market_id]
    if name:
        named = sa.select(Category.id).where(
            Category.market_id == market_id,
            sa.or_(
                Category.name_zh.icontains(name, autoescape=True), Category.name_en.icontains(name, autoescape=True)
            ),
        )
        scope.append(Quota.category_id.in_(named))
    total = (await db.execute(sa.select(sa.func.count()).select_from(Quota).where(*scope))).scalar_one()
    rows = await db.execute(sa.select(Quota).where(*scope).order_by(Quota.id).limit(limit).offset(offset))
    return Page[QuotaOut](items=[out(q) for q in rows.scalars()], total=total)


async def create(db: AsyncSession, curator: User, data: QuotaIn) -> QuotaOut:
    if data.category_id is not None:
        await get_live(db, curator.market_id, data.category_id)  # 400 naming the field when there is none
    quota = Quota(market_id=curator.market_id, created_by=curator.id, **data.model_dump())
    db.add(quota)
    await db.flush()
    await audit.record(db, curator, "create_quota", "quota", quota.id, **data.model_dump())
    return out(quota)


async def delete(db: AsyncSession, curator: User, quota_id: int) -> None:
    quota = await db.get(Quota, quota_id)
    if quota is None or quota.market_id != curator.market_id:
        raise NotFound("No such quota.")
    await db.delete(quota)
    await audit.record(db, curator, "delete_quota", "quota", quota_id)
