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
from sqlalchemy.ext.asyncio import AsyncSession

from .models import OutboxJob
from .models.base import utcnow

log = logging.getLogger(__name__)

# Jobs due further ahead than this stay in the outbox until the relay sends them,
# so a cancelled reminder is simply never sent.
SEND_HORIZON = timedelta(minutes=2)
_PENDING_KEY = "marketplace_outbox_ids"
# The one arq function: it runs the outbox row's job by name (jobs/__init__.py).
RUN_OUTBOX_JOB = "run_outbox_job"


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
    """Record a job in the current transaction; a row with the same dedupe_key is kept as it is."""
    values = {"job": job, "args": args, "due_at": due_at or utcnow(), "dedupe_key": dedupe_key}
    stmt = insert(OutboxJob).values(**values).returning(OutboxJob.id)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    job_id = (await session.execute(stmt)).scalar_one_or_none()
    if job_id is not None:
        session.info.setdefault(_PENDING_KEY, []).append(job_id)


async def cancel_jobs(session: AsyncSession, dedupe_prefix: str) -> int:
    """Cancel pending jobs whose dedupe key starts with the prefix (e.g. an order's reminders)."""
    result = await session.execute(
        sa.update(OutboxJob)
        .where(OutboxJob.state == "pending", OutboxJob.dedupe_key.startswith(dedupe_prefix))
        .values(state="cancelled", finished_at=utcnow())
    )
    return result.rowcount or 0


def arq_job_id(queue_name: str, outbox_id: int) -> str:
    return f"{queue_name}:outbox:{outbox_id}"


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


async def send_jobs(session: AsyncSession, redis: ArqRedis, queue_name: str | None, ids: list[int] | None) -> int:
    """Send pending outbox rows due within the horizon (all such rows when ids is None)."""
    horizon = utcnow() + SEND_HORIZON
    query = sa.select(OutboxJob).where(OutboxJob.state == "pending", OutboxJob.due_at <= horizon)
    if ids is not None:
        query = query.where(OutboxJob.id.in_(ids))
    else:
        query = query.order_by(OutboxJob.due_at).limit(1000)
    rows = (await session.execute(query.with_for_update(skip_locked=True))).scalars().all()
    sent: list[int] = []
    for row in rows:
        await redis.enqueue_job(
            RUN_OUTBOX_JOB,
            row.id,
            _job_id=arq_job_id(queue_name or redis.default_queue_name, row.id),
            _defer_until=row.due_at,
            _queue_name=queue_name,
        )
        sent.append(row.id)
    if sent:
        await session.execute(sa.update(OutboxJob).where(OutboxJob.id.in_(sent)).values(state="sent", sent_at=utcnow()))
    return len(sent)
