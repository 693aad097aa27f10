"""Who is calling: a bearer token (API) or the same token in a session cookie (pages)."""

import functools
import time
from dataclasses import dataclass
from datetime import timedelta

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from .domain.roles import Role
from .errors import Forbidden, NotAuthenticated
from .models import LoginSession, User
from .models.base import utcnow
from .prepared import Prepared
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


def dummy_hash(settings: Settings) -> str:
    """A hash to check a password against when the phone has no account, so that answer takes as long
    as a wrong password for an existing one (nobody learns from timing who has an account)."""
    return _dummy_hash(settings.password_time_cost, settings.password_memory_kib)


@functools.lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib).hash("no account has this password")


def issue_token(settings: Settings, user_id: int, session_id: int) -> str:
    """A token for one login session (services/login_sessions.py opens it); revoking the session ends it."""
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": now,
        "exp": now + timedelta(hours=settings.token_ttl_hours),
    }
    return jwt.encode(claims, settings.key("tokens"), algorithm=_ALGORITHM)


def read_token(settings: Settings, token: str) -> tuple[int, int] | None:
    """(user id, login session id) of a valid, unexpired token, else None. Whether the session still
    holds (not logged out, the account active) is the database's answer: `user_for_token`."""
    checked = _checked_token(settings.key("tokens"), token)
    if checked is None or checked[2] <= time.time():
        return None
    return checked[0], checked[1]


@functools.lru_cache(maxsize=4096)
def _checked_token(key: str, token: str) -> tuple[int, int, float] | None:
    """(user id, session id, expiry) of a token whose signature holds. A member sends the same token with
    every request, so the signature is checked once per process, not per request; expiry is checked each
    time, and revocation is looked up each time (user_for_token)."""
    try:
        claims = jwt.decode(token, key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "sid"]})
        return int(claims["sub"]), int(claims["sid"]), float(claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


async def user_for_token(db: AsyncSession, settings: Settings, token: str | None) -> tuple[User, int] | None:
    """The active user and their live login session behind a token, in one indexed lookup; None when the
    token is forged or expired, its session was revoked, or the account was deactivated."""
    claims = read_token(settings, token) if token else None
    if claims is None:
        return None
    user_id, session_id = claims
    row = await _USER_BY_SESSION.first(db, {"token_user": user_id, "token_session": session_id}, begin=False)
    if row is None:
        return None
    return _attached(db, row), session_id


def _attached(db: AsyncSession, row) -> User:
    """The user of a row read on the driver, in the session as if the session had loaded it (no query)."""
    known = db.sync_session.identity_map.get(identity_key(User, row.id))
    if known is not None:
        return known
    user = User(**vars(row))
    make_transient_to_detached(user)
    db.add(user)
    return user


# How stale "last seen" of a session may be: it is written at most this often, not on every request.
LAST_SEEN_EVERY = timedelta(minutes=5)
# The parameters are named token_*, not user_id: an UPDATE also SETs any column named like a parameter.
_sessions = LoginSession.__table__
_stale = (
    sa.select(_sessions.c.id)
    .where(
        _sessions.c.id == sa.bindparam("token_session"),
        _sessions.c.last_seen_at < sa.func.now() - sa.text(f"interval '{LAST_SEEN_EVERY.seconds} seconds'"),
    )
    .with_for_update(skip_locked=True)  # a concurrent request of the same session is already writing it
)
_touch = (
    sa.update(_sessions)
    .where(_sessions.c.id.in_(_stale.scalar_subquery()))
    .values(last_seen_at=sa.func.now())
    .cte("touched")
)
# Built once: every authenticated request runs it. The UPDATE in the WITH clause runs with it (PostgreSQL
# runs a data-modifying CTE whether it is read or not), so a request costs one round trip, as before. It runs
# on the driver before the request's transaction (no BEGIN for it: a request that writes nothing, such as a
# full session's order handed to its group, sends no BEGIN or COMMIT at all); READ COMMITTED gives each
# statement a snapshot of its own anyway.
_USER_BY_SESSION = Prepared(
    sa.select(User.__table__)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("token_user"),
        User.is_active.is_(True),
        LoginSession.id == sa.bindparam("token_session"),
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > sa.func.now(),
    )
    .add_cte(_touch)
)


async def _user_for(request: Request, token: str | None, db: AsyncSession) -> User | None:
    found = await user_for_token(db, request.app.state.settings, token)
    if found is None:
        return None
    request.state.login_session = found[1]  # logout and "my sessions" need to know which one is this
    return found[0]


def login_session_of(request: Request) -> int | None:
    """The login session of the request's user (set when the user was looked up)."""
    return request.state.get("login_session")


# The API reads only the Authorization header: a browser never sends it by itself, so API calls
# need no CSRF token. Pages read the session cookie and protect their forms with CSRF tokens.
async def provide_optional_user(request: Request, db: NamedDependency[AsyncSession]) -> User | None:
    return await _user_for(request, bearer_token(request), db)


async def provide_user(request: Request, db: NamedDependency[AsyncSession]) -> User:
    """The caller, who must hold one of the roles the route names (`opt=for_roles(...)`), if it names any.

    Checked here, as the user is resolved, because Litestar resolves dependencies before it validates
    the body and the query: someone without the role is refused (403) before being told what their
    request lacks (400), on every route alike."""
    user = await provide_optional_user(request, db)
    if user is None:
        raise NotAuthenticated("Please log in first.")
    allowed = request.route_handler.opt.get("roles")
    if allowed:
        require_role(user, *allowed)
    return user


def for_roles(*roles: Role) -> dict:
    """A route's (or controller's) `opt`: only callers holding one of these roles get past `provide_user`."""
    return {"roles": roles}


async def provide_optional_page_user(request: Request, db: NamedDependency[AsyncSession]) -> User | None:
    user = await _user_for(request, request.cookies.get(SESSION_COOKIE), db)
    if user is not None:  # an error page shows the same header (a copy: a failed request's rows expire)
        request.scope.setdefault("state", {})["page_user"] = Visitor(user.id, user.name, tuple(user.roles))
    return user


@dataclass(frozen=True)
class Visitor:
    """Who a page's header shows as logged in."""

    id: int
    name: str
    roles: tuple[str, ...]


def has_role(user: User, *roles: Role) -> bool:
    return any(role in user.roles for role in roles)


def require_role(user: User, *roles: Role) -> None:
    if not has_role(user, *roles):
        raise Forbidden("This needs the %(roles)s role.", params={"roles": [r.value for r in roles]})
