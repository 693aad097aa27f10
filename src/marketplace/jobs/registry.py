"""Job handlers by name: an outbox row names one; `run_outbox_job` runs it."""

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

JobHandler = Callable[[AsyncSession, dict], Awaitable[object]]
HANDLERS: dict[str, JobHandler] = {}


def job(name: str) -> Callable[[JobHandler], JobHandler]:
    def register(handler: JobHandler) -> JobHandler:
        HANDLERS[name] = handler
        return handler

    return register
