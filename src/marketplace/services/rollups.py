"""The desk's figures per market and local day, kept up to date by folding order events into them.

Nothing is written on the order path: the worker (`fold`, every few seconds) finds the orders that have
events after the watermark, recomputes every figure of the days they touch (the day they were placed, the
day they were delivered, the day they were reviewed) from the orders themselves, and moves the watermark —
in one transaction. A recomputed day is a function of the data, not a sum of deltas, so folding a range
twice, or two workers folding at once (serialised by the watermark row's lock), changes nothing.

The dashboard reads the folded days plus, recomputed live, the few days, members and providers touched by
events after the watermark (`Tail`), so its figures are exact at any moment, folded or not.

Why a fold waits (`pending_*`): event ids come from a sequence, and a transaction may take id 100, then
commit after another one took and committed 101. A fold that saw 101 and moved past it would never see
100. So each fold only notes the highest id it sees and the transaction horizon at that moment (the xmax
of its snapshot: every transaction that could hold a lower id began before it), and folds that range at
a later run, once no transaction of this database below that horizon is still running: by then every id
up to the noted one is committed or rolled back, never still to come. (Only this database's: the
cluster-wide oldest transaction, the snapshot's xmin, may be another database's long report, which
would hold the figures back for nothing.)"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..domain.durations import BUCKET_SQL
from ..domain.orders import OrderKind, OrderState

NO_END = 2**63 - 1
SERVED = (OrderState.delivered, OrderState.received, OrderState.reviewed, OrderState.disputed)
UNMET = (OrderState.placed, OrderState.offered, OrderState.expired)
STAGES = (OrderState.accepted, OrderState.delivered, OrderState.received, OrderState.reviewed)


def _in(states) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in states) + ")"


# The orders with an event in (lo, hi].
_TOUCHED_ORDERS = """
WITH touched AS (
    SELECT o.* FROM orders o
    WHERE o.id IN (
        SELECT e.order_id FROM order_events e WHERE e.id > CAST(:lo AS bigint) AND e.id <= CAST(:hi AS bigint)
    )
)
"""
# ... the local days they touch: placed, delivered, reviewed.
_TOUCHED_DAYS = sa.text(
    _TOUCHED_ORDERS
    + """
SELECT DISTINCT t.market_id, (v.at AT TIME ZONE m.time_zone)::date AS day
FROM touched t
JOIN markets m ON m.id = t.market_id
LEFT JOIN reviews r ON r.order_id = t.id
CROSS JOIN LATERAL (VALUES (t.created_at), (t.delivered_at), (r.created_at)) AS v(at)
WHERE v.at IS NOT NULL
"""
)
_TOUCHED_PEOPLE = sa.text(
    _TOUCHED_ORDERS
    + """
