"""Service hours (志愿服务时长) read from the delivered orders (domain/service_hours.py says why no ledger)."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.categories import domain_of
from ..domain.service_hours import COUNTED_STATES, Delivered, Entry, Total, entries, totals
from ..models import Category, ListingSession, Order, User
from .reminders import market_zone


async def _entries(db: AsyncSession, market_id: int, provider_id: int | None = None) -> list[Entry]:
    parents = dict(
        (await db.execute(sa.select(Category.id, Category.parent_id).where(Category.market_id == market_id))).all()
    )
    query = (
        sa.select(
            Order.id,
            Order.provider_id,
            Order.category_id,
            Order.title,
            Order.session_id,
            ListingSession.starts_at,
            ListingSession.ends_at,
            Order.arrangement,
            Order.arranged_at,
            sa.func.coalesce(Order.delivered_at, Order.updated_at),
        )
        .outerjoin(ListingSession, ListingSession.id == Order.session_id)
        .where(
            Order.market_id == market_id,
            Order.state.in_(sorted(COUNTED_STATES)),
            Order.provider_id.is_not(None),
        )
    )
    if provider_id is not None:
        query = query.where(Order.provider_id == provider_id)
    rows = [
        Delivered(
            order_id=r[0],
            provider_id=r[1],
            domain_id=domain_of(r[2], parents),
            title=r[3],
            session_id=r[4],
            session_starts_at=r[5],
            session_ends_at=r[6],
            arrangement=r[7] or {},
            arranged=r[8] is not None,
            delivered_at=r[9],
        )
        for r in (await db.execute(query)).all()
    ]
    return entries(rows, market_zone(db))


@dataclass
class ProviderHours:
    provider: User
    years: dict[int, Total]  # newest first
    entries: list[Entry]  # of the year asked for, oldest first
    year: int | None
    domains: dict[int, Total]  # of that year


async def for_provider(db: AsyncSession, provider: User, year: int | None = None) -> ProviderHours:
    """A provider's record: hours per year, and the services of one year (the latest, unless asked)."""
    found = await _entries(db, provider.market_id, provider.id)
    years = dict(sorted(totals(found, lambda e: e.year).items(), reverse=True))
    if year is None:
        year = next(iter(years), None)
    of_year = [e for e in found if e.year == year]
    return ProviderHours(provider, years, of_year, year, totals(of_year, lambda e: e.domain_id))


@dataclass
class MarketHours:
    years: list[int]  # with any hours, newest first
    year: int | None
    providers: list[tuple[User, Total]]  # of that year, most hours first
    domains: dict[int, Total]
    total: Total


async def for_market(db: AsyncSession, market_id: int, year: int | None = None) -> MarketHours:
    """The union's view: totals per provider and per domain for a year (the latest, unless asked)."""
    found = await _entries(db, market_id)
    years = sorted({e.year for e in found}, reverse=True)
    if year is None:
        year = years[0] if years else None
    of_year = [e for e in found if e.year == year]
    per_provider = totals(of_year, lambda e: e.provider_id)
    people = {u.id: u for u in (await db.execute(sa.select(User).where(User.id.in_(list(per_provider))))).scalars()}
    ranked = sorted(per_provider.items(), key=lambda kv: (-kv[1].hours, kv[0]))
    overall = totals(of_year, lambda e: None).get(None, Total(0.0, 0, 0))
    return MarketHours(
        years, year, [(people[p], t) for p, t in ranked], totals(of_year, lambda e: e.domain_id), overall
    )
