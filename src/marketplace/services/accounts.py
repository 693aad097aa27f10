"""Register, log in, roles and provider profiles."""

import asyncio
import time

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import auth
from ..domain.passwords import password_problem
from ..domain.phones import mask_phone, normalize_phone
from ..domain.roles import ASSIGNED, MemberGroup, Role
from ..errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from ..models import Category, Market, ProviderCategory, ProviderProfile, User
from ..models.base import utcnow
from ..ratelimits import Limits
from ..schemas.accounts import (
    AccountIn,
    CategoryRef,
    MeOut,
    MeUpdateIn,
    ProviderOut,
    ProviderProfileIn,
    RegisterIn,
    TagCount,
    UserAdminOut,
)
from ..schemas.common import Page
from ..schemas.login_sessions import PasswordChangeIn
from ..settings import Settings
from ..texts import msg
from . import audit, codes, login_sessions, market_tree, notices, reviews, roster

# The password hash of an account an organisation's roster made (services/organisations.py): nobody can log
# in with it; the person registers with that phone and takes the account (and its orders) over.
INVITED = "!invited"
WRONG_LOGIN = "The phone number or password is wrong."
TOO_MANY_ATTEMPTS = "Too many login attempts: please wait a while and try again."
TOO_MANY_REGISTRATIONS = "Too many registrations from here: please wait a while and try again."


ACCOUNT_EXISTS = "This phone number already has an account: log in with it, or set a new password."
NO_ACCOUNT = "No account uses this phone number yet: register with it first."
DEACTIVATED = "This account has been deactivated: please ask your union."


async def register(
    db: AsyncSession, settings: Settings, market_id: int, data: RegisterIn, limits: Limits, ip: str = ""
) -> User:
    """A new member whose phone a code (purpose "register") proved first. Only then is an account already
    on the number told, plainly: whoever holds the phone owns it."""
    await limits.take(limits.register_ip, ip, sentence=TOO_MANY_REGISTRATIONS)
    check_password(data.password, data.phone)
    await codes.check_code(db, settings, limits, data.phone, codes.CodePurpose.register, data.code)
    exists = (await db.execute(sa.select(User).where(User.phone == data.phone))).scalar_one_or_none()
    if exists is not None and exists.password_hash == INVITED:
        # An account an organisation's roster made (团体预约): the person, the phone now proven theirs,
        # takes it over with its orders.
        exists.password_hash = await asyncio.to_thread(auth.hash_password, settings, data.password)
        exists.name = data.name
        exists.is_active = True
        exists.updated_at = utcnow()
        await roster.verify_at_registration(db, exists)
        return exists
    if exists:
        raise Conflict(ACCOUNT_EXISTS, field="phone")
    user = await create_user(db, settings, market_id, data.phone, data.name, data.password, [Role.member])
    # 实名制: a phone and name on the market's roster are verified at once, with the roster's groups
    await roster.verify_at_registration(db, user)
    return user


async def create_member(db: AsyncSession, settings: Settings, market_id: int, data: AccountIn) -> User:
    """An account made by the operator (`marketplace create-user`): no code, the number is theirs to say."""
    check_password(data.password, data.phone)
    if (await db.execute(sa.select(User.id).where(User.phone == data.phone))).first():
        raise Conflict(ACCOUNT_EXISTS, field="phone")
    return await create_user(db, settings, market_id, data.phone, data.name, data.password, [Role.member])


async def login_with_code(
    db: AsyncSession, settings: Settings, limits: Limits, phone: str, code: str, user_agent: str = ""
) -> tuple[User, str]:
    """A new login session for whoever proves the phone with a code (purpose "login")."""
    await codes.check_code(db, settings, limits, phone, codes.CodePurpose.login, code)
    user = await _proven_owner(db, phone)
    await limits.clear(limits.login_phone, phone)
    return user, await login_sessions.open_session(db, settings, user.id, user_agent)


