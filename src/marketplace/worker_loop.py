"""The arq worker, made to outlive a Redis outage.

arq's own loop ends at the first Redis error (a restart, a failover, a cut network), and a worker that
started while Redis was away never starts at all. This one waits and reconnects instead, with doubling
back-off capped at a couple of seconds so it picks work up again soon after Redis is back. Jobs cut off
meanwhile lose nothing: their outbox rows are still in PostgreSQL and the relay sends them again
(lost_queue.py notices a Redis that came back empty).
"""

import asyncio
import logging
import time

from arq.connections import create_pool
from arq.worker import Worker

from .outage import is_outage

log = logging.getLogger(__name__)
FIRST_WAIT = 0.1
LONGEST_WAIT = 2.0


def next_wait(wait: float) -> float:
    """The back-off after `wait` seconds of waiting for Redis: doubled, at most LONGEST_WAIT."""
    return min(max(wait, FIRST_WAIT / 2) * 2, LONGEST_WAIT)


def _say_away(exc: Exception) -> None:
    log.warning("Redis unreachable (%s: %s); the worker waits and reconnects", type(exc).__name__, exc)


class ResilientWorker(Worker):
    async def main(self) -> None:
        if self._pool is None:
            self._pool = await self._until_connected(self._connect)
        await super().main()

    async def _connect(self):
        return await create_pool(
            self.redis_settings,
            job_deserializer=self.job_deserializer,
            job_serializer=self.job_serializer,
            default_queue_name=self.queue_name,
            expires_extra_ms=self.expires_extra_ms,
        )

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        try:
            await super().start_jobs(job_ids)
        except Exception:
            # arq takes a slot (its semaphore and counter) before asking Redis about a job and gives it
            # back when the job's task ends; a Redis error in between starts no task, so it is given
            # back here, or every outage would leave the worker with fewer slots.
            self.job_counter -= 1
            self.sem.release()
            raise

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except Exception as exc:
            if not is_outage(exc):
                raise
            await self._until_connected(self.pool.ping, exc)

    async def close(self) -> None:
        try:
            await super().close()
        except Exception as exc:  # stopped while Redis is away: nothing left to tidy up there
            if not is_outage(exc):
                raise
            log.warning("the worker stops with Redis unreachable (%s)", type(exc).__name__)

    async def _until_connected(self, attempt, first_error: Exception | None = None):
        """Run `attempt` (a connect, a PING) until Redis answers, logging the outage once and its end."""
        started, wait, error = time.monotonic(), FIRST_WAIT, first_error
        if error is not None:
            _say_away(error)
        while True:
            try:
                found = await attempt()
            except Exception as exc:
                if not is_outage(exc):
                    raise
                if error is None:
                    _say_away(exc)
                error = exc
                await asyncio.sleep(wait)
                wait = next_wait(wait)
                continue
            if error is not None:
                log.warning("Redis is back after %.1f s; the worker carries on", time.monotonic() - started)
            return found
