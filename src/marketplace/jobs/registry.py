"""Job handlers by name: an outbox row names one; `run_outbox_job` runs it. A job sent in batches
(queue.BATCHED_JOBS) also has a batch handler: the args of many rows in, one result per row out,
all in the caller's transaction."""

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

JobHandler = Callable[[AsyncSession, dict], Awaitable[object]]
BatchHandler = Callable[[AsyncSession, list[dict]], Awaitable[list[object]]]
HANDLERS: dict[str, JobHandler] = {}
BATCH_HANDLERS: dict[str, BatchHandler] = {}


def job(name: str) -> Callable[[JobHandler], JobHandler]:
    def register(handler: JobHandler) -> JobHandler:
        HANDLERS[name] = handler
        return handler

    return register


def batch_job(name: str) -> Callable[[BatchHandler], BatchHandler]:
    def register(handler: BatchHandler) -> BatchHandler:
        BATCH_HANDLERS[name] = handler
        return handler

    return register