async def reset_password(
    db: AsyncSession, settings: Settings, limits: Limits, phone: str, code: str, new_password: str, user_agent: str = ""
) -> tuple[User, str]:
    """忘记密码: a new password for whoever proves the phone with a code (purpose "reset"). Every session of
    the account ends; a new one is opened for the caller."""
    check_password(new_password, phone, "new_password")
    await codes.check_code(db, settings, limits, phone, codes.CodePurpose.reset, code)
    user = await _proven_owner(db, phone)
    user.password_hash = await asyncio.to_thread(auth.hash_password, settings, new_password)
    user.updated_at = utcnow()
    db.add(user)
    await login_sessions.revoke_all(db, user.id)
    await limits.clear(limits.login_phone, phone)
    await notices.notify(
        db,
        user.id,
        user.market_id,
        "password_reset",
        msg("Your password was reset"),
        msg(
            "Someone just reset your password with a code sent to your phone, and every other login has "
            "ended. If it was not you, reset it again at once with “Forgot password” and tell your union."
        ),
    )
    return user, await login_sessions.open_session(db, settings, user.id, user_agent)


async def _proven_owner(db: AsyncSession, phone: str) -> User:
    user = (await db.execute(sa.select(User).where(User.phone == phone))).scalar_one_or_none()
    if user is None:
        raise InvalidInput(NO_ACCOUNT, field="phone")
    if not user.is_active:
        raise Forbidden(DEACTIVATED, field="phone")
    return user


def check_password(password: str, phone: str | None, field: str = "password") -> None:
    problem = password_problem(password, phone)
    if problem is not None:
        raise InvalidInput(problem, field=field)


async def create_user(
    db: AsyncSession,
    settings: Settings,
    market_id: int,
    phone: str,
    name: str,
    password: str,
    roles: list[Role],
) -> User:
    user = User(
        market_id=market_id,
        phone=phone,
        name=name,
        # argon2 takes tens of milliseconds by design: keep it off the event loop
        password_hash=await asyncio.to_thread(auth.hash_password, settings, password),
        roles=sorted({Role.member, *roles}),
    )
    db.add(user)
    await db.flush()
    await ensure_provider_profile(db, user)
    return user


async def ensure_provider_profile(db: AsyncSession, user: User) -> None:
    if Role.provider in user.roles:
        await db.execute(insert(ProviderProfile).values(user_id=user.id).on_conflict_do_nothing())


async def login(
    db: AsyncSession, settings: Settings, limits: Limits, phone: str, password: str, ip: str = "", user_agent: str = ""
) -> str:
    """A token for a new login session. Attempts are counted per phone number and per address before any
    password is checked; an unknown number costs the same hashing as a wrong password."""
    await limits.take(limits.login_ip, ip, sentence=TOO_MANY_ATTEMPTS, field="password")
    await limits.take(limits.login_phone, phone, sentence=TOO_MANY_ATTEMPTS, field="password")
    user = (await db.execute(sa.select(User).where(User.phone == phone))).scalar_one_or_none()
    password_hash = user.password_hash if user is not None else auth.dummy_hash(settings)
    valid = await asyncio.to_thread(auth.verify_password, settings, password_hash, password)
    if user is None or not valid or not user.is_active:
        # Read for every refusal, known phone or not, so both take the same steps.
        spent = await limits.window(limits.login_phone, phone)
        if user is not None and spent is not None and spent.remaining == 0:
            await _tell_owner(db, user, limits.login_phone.get_expiry())
        raise NotAuthenticated(WRONG_LOGIN, field="password")
    await limits.clear(limits.login_phone, phone)
    return await login_sessions.open_session(db, settings, user.id, user_agent)


async def _tell_owner(db: AsyncSession, user: User, window: int) -> None:
    """Tell the owner their number has had the allowed wrong passwords. Written in a transaction of its
    own: the refused login's transaction is rolled back."""
    async with AsyncSession(db.bind, info=db.info) as own, own.begin():
        await notices.notify(
            own,
            user.id,
            user.market_id,
            "login_failures",
            msg("Someone tried many times to log in to your account"),
            msg(
                "Your account's password was just entered wrongly several times, so logging in is paused for a "
                "while. If it was not you, log in, change your password and log out your other devices on the "
                "Me page."
            ),
            dedupe_key=f"login-failures:{user.id}:{int(time.time() // window)}",
        )


async def change_password(
    db: AsyncSession, settings: Settings, limits: Limits, user: User, data: PasswordChangeIn, current: int | None
) -> int:
    """Set a new password after checking the old one; every other session of the user ends. How many ended."""
    await limits.take(limits.login_phone, user.phone, sentence=TOO_MANY_ATTEMPTS, field="old_password")
    if not await asyncio.to_thread(auth.verify_password, settings, user.password_hash, data.old_password):
        raise InvalidInput("The current password is wrong.", field="old_password")
    check_password(data.new_password, user.phone, "new_password")
    user.password_hash = await asyncio.to_thread(auth.hash_password, settings, data.new_password)
    user.updated_at = utcnow()
    db.add(user)
    await limits.clear(limits.login_phone, user.phone)
    return await login_sessions.revoke_all(db, user.id, keep=current)


