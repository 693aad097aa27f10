"""Who is calling: a bearer token (API) or the same token in a session cookie (pages)."""

import functools
import time
from datetime import timedelta

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from .domain.roles import Role
from .errors import Forbidden, NotAuthenticated
from .models import User
from .models.base import utcnow
from .settings import Settings

SESSION_COOKIE = "mkt_session"
_ALGORITHM = "HS256"


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib)


def hash_password(settings: Settings, password: str) -> str:
    return password_hasher(settings).hash(password)


def verify_password(settings: Settings, password_hash: str, password: str) -> bool:
    try:
        return password_hasher(settings).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(settings: Settings, user_id: int) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(hours=settings.token_ttl_hours)}
    return jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)


def read_token(settings: Settings, token: str) -> int | None:
    """The user id a valid, unexpired token names, else None."""
    checked = _checked_token(settings.secret_key, token)
    if checked is None or checked[1] <= time.time():
        return None
    return checked[0]


@functools.lru_cache(maxsize=4096)
def _checked_token(secret: str, token: str) -> tuple[int, float] | None:
    """(user id, expiry) of a token whose signature holds. A member sends the same token with every
    request, so the signature is checked once per process, not per request; expiry is checked each time."""
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]})
        return int(claims["sub"]), float(claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


async def _user_for(token: str | None, state: State, db: AsyncSession) -> User | None:
    if not token:
        return None
    user_id = read_token(state.settings, token)
    if user_id is None:
        return None
    user = (await db.execute(_USER_BY_ID, {"user_id": user_id})).scalar_one_or_none()
    return user if user is not None and user.is_active else None


# Built once: every authenticated request runs it (cheaper than Session.get's lookup path).
_USER_BY_ID = sa.select(User).where(User.id == sa.bindparam("user_id"))


# The API reads only the Authorization header: a browser never sends it by itself, so API calls
# need no CSRF token. Pages read the session cookie and protect their forms with CSRF tokens.
async def provide_optional_user(request: Request, state: State, db: NamedDependency[AsyncSession]) -> User | None:
    return await _user_for(_bearer_token(request), state, db)


async def provide_user(request: Request, state: State, db: NamedDependency[AsyncSession]) -> User:
    """The caller, who must hold one of the roles the route names (`opt=for_roles(...)`), if it names any.

    Checked here, as the user is resolved, because Litestar resolves dependencies before it validates
    the body and the query: someone without the role is refused (403) before being told what their
    request lacks (400), on every route alike."""
    user = await provide_optional_user(request, state, db)
    if user is None:
        raise NotAuthenticated("Please log in first.")
    allowed = request.route_handler.opt.get("roles")
    if allowed:
        require_role(user, *allowed)
    return user


def for_roles(*roles: Role) -> dict:
    """A route's (or controller's) `opt`: only callers holding one of these roles get past `provide_user`."""
    return {"roles": roles}


async def provide_optional_page_user(request: Request, state: State, db: NamedDependency[AsyncSession]) -> User | None:
    return await _user_for(request.cookies.get(SESSION_COOKIE), state, db)


def has_role(user: User, *roles: Role) -> bool:
    return any(role in user.roles for role in roles)


def require_role(user: User, *roles: Role) -> None:
    if not has_role(user, *roles):
        names = " or ".join(r.value for r in roles)
        raise Forbidden(f"This needs the {names} role.")
