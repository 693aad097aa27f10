"""Periodic work (arq cron, worker.py): each run is one transaction and logs what it did."""

import functools
import logging
from datetime import timedelta

from .. import lost_queue, queue
from ..db import transaction
from ..models.base import utcnow
from ..outage import is_outage, retry_later
from ..services import (
    archive,
    codes,
    deadlines,
    digest,
    free_seats,
    login_sessions,
    matching,
    rollups,
    star_levels,
    surveys,
    table_statistics,
    waitlist_lines,
)

log = logging.getLogger(__name__)
# Finished outbox rows are kept this long (for looking into what happened), then deleted.
KEEP_FINISHED_JOBS = timedelta(days=30)
# Ended login sessions (logged out, expired) too: "my sessions" shows only live ones.
KEEP_ENDED_SESSIONS = timedelta(days=30)


def _through_outages(*, frequent: bool):
    """While PostgreSQL or Redis is away, a job that runs every few seconds or minutes is skipped with one
    line (its next run comes soon); a daily one is run again by arq once the servers are back."""

    def wrap(job):
        @functools.wraps(job)
        async def run(ctx: dict):
            try:
                return await job(ctx)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                if not frequent:
                    raise retry_later(ctx, exc) from exc
                log.warning("%s skipped, a server is unreachable (%s: %s)", job.__name__, type(exc).__name__, exc)
                return None

        return run

    return wrap


def _unit(ctx: dict):
    return transaction(ctx["sessionmaker"], ctx["redis"], ctx["queue_name"])


@_through_outages(frequent=True)
async def relay_outbox(ctx: dict) -> int:
    """Send what is due and was not sent after its commit; re-send what was sent but never ran (at once
    when Redis came back empty)."""
    stuck = timedelta(seconds=ctx["settings"].outbox_stuck_seconds)
    sent = await lost_queue.relay(ctx["sessionmaker"], ctx["redis"], ctx["queue_name"], stuck_after=stuck)
    if sent:
        log.info("relay sent %d outbox jobs", sent)
    return sent


@_through_outages(frequent=True)
async def scan_deadlines(ctx: dict) -> dict:
    async with _unit(ctx) as db:
        found = await deadlines.scan(db)
    async with _unit(ctx) as db:  # apart: numbering commits without waiting for the disk
        found["waitlist_numbered"] = await waitlist_lines.number_stragglers(db)
    async with _unit(ctx) as db:  # after the numbering: promotions follow the line's numbers
        found["waitlist_promoted"] = await free_seats.promote_into_free_seats(db)
    if any(found.values()):
        log.info("deadlines due: %s", found)
    return found


@_through_outages(frequent=True)
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


@_through_outages(frequent=True)
async def fold_figures(ctx: dict) -> dict:
    """The desk's figures: fold the order events since the last run (services/rollups.py). The dashboard is
    exact without it, but reads live whatever is not folded yet."""
    async with _unit(ctx) as db:
        analyzed = await table_statistics.renew_stale(db)  # a burst's orders, known to the planner first
    async with _unit(ctx) as db:
        report = await rollups.fold(db)
    if report["days"]:
        log.info("figures folded: %s", report)
    return report | ({"analyzed": analyzed} if analyzed else {})


@_through_outages(frequent=False)
async def nightly(ctx: dict) -> dict:
    async with _unit(ctx) as db:
        stars = await star_levels.recompute(db)
        purged = await queue.purge_finished(db, KEEP_FINISHED_JOBS)
        sessions = await login_sessions.purge_ended(db, KEEP_ENDED_SESSIONS)
        old_codes = await codes.purge(db)
        uploads = await surveys.purge_abandoned(db)
    log.info("star levels: %s; finished jobs purged: %d; ended login sessions purged: %d", stars, purged, sessions)
    return {
        **stars,
        "purged": purged,
        "sessions_purged": sessions,
        "codes_purged": old_codes,
        "abandoned_uploads_purged": uploads,
    }


@_through_outages(frequent=False)
async def archive_old(ctx: dict) -> dict:
    """Finished orders and read notices past ARCHIVE_AFTER_DAYS leave the hot indexes, a batch at a time."""
    settings = ctx["settings"]
    report = await archive.run(
        lambda: _unit(ctx),
        now=utcnow(),
        after_days=settings.archive_after_days,
        batch_size=settings.archive_batch_size,
    )
    log.info("archived: %d orders, %d notices (%d batches)", report.orders, report.notices, report.batches)
    return {"orders": report.orders, "notices": report.notices, "batches": report.batches}


@_through_outages(frequent=False)
async def daily_digest(ctx: dict) -> dict:
    async with _unit(ctx) as db:
        sent = await digest.send_digest(db)
    log.info("stuck-order digest: %s", sent)
    return sent