def _person(user: User) -> dict:
    """What the account's owner and the staff alike see of a person (the phone masked)."""
    return {
        "id": user.id,
        "name": user.name,
        "phone": mask_phone(user.phone),
        "roles": user.roles,
        "groups": user.groups,
        "claimed_groups": user.claimed_groups,
        "verified": user.verified_at is not None,
    }


def me_out(user: User) -> MeOut:
    return MeOut(**_person(user), market_id=user.market_id, language=user.language)


async def update_me(db: AsyncSession, user: User, data: MeUpdateIn) -> User:
    if data.name is not None:
        user.name = data.name
    if data.groups is not None:
        # A member may leave a group at once, but joining one is a verification request a curator decides
        # (services/roster.py): a group unlocks services meant for it (and the union's scarce places) only
        # when the union's roster or a curator says so.
        await roster.claim_groups(db, user, [g.value for g in data.groups])
    if data.language is not None:
        user.language = data.language
    user.updated_at = utcnow()
    db.add(user)
    return user


async def set_roles(
    db: AsyncSession, curator: User, user_id: int, roles: list[Role], current: int | None = None
) -> User:
    user = await db.get(User, user_id)
    if user is None or not await market_tree.reaches(db, curator, user.market_id):
        raise NotFound("No such user.")
    # A keeper keeps while they keep a station (station_keepers): given and taken with the station, not here.
    assigned = {r for r in user.roles if r in ASSIGNED}
    new_roles = sorted({Role.member.value, *(r.value for r in roles if r not in ASSIGNED), *assigned})
    if user.id == curator.id and Role.curator not in new_roles:
        raise Conflict("You cannot remove your own curator role.", field="roles")  # who asks, not what
    await audit.record(db, curator, "set_roles", "user", user.id, before=user.roles, after=new_roles)
    if sorted(user.roles) != new_roles:
        # What a token may do changed: its holder logs in again (a curator keeps the session in use).
        await login_sessions.revoke_all(db, user.id, keep=current if user.id == curator.id else None)
    user.roles = new_roles
    user.updated_at = utcnow()
    db.add(user)
    await ensure_provider_profile(db, user)
    return user


async def confirm_groups(db: AsyncSession, curator: User, user_id: int, groups: list[MemberGroup]) -> User:
    """A curator sets the groups a member of their market belongs to; claims they decided on are settled."""
    user = await db.get(User, user_id)
    if user is None or not await market_tree.reaches(db, curator, user.market_id):
        raise NotFound("No such user.")
    confirmed = sorted({g.value for g in groups})
    await audit.record(db, curator, "confirm_groups", "user", user.id, before=user.groups, after=confirmed)
    user.groups = confirmed
    user.claimed_groups = []  # each claim was granted (now in groups) or turned down (left out)
    await roster.close_pending(db, curator, user)
    user.updated_at = utcnow()
    db.add(user)
    return user


async def other_markets(db: AsyncSession, market_id: int) -> list[Market]:
    """The markets besides this one (a curator may let a member order there too)."""
    return list((await db.execute(sa.select(Market).where(Market.id != market_id).order_by(Market.id))).scalars())


async def set_order_markets(db: AsyncSession, curator: User, user_id: int, market_ids: list[int]) -> User:
    """A curator lets a member of their market order in other markets too (audited)."""
    user = await db.get(User, user_id)
    if user is None or not await market_tree.reaches(db, curator, user.market_id):
        raise NotFound("No such user.")
    wanted = sorted(set(market_ids) - {user.market_id})
    if wanted:
        found = set((await db.execute(sa.select(Market.id).where(Market.id.in_(wanted)))).scalars())
        missing = [m for m in wanted if m not in found]
        if missing:
            raise InvalidInput(f"Unknown market: {missing[0]}.", field="market_ids")
    if sorted(user.order_markets) != wanted:
        await audit.record(db, curator, "order_markets", "user", user.id, before=user.order_markets, after=wanted)
        user.order_markets = wanted
        user.updated_at = utcnow()
        db.add(user)
    return user


