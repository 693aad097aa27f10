"""Jobs are recorded in the outbox table inside the use case's transaction and
sent to arq after the commit; the worker's relay re-sends anything left behind.
"""

import asyncio
import logging
import math
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Litestar
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import OutboxJob
from .models.base import utcnow

log = logging.getLogger(__name__)

# Jobs due further ahead than this stay in the outbox until the relay sends them,
# so a cancelled reminder is simply never sent.
SEND_HORIZON = timedelta(minutes=2)
_PENDING_KEY = "marketplace_outbox_ids"
_RUN_NOW_KEY = "marketplace_outbox_run_now"
# The one arq function: it runs the outbox row's job by name (jobs/__init__.py).
RUN_OUTBOX_JOB = "run_outbox_job"
SEND_BATCH = 1000
# Rows of these jobs go to arq in batches: one arq job (RUN_OUTBOX_BATCH) per slice of BATCH_SLICE of
# due times, at most BATCH_MAX rows, run in one transaction with set-based statements (jobs/__init__.py).
# 100,000 reminders over 3 minutes cost a few thousand arq jobs instead of 100,000.
BATCHED_JOBS = frozenset({"remind"})
RUN_OUTBOX_BATCH = "run_outbox_batch"
BATCH_SLICE = 0.1  # seconds: a batch waits for its last row's due time, so a row waits at most this long
BATCH_MAX = 250
_ENQUEUE_AT_ONCE = 32  # arq enqueues in flight at once (each takes a Redis connection)


