"""Factories that write real rows, and the bearer headers to act as their users."""

import itertools
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace import auth
from marketplace.domain.roles import Role
from marketplace.models import Category, ProviderCategory, ProviderProfile, User
from marketplace.settings import Settings

PASSWORD = "correct-horse-1"
_phones = itertools.count(1)


@dataclass
class Factory:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    market_id: int
    _password_hash: str | None = None

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth.issue_token(self.settings, user.id)}"}

    async def user(self, *roles: Role, name: str | None = None, groups: list[str] | None = None) -> User:
        if self._password_hash is None:
            self._password_hash = auth.hash_password(self.settings, PASSWORD)
        n = next(_phones)
        user = User(
            market_id=self.market_id,
            phone=f"135{n:08d}",
            name=name or f"用户{n}",
            password_hash=self._password_hash,
            roles=sorted({Role.member.value, *(r.value for r in roles)}),
            groups=list(groups or []),
        )
        async with self.sessionmaker() as db, db.begin():
            db.add(user)
            await db.flush()
            if Role.provider in roles:
                db.add(ProviderProfile(user_id=user.id))
        return user

    async def category(self, name_zh: str = "书法培训", parent: Category | None = None, **values) -> Category:
        n = next(_phones)
        category = Category(
            market_id=self.market_id,
            slug=values.pop("slug", f"cat-{n}"),
            name_zh=name_zh,
            name_en=values.pop("name_en", f"Category {n}"),
            parent_id=parent.id if parent else None,
            **values,
        )
        async with self.sessionmaker() as db, db.begin():
            db.add(category)
        return category

    async def provider(self, categories: list[Category] = (), **profile) -> User:
        user = await self.user(Role.provider, name=profile.pop("name", None))
        async with self.sessionmaker() as db, db.begin():
            stored = await db.get(ProviderProfile, user.id)
            for key, value in profile.items():
                setattr(stored, key, value)
            for category in categories:
                db.add(ProviderCategory(provider_id=user.id, category_id=category.id))
        return user