async def set_active(db: AsyncSession, staff: User, user_id: int, active: bool) -> User:
    """Deactivate (every session ends, no login works) or reactivate an account of the staff's market.
    Operators may do it to members and providers; staff accounts are the curators' to change."""
    user = await db.get(User, user_id)
    if user is None or not await market_tree.reaches(db, staff, user.market_id):
        raise NotFound("No such user.")
    if user.id == staff.id:
        raise InvalidInput("You cannot deactivate your own account.", field="user_id")
    if Role.curator not in staff.roles and (Role.curator in user.roles or Role.operator in user.roles):
        raise Forbidden("Only a curator may deactivate or reactivate a curator or an operator.")
    if user.is_active != active:
        action = "activate" if active else "deactivate"
        await audit.record(db, staff, action, "user", user.id, before=user.is_active, after=active)
        user.is_active = active
        user.updated_at = utcnow()
        db.add(user)
        if not active:
            await login_sessions.revoke_all(db, user.id)
    return user


async def list_users(
    db: AsyncSession, market_ids: list[int], q: str | None, role: Role | None, limit: int, offset: int
):
    """The people of these markets (a curator's and those below it), by id."""
    query = sa.select(User).where(User.market_id.in_(market_ids))
    if q:
        # Privacy: a phone is found by the whole number only — a part of one would let anyone who sees
        # the masked form (138****5678) recover the hidden digits by trying them.
        phone = normalize_phone(q)
        query = query.where(User.phone == phone if phone else User.name.contains(q))
    if role:
        query = query.where(sa.literal(role.value) == sa.any_(User.roles))
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await db.execute(query.order_by(User.id).limit(limit).offset(offset))).scalars().all()
    return Page[UserAdminOut](items=[admin_out(u) for u in rows], total=total)


def admin_out(user: User) -> UserAdminOut:
    return UserAdminOut(**_person(user), is_active=user.is_active, order_markets=user.order_markets)


async def update_provider_profile(db: AsyncSession, user: User, data: ProviderProfileIn) -> ProviderOut:
    """Change the fields sent, keep the rest (PUT and PATCH alike)."""
    changes = data.model_dump(exclude_unset=True)
    category_ids = changes.pop("category_ids", None)
    if category_ids is not None:
        await _replace_categories(db, user, sorted(set(category_ids)))
    profile = await db.get(ProviderProfile, user.id, with_for_update=True)
    if profile is None:
        profile = ProviderProfile(user_id=user.id)
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.updated_at = utcnow()
    db.add(profile)
    await db.flush()
    return await provider_public(db, user.id)


async def _replace_categories(db: AsyncSession, user: User, category_ids: list[int]) -> None:
    if category_ids:
        found = set(
            (
                await db.execute(
                    sa.select(Category.id).where(
                        Category.id.in_(category_ids),
                        Category.market_id == user.market_id,
                        Category.archived_at.is_(None),
                    )
                )
            ).scalars()
        )
        missing = [c for c in category_ids if c not in found]
        if missing:
            raise InvalidInput("Unknown category: %(id)s.", field="category_ids", params={"id": missing[0]})
    await db.execute(sa.delete(ProviderCategory).where(ProviderCategory.provider_id == user.id))
    if category_ids:
        await db.execute(
            insert(ProviderCategory).values([{"provider_id": user.id, "category_id": c} for c in category_ids])
        )


async def provider_public(db: AsyncSession, provider_id: int) -> ProviderOut:
    row = (
        await db.execute(
            sa.select(User, ProviderProfile)
            .join(ProviderProfile, ProviderProfile.user_id == User.id)
            .where(User.id == provider_id, sa.literal(Role.provider.value) == sa.any_(User.roles))
        )
    ).first()
    if row is None:
        raise NotFound("No such provider.")
    user, profile = row
    categories = (
        await db.execute(
            sa.select(Category)
            .join(ProviderCategory, ProviderCategory.category_id == Category.id)
            .where(ProviderCategory.provider_id == provider_id)
            .order_by(Category.position, Category.id)
        )
    ).scalars()
    return ProviderOut(
        id=user.id,
        name=user.name,
        bio=profile.bio,
        honours=profile.honours,
        skills=profile.skills,
        area=profile.area,
        online=profile.online,
        capacity=profile.capacity,
        availability=profile.availability,
        categories=[CategoryRef.model_validate(c) for c in categories],
        rating_avg=profile.rating_avg,
        rating_count=profile.rating_count,
        rating_score=profile.rating_score,
        star_level=profile.star_level,
        review_tags=[TagCount(tag=t, count=n) for t, n in await reviews.tag_counts(db, provider_id)],
    )
