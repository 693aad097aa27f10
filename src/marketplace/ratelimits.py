"""Rate limits shared by every web process, counted in Redis (the `limits` library, moving windows).

What is limited: login attempts per phone number and per address, registrations per address, orders
per member, messages per person, one-time codes sent per phone and per address and tried per phone
(Settings: LOGIN_LIMIT_PER_PHONE, CODE_LIMIT_PER_PHONE, …). A request over a limit is refused with 429, a
Retry-After header and a sentence. When Redis cannot be reached the request is let through and the
failure logged: an outage of the counter should not lock every member out of the market.
"""

import logging
import math
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from litestar import Litestar

from .errors import RateLimited
from .settings import Settings

log = logging.getLogger(__name__)
TOO_MANY_ORDERS = "Too many orders in a short time: please wait a moment and try again."
TOO_MANY_MESSAGES = "Too many messages in a short time: please wait a moment and try again."


@dataclass
class Limits:
    limiter: MovingWindowRateLimiter
    login_phone: RateLimitItem
    login_ip: RateLimitItem
    register_ip: RateLimitItem
    order_member: RateLimitItem
    message_user: RateLimitItem
    code_phone: RateLimitItem
    code_ip: RateLimitItem
    code_verify_phone: RateLimitItem

    async def take(self, item: RateLimitItem, *key: str | int, sentence: str, field: str | None = None) -> None:
        """Count one attempt against `item` for `key`; RateLimited when none was left. One Redis round trip
        when allowed (the order path pays it), a second to say when to retry when not."""
        ids = [str(part) for part in key]
        try:
            if await self.limiter.hit(item, *ids):
                return
            reset_at = (await self.limiter.get_window_stats(item, *ids)).reset_time
        except Exception as exc:  # the counter is down: let the request through rather than refuse everyone
            log.warning("rate limit not checked (%s: %s)", type(exc).__name__, exc)
            return
        raise RateLimited(sentence, field=field, retry_after=max(1, math.ceil(reset_at - time.time())))

    async def count_order(self, member_id: int) -> None:
        """One more order (or reorder, or need) by this member, refused past ORDER_LIMIT_PER_MEMBER."""
        await self.take(self.order_member, member_id, sentence=TOO_MANY_ORDERS)

    async def count_message(self, user_id: int) -> None:
        """One more message in an order's thread by this person, refused past MESSAGE_LIMIT_PER_USER."""
        await self.take(self.message_user, user_id, sentence=TOO_MANY_MESSAGES, field="body")

    async def window(self, item: RateLimitItem, *key: str | int):
        """The window's stats (reset time, attempts left), or None when Redis cannot say."""
        try:
            return await self.limiter.get_window_stats(item, *(str(part) for part in key))
        except Exception as exc:
            log.warning("rate limit not read (%s: %s)", type(exc).__name__, exc)
            return None

    async def clear(self, item: RateLimitItem, *key: str | int) -> None:
        try:
            await self.limiter.clear(item, *(str(part) for part in key))
        except Exception as exc:
            log.warning("rate limit not cleared (%s: %s)", type(exc).__name__, exc)

    async def reset(self) -> None:
        """Forget every count (tests start each case from none)."""
        await self.limiter.storage.reset()


def make_limits(settings: Settings, redis_url: str) -> Limits:
    storage = RedisStorage(
        "async+" + redis_url,
        implementation="redispy",
        key_prefix=f"{settings.queue_name}:limits",
        socket_timeout=2,
        socket_connect_timeout=2,
    )
    return Limits(
        MovingWindowRateLimiter(storage),
        login_phone=parse(settings.login_limit_per_phone),
        login_ip=parse(settings.login_limit_per_ip),
        register_ip=parse(settings.register_limit_per_ip),
        order_member=parse(settings.order_limit_per_member),
        message_user=parse(settings.message_limit_per_user),
        code_phone=parse(settings.code_limit_per_phone),
        code_ip=parse(settings.code_limit_per_ip),
        code_verify_phone=parse(settings.code_verify_limit_per_phone),
    )


@asynccontextmanager
async def limits_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    app.state.limits = make_limits(app.state.settings, app.state.redis_url)
    yield
