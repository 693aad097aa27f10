"""Background jobs. Each outbox row names a job here; `run_outbox_job` runs it once.

A job runs in one transaction with the outbox row locked and marked done, so a
job that arq delivers twice (it may) finds the row done and does nothing.
"""

import logging
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import transaction
from ..models import OutboxJob
from ..models.base import utcnow

log = logging.getLogger(__name__)

JobHandler = Callable[[AsyncSession, dict], Awaitable[object]]
HANDLERS: dict[str, JobHandler] = {}


def job(name: str) -> Callable[[JobHandler], JobHandler]:
    def register(handler: JobHandler) -> JobHandler:
        HANDLERS[name] = handler
        return handler

    return register


async def run_outbox_job(ctx: dict, outbox_id: int) -> str:
    async with transaction(ctx["sessionmaker"], ctx["redis"], ctx["queue_name"]) as db:
        row = (
            await db.execute(sa.select(OutboxJob).where(OutboxJob.id == outbox_id).with_for_update(skip_locked=True))
        ).scalar_one_or_none()
        if row is None or row.state not in ("pending", "sent"):
            return "skipped"
        handler = HANDLERS.get(row.job)
        if handler is None:
            row.state, row.last_error = "failed", f"no job called {row.job!r}"
            return "failed"
        result = await handler(db, row.args)
        row.state, row.finished_at, row.attempts = "done", utcnow(), row.attempts + 1
        log.info("job %s #%s done: %s", row.job, row.id, result)
        return f"{row.job}: {result}"
