"""Rows the benchmarks need, written before any clock starts, with the product's own models.

Members share one precomputed password hash: hashing 2,000 argon2 passwords would take minutes and
is not what is measured; their tokens come from marketplace.auth.issue_token, as a login would give.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from marketplace.auth import hash_password, issue_token
from marketplace.models import Category, Listing, ListingSession, LoginSession, ProviderProfile, User
from marketplace.models.base import utcnow
from marketplace.services.markets import ensure_market
from marketplace.settings import Settings

from .common import SECRET_KEY

MARKET = "nanshan"  # the app's DEFAULT_MARKET, so the served app and these rows share a market
DOMAINS = ["教育培训", "高新科技", "医疗健康", "法律咨询", "岗位招聘", "主题宣讲", "参观交流"]
TITLES = ["书法培训", "少儿编程", "急救培训", "心理咨询", "免费体检", "知识产权讲座", "物流企业参观", "亲子阅读"]
GROUPS = ["new_employment", "migrant", "parent", "youth"]
_settings = Settings(secret_key=SECRET_KEY, password_time_cost=1, password_memory_kib=8192)


@dataclass
class Member:
    id: int
    token: str


class Data:
    """Writes listings, sessions and members into the scratch database."""

    def __init__(self, sqlalchemy_url: str) -> None:
        self.engine = create_async_engine(sqlalchemy_url, pool_size=2)
        self.sessionmaker = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.market_id = 0
        self.categories: list[Category] = []
        self.providers: list[User] = []
        self._hash = hash_password(_settings, "bench-password")
        self._phones = 0

    async def close(self) -> None:
        await self.engine.dispose()

    def _user(self, roles: list[str], groups: list[str] | None = None) -> User:
        self._phones += 1
        return User(
            market_id=self.market_id,
            phone=f"139{self._phones:08d}",
            name=f"职工{self._phones}",
            password_hash=self._hash,
            roles=roles,
            groups=groups or [],
        )

    async def base(self, providers: int = 20) -> None:
        """The market, the seven domains and some providers."""
        async with self.sessionmaker() as db, db.begin():
            self.market_id = await ensure_market(db, MARKET)
            self.categories = [
                Category(market_id=self.market_id, slug=f"d{i}", name_zh=name, name_en=f"Domain {i}", position=i)
                for i, name in enumerate(DOMAINS)
            ]
            self.providers = [self._user(["member", "provider"]) for _ in range(providers)]
            db.add_all([*self.categories, *self.providers])
            await db.flush()
            db.add_all([ProviderProfile(user_id=p.id, star_level=random.randint(0, 3)) for p in self.providers])

    async def members(self, n: int) -> list[Member]:
        users = [self._user(["member"], list(GROUPS)) for _ in range(n)]
        async with self.sessionmaker() as db, db.begin():
            db.add_all(users)
            await db.flush()
            # Each member logged in once: a token names its login session, which the app looks up.
            logins = [LoginSession(user_id=u.id, expires_at=utcnow() + timedelta(days=1)) for u in users]
            db.add_all(logins)
        return [Member(u.id, issue_token(_settings, u.id, s.id)) for u, s in zip(users, logins, strict=True)]

    async def listing(self, seats: list[int], auto_accept: bool = True, n: int = 0) -> tuple[int, list[int]]:
        """A published group listing with one session per entry of `seats`; (listing id, session ids)."""
        title = TITLES[n % len(TITLES)]
        category = self.categories[n % len(self.categories)]
        listing = Listing(
            market_id=self.market_id,
            provider_id=self.providers[n % len(self.providers)].id,
            category_id=category.id,
            title=f"{title} 第{n + 1}期",
            summary=f"{category.name_zh}：{title}，劳模工匠主讲",
            shape="group",
            mode="offline" if n % 3 else "online",
            location="南山区工人文化宫",
            auto_accept=auto_accept,
            state="published",
            target_groups=[GROUPS[n % len(GROUPS)]] if n % 5 == 4 else [],
            search_text=f"{title} {category.name_zh}".lower(),
            published_at=utcnow() - timedelta(minutes=n),
            rating_avg=round(random.uniform(3.5, 5), 2),
            rating_count=random.randint(0, 40),
            rating_score=round(random.uniform(3.8, 4.8), 2),
        )
        async with self.sessionmaker() as db, db.begin():
            db.add(listing)
            await db.flush()
            sessions = [
                ListingSession(
                    market_id=self.market_id,
                    listing_id=listing.id,
                    starts_at=utcnow() + timedelta(days=2 + i),
                    ends_at=utcnow() + timedelta(days=2 + i, hours=2),
                    capacity=capacity,
                )
                for i, capacity in enumerate(seats)
            ]
            db.add_all(sessions)
            await db.flush()
        return listing.id, [s.id for s in sessions]

    async def seats_taken(self, session_id: int) -> int:
        async with self.sessionmaker() as db:
            query = sa.select(ListingSession.seats_taken).where(ListingSession.id == session_id)
            return (await db.execute(query)).scalar_one()
