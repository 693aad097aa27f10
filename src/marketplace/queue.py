"""Jobs are recorded in the outbox table inside the use case's transaction and
sent to arq after the commit; the worker's relay re-sends anything left behind.
"""

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Litestar
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import OutboxJob
from .models.base import utcnow

log = logging.getLogger(__name__)

# Jobs due further ahead than this stay in the outbox until the relay sends them,
# so a cancelled reminder is simply never sent.
SEND_HORIZON = timedelta(minutes=2)
_PENDING_KEY = "marketplace_outbox_ids"
# The one arq function: it runs the outbox row's job by name (jobs/__init__.py).
RUN_OUTBOX_JOB = "run_outbox_job"
SEND_BATCH = 1000


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


async def enqueue(
    session: AsyncSession,
    job: str,
    args: dict,
    *,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Record a job in the current transaction. A row with the same dedupe_key is kept as it is,
    unless it was cancelled: then it is scheduled again (a reminder dropped, then planned anew)."""
    await enqueue_many(session, [(job, args, due_at, dedupe_key)])


async def enqueue_many(session: AsyncSession, jobs: list[tuple[str, dict, datetime | None, str | None]]) -> None:
    """Several jobs (job, args, due_at, dedupe_key) in one statement, with enqueue's rules."""
    if not jobs:
        return
    now = utcnow()
    rows = [{"job": j, "args": a, "due_at": due or now, "dedupe_key": key} for j, a, due, key in jobs]
    stmt = insert(OutboxJob).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["dedupe_key"],
        set_={
            "state": "pending",
            "args": stmt.excluded.args,
            "due_at": stmt.excluded.due_at,
            "attempts": 0,
            "last_error": None,
            "finished_at": None,
        },
        where=OutboxJob.state == "cancelled",
    )
    inserted = (await session.execute(stmt.returning(OutboxJob.id, OutboxJob.due_at))).all()
    # Only what is due soon is sent after the commit; later reminders wait in PostgreSQL for the relay,
    # which spares a request a second transaction for jobs it cannot send yet anyway.
    soon = [job_id for job_id, due_at in inserted if due_at <= now + SEND_HORIZON]
    if soon:
        session.info.setdefault(_PENDING_KEY, []).extend(soon)


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


async def send_jobs(
    session: AsyncSession,
    redis: ArqRedis,
    queue_name: str | None,
    ids: list[int] | None,
    *,
    now: datetime | None = None,
    resend_before: datetime | None = None,
    horizon: timedelta = SEND_HORIZON,
) -> int:
    """Hand rows to Redis: pending rows due within the horizon (only these ids, when given), and
    rows sent before `resend_before` that never ran (Redis lost them, or the worker running them died).

    Rows are marked sent before the enqueue and the lock is held until commit, so a worker that
    picks a job up at once waits for this transaction and then finds the row as it should be.
    `now` moves the clock (tests): what is due by then is sent to run at once.
    """
    real_now = utcnow()
    clock = now or real_now
    wanted = sa.and_(OutboxJob.state == "pending", OutboxJob.due_at <= clock + horizon)
    if resend_before is not None and ids is None:
        stuck = sa.and_(OutboxJob.state == "sent", OutboxJob.sent_at < resend_before, OutboxJob.due_at < resend_before)
        wanted = sa.or_(wanted, stuck)
    query = sa.select(OutboxJob).where(wanted)
    if ids is not None:
        query = query.where(OutboxJob.id.in_(ids))
    query = query.order_by(OutboxJob.due_at, OutboxJob.id).limit(SEND_BATCH)
    rows = (await session.execute(query.with_for_update(skip_locked=True))).scalars().all()
    queue_name = queue_name or redis.default_queue_name
    for row in rows:
        row.state, row.sent_at, row.sends = "sent", real_now, row.sends + 1
    await session.flush()
    for row in rows:
        await redis.enqueue_job(
            RUN_OUTBOX_JOB,
            row.id,
            row.sends,
            _job_id=arq_job_id(queue_name, row.id, row.sends),
            _defer_until=row.due_at if now is None and row.due_at > real_now else None,
            _queue_name=queue_name,
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
) -> int:
    """Send everything due that was not sent after its commit (Redis was down, a crash), in batches;
    with `stuck_after`, also re-send jobs sent that long ago that never ran."""
    resend_before = utcnow() - stuck_after if stuck_after is not None else None
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            sent = await send_jobs(
                session, redis, queue_name, None, now=now, resend_before=resend_before, horizon=horizon
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
