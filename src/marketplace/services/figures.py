"""Reading the folded figures (services/rollups.py) of one or more markets: the period's sums, the trend's
sums per bucket, members served, providers active and the ten busiest — each from the folded rows of what
the events after the watermark did not touch plus, recomputed now, what they touched; so the answer is the
same as counting every order, whenever it is asked. Several markets add up (a parent's figures are its
children's)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.roles import Role
from ..models import ProviderProfile, User
from . import rollups
from .rollups import Tail

EVER = date(1, 1, 1)
TREND_FIGURES = ("state", "delivered", "stars")
ACTIVE_DAYS = 90


@dataclass
class Sums:
    """Figures summed over markets and days: {(figure, key): n}, or per bucket {(bucket, figure, key): n}."""

    found: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, key: tuple, n: int) -> None:
        self.found[key] += n

    def get(self, *key) -> int:
        return self.found.get(key, 0)

    def total(self, *prefix) -> int:
        """A figure summed over its keys (`prefix`: the figure, or the bucket and the figure)."""
        return sum(n for k, n in self.found.items() if k[: len(prefix)] == prefix)

    def keyed(self, *prefix) -> dict[str, int]:
        return {k[-1]: n for k, n in self.found.items() if k[:-1] == prefix}


@dataclass
class Read:
    period: Sums
    trend: Sums
    first_day: date | None
    members_served: int
    providers_active: int
    top: list[tuple]  # (id, name, star_level, rating_avg, delivered), the ten who delivered most


def _bucket(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


async def read(
    db: AsyncSession, market_ids: Sequence[int], since: date | None, trend_from: date, unit: str, now: datetime
) -> Read:
    """The figures of the markets, the period from the local day `since` (None: all time), the trend from
    `trend_from` per `unit`. A fold committing while this reads moves the watermark: then it reads again."""
    for _ in range(3):
        tail = await rollups.tail(db, market_ids)
        found = await _read(db, market_ids, since or EVER, trend_from, unit, now, tail)
        if await rollups.folded_upto(db) == tail.upto:
            break
    return found


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


async def _sums(db, sql: str, params: dict, into: Sums) -> None:
    for *key, n in await db.execute(sa.text(sql), params):
        into.add(tuple(key), int(n))


async def _read(db, market_ids, since: date, trend_from: date, unit: str, now: datetime, tail: Tail) -> Read:
    """Whole months from `figure_months`, the days before the first whole month from `figure_days`; then the
    days the tail touched: their folded rows taken off, their rows now added."""
    ids = list(market_ids)
    period, trend = Sums(), Sums()
    whole = since if since.day == 1 else _month_after(since)
    of_markets = "FROM {} WHERE market_id = ANY(CAST(:ids AS int[]))"
    await _sums(
        db,
        f"SELECT figure, key, sum(n) {of_markets.format('figure_months')} AND month >= :whole GROUP BY 1, 2",
        {"ids": ids, "whole": whole},
        period,
    )
    await _sums(
        db,
        f"SELECT figure, key, sum(n) {of_markets.format('figure_days')} AND day >= :since AND day < :whole"
        " GROUP BY 1, 2",
        {"ids": ids, "since": since, "whole": whole},
        period,
    )
    if unit == "month":  # a month's trend point is a row of figure_months
        trend_sql = f"SELECT month, figure, key, sum(n) {of_markets.format('figure_months')} AND month >= :since"
    else:
        trend_sql = (
            f"SELECT date_trunc(:unit, day::timestamp)::date, figure, key, sum(n) {of_markets.format('figure_days')}"
            " AND day >= :since"
        )
    await _sums(
        db,
        trend_sql + " AND figure = ANY(CAST(:figures AS text[])) GROUP BY 1, 2, 3",
        {"unit": unit, "ids": ids, "since": trend_from, "figures": list(TREND_FIGURES)},
        trend,
    )
    first_day = (
        await db.execute(
            sa.text(f"SELECT min(day) {of_markets.format('figure_days')} AND figure = 'state'"), {"ids": ids}
        )
    ).scalar_one()
    stale = await rollups.folded_day_rows(db, [(m, d) for m, d in tail.touched.days if m in ids])
    for _, day, figure, key, n in stale:
        if day >= since:
            period.add((figure, key), -n)
        if day >= trend_from and figure in TREND_FIGURES:
            trend.add((_bucket(day, unit), figure, key), -n)
    for market_id, day, figure, key, n in tail.days:
        if market_id not in ids:
            continue
        if day >= since:
            period.add((figure, key), n)
        if day >= trend_from and figure in TREND_FIGURES:
            trend.add((_bucket(day, unit), figure, key), n)
        if figure == "state":
            first_day = min(first_day or day, day)
    # Folded reviews count hidden ones too (hiding is no order event); the few hidden are taken off here.
    hidden = sa.text(
        "SELECT (r.created_at AT TIME ZONE m.time_zone)::date, r.stars"
        " FROM reviews r JOIN markets m ON m.id = r.market_id"
        " WHERE r.market_id = ANY(CAST(:ids AS int[])) AND r.hidden_at IS NOT NULL"
    )
    for day, stars in await db.execute(hidden, {"ids": ids}):
        if day >= since:
            period.add(("stars", str(stars)), -1)
        if day >= trend_from:
            trend.add((_bucket(day, unit), "stars", str(stars)), -1)
    return Read(
        period,
        trend,
        first_day,
        await _members_served(db, ids, since, tail),
        await _providers_active(db, ids, now - timedelta(days=ACTIVE_DAYS), tail),
        await _top(db, ids, tail),
    )


async def _members_served(db, ids: list[int], since: date, tail: Tail) -> int:
    """Members served since the day: the folded members the tail did not touch, and those it did, now."""
    folded = (
        await db.execute(
            sa.text(
                "SELECT count(DISTINCT member_id) FROM figure_served_members WHERE market_id = ANY(CAST(:ids AS int[]))"
                " AND last_day >= :since AND member_id <> ALL(CAST(:skip AS int[]))"
            ),
            {"ids": ids, "since": since, "skip": tail.touched.members},
        )
    ).scalar_one()
    live = {member for market, member, last_day in tail.members if market in ids and last_day >= since}
    return folded + len(live)


async def _providers_active(db, ids: list[int], cutoff: datetime, tail: Tail) -> int:
    folded = (
        await db.execute(
            sa.text(
                "SELECT count(DISTINCT provider_id) FROM figure_provider_deliveries"
                " WHERE market_id = ANY(CAST(:ids AS int[])) AND last_delivered_at > :cutoff"
                " AND provider_id <> ALL(CAST(:skip AS int[]))"
            ),
            {"ids": ids, "cutoff": cutoff, "skip": tail.touched.providers},
        )
    ).scalar_one()
    live = {provider for market, provider, _, last in tail.providers if market in ids and last > cutoff}
    return folded + len(live)


async def _top(db, ids: list[int], tail: Tail, limit: int = 10) -> list[tuple]:
    """The providers of the markets who delivered most (in any market), ties by id: the folded top ten of
    those the tail did not touch, with the touched ones counted now (the top ten is among them)."""
    is_provider = sa.and_(User.market_id.in_(ids), sa.literal(Role.provider.value) == sa.any_(User.roles))
    person = (User.id, User.name, ProviderProfile.star_level, ProviderProfile.rating_avg)
    folded = sa.table("figure_provider_deliveries", sa.column("provider_id"), sa.column("delivered"))
    delivered = sa.func.sum(folded.c.delivered).label("delivered")
    rows = await db.execute(
        sa.select(*person, delivered)
        .select_from(folded)
        .join(User, User.id == folded.c.provider_id)
        .join(ProviderProfile, ProviderProfile.user_id == User.id)
        .where(is_provider, folded.c.provider_id.not_in(tail.touched.providers))
        .group_by(*person)
        .order_by(delivered.desc(), User.id)
        .limit(limit)
    )
    found = [tuple(r) for r in rows]
    counts: dict[int, int] = defaultdict(int)
    for _, provider, n, _ in tail.providers:
        counts[provider] += n
    if counts:
        live = await db.execute(
            sa.select(*person)
            .join(ProviderProfile, ProviderProfile.user_id == User.id)
            .where(is_provider, User.id.in_(counts))
        )
        found += [(*r, counts[r[0]]) for r in live]
    return sorted(found, key=lambda r: (-r[4], r[0]))[:limit]
