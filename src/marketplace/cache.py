"""A short-lived cache of public answers (the menu and the category tree), shared in Redis.

Keys carry a per-market version. A use case that changes what the menu shows (a listing
published, paused or closed, sessions added or called off, categories, ratings) marks the
market in its transaction, and the version is bumped after the commit, so the next request
reads fresh data. What is not versioned — seats left, which move with every order — is
bounded by the TTL: a few seconds, never more. Each entry carries the time it was computed,
and no copy of it (in Redis or in a process) is served once that time is TTL seconds old.

Each process also keeps what it served for a second (less when the entry is older), and reads
the version from Redis at most every half second: a hit then costs no round trip at all. The
process that made a change sees it at once; other processes within half a second. A process
computes a missing entry once, however many requests ask for it at the same moment.

Rendered pages and parts of pages (`cached_fragment`) use the same versions and TTL: the menu page
caches what is the same for everyone (web/pages/member.py) so that it is not rendered again while
nothing changed.
"""

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)
_CHANGED = "marketplace_menu_changed"
VERSION_CHECK_SECONDS = 0.5
LOCAL_SECONDS = 1.0
_LOCAL_MAX = 2000
# Per process: version key -> (version, when read); (key parts, params) -> (expires at, body).
_versions: dict[str, tuple[int, float]] = {}
_local: dict[tuple, tuple[float, bytes]] = {}
# Per process: cache key -> the computation under way (one per key, shared by the requests waiting).
_pending: dict[str, asyncio.Future] = {}


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
        markets = await _with_markets_below(db, markets)  # their menus show what a parent shares below
        for market_id in markets:
            await bump_version(redis, prefix, market_id)
    except Exception as exc:  # Redis down: the cache is down with it, and the TTL bounds the rest
        log.warning("menu cache version not bumped: %s", exc)


_BELOW = sa.text(
    "WITH RECURSIVE below(id) AS (SELECT id FROM markets WHERE id = ANY(:ids)"
    " UNION SELECT m.id FROM markets m JOIN below b ON m.parent_id = b.id) SELECT id FROM below"
)


async def _with_markets_below(db: AsyncSession, markets: set[int]) -> set[int]:
    """The markets and every market below them (services/market_tree.py), read after the commit."""
    return set((await db.execute(_BELOW, {"ids": sorted(markets)})).scalars())


async def bump_version(redis, prefix: str, market_id: int) -> int:
    """A new version of the market's menu: every entry cached so far is left behind (this process at once)."""
    key = _version_key(prefix, market_id)
    version = await redis.incr(key)
    _versions[key] = (version, time.monotonic())
    return version


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
    return await _cached(redis, prefix, ttl_seconds, market_id, "menu", name, params, compute)


async def cached_fragment(
    redis,
    prefix: str,
    ttl_seconds: int,
    market_id: int,
    name: str,
    params: dict,
    compute: Callable[[], Awaitable[str]],
) -> bytes:
    """A rendered page or part of one (text, kept UTF-8 encoded) for (market, name, params), under the
    menu's version and TTL.

    `params` must name everything it depends on (the language, the query, the page): it is rendered
    once for everyone who asks the same, so it must hold nothing of one visitor.
    """

    async def encoded() -> bytes:
        return (await compute()).encode()

    return await _cached(redis, prefix, ttl_seconds, market_id, "page", name, params, encoded)


async def _cached(redis, prefix, ttl_seconds, market_id, kind, name, params, compute) -> bytes:
    if redis is None or ttl_seconds <= 0:
        return await compute()
    now = time.monotonic()
    try:
        version = await _version(redis, prefix, market_id, now)
        # a hit here costs no encoding and no digest: the params themselves are the key
        local_key = (prefix, kind, market_id, version, name, _hashable(params))
        local = _local.get(local_key)
        if local is not None and local[0] > now:
            return local[1]
        digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
        key = f"{prefix}:{kind}:{market_id}:{version}:{name}:{digest}"
        stored = await redis.get(key)
    except Exception as exc:  # no cache without Redis; the answer is still right
        log.warning("menu cache unavailable: %s", exc)
        return await compute()
    born, body = _unpack(stored)
    if body is None or time.time() - born >= ttl_seconds:
        born, body = await _compute_once(redis, key, ttl_seconds, compute)
    # kept here for a second at most, and never past the entry's TTL
    left = min(LOCAL_SECONDS, born + ttl_seconds - time.time())
    if left > 0:
        if len(_local) >= _LOCAL_MAX:
            _local.clear()
        _local[local_key] = (time.monotonic() + left, body)
    return body


def _hashable(params: dict) -> tuple | str:
    items = tuple(sorted(params.items()))
    try:
        hash(items)
    except TypeError:  # a list among the values: its JSON stands for it
        return json.dumps(params, sort_keys=True, default=str)
    return items


def _unpack(stored: bytes | None) -> tuple[float, bytes | None]:
    # An entry is b"<unix time computed>\n<body>"; anything else counts as missing.
    if not stored:
        return 0.0, None
    stamp, sep, body = stored.partition(b"\n")
    try:
        return (float(stamp), body) if sep else (0.0, None)
    except ValueError:
        return 0.0, None


async def _compute_once(redis, key: str, ttl_seconds: int, compute) -> tuple[float, bytes]:
    pending = _pending.get(key)
    if pending is not None:
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            if not pending.cancelled() or asyncio.current_task().cancelling():
                raise  # this request was cancelled, not the computation it waited for
        except Exception:  # the computation this request waited for failed: try once more, alone
            pass
        return await _compute_and_store(redis, key, ttl_seconds, compute)
    future = asyncio.get_running_loop().create_future()
    _pending[key] = future
    try:
        found = await _compute_and_store(redis, key, ttl_seconds, compute)
    except asyncio.CancelledError:
        future.cancel()
        raise
    except Exception as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: no "never retrieved" warning when nobody waited
        raise
    finally:
        _pending.pop(key, None)
    future.set_result(found)
    return found


async def _compute_and_store(redis, key: str, ttl_seconds: int, compute) -> tuple[float, bytes]:
    born = time.time()  # before reading: the entry is at least as fresh as this
    body = await compute()
    try:
        await redis.set(key, b"%r\n" % born + body, px=int(ttl_seconds * 1000))
    except Exception as exc:
        log.warning("menu cache not stored: %s", exc)
    return born, body


async def _version(redis, prefix: str, market_id: int, now: float) -> int:
    key = _version_key(prefix, market_id)
    known = _versions.get(key)
    if known is not None and now - known[1] < VERSION_CHECK_SECONDS:
        return known[0]
    version = int(await redis.get(key) or 0)
    _versions[key] = (version, now)
    return version
