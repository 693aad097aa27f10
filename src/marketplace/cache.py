"""A short-lived cache of public answers (the menu and the category tree), shared in Redis.

Keys carry a per-market version. A use case that changes what the menu shows (a listing
published, paused or closed, sessions added or called off, categories, ratings) marks the
market in its transaction, and the version is bumped after the commit, so the next request
reads fresh data. What is not versioned — seats left, which move with every order — is
bounded by the TTL: a few seconds, never more.
"""

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)
_CHANGED = "marketplace_menu_changed"


def menu_changed(db: AsyncSession, market_id: int) -> None:
    """Record, in the current transaction, that this market's public menu changed."""
    db.info.setdefault(_CHANGED, set()).add(market_id)


def _version_key(prefix: str, market_id: int) -> str:
    return f"{prefix}:menu-version:{market_id}"


async def bump_after_commit(db: AsyncSession, redis, prefix: str | None) -> None:
    markets = db.info.pop(_CHANGED, None)
    if not markets or redis is None or prefix is None:
        return
    try:
        for market_id in markets:
            await redis.incr(_version_key(prefix, market_id))
    except Exception as exc:  # Redis down: the cache is down with it, and the TTL bounds the rest
        log.warning("menu cache version not bumped: %s", exc)


async def cached(
    redis,
    prefix: str,
    ttl_seconds: int,
    market_id: int,
    name: str,
    params: dict,
    compute: Callable[[], Awaitable[bytes]],
) -> bytes:
    """The cached bytes for (market, name, params), computed and stored when missing or stale."""
    if redis is None or ttl_seconds <= 0:
        return await compute()
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    try:
        version = await redis.get(_version_key(prefix, market_id))
        key = f"{prefix}:menu:{market_id}:{int(version or 0)}:{name}:{digest}"
        hit = await redis.get(key)
    except Exception as exc:  # no cache without Redis; the answer is still right
        log.warning("menu cache unavailable: %s", exc)
        return await compute()
    if hit is not None:
        return hit
    body = await compute()
    try:
        await redis.set(key, body, ex=ttl_seconds)
    except Exception as exc:
        log.warning("menu cache not stored: %s", exc)
    return body