SELECT array_agg(DISTINCT member_id), array_agg(DISTINCT provider_id) FILTER (WHERE provider_id IS NOT NULL)
FROM touched
"""
)

# Every figure of the given (market, local day) pairs, recomputed from the orders, events and reviews.
_DAYS = f"""
WITH spans AS (
    SELECT d.market_id, d.day,
           (d.day::timestamp AT TIME ZONE m.time_zone) AS starts,
           ((d.day + 1)::timestamp AT TIME ZONE m.time_zone) AS ends
    FROM unnest(CAST(:markets AS int[]), CAST(:days AS date[])) AS d(market_id, day)
    JOIN markets m ON m.id = d.market_id
), placed AS (
    SELECT s.market_id, s.day, o.id, o.kind, o.state, o.category_id, o.reorder_of_id, o.created_at, o.delivered_at
    FROM spans s JOIN orders o ON o.market_id = s.market_id AND o.created_at >= s.starts AND o.created_at < s.ends
), waits AS (
    -- hours to a provider's acceptance (not an auto-accepted seat), and to delivery, of the day's orders
    SELECT p.market_id, p.day, 'accept' AS what, extract(epoch FROM min(e.at) - p.created_at) AS seconds
    FROM placed p
    JOIN order_events e ON e.order_id = p.id AND e.market_id = p.market_id
    WHERE e.to_state = 'accepted' AND e.action = 'accept'
    GROUP BY p.market_id, p.day, p.id, p.created_at
    UNION ALL
    SELECT p.market_id, p.day, 'deliver', extract(epoch FROM p.delivered_at - p.created_at)
    FROM placed p WHERE p.delivered_at IS NOT NULL
), bucketed AS (
    SELECT market_id, day, what, {BUCKET_SQL.format(seconds="seconds")} AS bucket, seconds FROM waits
), delivered AS (
    SELECT s.market_id, s.day, o.state
    FROM spans s
    JOIN orders o ON o.market_id = s.market_id AND o.delivered_at >= s.starts AND o.delivered_at < s.ends
), reviewed AS (
    SELECT s.market_id, s.day, r.stars
    FROM spans s
    JOIN reviews r ON r.market_id = s.market_id AND r.created_at >= s.starts AND r.created_at < s.ends
)
SELECT market_id, day, 'state' AS figure, state AS key, count(*) AS n FROM placed GROUP BY 1, 2, 4
UNION ALL
-- served with no delivery time (old data): counted in "all time" only, kept on the day it was placed
SELECT market_id, day, 'served_undated', '', count(*) FROM placed
WHERE state IN {_in(SERVED)} AND delivered_at IS NULL GROUP BY 1, 2
UNION ALL
SELECT market_id, day, 'listing_orders', '', count(*) FROM placed WHERE kind = '{OrderKind.listing.value}' GROUP BY 1, 2
UNION ALL
SELECT market_id, day, 'reorders', '', count(*) FROM placed
WHERE kind = '{OrderKind.listing.value}' AND reorder_of_id IS NOT NULL GROUP BY 1, 2
UNION ALL
SELECT market_id, day, 'unmet', category_id::text, count(*) FROM placed
WHERE kind = '{OrderKind.need.value}' AND state IN {_in(UNMET)} GROUP BY 1, 2, 4
UNION ALL
SELECT p.market_id, p.day, 'reached', e.to_state, count(DISTINCT e.order_id)
FROM placed p JOIN order_events e ON e.order_id = p.id AND e.market_id = p.market_id
WHERE e.to_state IN {_in(STAGES)} GROUP BY 1, 2, 4
UNION ALL
SELECT market_id, day, what || '_n', bucket::text, count(*) FROM bucketed GROUP BY 1, 2, 3, 4
UNION ALL
SELECT market_id, day, what || '_us', bucket::text, sum(round(seconds * 1000000))::bigint FROM bucketed
GROUP BY 1, 2, 3, 4
UNION ALL
SELECT market_id, day, 'delivered', '', count(*) FROM delivered GROUP BY 1, 2
UNION ALL
SELECT market_id, day, 'served', '', count(*) FROM delivered WHERE state IN {_in(SERVED)} GROUP BY 1, 2
UNION ALL
SELECT market_id, day, 'stars', stars::text, count(*) FROM reviewed GROUP BY 1, 2, 4
"""
# The last day each member was served, per market (served with no delivery time: the first day ever, so
# counted in "all time" only).
_MEMBERS = f"""
SELECT o.market_id, o.member_id,
       coalesce(max((o.delivered_at AT TIME ZONE m.time_zone)::date), DATE '0001-01-01') AS last_day
FROM orders o JOIN markets m ON m.id = o.market_id
WHERE o.member_id = ANY(CAST(:members AS int[])) AND o.state IN {_in(SERVED)}
GROUP BY 1, 2
"""
# Each provider's deliveries, per market.
_PROVIDERS = """
SELECT o.market_id, o.provider_id, count(*) AS delivered, max(o.delivered_at) AS last_delivered_at
FROM orders o
WHERE o.provider_id = ANY(CAST(:providers AS int[])) AND o.delivered_at IS NOT NULL
GROUP BY 1, 2
"""
# Is a transaction of this database that began before the horizon still running? (pg_stat_activity shows
# a backend's 32-bit xid; the snapshot's in-progress list, the full 64-bit one. It shows the xids of other
# sessions of the same role, or of every role to pg_read_all_stats: the web and worker processes share one.)
_RUNNING_BELOW = sa.text(
    """
