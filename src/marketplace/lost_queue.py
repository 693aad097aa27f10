"""Noticing a Redis that came back empty.

Redis may return without its data (restarted with no persistence, flushed, failed over to an empty
replica): every job handed to it before is gone, while their outbox rows still say "sent". Rather than
wait OUTBOX_STUCK_SECONDS for them, the relay keeps a marker key in Redis beside the queue. A missing
marker means the queue may have been lost (or this is a first start), so every sent row is sent again
at once. That is safe: a re-send counts up the row's send count, which is part of the arq job id and is
checked by the job, so an old copy that did survive does nothing, and notices are deduplicated.

The marker holds a fresh token, set before the re-send and read again after it: if Redis lost its data
once more meanwhile, the token is gone and the next relay run re-sends again.
"""

import logging
import secrets
from datetime import timedelta

from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from . import queue

log = logging.getLogger(__name__)


def marker_key(queue_name: str) -> str:
    return f"{queue_name}:outbox-marker"


async def relay(
    sessionmaker: async_sessionmaker[AsyncSession], redis: ArqRedis, queue_name: str, stuck_after: timedelta
) -> int:
    """The relay (queue.relay), re-sending every sent job at once when Redis lost its queue."""
    key = marker_key(queue_name)
    if await redis.exists(key):
        return await queue.relay(sessionmaker, redis, queue_name, stuck_after=stuck_after)
    token = secrets.token_hex(8)
    await redis.set(key, token)
    sent = await queue.relay(sessionmaker, redis, queue_name, lost=True)
    level = logging.WARNING if sent else logging.INFO
    log.log(level, "no outbox marker in Redis (a first start, or Redis came back empty): %d jobs sent again", sent)
    if await redis.get(key) != token.encode():
        await redis.delete(key)  # lost again meanwhile, or another relay's token: the next run re-sends
    return sent
