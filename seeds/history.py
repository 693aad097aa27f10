"""Demo listings in three batches and a history of orders in every state.

Orders are walked through the real transition table (order_flow.move), dated in
the past, so every page and figure has something true to show.
"""

import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.domain.listings import ListingShape, ListingState
from marketplace.domain.orders import Actor, OrderKind, OrderState
from marketplace.domain.roles import Role
from marketplace.domain.satisfaction import Answers, is_poor
from marketplace.domain.service_time import ServiceTime
from marketplace.models import (
    Batch,
    Category,
    FollowUpCase,
    Listing,
    ListingSession,
    Order,
    ProviderCategory,
    Review,
    SatisfactionSurvey,
    User,
)
from marketplace.models.base import utcnow
from marketplace.services import reviews, star_levels
from marketplace.services.listings import refresh_search_text
from marketplace.services.order_flow import move, open_offer, record

from .catalogue import LISTINGS, NEEDS, REVIEW_TAGS, REVIEW_TAGS_LOW, REVIEW_TEXTS

BATCHES = [("第一批（2025年）", 330), ("第二批（2026年春）", 150), ("第三批（2026年秋）", 25)]

# How a delivered past order ended, by weight.
PAST_ENDINGS = [
    ("reviewed", 50),
    ("received", 18),
    ("delivered", 8),
    ("disputed", 3),
    ("no_show", 7),
    ("cancelled", 14),
]
SURVEY_COMMENTS_GOOD = ["老师很耐心", "时间安排得合适", "下次还来", "", "", "希望多开几期", "讲得很实用"]
SURVEY_COMMENTS_POOR = ["时间改了没通知", "老师迟到了半小时", "内容和介绍不一样", "人太多听不清", "等了很久没人联系"]
CASE_CONTACT_NOTES = ["已电话联系职工，了解情况", "已微信联系，职工说明了经过", "已联系服务者核实"]
CASE_RESOLUTIONS = [
    ("remedied", "已为职工重新安排一次服务"),
    ("provider_improved", "已提醒服务者按时开课、提前通知变更"),
    ("explained", "已说明原因，职工表示理解"),
    ("unreachable", "三次电话未接通，已发短信告知"),
]
FUTURE_ENDINGS = [("accepted", 60), ("offered", 25), ("cancelled", 12), ("declined", 3)]


# The demo provider login owns the first listings of the categories they serve, so a visitor who logs in
# as them finds a console with listings, offers to answer and a history.
SHOWCASE_LISTINGS = 4


