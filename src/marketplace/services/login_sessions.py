"""Login sessions: opened at login, listed on "my sessions", revoked by logout, "log out everywhere",
a password or role change and a deactivation. A token names its session; `auth.user_for_token`
refuses one whose session is revoked, so a revocation counts from the next request on."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import auth
from ..errors import NotFound
from ..models import LoginSession
from ..models.base import utcnow
from ..schemas.common import Page
from ..schemas.login_sessions import LoginSessionOut
from ..settings import Settings

USER_AGENT_LENGTH = 200


async def open_session(db: AsyncSession, settings: Settings, user_id: int, user_agent: str = "") -> str:
    """A new login session for the user, and the token that names it."""
    row = LoginSession(
        user_id=user_id,
        user_agent=(user_agent or "")[:USER_AGENT_LENGTH],
        expires_at=utcnow() + timedelta(hours=settings.token_ttl_hours),
    )
    db.add(row)
    await db.flush()
    return auth.issue_token(settings, user_id, row.id)


def _live(user_id: int):
    return sa.and_(
        LoginSession.user_id == user_id,
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > sa.func.now(),
    )


async def active(
    db: AsyncSession, user_id: int, current: int | None, limit: int = 50, offset: int = 0
) -> Page[LoginSessionOut]:
    """The user's live sessions, the most recently seen first."""
    total = (await db.execute(sa.select(sa.func.count()).where(_live(user_id)))).scalar_one()
    rows = await db.execute(
        sa.select(LoginSession)
        .where(_live(user_id))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        LoginSessionOut(
            id=s.id,
            user_agent=s.user_agent,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            current=s.id == current,
        )
        for s in rows.scalars()
    ]
    return Page[LoginSessionOut](items=items, total=total)


async def revoke(db: AsyncSession, user_id: int, session_id: int) -> None:
    """End one of the user's own sessions (404 for anyone else's, or one already ended)."""
    ended = await db.execute(
        sa.update(LoginSession)
        .where(LoginSession.id == session_id, _live(user_id))
        .values(revoked_at=sa.func.now())
        .returning(LoginSession.id)
    )
    if ended.first() is None:
        raise NotFound("No such session.", field="session_id")


async def revoke_all(db: AsyncSession, user_id: int, keep: int | None = None) -> int:
    """End every live session of the user but `keep`; how many were ended."""
    query = sa.update(LoginSession).where(_live(user_id)).values(revoked_at=sa.func.now())
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    return (await db.execute(query)).rowcount


async def purge_ended(db: AsyncSession, older_than: timedelta) -> int:
    """Delete sessions that ended (revoked or expired) longer ago than `older_than` (nightly)."""
    before = utcnow() - older_than
    ended = sa.or_(LoginSession.revoked_at < before, LoginSession.expires_at < before)
    return (await db.execute(sa.delete(LoginSession).where(ended))).rowcount or 0
