"""A real arq worker in burst mode against the test run's PostgreSQL and Redis.

`jobs.drain(now)` sends what the outbox holds due by `now` and runs a burst worker until
nothing is left; tests move time by passing `now` (never by sleeping).
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from arq import create_pool
from arq.connections import ArqRedis
from arq.worker import Worker
from sqlalchemy.ext.asyncio import async_sessionmaker

from marketplace import queue
from marketplace.db import make_sessionmaker, transaction
from marketplace.lost_queue import marker_key
from marketplace.models import Notification, Offer, Order, OutboxJob
from marketplace.models.base import utcnow
from marketplace.services import deadlines
from marketplace.settings import Settings
from marketplace.worker import worker_settings

from ...outages import OwnRedis, free_port


async def forget_queued(redis: ArqRedis, queue_name: str) -> None:
    """Drop arq's keys for this queue (jobs left by earlier tests point at rows since truncated) and the
    relay's marker."""
    keys = [queue_name, marker_key(queue_name)]
    for pattern in (f"arq:job:{queue_name}:*", f"arq:in-progress:{queue_name}:*", f"arq:retry:{queue_name}:*"):
        keys += [key async for key in redis.scan_iter(match=pattern)]
    await redis.delete(*keys)


@dataclass
class Jobs:
    settings: Settings
    sessionmaker: async_sessionmaker
    redis: ArqRedis

    @property
    def queue_name(self) -> str:
        return self.settings.queue_name

    def worker(self) -> Worker:
        """The worker `marketplace worker` runs, in burst mode, sharing the tests' engine (no new pool)."""
        options = worker_settings(self.settings, standalone=False)

        async def startup(ctx: dict) -> None:
            ctx.update(settings=self.settings, sessionmaker=self.sessionmaker, queue_name=self.queue_name)

        options.update(on_startup=startup, on_shutdown=None)
        return Worker(**{**options, "poll_delay": 0.01}, burst=True)

    async def drain(self, now: datetime | None = None, *, stuck_after: timedelta | None = None) -> int:
        """Run every job due by `now` (default: now), and the jobs they cause, to the end."""
        ran = 0
        for _ in range(30):
            sent = await queue.relay(
                self.sessionmaker,
                self.redis,
                self.queue_name,
                now=now or utcnow(),
                stuck_after=stuck_after,
                horizon=timedelta(0),
            )
            worker = self.worker()
            try:
                done = await asyncio.wait_for(worker.run_check(), 60)
            finally:
                await worker.close()
            ran += done
            if not sent and not done:
                return ran
        raise AssertionError("jobs kept coming")

    async def scan(self, now: datetime) -> dict:
        async with transaction(self.sessionmaker, self.redis, self.queue_name) as db:
            return await deadlines.scan(db, now)

    async def run(self, use_case):
        """One unit of work with this process's settings; jobs it queues are sent after commit."""
        async with transaction(self.sessionmaker, self.redis, self.queue_name) as db:
            return await use_case(db)

    async def rows(self, job: str | None = None, prefix: str | None = None) -> list[OutboxJob]:
        query = sa.select(OutboxJob).order_by(OutboxJob.id)
        if job:
            query = query.where(OutboxJob.job == job)
        if prefix:
            query = query.where(OutboxJob.dedupe_key.startswith(prefix))
        async with self.sessionmaker() as db:
            return list((await db.execute(query)).scalars())

    async def notices(self, user_id: int | None = None, kind: str | None = None) -> list[Notification]:
        query = sa.select(Notification).order_by(Notification.id)
        if user_id is not None:
            query = query.where(Notification.user_id == user_id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        async with self.sessionmaker() as db:
            return list((await db.execute(query)).scalars())

    async def order(self, order_id: int) -> Order:
        async with self.sessionmaker() as db:
            return await db.get(Order, order_id)

    async def offers(self, order_id: int) -> list[Offer]:
        async with self.sessionmaker() as db:
            query = sa.select(Offer).where(Offer.order_id == order_id).order_by(Offer.id)
            return list((await db.execute(query)).scalars())

    async def edit(self, model, row_id, **values) -> None:
        """Move time in the data (a session's start, a row's due time) instead of sleeping."""
        async with self.sessionmaker() as db, db.begin():
            row = await db.get(model, row_id)
            for key, value in values.items():
                setattr(row, key, value)


async def make_jobs(settings: Settings, engine) -> Jobs:
    redis = await create_pool(queue.redis_settings(settings.redis_url), default_queue_name=settings.queue_name)
    await forget_queued(redis, settings.queue_name)
    return Jobs(settings, make_sessionmaker(engine, settings), redis)


@pytest.fixture
async def jobs(settings, engine, client):
    found = await make_jobs(settings, engine)
    yield found
    await found.redis.aclose()


@pytest.fixture
def own_redis():
    """A redis-server of the test's own, to stop and start (never the shared one)."""
    server = OwnRedis(free_port())
    server.start()
    yield server
    server.stop()
