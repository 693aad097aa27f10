"""The planner's statistics of the order tables, renewed as soon as a burst makes them stale.

PostgreSQL's autovacuum analyzes a table once 10 % of its rows (and 50 more) changed since its last analyze,
but it looks only once a minute (`autovacuum_naptime`), and until then the planner's histograms end where
the last analyze left them. A popular release that adds thousands of orders to a young market leaves the
planner sure that today holds a handful of orders: the figures' fold (every 5 s) and the desk's live tail
then join today's orders to their events one at a time through the wrong index — 2 s of PostgreSQL's CPU a
fold for 8,000 orders, against 11–13 ms with statistics taken after them (docs/scaling.md, "The worker"),
in the middle of the burst. The fold's job asks first (a look at `pg_stat_user_tables`, well under a
millisecond) whether the tables it reads changed that much since their last analyze, and analyzes those.
"""

import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

# What the fold and the desk's tail read of a day: its orders, their events (the hot partition: an order's
# events move to the archive one only when it is archived, long after its day), its reviews.
TABLES = ("orders", "order_events_hot", "reviews")

# autovacuum's own rule, with its default threshold and scale factor
_STALE = sa.text(
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE schemaname = current_schema() AND relname = ANY(:tables)"
    " AND n_mod_since_analyze > 50 + 0.1 * n_live_tup ORDER BY relname"
)


async def renew_stale(db: AsyncSession) -> list[str]:
    """Analyze those of `TABLES` whose statistics a burst made stale; the tables analyzed."""
    stale = list((await db.execute(_STALE, {"tables": list(TABLES)})).scalars())
    for table in stale:  # names from the list above, never from input
        await db.execute(sa.text(f'ANALYZE "{table}"'))
    if stale:
        log.info("planner statistics renewed: %s", ", ".join(stale))
    return stale
