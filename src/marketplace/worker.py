"""arq worker settings: the outbox runner, the relay and periodic jobs (`marketplace worker`)."""

import logging

from arq import cron
from arq.connections import ArqRedis

from . import queue
from .db import make_engine, make_sessionmaker
from .jobs import run_outbox_job
from .logs import configure_logging
from .settings import get_settings

log = logging.getLogger(__name__)


async def startup(ctx: dict) -> None:
    settings = get_settings()
    configure_logging(settings)
    ctx["settings"] = settings
    ctx["engine"] = make_engine(settings.database_url, settings)
    ctx["sessionmaker"] = make_sessionmaker(ctx["engine"])
    ctx["queue_name"] = settings.queue_name


async def shutdown(ctx: dict) -> None:
    await ctx["engine"].dispose()


async def relay_outbox(ctx: dict) -> int:
    """Send outbox rows that are due and were not sent after their commit (Redis was down, a crash)."""
    redis: ArqRedis = ctx["redis"]
    total = 0
    while True:
        async with ctx["sessionmaker"]() as db, db.begin():
            sent = await queue.send_jobs(db, redis, ctx["queue_name"], None)
        total += sent
        if sent < 1000:
            break
    if total:
        log.info("relay sent %d outbox jobs", total)
    return total


def worker_settings() -> dict:
    settings = get_settings()
    return {
        "functions": [run_outbox_job],
        "cron_jobs": [cron(relay_outbox, second=set(range(0, 60, 5)), run_at_startup=True, unique=True)],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": queue.redis_settings(settings.redis_url),
        "queue_name": settings.queue_name,
        "max_tries": 5,
        "health_check_interval": 30,
        "health_check_key": f"{settings.queue_name}:health-check",
    }
