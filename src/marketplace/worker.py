"""arq worker settings: the outbox runner, the relay and periodic jobs (`marketplace worker`)."""

import logging
from zoneinfo import ZoneInfo

from arq import cron

from . import queue
from .db import make_engine, make_sessionmaker
from .jobs import run_outbox_batch, run_outbox_job
from .jobs.periodic import (
    archive_old,
    daily_digest,
    fold_figures,
    match_open_needs,
    nightly,
    relay_outbox,
    scan_deadlines,
)
from .logs import configure_logging
from .settings import Settings, get_settings

log = logging.getLogger(__name__)


def _startup(settings: Settings, standalone: bool):
    async def startup(ctx: dict) -> None:
        if standalone:
            configure_logging(settings)
        ctx["settings"] = settings
        # Each running job holds a connection: room for all of them, so none waits for the pool.
        ctx["engine"] = make_engine(
            settings.database_url, settings, max(settings.db_pool_size, settings.worker_max_jobs)
        )
        ctx["sessionmaker"] = make_sessionmaker(ctx["engine"], settings)
        ctx["queue_name"] = settings.queue_name

    return startup


async def shutdown(ctx: dict) -> None:
    if "engine" in ctx:
        await ctx["engine"].dispose()


def cron_jobs(settings: Settings) -> list:
    """Named after the queue, so arq's per-run job ids never collide between deployments on one Redis.
    Hours are the market's local time (the worker's cron time zone)."""
    prefix = settings.queue_name
    return [
        cron(relay_outbox, name=f"{prefix}:relay_outbox", second=set(range(0, 60, 5)), run_at_startup=True),
        cron(scan_deadlines, name=f"{prefix}:scan_deadlines", second=20, run_at_startup=True),
        # each run folds the range the run before noted: figures are folded 5–10 s behind the events
        cron(fold_figures, name=f"{prefix}:fold_figures", second=set(range(2, 60, 5)), run_at_startup=True),
        cron(match_open_needs, name=f"{prefix}:match_open_needs", minute=set(range(0, 60, 2)), second=40),
        cron(nightly, name=f"{prefix}:nightly", hour=3, minute=17, second=0),
        # The first run on years of history takes minutes (arq's default limit is 5); cut short, it goes on
        # the next night where it stopped.
        cron(archive_old, name=f"{prefix}:archive_old", hour=3, minute=47, second=0, timeout=3600),
        cron(daily_digest, name=f"{prefix}:daily_digest", hour=8, minute=30, second=0),
    ]


def worker_settings(settings: Settings | None = None, *, standalone: bool = True) -> dict:
    """arq Worker keyword arguments. A standalone worker (`marketplace worker`) sets up logging and
    runs the cron jobs; tests run one in-process with their Settings and neither."""
    settings = settings or get_settings()
    return {
        "functions": [run_outbox_job, run_outbox_batch],
        "cron_jobs": cron_jobs(settings) if standalone else [],
        "on_startup": _startup(settings, standalone),
        "on_shutdown": shutdown,
        "redis_settings": queue.redis_settings(settings.redis_url),
        "queue_name": settings.queue_name,
        "timezone": ZoneInfo(settings.time_zone),
        # Retries with back-off are the outbox's (jobs/__init__.py); arq retries only a run cut short, or
        # one that found PostgreSQL away (at most 30 s apart: 20 tries wait out about seven minutes).
        "max_tries": 20,
        "keep_result": 0,  # nobody reads arq's results; the outbox row holds the outcome
        "health_check_interval": 30,
        "health_check_key": f"{settings.queue_name}:health-check",
        # arq's defaults (10 jobs at a time, a look for due jobs twice a second) let 100,000 reminders
        # fall many seconds behind (bench/README.md, "Reminders"); each job waits on PostgreSQL, not the CPU.
        "max_jobs": settings.worker_max_jobs,
        "poll_delay": 0.05,
        "queue_read_limit": settings.worker_max_jobs * 2,
    }
