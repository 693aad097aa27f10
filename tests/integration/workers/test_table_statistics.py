"""A burst's orders are known to the planner before the figures are folded (services/table_statistics.py):
the fold's job analyzes the order tables a burst made stale, at once, not a minute later as autovacuum would."""

import asyncio

import asyncpg
import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.jobs import periodic

_BURST = """
WITH placed AS (
    INSERT INTO orders (market_id, kind, member_id, listing_id, session_id, category_id, state, holds_seat, title,
        description, note, mode, preferred_times, arrangement, delivery_note, offer_attempts, created_at, updated_at)
    SELECT $1, 'listing', $2, $3, NULL, $4, 'cancelled', false, '书法培训', '', '', 'offline', '[]', '{}', '', 0,
        now(), now()
    FROM generate_series(1, $5)
    RETURNING id, market_id
)
INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, data)
SELECT id, market_id, now(), NULL::integer, 'member', 'place', NULL, 'placed', '', '{}'::jsonb FROM placed
"""


async def _changed_since_analyze(engine, table: str) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                sa.text("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
            )
        ).scalar_one()


async def test_a_burst_of_orders_is_analyzed_before_the_fold_and_only_then(factory, jobs, engine, settings):
    ctx = {"settings": jobs.settings, "sessionmaker": jobs.sessionmaker, "redis": jobs.redis, "queue_name": None}
    await periodic.fold_figures(ctx)  # whatever the tests before left stale is analyzed now
    provider, member = await factory.user(Role.provider), await factory.user()
    listing = await factory.listing(provider, await factory.category())
    # 2,000 orders at once, from a connection of its own: closing it reports its changes to the statistics
    burst = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await burst.execute(_BURST, listing.market_id, member.id, listing.id, listing.category_id, 2000)
    finally:
        await burst.close()
    for _ in range(100):  # the closed backend's report reaches the statistics within moments
        if await _changed_since_analyze(engine, "order_events_hot") >= 2000:
            break
        await asyncio.sleep(0.05)
    assert await _changed_since_analyze(engine, "orders") >= 2000

    report = await periodic.fold_figures(ctx)
    assert report["analyzed"] == ["order_events_hot", "orders"]
    assert await _changed_since_analyze(engine, "orders") < 50
    assert "analyzed" not in await periodic.fold_figures(ctx)  # fresh now: nothing to analyze
