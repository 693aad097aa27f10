"""Idempotency-Key: the same key from the same user gets the first response again.

The key row is inserted in the creating transaction. A concurrent request with
the same key waits on PostgreSQL's unique index until the first commits, then
finds its stored response; if the first failed (rolled back), the retry runs.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import InvalidInput
from ..models import IdempotencyKey


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 200:
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters.", field="Idempotency-Key")
    return key


async def claim(db: AsyncSession, user_id: int, key: str) -> tuple[int, dict] | None:
    """None when this request is the first with the key; else the stored (status, body)."""
    inserted = (
        await db.execute(
            insert(IdempotencyKey)
            .values(user_id=user_id, key=key)
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(IdempotencyKey.id)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        return None
    stored = (
        await db.execute(
            sa.select(IdempotencyKey.status_code, IdempotencyKey.response).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
    ).one()
    return stored.status_code, stored.response


async def remember(db: AsyncSession, user_id: int, key: str, status_code: int, body: dict) -> None:
    await db.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .values(status_code=status_code, response=body)
    )
