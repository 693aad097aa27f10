"""A page form acts once, however often it is sent: a double tap, a refresh after the POST, the back
button and a second submit. Every form carries a key of its own (`_forms.html` csrf(), made when the
page is rendered); the first submit with it claims the key in its transaction and stores where it led,
a repeat is sent there too — the same Idempotency-Key rows the API uses, so a concurrent repeat waits
for the first to commit. A refused submit is rolled back with its claim: fixed and sent again, it runs."""

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from ...models import User
from ...services import idempotency

FIELD = "_form_key"
log = logging.getLogger(__name__)
_PENDING = b"pending"


def new_key() -> str:
    return "form:" + secrets.token_urlsafe(16)


async def once(request: Request, db: AsyncSession, user: User, work: Callable[[], Awaitable[str]]) -> str:
    """Run `work` (which returns where the form leads) unless this form's key was already used; then
    return where its first submit led."""
    key = (await request.form()).get(FIELD)
    key = key if isinstance(key, str) and key.startswith("form:") and len(key) <= 60 else None
    if key is not None:
        stored = await idempotency.claim(db, user.id, key)
        if stored is not None and stored[1]:
            return stored[1]["location"]
    location = await work()
    if key is not None:
        await idempotency.remember(db, user.id, key, 303, json.dumps({"location": location}).encode())
    return location


async def once_anonymous(
    request: Request, work: Callable[[], Awaitable[tuple[str, str | None]]]
) -> tuple[str, str | None]:
    """`once` for the forms of a visitor not logged in yet (获取验证码, the code login, registration, reset),
    whose keys cannot be rows of a user: claimed in Redis for a short while instead. `work` returns where
    the form leads and what the answer must carry (a session token, a phone), kept sealed beside the key,
    so a double tap gets the first submit's answer — the same login, not a second code or a refusal of a
    code the first already spent. A repeat waits for the first; a first that was refused frees the key.
    Without Redis the form simply runs."""
    from ...services.sms import seal, unseal

    key = (await request.form()).get(FIELD)
    redis, settings = request.app.state.redis, request.app.state.settings
    if not (isinstance(key, str) and key.startswith("form:") and len(key) <= 60) or redis is None:
        return await work()
    name = f"{settings.queue_name}:anonymous-form:{key}"
    try:
        claimed = await redis.set(name, _PENDING, nx=True, ex=60)
    except Exception as exc:
        log.warning("form key not claimed (%s: %s)", type(exc).__name__, exc)
        return await work()
    if not claimed:
        for _ in range(100):  # the first submit is still running: wait for its answer (at most 10 s)
            stored = await redis.get(name)
            if stored is None:  # it was refused: this one runs
                break
            if stored != _PENDING:
                location, sealed = json.loads(stored)
                return location, unseal(settings, sealed, name, "form-replay") if sealed else None
            await asyncio.sleep(0.1)
        return await work()
    try:
        location, carried = await work()
    except BaseException:
        await redis.delete(name)
        raise
    sealed = seal(settings, carried, name, "form-replay") if carried else None
    await redis.set(name, json.dumps([location, sealed]), ex=60)
    return location, carried
