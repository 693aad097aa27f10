"""A short-lived cache of public answers (the menu and the category tree), shared in Redis.

Keys carry a per-market version. A use case that changes what the menu shows (a listing
published, paused or closed, sessions added or called off, categories, ratings) marks the
market in its transaction, and the version is bumped after the commit, so the next request
reads fresh data. What is not versioned — seats left, which move with every order — is
bounded by the TTL: a few seconds, never more.

Each process also keeps what it served for a second, and reads the version from Redis at
most every half second: a hit then costs no round trip at all. The process that made a
change sees it at once; other processes within half a second.
"""

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)
_CHANGED = "marketplace_menu_changed"
VERSION_CHECK_SECONDS = 0.5
LOCAL_SECONDS = 1.0
_LOCAL_MAX = 2000
# Per process: version key -> (version, when read); cache key -> (expires at, body).
_versions: dict[str, tuple[int, float]] = {}
_local: dict[str, tuple[float, bytes]] = {}


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
            key = _version_key(prefix, market_id)
            _versions[key] = (await redis.incr(key), time.monotonic())
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
    now = time.monotonic()
    try:
        version = await _version(redis, prefix, market_id, now)
        key = f"{prefix}:menu:{market_id}:{version}:{name}:{digest}"
        local = _local.get(key)
        if local is not None and local[0] > now:
            return local[1]
        hit = await redis.get(key)
    except Exception as exc:  # no cache without Redis; the answer is still right
        log.warning("menu cache unavailable: %s", exc)
        return await compute()
    if hit is None:
        hit = await compute()
        try:
            await redis.set(key, hit, ex=ttl_seconds)
        except Exception as exc:
            log.warning("menu cache not stored: %s", exc)
    if len(_local) >= _LOCAL_MAX:
        _local.clear()
    _local[key] = (now + min(LOCAL_SECONDS, ttl_seconds), hit)
    return hit


async def _version(redis, prefix: str, market_id: int, now: float) -> int:
    key = _version_key(prefix, market_id)
    known = _versions.get(key)
    if known is not None and now - known[1] < VERSION_CHECK_SECONDS:
        return known[0]
    version = int(await redis.get(key) or 0)
    _versions[key] = (version, now)
    return version
