"""Factories that write real rows, and the bearer headers to act as their users."""

import itertools
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace import auth
from marketplace.domain.roles import Role
from marketplace.models import (
    Category,
    Listing,
    ListingSession,
    LoginSession,
    Market,
    Order,
    ProviderCategory,
    ProviderProfile,
    SurveyImport,
    SurveyNeed,
    User,
)
from marketplace.models.base import utcnow
from marketplace.services import classify
from marketplace.settings import Settings

PASSWORD = "correct-horse-1"
_phones = itertools.count(1)


@dataclass
class Factory:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    market_id: int
    _password_hash: str | None = None
    _tokens: dict[int, str] = field(default_factory=dict)

    def token(self, user: User) -> str:
        """The token of the login session each factory user is made with."""
        return self._tokens[user.id]

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    async def log_in(self, user: User) -> str:
        """Another login session of the user (a second device), and its token."""
        async with self.sessionmaker() as db, db.begin():
            return await self._session(db, user.id)

    async def _session(self, db: AsyncSession, user_id: int) -> str:
        row = LoginSession(user_id=user_id, expires_at=utcnow() + timedelta(hours=self.settings.token_ttl_hours))
        db.add(row)
        await db.flush()
        return auth.issue_token(self.settings, user_id, row.id)

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
            self._tokens[user.id] = await self._session(db, user.id)
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

    async def listing(
        self,
        provider: User,
        category: Category,
        *,
        title: str = "书法培训",
        shape: str = "group",
        mode: str = "offline",
        sessions: list[tuple[int, int]] = ((3, 10),),
        auto_accept: bool = False,
        state: str = "published",
        target_groups: list[str] = (),
        summary: str = "",
        verified_only: bool = False,
        shared_below: bool = False,
    ) -> Listing:
        """A listing with sessions given as (days from now, capacity)."""
        listing = Listing(
            market_id=self.market_id,
            provider_id=provider.id,
            category_id=category.id,
            title=title,
            summary=summary,
            shape=shape,
            mode=mode,
            location="南山区工人文化宫" if mode == "offline" else "",
            auto_accept=auto_accept,
            state=state,
            target_groups=list(target_groups),
            verified_only=verified_only,
            shared_below=shared_below,
            search_text=f"{title} {summary} {category.name_zh} {category.name_en}".lower(),  # as refresh_search_text
            published_at=utcnow() if state == "published" else None,
        )
        async with self.sessionmaker() as db, db.begin():
            db.add(listing)
            await db.flush()
            if shape != "on_request":
                for days, capacity in sessions:
                    starts = utcnow() + timedelta(days=days)
                    db.add(
                        ListingSession(
                            market_id=self.market_id,
                            listing_id=listing.id,
                            starts_at=starts,
                            ends_at=starts + timedelta(hours=2),
                            capacity=capacity,
                        )
                    )
        return listing

    async def sessions_of(self, listing: Listing) -> list[ListingSession]:
        async with self.sessionmaker() as db:
            rows = await db.execute(
                sa.select(ListingSession)
                .where(ListingSession.listing_id == listing.id)
                .order_by(ListingSession.starts_at)
            )
            return list(rows.scalars())

    async def session_of(self, order: Order) -> ListingSession:
        async with self.sessionmaker() as db:
            return await db.get(ListingSession, order.session_id)

    async def move_arrangement(self, order_id: int, starts_in: timedelta) -> None:
        """Move an order's agreed time (tests move time instead of sleeping)."""
        async with self.sessionmaker() as db, db.begin():
            order = await db.get(Order, order_id)
            order.arrangement = {**order.arrangement, "starts_at": (utcnow() + starts_in).isoformat()}

    async def move_session(self, session_id: int, starts_in: timedelta) -> None:
        """Move a session in time (tests move time instead of sleeping)."""
        async with self.sessionmaker() as db, db.begin():
            session = await db.get(ListingSession, session_id)
            session.starts_at = utcnow() + starts_in
            session.ends_at = session.starts_at + timedelta(hours=2)

    async def other_market(self) -> "Factory":
        """A factory for a second market (罗湖), made once per test run's database."""
        async with self.sessionmaker() as db, db.begin():
            market = (await db.execute(sa.select(Market).where(Market.slug == "luohu"))).scalar_one_or_none()
            if market is None:
                market = Market(slug="luohu", name_zh="罗湖区总工会", name_en="Luohu")
                db.add(market)
                await db.flush()
        return Factory(self.sessionmaker, self.settings, market.id, self._password_hash)

    async def market_below(self, parent: "Factory | None" = None, name_zh: str = "区总工会") -> "Factory":
        """A factory for a new market (a unique slug: the markets table is kept between tests), under
        `parent`'s market when given (the market tree: province → city → district)."""
        n = next(_phones)
        async with self.sessionmaker() as db, db.begin():
            market = Market(
                slug=f"m{n}-{uuid.uuid4().hex[:8]}",
                name_zh=f"{name_zh}{n}",
                name_en=f"Market {n}",
                parent_id=parent.market_id if parent else None,
            )
            db.add(market)
            await db.flush()
        return Factory(self.sessionmaker, self.settings, market.id, self._password_hash)

    async def survey_answers(
        self, curator: User, texts: list[str], confidence: float | None = None
    ) -> list[SurveyNeed]:
        """Questionnaire answers as a finished import keeps them, classified by the market's classifier (with
        `confidence`, that confidence instead: an answer sure to be in the review queue)."""
        async with self.sessionmaker() as db, db.begin():
            found = SurveyImport(
                market_id=self.market_id,
                created_by=curator.id,
                filename="问卷.csv",
                digest=secrets.token_hex(32),
                size=1,
                format="csv",
                state="done",
                total_rows=len(texts),
                processed_rows=len(texts),
                imported_rows=len(texts),
            )
            db.add(found)
            await db.flush()
            answers = [
                SurveyNeed(
                    market_id=self.market_id,
                    import_id=found.id,
                    row_number=row,
                    row_digest=secrets.token_hex(32),
                    text=text,
                    group="new_employment",
                    district="南头街道",
                    answered_at=utcnow(),
                    category_id=s.category_id,
                    domain_id=s.domain_id,
                    confidence=s.confidence if confidence is None else confidence,
                    runner_up_id=s.runner_up_id,
                )
                for row, (text, s) in enumerate(
                    zip(texts, await classify.classify_texts(db, self.market_id, texts), strict=True), 2
                )
            ]
            db.add_all(answers)
        return answers

    async def members(self, n: int, **kwargs) -> list[User]:
        return [await self.user(**kwargs) for _ in range(n)]

    async def order_in_state(
        self, member: User, listing: Listing, state: str, provider: User | None = None, session_index: int = 0
    ) -> Order:
        """An order put straight into a state (with its seat), to test what may happen from there."""
        session = (await self.sessions_of(listing))[session_index] if listing.shape != "on_request" else None
        async with self.sessionmaker() as db, db.begin():
            holds = state in ("offered", "accepted") and session is not None
            order = Order(
                market_id=self.market_id,
                kind="listing",
                member_id=member.id,
                listing_id=listing.id,
                session_id=session.id if session else None,
                category_id=listing.category_id,
                provider_id=(provider.id if provider else listing.provider_id) if state != "placed" else None,
                title=listing.title,
                state=state,
                holds_seat=holds,
            )
            db.add(order)
            if holds:
                await db.execute(
                    sa.update(ListingSession)
                    .where(ListingSession.id == session.id)
                    .values(seats_taken=ListingSession.seats_taken + 1)
                )
        return order

    async def needs(self, members: list[User], category: Category, n: int, **values) -> list[int]:
        """n open needs (placed, a 7-day window) spread over the members, inserted at once; no job queued."""
        rows = [
            Order(
                market_id=self.market_id,
                kind="need",
                member_id=members[i % len(members)].id,
                category_id=category.id,
                title=values.get("title", f"需求{i}"),
                description=values.get("description", ""),
                mode=values.get("mode"),
                state="placed",
                expires_at=utcnow() + timedelta(days=7),
            )
            for i in range(n)
        ]
        async with self.sessionmaker() as db, db.begin():
            db.add_all(rows)
        return [row.id for row in rows]
