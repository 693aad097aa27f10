"""Register, log in, roles and provider profiles."""

import asyncio

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import auth
from ..domain.phones import mask_phone
from ..domain.roles import Role
from ..errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from ..models import Category, ProviderCategory, ProviderProfile, User
from ..models.base import utcnow
from ..schemas.accounts import (
    CategoryRef,
    MeOut,
    MeUpdateIn,
    ProviderOut,
    ProviderProfileIn,
    RegisterIn,
    UserAdminOut,
)
from ..schemas.common import Page
from ..settings import Settings
from . import audit


async def register(db: AsyncSession, settings: Settings, market_id: int, data: RegisterIn) -> User:
    exists = (await db.execute(sa.select(User.id).where(User.phone == data.phone))).first()
    if exists:
        raise Conflict("An account with this phone number already exists.", field="phone")
    user = await create_user(db, settings, market_id, data.phone, data.name, data.password, [Role.member])
    return user


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


async def login(db: AsyncSession, settings: Settings, phone: str, password: str) -> str:
    user = (await db.execute(sa.select(User).where(User.phone == phone))).scalar_one_or_none()
    valid = user is not None and await asyncio.to_thread(auth.verify_password, settings, user.password_hash, password)
    if not valid or not user.is_active:
        raise NotAuthenticated("The phone number or password is wrong.", field="password")
    return auth.issue_token(settings, user.id)


def me_out(user: User) -> MeOut:
    return MeOut(
        id=user.id,
        name=user.name,
        phone=mask_phone(user.phone),
        roles=user.roles,
        groups=user.groups,
        market_id=user.market_id,
        language=user.language,
    )


async def update_me(db: AsyncSession, user: User, data: MeUpdateIn) -> User:
    if data.name is not None:
        user.name = data.name
    if data.groups is not None:
        user.groups = sorted({g.value for g in data.groups})
    if data.language is not None:
        user.language = data.language
    user.updated_at = utcnow()
    db.add(user)
    return user


async def set_roles(db: AsyncSession, curator: User, user_id: int, roles: list[Role]) -> User:
    user = await db.get(User, user_id)
    if user is None or user.market_id != curator.market_id:
        raise NotFound("No such user.")
    new_roles = sorted({Role.member.value, *(r.value for r in roles)})
    if user.id == curator.id and Role.curator not in new_roles:
        raise Conflict("You cannot remove your own curator role.", field="roles")  # who asks, not what
    await audit.record(db, curator, "set_roles", "user", user.id, before=user.roles, after=new_roles)
    user.roles = new_roles
    user.updated_at = utcnow()
    db.add(user)
    await ensure_provider_profile(db, user)
    return user


async def list_users(db: AsyncSession, market_id: int, q: str | None, role: Role | None, limit: int, offset: int):
    query = sa.select(User).where(User.market_id == market_id)
    if q:
        query = query.where(sa.or_(User.name.contains(q), User.phone.contains(q)))
    if role:
        query = query.where(sa.literal(role.value) == sa.any_(User.roles))
    total = (await db.execute(sa.select(sa.func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await db.execute(query.order_by(User.id).limit(limit).offset(offset))).scalars().all()
    items = [
        UserAdminOut(id=u.id, name=u.name, phone=mask_phone(u.phone), roles=u.roles, is_active=u.is_active)
        for u in rows
    ]
    return Page[UserAdminOut](items=items, total=total)


async def update_provider_profile(db: AsyncSession, user: User, data: ProviderProfileIn) -> ProviderOut:
    category_ids = sorted(set(data.category_ids))
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
            raise InvalidInput(f"Unknown category: {missing[0]}.", field="category_ids")
    values = data.model_dump(exclude={"category_ids"})
    values["availability"] = [w.model_dump() for w in data.availability]
    values["updated_at"] = utcnow()
    await db.execute(
        insert(ProviderProfile)
        .values(user_id=user.id, **values)
        .on_conflict_do_update(index_elements=["user_id"], set_=values)
    )
    await db.execute(sa.delete(ProviderCategory).where(ProviderCategory.provider_id == user.id))
    if category_ids:
        await db.execute(
            insert(ProviderCategory).values([{"provider_id": user.id, "category_id": c} for c in category_ids])
        )
    return await provider_public(db, user.id)


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
    )
