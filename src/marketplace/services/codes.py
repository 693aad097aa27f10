"""One-time codes (验证码): log in, register and reset a password with a code sent to the phone.

A code is 6 random digits, kept only as an HMAC (keyed with `Settings.key("codes")`, the phone and the
purpose mixed in), good for one use, for CODE_TTL_SECONDS and for CODE_MAX_ATTEMPTS tries; asking for
a new one leaves only the newest live. Codes sent are limited per phone and per address, tries per
phone (ratelimits.py). Asking for a code answers the same, in the same steps, whether or not the phone
has an account: a code is sent either way, and only whoever holds the phone learns, after proving it,
whether an account uses the number. Sending: services/sms.py.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..errors import InvalidInput
from ..models import OneTimeCode, User
from ..models.base import utcnow
from ..ratelimits import Limits
from ..settings import Settings
from ..texts import msg
from . import notices, sms

TOO_MANY_CODES = "Too many codes asked for: please wait a while and try again."
TOO_MANY_TRIES = "Too many codes tried: please wait a while and try again."
WRONG_CODE = "The code is wrong or has expired: ask for a new one."


class CodePurpose(StrEnum):
    login = "login"
    register = "register"
    reset = "reset"


def code_hash(settings: Settings, phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.key("codes").encode(), message, hashlib.sha256).hexdigest()


async def request_code(
    db: AsyncSession, settings: Settings, limits: Limits, phone: str, purpose: CodePurpose, ip: str = ""
) -> int:
    """Make and send a code; the seconds it holds. Nothing here reads whether the phone has an account."""
    await limits.take(limits.code_ip, ip, sentence=TOO_MANY_CODES, field="phone")
    await limits.take(limits.code_phone, phone, sentence=TOO_MANY_CODES, field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    row = OneTimeCode(
        phone=phone,
        purpose=purpose.value,
        code_hash=code_hash(settings, phone, purpose.value, code),
        expires_at=utcnow() + timedelta(seconds=settings.code_ttl_seconds),
    )
    db.add(row)
    await db.flush()
    sealed = sms.seal(settings, code, f"{row.id}:{phone}:{purpose.value}")
    ids = await queue.enqueue(db, sms.SEND_CODE, {"code_id": row.id, "sealed": sealed}, dedupe_key=f"code:{row.id}")
    queue.run_after_commit(db, ids)
    return settings.code_ttl_seconds


async def check_code(
    db: AsyncSession, settings: Settings, limits: Limits, phone: str, purpose: CodePurpose, code: str
) -> None:
    """Spend the phone's newest live code for `purpose` if `code` is it; InvalidInput otherwise. The try is
    counted in a transaction of its own (kept when the caller's is rolled back); the use in the caller's
    (undone with it: a registration refused for another reason leaves the code to try again)."""
    await limits.take(limits.code_verify_phone, phone, sentence=TOO_MANY_TRIES, field="code")
    now = utcnow()
    row = (
        await db.execute(
            sa.select(OneTimeCode.id, OneTimeCode.code_hash)
            .where(
                OneTimeCode.phone == phone,
                OneTimeCode.purpose == purpose.value,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.expires_at > now,
            )
            .order_by(OneTimeCode.id.desc())
            .limit(1)
        )
    ).first()
    expected = row.code_hash if row is not None else "0" * 64
    given = code_hash(settings, phone, purpose.value, code)
    tries = await _count_try(db, row.id) if row is not None else 0
    if row is None or tries > settings.code_max_attempts:
        raise InvalidInput(WRONG_CODE, field="code")
    if not hmac.compare_digest(expected, given):
        if tries == settings.code_max_attempts:  # the code is spent on wrong guesses: tell the owner, once
            await _tell_owner(db, phone, row.id)
        raise InvalidInput(WRONG_CODE, field="code")
    spent = await db.execute(
        sa.update(OneTimeCode)
        .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
        .values(used_at=now)
        .returning(OneTimeCode.id)
    )
    if spent.first() is None:  # a concurrent try spent it first
        raise InvalidInput(WRONG_CODE, field="code")


async def _count_try(db: AsyncSession, code_id: int) -> int:
    """One more try of this code, counted in a transaction of its own; how many it has had now."""
    async with AsyncSession(db.bind, info=db.info) as own, own.begin():
        return (
            await own.execute(
                sa.update(OneTimeCode)
                .where(OneTimeCode.id == code_id)
                .values(attempts=OneTimeCode.attempts + 1)
                .returning(OneTimeCode.attempts)
            )
        ).scalar_one()


async def _tell_owner(db: AsyncSession, phone: str, code_id: int) -> None:
    """A notice to the account on this phone (if there is one) that its code was guessed at, in a transaction
    of its own: the refusal that follows rolls the caller's back."""
    async with AsyncSession(db.bind, info=db.info) as own, own.begin():
        owner = (await own.execute(sa.select(User.id, User.market_id).where(User.phone == phone))).first()
        if owner is None:
            return
        await notices.notify(
            own,
            owner.id,
            owner.market_id,
            "code_failures",
            msg("Someone guessed at a code sent to your phone"),
            msg(
                "A verification code sent to your phone was entered wrongly several times and no longer works. "
                "If it was not you, nothing was changed; if it keeps happening, tell your union."
            ),
            dedupe_key=f"code-failures:{code_id}",
        )


async def purge(db: AsyncSession, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget codes long expired (their HMACs are worth nothing)."""
    result = await db.execute(sa.delete(OneTimeCode).where(OneTimeCode.expires_at < utcnow() - older_than))
    return result.rowcount or 0
