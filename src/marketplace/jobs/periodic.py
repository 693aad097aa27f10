"""Periodic work (arq cron, worker.py): each run is one transaction and logs what it did."""

import logging
from datetime import timedelta

from .. import lost_queue, queue
from ..db import transaction
from ..services import deadlines, digest, matching, star_levels

log = logging.getLogger(__name__)
# Finished outbox rows are kept this long (for looking into what happened), then deleted.
KEEP_FINISHED_JOBS = timedelta(days=30)


def _unit(ctx: dict):
    return transaction(ctx["sessionmaker"], ctx["redis"], ctx["queue_name"])


async def relay_outbox(ctx: dict) -> int:
    """Send what is due and was not sent after its commit; re-send what was sent but never ran (at once
    when Redis came back empty)."""
    stuck = timedelta(seconds=ctx["settings"].outbox_stuck_seconds)
    sent = await lost_queue.relay(ctx["sessionmaker"], ctx["redis"], ctx["queue_name"], stuck_after=stuck)
    if sent:
        log.info("relay sent %d outbox jobs", sent)
    return sent


async def scan_deadlines(ctx: dict) -> dict:
    async with _unit(ctx) as db:
        found = await deadlines.scan(db)
    if any(found.values()):
        log.info("deadlines due: %s", found)
    return found


async def match_open_needs(ctx: dict) -> dict:
    """A safety net: needs left placed (nobody had a free place then) are tried again."""
    async with _unit(ctx) as db:
        market_ids = await matching.markets_with_open_needs(db)
    total = {"markets": len(market_ids), "offered": 0, "unmatched": 0}
    for market_id in market_ids:
        async with _unit(ctx) as db:
            report = await matching.match_market(db, market_id)
        total["offered"] += report.offered
        total["unmatched"] += report.unmatched
    if total["offered"]:
        log.info("matched open needs: %s", total)
    return total


async def nightly(ctx: dict) -> dict:
    async with _unit(ctx) as db:
        stars = await star_levels.recompute(db)
        purged = await queue.purge_finished(db, KEEP_FINISHED_JOBS)
    log.info("star levels: %s; finished jobs purged: %d", stars, purged)
    return {**stars, "purged": purged}


async def daily_digest(ctx: dict) -> dict:
    async with _unit(ctx) as db:
        sent = await digest.send_digest(db)
    log.info("stuck-order digest: %s", sent)
    return sent