class History:
    def __init__(
        self,
        db: AsyncSession,
        market_id: int,
        curator: User,
        operator: User,
        rng: random.Random,
        showcase_provider_id: int | None = None,
    ):
        self.db, self.market_id, self.curator, self.operator, self.rng = db, market_id, curator, operator, rng
        self.showcase_provider_id = showcase_provider_id
        self.now = utcnow()
        self.touched: set[tuple[int | None, int]] = set()
        self._order_ids: list[int] = []
        self.counts: dict[str, int] = {}
        # (listing, member) -> the member's last order of it that was served and signed off: a member who
        # comes back to a later session orders again with 再来一单 (复购), so the reorder rate is real.
        self._served: dict[tuple[int, int], int] = {}

    # Listings ------------------------------------------------------------------------------------

    async def listings(self, members: list[User]) -> list[Listing]:
        categories = {
            c.slug: c
            for c in (await self.db.execute(sa.select(Category).where(Category.market_id == self.market_id))).scalars()
        }
        serving: dict[int, list[int]] = {}
        for provider_id, category_id in await self.db.execute(
            sa.select(ProviderCategory.provider_id, ProviderCategory.category_id)
        ):
            serving.setdefault(category_id, []).append(provider_id)
        batches = []
        for name, days_ago in BATCHES:
            batch = Batch(
                market_id=self.market_id,
                name=name,
                created_by=self.curator.id,
                created_at=self.now - timedelta(days=days_ago + 5),
            )
            self.db.add(batch)
            batches.append((batch, days_ago))
        await self.db.flush()
        made: list[Listing] = []
        flat = [(slug, item) for slug, items in LISTINGS.items() for item in items]
        showcased = 0
        for index, (slug, (title, summary, shape, mode)) in enumerate(flat):
            category = categories[slug]
            candidates = serving.get(category.id) or serving[categories[slug].parent_id]
            provider_id = self.rng.choice(candidates)  # drawn always, so the rest of the data stays as it was
            if self.showcase_provider_id in candidates and showcased < SHOWCASE_LISTINGS:
                provider_id, showcased = self.showcase_provider_id, showcased + 1
            batch, days_ago = batches[min(index * 3 // len(flat), 2)]
            state = ListingState.published
            if index % 23 == 5:
                state = ListingState.submitted  # waiting for the curators
            elif index % 37 == 7:
                state = ListingState.paused
            elif index == len(flat) - 1:
                state = ListingState.draft
            published = state in (ListingState.published, ListingState.paused)
            listing = Listing(
                market_id=self.market_id,
                provider_id=provider_id,
                category_id=category.id,
                batch_id=batch.id if published else None,
                title=title,
                summary=summary,
                description=f"{summary}。由劳模工匠志愿提供，职工会员免费参加。请按时到场，如不能参加请提前取消，把名额留给其他会员。",
                shape=shape,
                mode=mode,
                location=""
                if mode == "online"
                else self.rng.choice(
                    ["南山区工人文化宫", "南山区职工服务中心", "蛇口职工之家", "科技园工会驿站", "西丽街道总工会"]
                ),
                target_groups=["new_employment"]
                if ("骑手" in title or "户外" in title or "网约车" in title)
                else ["parent"]
                if ("亲子" in title or "子女" in title or "少儿" in title)
                else [],
                auto_accept=shape == ListingShape.group and index % 3 != 0,
                state=state,
                published_at=self.now - timedelta(days=days_ago) if published else None,
                created_at=self.now - timedelta(days=days_ago + 10),
            )
            await refresh_search_text(self.db, listing)
            self.db.add(listing)
            made.append(listing)
        await self.db.flush()
        for listing in made:
            await self._sessions(listing, [b for b in batches if b[0].id == listing.batch_id])
        await self.db.flush()
        self.counts["listings"] = len(made)
        return made

    async def _sessions(self, listing: Listing, batch) -> None:
        if listing.shape == ListingShape.on_request:
            return
        age = batch[0][1] if batch else 3
        if listing.shape == ListingShape.group:
            offsets = [-min(age - 3, 60), -min(age - 3, 20)] if age > 10 else []
            offsets += [self.rng.uniform(2, 8), self.rng.uniform(12, 30)]
            capacity = self.rng.choice([20, 30, 50])
        else:
            offsets = [-self.rng.uniform(3, 30) for _ in range(3)] if age > 10 else []
            offsets += [self.rng.uniform(1, 14) for _ in range(6)]
            capacity = 1
        for days in offsets:
            hour = self.rng.choice([1, 2, 6, 7, 11, 12])  # UTC: 9:00, 10:00, 14:00, 15:00, 19:00, 20:00 in Shanghai
            starts = (self.now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
            self.db.add(
                ListingSession(
                    market_id=self.market_id,
                    listing_id=listing.id,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1 if capacity == 1 else 2),
                    capacity=capacity,
                    created_at=self.now - timedelta(days=age),
                )
            )

    # Orders --------------------------------------------------------------------------------------

    def _pick(self, weighted: list[tuple[str, int]]) -> str:
        return self.rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]

    async def orders(self, listings: list[Listing], members: list[User], users: dict[int, User]) -> None:
        for listing in listings:
            if listing.state not in (ListingState.published, ListingState.paused):
                continue
            provider = users[listing.provider_id]
            if listing.shape == ListingShape.on_request:
                for ending in ("reviewed", "received", "accepted", "offered"):
                    member = self.rng.choice(members)
                    await self._order(
                        listing, None, member, provider, ending, self.now - timedelta(days=self.rng.uniform(2, 40))
                    )
                continue
            sessions = (
                (
                    await self.db.execute(
                        sa.select(ListingSession)
                        .where(ListingSession.listing_id == listing.id)
                        .order_by(ListingSession.starts_at)
                    )
                )
                .scalars()
                .all()
            )
            for session in sessions:
                past = session.starts_at < self.now
                wanted = session.capacity if session.capacity == 1 else self.rng.randint(4, min(14, session.capacity))
                if not past and session.capacity > 1 and self.rng.random() < 0.15:
                    wanted = session.capacity + 3  # a popular session: full, with a waitlist
                people = self.rng.sample(members, k=min(wanted, len(members)))
                came_back = [m for m in members if (listing.id, m.id) in self._served and m not in people]
                if came_back and session.capacity > 1:  # about a fifth of a later class comes back
                    back = self.rng.sample(came_back, k=min(len(came_back), max(1, len(people) // 5)))
                    people = back + people[: len(people) - len(back)]
                seated = 0
                for member in people:
                    if seated >= session.capacity:
                        await self._waitlisted(listing, session, member)
                        continue
                    ending = self._pick(PAST_ENDINGS if past else FUTURE_ENDINGS)
                    placed_at = session.starts_at - timedelta(days=self.rng.uniform(1, 8))
                    if placed_at > self.now:
                        placed_at = self.now - timedelta(hours=self.rng.uniform(1, 48))
                    order = await self._order(listing, session, member, provider, ending, placed_at)
                    order.reorder_of_id = self._served.get((listing.id, member.id))
                    if order.state in (OrderState.received, OrderState.reviewed):
                        self._served[(listing.id, member.id)] = order.id
                    seated += order.holds_seat
            await self.db.flush()
        await self.db.execute(
            sa.update(ListingSession).values(
                seats_taken=sa.select(sa.func.count())
                .where(Order.session_id == ListingSession.id, Order.holds_seat)
                .scalar_subquery()
            )
        )

    async def _next_order_id(self) -> int:
        # Ids drawn from the sequence in blocks, so thousands of orders need no flush each.
        if not self._order_ids:
            block = await self.db.execute(sa.text("SELECT nextval('orders_id_seq') FROM generate_series(1, 500)"))
            self._order_ids = list(block.scalars())
        return self._order_ids.pop(0)

    async def _new_order(self, listing, session, member, at: datetime, kind=OrderKind.listing, **values) -> Order:
        order = Order(
            id=await self._next_order_id(),
            market_id=self.market_id,
            kind=kind,
            member_id=member.id,
            listing_id=listing.id if listing else None,
            session_id=session.id if session else None,
            category_id=values.pop("category_id", listing.category_id if listing else None),
            title=values.pop("title", listing.title if listing else ""),
            mode=listing.mode if listing else None,
            state=OrderState.placed,
            created_at=at,
            updated_at=at,
            **values,
        )
        self.db.add(order)
        record(self.db, order, "place", member, Actor.member, None, at=at)
        return order

    async def _waitlisted(self, listing, session, member) -> None:
        order = await self._new_order(listing, session, member, self.now - timedelta(hours=self.rng.uniform(1, 20)))
        move(
            self.db,
            order,
            "waitlist",
            {Actor.system},
            None,
            "the session is full",
            at=order.created_at,
            when=timing(session),
        )
        self._count("waitlisted")

    async def _order(self, listing, session, member, provider, ending: str, at: datetime) -> Order:
        order = await self._new_order(listing, session, member, at)
        step = timedelta(hours=self.rng.uniform(0.5, 6))
        if at + 3 * step > self.now:  # a recent order: its next moves happened since, not in the future
            step = (self.now - at) / 4
        system, as_member, as_provider = {Actor.system}, {Actor.member}, {Actor.provider}
        service = timing(session)
        order.provider_id = provider.id
        order.holds_seat = session is not None
        if listing.auto_accept and ending in ("offered", "declined"):
            ending = "accepted"  # an auto-accepting listing is never offered or declined
        if listing.auto_accept:
            move(self.db, order, "auto_accept", system, None, at=at, when=service)
        else:
            move(self.db, order, "offer", system, None, at=at, when=service)
            if ending == "offered":
                order.offer_attempts = 0
                await open_offer(self.db, order, provider.id)
                return self._done(order, "offered")
            if ending == "declined":
                move(self.db, order, "decline", as_provider, provider, "那天另有任务", at=at + step, when=service)
                order.holds_seat = False
                return self._done(order, "declined")
            move(self.db, order, "accept", as_provider, provider, at=at + step, when=service)
        if ending == "cancelled":
            move(
                self.db,
                order,
                "cancel",
                as_member,
                member,
                self.rng.choice(["临时加班", "时间冲突", "家里有事"]),
                at=at + 2 * step,
                when=service,
            )
            order.holds_seat = False
            return self._done(order, "cancelled")
        if ending == "accepted":
            return self._done(order, "accepted")
        when = session.starts_at if session else at + 3 * step
        if session is None:
            order.arrangement = {"starts_at": when.isoformat(), "place": listing.location or "线上会议"}
            order.arranged_at = at + 2 * step
            move(self.db, order, "arrange", as_provider, provider, data=order.arrangement, at=at + 2 * step)
        if ending == "no_show":
            move(self.db, order, "no_show", as_provider, provider, "absent", at=when + timedelta(hours=2), when=service)
            order.attended = False
            return self._done(order, "no_show")
        move(self.db, order, "deliver", as_provider, provider, at=when + timedelta(hours=2), when=service)
        order.attended, order.delivered_at = True, when + timedelta(hours=2)
        if ending == "delivered":
            return self._done(order, "delivered")
        if ending == "disputed":
            move(
                self.db,
                order,
                "dispute",
                as_member,
                member,
                "老师临时换人，内容与介绍不符",
                at=when + timedelta(hours=5),
            )
            return self._done(order, "disputed")
        move(self.db, order, "receive", as_member, member, at=when + timedelta(hours=6))
        stars = self.rng.choices([5, 4, 3, 2], [62, 28, 7, 3])[0]
        self._survey(order, member, when + timedelta(hours=7), stars if ending == "reviewed" else None)
        if ending == "received":
            return self._done(order, "received")
        move(self.db, order, "review", as_member, member, data={"stars": stars}, at=when + timedelta(hours=8))
        self.db.add(
            Review(
                market_id=self.market_id,
                order_id=order.id,
                listing_id=order.listing_id,
                provider_id=provider.id,
                member_id=member.id,
                stars=stars,
                tags=self.rng.sample(REVIEW_TAGS if stars >= 4 else REVIEW_TAGS_LOW, k=self.rng.randint(0, 2)),
                text=self.rng.choice(REVIEW_TEXTS[:7] if stars >= 4 else REVIEW_TEXTS[7:]),
                created_at=when + timedelta(hours=8),
            )
        )
        self.touched.add((order.listing_id, provider.id))
        return self._done(order, "reviewed")

    def _survey(self, order: Order, member: User, at: datetime, stars: int | None) -> None:
        """满意度测评: about two in three members answer after signing off, in line with the stars they give;
        a poor answer (or a review of 1–2 stars) opens a follow-up case, handled as time went by."""
        poor_review = stars is not None and stars <= 2
        if self.rng.random() < 0.66:
            mark = stars if stars is not None else self.rng.choices([5, 4, 3, 2, 1], [55, 30, 9, 4, 2])[0]
            mark = max(1, min(5, mark + self.rng.choice([0, 0, 0, -1, 1])))
            as_arranged = mark >= 3 or self.rng.random() < 0.5
            self.db.add(
                SatisfactionSurvey(
                    order_id=order.id,
                    market_id=self.market_id,
                    member_id=member.id,
                    overall=mark,
                    as_arranged=as_arranged,
                    recommend=mark >= 4 or (mark == 3 and self.rng.random() < 0.4),
                    comment=self.rng.choice(SURVEY_COMMENTS_GOOD if mark >= 4 else SURVEY_COMMENTS_POOR + [""]),
                    created_at=at,
                )
            )
            poor_review = poor_review or is_poor(Answers(mark, as_arranged, mark >= 4))
        if poor_review:
            self._case(order, at)

    def _case(self, order: Order, opened: datetime) -> None:
        """A follow-up case as the operators left it: open if new, resolved when old, and within the last month
        some still open (let slip: the deadline scan escalates them) or contacted and not yet resolved."""
        age = self.now - opened
        case = FollowUpCase(market_id=self.market_id, order_id=order.id, opened_at=opened)
        self.db.add(case)
        self._count("follow-up cases")
        recent = self.rng.random() if age <= timedelta(days=30) else 1.0
        if age <= timedelta(days=2) or recent < 0.25:
            return
        case.state, case.contacted_at = "contacted", opened + timedelta(hours=20)
        case.contacted_by, case.contact_note = self.operator.id, self.rng.choice(CASE_CONTACT_NOTES)
        if recent < 0.6 or age <= timedelta(days=4):  # resolved three days after opening: never in the future
            return
        outcome, note = self.rng.choice(CASE_RESOLUTIONS)
        case.state, case.resolved_at, case.resolved_by = "resolved", opened + timedelta(days=3), self.operator.id
        case.outcome, case.resolution = outcome, note

    def _done(self, order: Order, ending: str) -> Order:
        self._count(ending)
        return order

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    async def needs(self, members: list[User], users: dict[int, User]) -> None:
        categories = {
            c.slug: c
            for c in (await self.db.execute(sa.select(Category).where(Category.market_id == self.market_id))).scalars()
        }
        endings = ["placed", "offered", "accepted", "expired", "reviewed", "placed", "offered", "expired"]
        for (_key, title, slug), ending in zip(NEEDS, endings, strict=True):
            category = categories[slug]
            member = self.rng.choice(members)
            # A reviewed need's moves run to 2 days 4 hours after it was posted: post it 3 days ago at least,
            # so none of them (nor its review) lies in the future.
            earliest = 3 if ending == "reviewed" else 1
            at = self.now - timedelta(days=self.rng.uniform(earliest, 20) if ending != "expired" else 12)
            order = await self._new_order(
                None,
                None,
                member,
                at,
                kind=OrderKind.need,
                category_id=category.id,
                title=title,
                description=f"{title}。工作日晚上或周末方便。",
                expires_at=at + timedelta(days=7),
            )
            if ending == "expired":
                move(
                    self.db,
                    order,
                    "expire",
                    {Actor.system},
                    None,
                    "no provider took it in time",
                    at=at + timedelta(days=7),
                )
            elif ending != "placed":
                provider_ids = (
                    (
                        await self.db.execute(
                            sa.select(ProviderCategory.provider_id).where(ProviderCategory.category_id == category.id)
                        )
                    )
                    .scalars()
                    .all()
                )
                provider = users[self.rng.choice(provider_ids)]
                move(
                    self.db,
                    order,
                    "offer",
                    {Actor.operator},
                    self.operator,
                    "按职工所在街道就近派单",
                    at=at + timedelta(hours=2),
                )
                await open_offer(self.db, order, provider.id)
                if ending in ("accepted", "reviewed"):
                    move(self.db, order, "accept", {Actor.provider}, provider, at=at + timedelta(hours=5))
                if ending == "reviewed":
                    order.arrangement = {
                        "starts_at": (at + timedelta(days=2)).isoformat(),
                        "link": "https://meeting.example.cn/123",
                    }
                    order.arranged_at = at + timedelta(hours=6)
                    move(
                        self.db,
                        order,
                        "arrange",
                        {Actor.provider},
                        provider,
                        data=order.arrangement,
                        at=order.arranged_at,
                    )
                    move(self.db, order, "deliver", {Actor.provider}, provider, at=at + timedelta(days=2, hours=1))
                    move(self.db, order, "receive", {Actor.member}, member, at=at + timedelta(days=2, hours=3))
                    move(
                        self.db,
                        order,
                        "review",
                        {Actor.member},
                        member,
                        data={"stars": 5},
                        at=at + timedelta(days=2, hours=4),
                    )
                    self.db.add(
                        Review(
                            market_id=self.market_id,
                            order_id=order.id,
                            provider_id=provider.id,
                            member_id=member.id,
                            stars=5,
                            tags=["专业"],
                            text=REVIEW_TEXTS[2],
                            created_at=at + timedelta(days=2, hours=4),
                        )
                    )
                    self.touched.add((None, provider.id))
            self._count(f"need_{ending}")
        await self.db.flush()

    async def ratings(self) -> None:
        for listing_id, provider_id in sorted(self.touched, key=lambda t: (t[0] or 0, t[1])):
            await reviews.recompute_ratings(self.db, listing_id, provider_id)


async def load_history(db: AsyncSession, market_id: int, showcase_phone: str | None = None) -> dict:
    if (await db.execute(sa.select(Listing.id).where(Listing.market_id == market_id).limit(1))).first():
        return {"history": "already present"}
    users = {u.id: u for u in (await db.execute(sa.select(User).where(User.market_id == market_id))).scalars()}
    staff = [u for u in users.values() if Role.curator in u.roles or Role.operator in u.roles]
    curator = next(u for u in staff if Role.curator in u.roles)
    operator = next(u for u in staff if Role.operator in u.roles)
    members = sorted((u for u in users.values() if u.roles == [Role.member.value]), key=lambda u: u.id)
    showcase = next((u.id for u in users.values() if u.phone == showcase_phone), None)
    history = History(db, market_id, curator, operator, random.Random(2026), showcase)
    listings = await history.listings(members)
    await history.orders(listings, members, users)
    await history.needs(members, users)
    await history.ratings()
    await db.flush()
    # What the nightly job keeps up to date, computed now: the desk is right from the first start.
    history.counts["star_levels"] = (await star_levels.recompute(db))["changed"]
    return history.counts


def timing(session: ListingSession | None) -> ServiceTime | None:
    """A session order's service time for the transition table's time guards (others need no read)."""
    return ServiceTime(session.starts_at, session.ends_at) if session is not None else None
