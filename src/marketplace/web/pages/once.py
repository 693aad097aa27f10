"""A page form acts once, however often it is sent: a double tap, a refresh after the POST, the back
button and a second submit. Every form carries a key of its own (`_forms.html` csrf(), made when the
page is rendered); the first submit with it claims the key in its transaction and stores where it led,
a repeat is sent there too — the same Idempotency-Key rows the API uses, so a concurrent repeat waits
for the first to commit. A refused submit is rolled back with its claim: fixed and sent again, it runs."""

import json
import secrets
from collections.abc import Awaitable, Callable

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from ...models import User
from ...services import idempotency

FIELD = "_form_key"


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
