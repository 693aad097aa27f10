"""Background jobs. Each outbox row names a job; `run_outbox_job` runs it once.

A job runs in one transaction with its outbox row locked and marked done, so a job
that arq delivers twice (it may) finds the row done and does nothing. A job that
fails is rolled back whole, then recorded: retried with back-off, and after
JOB_MAX_ATTEMPTS runs marked failed — other jobs never wait for it.

Rows of a batched job (queue.BATCHED_JOBS: reminders) arrive as one `run_outbox_batch` for many
rows: they are locked, handled by the job's batch handler with set-based statements and marked
done in one transaction. A batch that fails is rolled back whole and its rows are run one by one
with `run_outbox_job`, so one bad row is retried or recorded failed alone and the others go out.
"""

import logging
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from ..db import transaction
from ..models import OutboxJob
from ..models.base import utcnow
from ..outage import is_outage, retry_later
from . import (  # noqa: F401  (registers the handlers)
    campaigns,
    classify,
    codes,
    deadlines,
    lottery,
    matching,
    notices,
    periodic,
    reminders,
    roster,
    surveys,
)
from .registry import BATCH_HANDLERS, HANDLERS, batch_job, job

__all__ = ["BATCH_HANDLERS", "HANDLERS", "batch_job", "job", "retry_delay", "run_outbox_batch", "run_outbox_job"]

log = logging.getLogger(__name__)
MAX_RETRY_DELAY = 3600.0


def retry_delay(base_seconds: float, attempts: int) -> float:
    """Seconds to wait before run number attempts + 1: base, 2×base, 4×base … at most an hour."""
    return min(base_seconds * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


async def _locked_row(db, outbox_id: int) -> OutboxJob | None:
    # A plain (waiting) lock: a relay still committing this row's send, or a second copy of the
    # job, is waited for, and then the row's state says what is left to do.
    return (
        await db.execute(sa.select(OutboxJob).where(OutboxJob.id == outbox_id).with_for_update())
    ).scalar_one_or_none()


async def run_outbox_job(ctx: dict, outbox_id: int, sends: int | None = None) -> str:
    """Run the row's job. `sends` fences off stale copies: a job handed to Redis before the row
    was sent again (after a retry, or a re-send of a job a dead worker held) does nothing."""
    name = "?"
    try:
        async with transaction(ctx["sessionmaker"], ctx["redis"], ctx["queue_name"]) as db:
            row = await _locked_row(db, outbox_id)
            if row is None or row.state not in ("pending", "sent") or (sends is not None and sends != row.sends):
                return "skipped"
            name = row.job
            handler = HANDLERS.get(name)
            if handler is None:
                row.state, row.finished_at, row.last_error = "failed", utcnow(), f"no job called {name!r}"
                log.error("job #%s: no job called %r; recorded failed", outbox_id, name)
                return "failed"
            result = await handler(db, row.args)
            row.state, row.finished_at, row.attempts = "done", utcnow(), row.attempts + 1
    except Exception as exc:
        if is_outage(exc):  # PostgreSQL away: the row can be neither run nor marked; arq runs it again
            raise retry_later(ctx, exc) from exc
        return await _record_failure(ctx, outbox_id, name, exc)
    log.info("job %s #%s done: %s", name, outbox_id, result)
    return f"{name}: {result}"


async def _record_failure(ctx: dict, outbox_id: int, name: str, exc: Exception) -> str:
    settings = ctx["settings"]
    error = f"{type(exc).__name__}: {exc}"[:2000]
    async with ctx["sessionmaker"]() as db, db.begin():
        row = await _locked_row(db, outbox_id)
        if row is None or row.state not in ("pending", "sent"):
            return "skipped"
        row.attempts += 1
        row.last_error = error
        if row.attempts >= settings.job_max_attempts:
            row.state, row.finished_at = "failed", utcnow()
            log.error(
                "job %s #%s failed for good after %d runs: %s", name, outbox_id, row.attempts, error, exc_info=exc
            )
            return "failed"
        delay = retry_delay(settings.job_retry_seconds, row.attempts)
        row.state, row.due_at = "pending", utcnow() + timedelta(seconds=delay)
        attempts = row.attempts
    log.warning(
        "job %s #%s failed (run %d), retried in %.0f s: %s", name, outbox_id, attempts, delay, error, exc_info=exc
    )
    return "retry"


async def run_outbox_batch(ctx: dict, items: list[tuple[int, int]]) -> str:
    """Run many rows (outbox id, send count) in one transaction; rows already done, cancelled or
    sent again since (a stale count) are left alone. On any error the whole batch is rolled back
    and each row is run alone, with its own retry and failure record."""
    wanted = {int(outbox_id): int(sends) for outbox_id, sends in items}
    outcome: Counter[str] = Counter()
    try:
        async with transaction(ctx["sessionmaker"], ctx["redis"], ctx["queue_name"]) as db:
            table = OutboxJob.__table__
            # A waiting lock, in id order (no deadlock between two copies of a batch): a relay still
            # committing these rows' send, or a copy of this batch, is waited for.
            rows = (
                await db.execute(
                    sa.select(table.c.id, table.c.job, table.c.args, table.c.state, table.c.sends)
                    .where(table.c.id.in_(list(wanted)))
                    .order_by(table.c.id)
                    .with_for_update()
                )
            ).all()
            live = [r for r in rows if r.state in ("pending", "sent") and r.sends == wanted[r.id]]
            outcome["skipped"] = len(wanted) - len(live)
            by_job: dict[str, list] = {}
            for row in live:
                by_job.setdefault(row.job, []).append(row)
            for name, group in by_job.items():
                batch_handler = BATCH_HANDLERS.get(name)
                if batch_handler is not None:
                    results = await batch_handler(db, [row.args for row in group])
                else:  # a job without a batch handler: its handler row by row, in this transaction
                    results = [await HANDLERS[name](db, row.args) for row in group]
                outcome.update(f"{name}: {result}" for result in results)
            if live:
                await db.execute(
                    sa.update(table)
                    .where(table.c.id.in_([row.id for row in live]))
                    .values(state="done", finished_at=utcnow(), attempts=table.c.attempts + 1)
                )
    except Exception as exc:
        if is_outage(exc):
            raise retry_later(ctx, exc) from exc
        log.warning("a batch of %d jobs failed (%s: %s); running them one by one", len(wanted), type(exc).__name__, exc)
        alone = Counter([await run_outbox_job(ctx, outbox_id, sends) for outbox_id, sends in wanted.items()])
        return f"one by one: {dict(alone)}"
    if not outcome["skipped"]:
        del outcome["skipped"]
    log.info("batch of %d jobs: %s", len(wanted), dict(outcome))
    return str(dict(outcome))
