"""Idempotency-Key: the same key from the same user gets the first response again.

The key row is inserted in the creating transaction. A concurrent request with
the same key waits on PostgreSQL's unique index until the first commits, then
finds its stored response; if the first failed (rolled back), the retry runs.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import InvalidInput
from ..models import IdempotencyKey
from ..prepared import Prepared

# Built once, in Core (no ORM bookkeeping): every creating request with a key runs these.
_KEYS = IdempotencyKey.__table__
_THIS_KEY = sa.and_(_KEYS.c.user_id == sa.bindparam("owner"), _KEYS.c.key == sa.bindparam("idempotency_key"))
_CLAIM = (
    insert(_KEYS)
    .values(
        user_id=sa.bindparam("owner"), key=sa.bindparam("idempotency_key"), response=sa.null(), created_at=sa.func.now()
    )
    .on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(_KEYS.c.id)
)
_STORED = sa.select(_KEYS.c.status_code, _KEYS.c.response).where(_THIS_KEY)
# The answer arrives encoded (the same bytes the client gets): PostgreSQL parses it, Python does not again.
_REMEMBER = (
    sa.update(_KEYS)
    .where(_THIS_KEY)
    .values(status_code=sa.bindparam("status_code"), response=sa.cast(sa.bindparam("body", type_=sa.Text), JSONB))
)
_CLAIM, _STORED, _REMEMBER = Prepared(_CLAIM), Prepared(_STORED), Prepared(_REMEMBER)


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 200:
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters.", field="Idempotency-Key")
    return key


async def claim(db: AsyncSession, user_id: int, key: str) -> tuple[int, dict] | None:
    """None when this request is the first with the key; else the stored (status, body)."""
    ids = {"owner": user_id, "idempotency_key": key}
    if await _CLAIM.first(db, ids) is not None:
        return None
    stored = await _STORED.first(db, ids)
    return stored.status_code, stored.response


async def remember(db: AsyncSession, user_id: int, key: str, status_code: int, body: bytes) -> None:
    """Store the first answer (JSON, as sent) for retries with the same key."""
    await _REMEMBER.rows(
        db, {"owner": user_id, "idempotency_key": key, "status_code": status_code, "body": body.decode()}
    )