def redis_settings(redis_url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(redis_url)
    settings.conn_retries = 1
    settings.conn_timeout = 2
    return settings


@asynccontextmanager
async def redis_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    pool: ArqRedis = await create_pool(
        redis_settings(app.state.redis_url), default_queue_name=app.state.settings.queue_name
    )
    app.state.redis = pool
    try:
        yield
    finally:
        await pool.aclose()


def enqueue_sql(rows_param: str, condition: str = "TRUE") -> str:
    """The one INSERT of outbox rows: the rows come as a JSON array in the parameter `rows_param` (made
    by `job_rows`) and are written only when `condition` holds, so a use case's own statement can carry
    it as a CTE (order placement does). A row whose key is taken is left as it is, unless it was
    cancelled: then it is planned anew (a reminder dropped, then planned again)."""
    return f"""INSERT INTO outbox_jobs (job, args, due_at, dedupe_key, state, attempts, sends, created_at)
    SELECT job, args, due_at, dedupe_key, 'pending', 0, 0, now()
    FROM jsonb_to_recordset(CAST(:{rows_param} AS jsonb))
        AS rows (job varchar, args jsonb, due_at timestamptz, dedupe_key varchar)
    WHERE {condition}
    ON CONFLICT (dedupe_key) DO UPDATE SET state = 'pending', args = EXCLUDED.args, due_at = EXCLUDED.due_at,
        attempts = 0, last_error = NULL, finished_at = NULL
    WHERE outbox_jobs.state = 'cancelled'
    RETURNING id, due_at"""


# Built once: every accepted order writes outbox rows.
_ENQUEUE = (
    sa.text(enqueue_sql("jobs"))
    .bindparams(sa.bindparam("jobs", type_=JSONB))
    .columns(sa.column("id", sa.Integer), sa.column("due_at", sa.DateTime(timezone=True)))
)


def job_rows(jobs: list[tuple[str, dict, datetime | None, str | None]], now: datetime) -> list[dict]:
    """(job, args, due_at, dedupe_key) tuples as `enqueue_sql` reads them; no due time means now."""
    return [{"job": j, "args": a, "due_at": (due or now).isoformat(), "dedupe_key": key} for j, a, due, key in jobs]


def send_after_commit_too(session: AsyncSession, ids: list[int]) -> None:
    """Have `send_after_commit` hand these rows (written in this transaction, due soon) to Redis."""
    if ids:
        session.info.setdefault(_PENDING_KEY, []).extend(ids)


async def enqueue(
    session: AsyncSession,
    job: str,
    args: dict,
    *,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> list[int]:
    """Record a job in the current transaction. A row with the same dedupe_key is kept as it is,
    unless it was cancelled: then it is scheduled again (a reminder dropped, then planned anew).
    The id of the row written (none when the key was taken)."""
    return await enqueue_many(session, [(job, args, due_at, dedupe_key)])


async def enqueue_many(session: AsyncSession, jobs: list[tuple[str, dict, datetime | None, str | None]]) -> list[int]:
    """Several jobs (job, args, due_at, dedupe_key) in one statement, with enqueue's rules."""
    if not jobs:
        return []
    now = utcnow()
    inserted = (await session.execute(_ENQUEUE, {"jobs": job_rows(jobs, now)})).all()
    # Only what is due soon is sent after the commit; later reminders wait in PostgreSQL for the relay,
    # which spares a request a second transaction for jobs it cannot send yet anyway.
    send_after_commit_too(session, [job_id for job_id, due_at in inserted if due_at <= now + SEND_HORIZON])
    return [job_id for job_id, _ in inserted]


def run_after_commit(session: AsyncSession, ids: list[int]) -> None:
    """Have this process run these jobs itself right after the commit, before the answer goes out (a
    one-time code the member waits for). A run that fails leaves the row to the relay and the worker."""
    session.info.setdefault(_RUN_NOW_KEY, []).extend(ids)


async def run_now_after_commit(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], redis: ArqRedis | None, queue_name
) -> None:
    ids = session.info.pop(_RUN_NOW_KEY, None)
    if not ids:
        return
    from .db import settings_of
    from .jobs import run_outbox_job

    ctx = {"sessionmaker": sessionmaker, "redis": redis, "queue_name": queue_name, "settings": settings_of(session)}
    for outbox_id in ids:
        try:
            await run_outbox_job(ctx, outbox_id)
        except Exception as exc:  # a server away: the row is still pending or sent, the relay sends it
            log.warning("job #%s left to the worker: %s: %s", outbox_id, type(exc).__name__, exc)


async def cancel_jobs(session: AsyncSession, dedupe_prefix: str) -> int:
    """Cancel pending jobs whose dedupe key starts with the prefix (e.g. an order's reminders).
    A job already handed to Redis runs, re-reads the order and finds nothing to do."""
    result = await session.execute(
        sa.update(OutboxJob)
        .where(OutboxJob.state == "pending", OutboxJob.dedupe_key.startswith(dedupe_prefix, autoescape=True))
        .values(state="cancelled", finished_at=utcnow())
    )
    return result.rowcount or 0


def arq_job_id(queue_name: str, outbox_id: int, sends: int) -> str:
    return f"{queue_name}:outbox:{outbox_id}:{sends}"


def arq_batch_id(queue_name: str, first_id: int, first_sends: int) -> str:
    """A (row, send) belongs to exactly one batch, so the batch's first row and its send name it."""
    return f"{queue_name}:outbox-batch:{first_id}:{first_sends}"


async def send_after_commit(session: AsyncSession, redis: ArqRedis | None, queue_name: str | None) -> None:
    """Send the jobs this transaction recorded; failures are left for the relay."""
    ids = session.info.pop(_PENDING_KEY, None)
    if not ids or redis is None:
        return
    try:
        async with session.begin():
            await send_jobs(session, redis, queue_name, ids)
    except Exception as exc:  # Redis down: the relay sends them later
        log.warning("outbox send deferred to the relay: %s", exc)


def _slice_of(due_at: datetime) -> int:
    return math.floor(due_at.timestamp() / BATCH_SLICE)


async def send_jobs(
    session: AsyncSession,
    redis: ArqRedis,
    queue_name: str | None,
    ids: list[int] | None,
    *,
    now: datetime | None = None,
    resend_before: datetime | None = None,
    resend_deferred: bool = False,
    horizon: timedelta = SEND_HORIZON,
) -> int:
    """Hand rows to Redis: pending rows due within the horizon (only these ids, when given), and
    rows sent before `resend_before` that never ran (Redis lost them, or the worker running them died):
    those due by then, or with `resend_deferred` also those still waiting in Redis for their time.

    Rows are marked sent (one UPDATE) before the enqueue and the lock is held until commit, so a worker
    that picks a job up at once waits for this transaction and then finds the row as it should be; an
    enqueue that fails rolls the marks back, and a job that reached Redis then finds its send count stale.
    Rows of BATCHED_JOBS go as one arq job per slice of due times, deferred to the slice's last row.
    `now` moves the clock (tests): what is due by then is sent to run at once.
    """
    real_now = utcnow()
    clock = now or real_now
    wanted = sa.and_(OutboxJob.state == "pending", OutboxJob.due_at <= clock + horizon)
    if resend_before is not None and ids is None:
        stuck = sa.and_(OutboxJob.state == "sent", OutboxJob.sent_at < resend_before)
        if not resend_deferred:
            stuck = sa.and_(stuck, OutboxJob.due_at < resend_before)
        wanted = sa.or_(wanted, stuck)
    picked = sa.select(OutboxJob.id).where(wanted)
    if ids is not None:
        picked = picked.where(OutboxJob.id.in_(ids))
    picked = (
        picked.order_by(OutboxJob.due_at, OutboxJob.id)
        .limit(SEND_BATCH)
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    table = OutboxJob.__table__
    marked = (
        sa.update(table)
        .where(table.c.id == picked.c.id)
        .values(state="sent", sent_at=real_now, sends=table.c.sends + 1)
        .returning(table.c.id, table.c.job, table.c.sends, table.c.due_at)
    )
    rows = sorted((await session.execute(marked)).all(), key=lambda r: (r.due_at, r.id))
    queue_name = queue_name or redis.default_queue_name

    def run_at(due_at: datetime) -> datetime | None:
        return due_at if now is None and due_at > real_now else None

    sends = []
    batches: dict[tuple[str, int | None], list] = {}
    for row in rows:
        if row.job not in BATCHED_JOBS:
            sends.append(
                (RUN_OUTBOX_JOB, (row.id, row.sends), arq_job_id(queue_name, row.id, row.sends), run_at(row.due_at))
            )
            continue
        key = (row.job, _slice_of(row.due_at) if run_at(row.due_at) else None)
        batches.setdefault(key, []).append(row)
    for group in batches.values():
        for start in range(0, len(group), BATCH_MAX):
            part = group[start : start + BATCH_MAX]
            items = [(row.id, row.sends) for row in part]
            job_id = arq_batch_id(queue_name, part[0].id, part[0].sends)
            sends.append((RUN_OUTBOX_BATCH, (items,), job_id, run_at(part[-1].due_at)))
    for start in range(0, len(sends), _ENQUEUE_AT_ONCE):
        await asyncio.gather(
            *(
                redis.enqueue_job(function, *args, _job_id=job_id, _defer_until=defer, _queue_name=queue_name)
                for function, args, job_id, defer in sends[start : start + _ENQUEUE_AT_ONCE]
            )
        )
    return len(rows)


async def relay(
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    queue_name: str | None,
    *,
    now: datetime | None = None,
    stuck_after: timedelta | None = None,
    horizon: timedelta = SEND_HORIZON,
    lost: bool = False,
) -> int:
    """Send everything due that was not sent after its commit (Redis was down, a crash), in batches;
    with `stuck_after`, also re-send jobs sent that long ago that never ran; when Redis `lost` its
    queue (lost_queue.py), every job sent before now, at once (deferred ones deferred again)."""
    resend_before = utcnow() if lost else utcnow() - stuck_after if stuck_after is not None else None
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            sent = await send_jobs(
                session,
                redis,
                queue_name,
                None,
                now=now,
                resend_before=resend_before,
                resend_deferred=lost,
                horizon=horizon,
            )
        total += sent
        if sent < SEND_BATCH:
            return total


async def purge_finished(session: AsyncSession, older_than: timedelta) -> int:
    """Forget jobs done or cancelled long ago; failed ones stay for the operators to look at."""
    result = await session.execute(
        sa.delete(OutboxJob).where(
            OutboxJob.state.in_(("done", "cancelled")), OutboxJob.finished_at < utcnow() - older_than
        )
    )
    return result.rowcount or 0