SELECT EXISTS (
    SELECT FROM pg_snapshot_xip(pg_current_snapshot()) AS x(xid)
    JOIN pg_stat_activity a
      ON a.datname = current_database() AND a.pid <> pg_backend_pid()
     AND a.backend_xid::text::bigint = x.xid::text::bigint % 4294967296
    WHERE x.xid::text::bigint < :horizon
)
"""
)
_PAIRS = "unnest(CAST(:markets AS int[]), CAST(:days AS date[])) AS d(market_id, day)"
_ARRAYS = (
    sa.bindparam("markets", type_=ARRAY(sa.Integer)),
    sa.bindparam("days", type_=ARRAY(sa.Date)),
)


@dataclass
class Touched:
    """What events in a range of ids touch: (market, local day) pairs, members, providers."""

    days: list[tuple[int, date]] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    providers: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.days or self.members or self.providers)


async def touched(db: AsyncSession, lo: int, hi: int = NO_END) -> Touched:
    window = {"lo": lo, "hi": hi}
    days = [(m, d) for m, d in await db.execute(_TOUCHED_DAYS, window)]
    members, providers = (await db.execute(_TOUCHED_PEOPLE, window)).one()
    return Touched(days, members or [], providers or [])


def _day_params(days: Sequence[tuple[int, date]]) -> dict:
    return {"markets": [m for m, _ in days], "days": [d for _, d in days]}


async def day_rows(db: AsyncSession, days: Sequence[tuple[int, date]]) -> list:
    """(market_id, day, figure, key, n) of the given days, computed now."""
    return list(await db.execute(sa.text(_DAYS).bindparams(*_ARRAYS), _day_params(days)))


async def folded_day_rows(db: AsyncSession, days: Sequence[tuple[int, date]]) -> list:
    """(market_id, day, figure, key, n) of the given days as folded."""
    if not days:
        return []
    found = sa.text(
        "SELECT f.market_id, f.day, f.figure, f.key, f.n FROM figure_days f"
        f" JOIN {_PAIRS} ON f.market_id = d.market_id AND f.day = d.day"
    ).bindparams(*_ARRAYS)
    return list(await db.execute(found, _day_params(days)))


async def member_rows(db: AsyncSession, members: Sequence[int]) -> list:
    """(market_id, member_id, last_day) of the given members, computed now."""
    return list(await db.execute(sa.text(_MEMBERS), {"members": list(members)}))


async def provider_rows(db: AsyncSession, providers: Sequence[int]) -> list:
    """(market_id, provider_id, delivered, last_delivered_at) of the given providers, computed now."""
    return list(await db.execute(sa.text(_PROVIDERS), {"providers": list(providers)}))


async def _store(db: AsyncSession, found: Touched) -> None:
    """Replace the folded figures of what `found` names with their values now."""
    days = _day_params(found.days)
    at = f" USING {_PAIRS} WHERE f.market_id = d.market_id AND f.day = d.day"
    await db.execute(sa.text("DELETE FROM figure_days f" + at).bindparams(*_ARRAYS), days)
    await db.execute(
        sa.text("INSERT INTO figure_days (market_id, day, figure, key, n) " + _DAYS).bindparams(*_ARRAYS), days
    )
    # the months of those days, summed again from their days
    months = sorted({(m, d.replace(day=1)) for m, d in found.days})
    await db.execute(
        sa.text(
            f"DELETE FROM figure_months f USING {_PAIRS} WHERE f.market_id = d.market_id AND f.month = d.day"
        ).bindparams(*_ARRAYS),
        _day_params(months),
    )
    await db.execute(
        sa.text(
            "INSERT INTO figure_months (market_id, month, figure, key, n)"
            " SELECT f.market_id, d.day, f.figure, f.key, sum(f.n) FROM figure_days f"
            f" JOIN {_PAIRS} ON f.market_id = d.market_id AND f.day >= d.day"
            " AND f.day < (d.day + interval '1 month')::date GROUP BY 1, 2, 3, 4"
        ).bindparams(*_ARRAYS),
        _day_params(months),
    )
    members = {"members": found.members}
    await db.execute(
        sa.text("DELETE FROM figure_served_members WHERE member_id = ANY(CAST(:members AS int[]))"), members
    )
    await db.execute(sa.text("INSERT INTO figure_served_members (market_id, member_id, last_day) " + _MEMBERS), members)
    providers = {"providers": found.providers}
    await db.execute(
        sa.text("DELETE FROM figure_provider_deliveries WHERE provider_id = ANY(CAST(:providers AS int[]))"), providers
    )
    await db.execute(
        sa.text(
            "INSERT INTO figure_provider_deliveries (market_id, provider_id, delivered, last_delivered_at) "
            + _PROVIDERS
        ),
        providers,
    )


async def folded_upto(db: AsyncSession) -> int:
    # no row (a database emptied by TRUNCATE): nothing is folded
    return (
        await db.execute(sa.text("SELECT coalesce((SELECT folded_upto FROM figure_folds WHERE id = 1), 0)"))
    ).scalar_one()


async def fold(db: AsyncSession) -> dict:
    """One step (one transaction, the caller's): fold the range noted by the step before if it is safe now
    (see the module's text), then note the next one. Returns what it did."""
    await db.execute(sa.text("INSERT INTO figure_folds (id, folded_upto) VALUES (1, 0) ON CONFLICT DO NOTHING"))
    state = (
        await db.execute(
            sa.text("SELECT folded_upto, pending_upto, pending_xmax FROM figure_folds WHERE id = 1 FOR UPDATE")
        )
    ).one()
    done, pending, horizon = state
    xmax, last = (
        await db.execute(
            sa.text(
                "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,"
                " (SELECT coalesce(max(id), 0) FROM order_events)"
            )
        )
    ).one()
    report = {"folded_from": done, "folded_to": done, "days": 0}
    if pending is not None and not (await db.execute(_RUNNING_BELOW, {"horizon": horizon})).scalar_one():
        found = await touched(db, done, pending)
        if found:
            await _store(db, found)
        report |= {"folded_to": pending, "days": len(found.days)}
        done, pending = pending, None
    if pending is None and last > done:
        pending, horizon = last, xmax
    await db.execute(
        sa.text(
            "UPDATE figure_folds SET folded_upto = :done, pending_upto = :pending, pending_xmax = :horizon,"
            " folded_at = CASE WHEN :moved THEN now() ELSE folded_at END WHERE id = 1"
        ),
        {"done": done, "pending": pending, "horizon": horizon, "moved": report["folded_to"] != report["folded_from"]},
    )
    return report


async def catch_up(sessionmaker: async_sessionmaker[AsyncSession], steps: int = 4) -> int:
    """Fold, one transaction a step, until every event committed before the call is folded (a loader that
    just wrote history, a test); the last event folded."""
    async with sessionmaker() as db:
        last = (await db.execute(sa.text("SELECT coalesce(max(id), 0) FROM order_events"))).scalar_one()
    for _ in range(steps):
        async with sessionmaker() as db, db.begin():
            report = await fold(db)
        if report["folded_to"] >= last:
            break
    return report["folded_to"]


async def forget(db: AsyncSession) -> None:
    """Drop every folded figure and fold again from the first event: for when order rows were deleted (the
    demo's removal), which no event tells."""
    for table in ("figure_days", "figure_months", "figure_served_members", "figure_provider_deliveries"):
        await db.execute(sa.text(f"DELETE FROM {table}"))
    await db.execute(
        sa.text("UPDATE figure_folds SET folded_upto = 0, pending_upto = NULL, pending_xmax = NULL WHERE id = 1")
    )


@dataclass
class Tail:
    """What the events after the watermark touch, recomputed now, for the dashboard to put in place of the
    folded values of the same days, members and providers."""

    upto: int
    touched: Touched
    days: list
    members: list
    providers: list


async def tail(db: AsyncSession, market_ids: Sequence[int]) -> Tail:
    upto = await folded_upto(db)
    found = await touched(db, upto)
    found.days = [(m, d) for m, d in found.days if m in market_ids]
    return Tail(
        upto,
        found,
        await day_rows(db, found.days) if found.days else [],
        await member_rows(db, found.members) if found.members else [],
        await provider_rows(db, found.providers) if found.providers else [],
    )
