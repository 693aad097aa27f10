"""Province-scale data: k times the demo market, written with COPY, seeded, in minutes.

    .venv/bin/python -m bench.scale_data --factor 100 [--keep]   # builds a bench_<hex> database
    .venv/bin/python -m bench.scale_data --members-only 1000      # 700,000 members, no history

What one "1×" is: the demo market of seeds/ (300 providers, 400 members, 80 listings of the catalogue,
about 3,000 listing orders with their events, a few dozen needs). At k×, `max(1, round(0.3 k))` markets
(30 at 100×) share k times that: each market's share is Zipf-distributed (1/rank), the first market —
`nanshan`, the app's DEFAULT_MARKET, the one the benchmarks ask — being the largest (at 100× about a
quarter of everything, i.e. about 25× the demo market; the rest is spread over 29 smaller markets).
The markets form a tree (`market_tree`): the second largest is the province, the next `round(√(n−2))` its
cities, and every other market — `nanshan` among them — a district under one of the cities, in turn (at 100×:
1 province, 5 cities, 24 districts). One in ten of the province's and the cities' listings is shared below
(`shared_below`), so a district's menu holds what its city and province publish for it.

Everything the app relies on holds, and tests/integration/test_scale_data.py checks it:
- every order's events are a chain of moves of domain/orders.py's transition table (each one checked
  with `transition` and, where the move has a time guard, `time_refusal` against its service time);
- `holds_seat` is set exactly as order_flow leaves it, and `seats_taken` of a session is the number of
  its orders that hold a seat (never above capacity); at most one live order per member and session;
- rating aggregates of listings and provider profiles are domain/ratings.py's over their reviews;
- `search_text` is services/listings.refresh_search_text's;
- the menu's facts kept on each listing (`next_session_at`, `seats_open_until`) are what its sessions give:
  the triggers on listing_sessions (migration 2026_11_30_menuseats) write them as the sessions are copied.

History runs over three years, growing toward today (more listings and sessions in recent months).
Members share one precomputed password hash (as bench/data.py's).
"""

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from marketplace.auth import hash_password, issue_token
from marketplace.domain.listings import ListingShape, ListingState
from marketplace.domain.orders import Actor, OrderKind, OrderState, time_refusal, transition
from marketplace.domain.ratings import average, bayesian_score
from marketplace.domain.roles import MemberGroup, Role
from marketplace.domain.service_time import ServiceTime
from marketplace.models import Category, User
from marketplace.models.base import utcnow
from marketplace.services import rollups
from marketplace.services.listings import refresh_search_text
from marketplace.services.markets import ensure_market
from seeds.catalogue import LISTINGS, REVIEW_TAGS, REVIEW_TAGS_LOW, REVIEW_TEXTS
from seeds.history import FUTURE_ENDINGS, PAST_ENDINGS
from seeds.loader import AREAS, HONOURS, _seed_categories

from .common import ScratchDb, run_async
from .data import MARKET, _settings

# One demo market (1×).
DEMO_PROVIDERS, DEMO_MEMBERS, DEMO_STAFF = 300, 400, 3
DEMO_LISTINGS, DEMO_ORDERS, DEMO_NEEDS = 80, 3000, 60
YEARS = 3
PASSWORD = "bench-password"  # everyone's
SEAT_HOLDING = {"offered", "accepted", "delivered", "received", "reviewed", "disputed", "no_show"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰志强红梅海燕俊杰晓东春花"


def market_tree(n: int) -> list[int | None]:
    """The parent (a rank) of each of n markets by rank: rank 1 the province, then its cities, the rest districts
    under the cities in turn (rank 0, the largest and the benchmarks' market, a district). One market: no tree."""
    if n == 1:
        return [None]
    cities = list(range(2, 2 + round((n - 2) ** 0.5)))
    parents: list[int | None] = []
    districts = 0
    for rank in range(n):
        if rank == 1:
            parents.append(None)
        elif rank in cities:
            parents.append(1)
        else:
            parents.append(cities[districts % len(cities)] if cities else 1)
            districts += 1
    return parents


def market_slug(rank: int, parent: int | None) -> str:
    if rank == 0:
        return MARKET
    return "province" if parent is None else ("city" if parent == 1 else "district") + f"-{rank:02d}"


SHARED_BELOW = 10  # one listing in so many of the province and the cities is shared with the markets below


def market_shares(n: int) -> list[float]:
    """Zipf shares (1/rank) of n markets, the first the largest."""
    weights = [1 / (rank + 1) for rank in range(n)]
    total = sum(weights)
    return [w / total for w in weights]


class _Known:
    """What refresh_search_text reads (`db.get`), answered from rows already in memory."""

    def __init__(self, categories: dict[int, Category], users: dict[int, User]) -> None:
        self.categories, self.users = categories, users

    async def get(self, model, key):
        return (self.categories if model is Category else self.users).get(key)


@dataclass
class Ids:
    """The next id of each table: rows are written with their ids, sequences moved past them at the end."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Built:
    """What was written, for the report and for the benchmark's choice of whom to ask as."""

    factor: float
    markets: list[int] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0


TABLES = {
    "users": ("id", "market_id", "phone", "name", "password_hash", "roles", "groups", "created_at"),
    "provider_profiles": (
        "user_id", "bio", "honours", "skills", "area", "online", "capacity", "availability",
        "rating_avg", "rating_count", "rating_score", "star_level",
    ),
    "provider_categories": ("provider_id", "category_id"),
    "login_sessions": ("id", "user_id", "created_at", "last_seen_at", "expires_at"),
    "batches": ("id", "market_id", "name", "created_by", "created_at"),
    "listings": (
        "id", "market_id", "provider_id", "category_id", "batch_id", "title", "summary", "description", "shape",
        "mode", "location", "target_groups", "auto_accept", "state", "search_text", "rating_avg", "rating_count",
        "rating_score", "published_at", "created_at",
    ),
    "listing_sessions": (
        "id", "market_id", "listing_id", "starts_at", "ends_at", "capacity", "seats_taken", "created_at",
    ),
    "orders": (
        "id", "market_id", "kind", "member_id", "listing_id", "session_id", "category_id", "provider_id", "state",
        "holds_seat", "title", "description", "mode", "arrangement", "arranged_at", "attended", "expires_at",
        "delivered_at", "created_at", "updated_at",
    ),
    "order_events": (
        "id", "order_id", "market_id", "at", "actor_id", "actor_role", "action", "from_state", "to_state", "reason",
        "data",
    ),
    "offers": ("id", "market_id", "order_id", "provider_id", "state", "deadline_at", "created_at", "responded_at"),
    "reviews": (
        "id", "market_id", "order_id", "listing_id", "provider_id", "member_id", "stars", "tags", "text",
        "created_at",
    ),
    "notifications": ("id", "market_id", "user_id", "kind", "title", "body", "data", "read_at", "created_at"),
}  # fmt: skip
SERIAL = [t for t, cols in TABLES.items() if cols[0] == "id"]
# NOT NULL columns with a Python-side default only: written as the models' defaults would write them.
CONSTANTS = {
    "users": {"is_active": True},
    "login_sessions": {"user_agent": ""},
    "listing_sessions": {"waitlist_open": True},
    "orders": {"note": "", "delivery_note": "", "offer_attempts": 0, "preferred_times": "[]"},
    "offers": {"score_parts": "{}", "reason": ""},
}


class Progress:
    """One line, rewritten: the stage, rows written so far and seconds since the start."""

    def __init__(self, quiet: bool = False) -> None:
        self.start, self.quiet, self.rows = time.monotonic(), quiet, 0

    def show(self, stage: str, rows: int = 0) -> None:
        self.rows += rows
        if not self.quiet:
            elapsed = time.monotonic() - self.start
            print(f"\r  {stage:<38} {self.rows:>11,} rows  {elapsed:7.1f} s", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if not self.quiet:
            print(file=sys.stderr, flush=True)


class Market:
    """One market's rows, made in memory and then copied; its people and listings stay for its history."""

    def __init__(self, gen: "Generator", market_id: int, share: float, categories: dict[str, tuple[int, list[str]]]):
        self.gen, self.id, self.share, self.categories = gen, market_id, share, categories
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.members: list[int] = []
        self.providers: list[int] = []
        self.staff: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.serving: dict[str, list[int]] = defaultdict(list)  # leaf slug -> its providers
        self.live_on_request: set[tuple[int, int]] = set()  # (member, listing) with a live order

    def scaled(self, demo: int, at_least: int = 1) -> int:
        return max(at_least, round(demo * self.gen.factor * self.share))


class Generator:
    def __init__(
        self, conn: asyncpg.Connection, factor: float, seed: int = 2026, quiet: bool = False, markets: int = 0
    ):
        self.conn, self.factor, self.rng = conn, factor, random.Random(seed)
        self.markets = markets  # 0: as many as the factor makes (a test asks for a small tree at a small factor)
        self.now = utcnow().replace(microsecond=0)
        self.ids = Ids()
        self.progress = Progress(quiet)
        self.password_hash = ""  # one hash for everyone, made in run()
        self.phones = 0
        self.built = Built(factor)
        self.names = [s + g + (h if i % 2 else "") for i, (s, g, h) in enumerate(self._name_parts())]

    def _name_parts(self):
        rng = random.Random(1)
        return [(rng.choice(SURNAMES), rng.choice(GIVEN), rng.choice(GIVEN)) for _ in range(4000)]

    # Writing ------------------------------------------------------------------------------------

    async def copy(self, table: str, rows: list[tuple]) -> None:
        if rows:
            constants = CONSTANTS.get(table, {})
            if constants:
                rows = [(*row, *constants.values()) for row in rows]
            columns = [*TABLES[table], *constants]
            await self.conn.copy_records_to_table(table, records=rows, columns=columns)
            self.built.counts[table] += len(rows)
            self.progress.show(f"market {len(self.built.markets)}: {table}", len(rows))

    async def flush(self, market: Market) -> None:
        for table in TABLES:
            await self.copy(table, market.rows.pop(table, []))

    async def start_ids(self) -> None:
        for table in SERIAL:
            self.ids.next[table] = await self.conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")

    async def nest(self, parents: list[int | None]) -> None:
        """The markets' tree, and what the province and the cities share below."""
        ids = self.built.markets
        for rank, parent in enumerate(parents):
            if parent is not None:
                await self.conn.execute("UPDATE markets SET parent_id = $1 WHERE id = $2", ids[parent], ids[rank])
        above = [ids[rank] for rank in set(parents) if rank is not None]
        await self.conn.execute(
            "UPDATE listings SET shared_below = true WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER"
            " (PARTITION BY market_id ORDER BY id) AS n FROM listings WHERE market_id = ANY($1)) AS ranked"
            " WHERE n % $2 = 1)",  # the first of each market, then one in SHARED_BELOW
            above,
            SHARED_BELOW,
        )

    async def finish_ids(self) -> None:
        for table in SERIAL:
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
            )
        await self.conn.execute("ANALYZE")

    # People ---------------------------------------------------------------------------------------

    def _person(self, market: Market, roles: list[str], groups: list[str], since: datetime) -> int:
        self.phones += 1
        user_id = self.ids.take("users")
        created = self._moment(since, self.now - timedelta(days=1))
        name = self.names[self.phones % len(self.names)]
        market.names[user_id] = name
        market.rows["users"].append(
            (user_id, market.id, f"16{self.phones:09d}", name, self.password_hash, roles, groups, created)
        )
        # One login each (a token names its login session); most long expired, as logins are.
        login_at = self._moment(created, self.now)
        market.rows["login_sessions"].append(
            (self.ids.take("login_sessions"), user_id, login_at, login_at, login_at + timedelta(days=30))
        )
        return user_id

    def people(self, market: Market, members_only: bool = False) -> None:
        rng, since = self.rng, self.now - timedelta(days=365 * YEARS)
        market.staff["curator"] = self._person(market, [Role.curator, Role.member], [], since)
        market.staff["operator"] = self._person(market, [Role.member, Role.operator], [], since)
        self._person(market, [Role.member, Role.operator], [], since)
        groups = list(MemberGroup)
        demo_people = DEMO_MEMBERS + DEMO_PROVIDERS if members_only else DEMO_MEMBERS
        for _ in range(market.scaled(demo_people)):
            chosen = rng.sample(groups, k=rng.choice([0, 1, 1, 2]))
            market.members.append(self._person(market, [Role.member], sorted(chosen), since))
        if members_only:
            return
        leaves = [slug for slug, (_, skills) in market.categories.items() if skills and slug in LISTINGS]
        for _ in range(market.scaled(DEMO_PROVIDERS)):
            user_id = self._person(market, [Role.member, Role.provider], [], since)
            market.providers.append(user_id)
            own = rng.sample(leaves, k=rng.choice([1, 1, 2]))
            skills = sorted({s for slug in own for s in rng.sample(market.categories[slug][1], k=2)})
            honours = rng.sample(HONOURS, k=rng.choice([1, 1, 2]))
            availability = [{"weekday": d, "start": "19:00", "end": "21:00"} for d in sorted(rng.sample(range(7), 3))]
            market.rows["provider_profiles"].append(
                [user_id, f"{honours[0]}，乐于为职工服务。", honours, skills, rng.choice(AREAS), rng.random() < 0.6,
                 rng.choice([3, 5, 5, 8]), json.dumps(availability), None, 0, None, rng.randint(0, 3)]
            )  # fmt: skip
            market.rows["provider_categories"] += [(user_id, market.categories[slug][0]) for slug in own]
            for slug in own:
                market.serving[slug].append(user_id)

    # Listings and their history -------------------------------------------------------------------

    def _moment(self, start: datetime, end: datetime, recent: float = 1.0) -> datetime:
        """A time between start and end; recent > 1 leans toward the end (growth toward today)."""
        u = self.rng.random() ** (1 / recent)
        return (start + (end - start) * u).replace(microsecond=0)

    async def listings(self, market: Market) -> None:
        rng = self.rng
        start = self.now - timedelta(days=365 * YEARS)
        batches = []
        for year in range(YEARS):
            batch_id = self.ids.take("batches")
            at = start + timedelta(days=365 * year)
            market.rows["batches"].append((batch_id, market.id, f"第{year + 1}批（{at.year}年）", None, at))
            batches.append((batch_id, at))
        flat = [(slug, item) for slug, items in LISTINGS.items() for item in items if slug in market.serving]
        categories = {cid: Category(id=cid, name_zh=slug, name_en=slug) for slug, (cid, _) in market.categories.items()}
        names = await self._category_names(market)
        for cid, category in categories.items():
            category.name_zh, category.name_en = names[cid]
        known = _Known(categories, {})
        orders_per_listing = DEMO_ORDERS / DEMO_LISTINGS
        for n in range(market.scaled(DEMO_LISTINGS)):
            slug, (title, summary, shape, mode) = flat[n % len(flat)]
            provider_id = rng.choice(market.serving[slug])
            created = self._moment(start, self.now - timedelta(days=10), recent=1.6)
            batch_id = max((b for b in batches if b[1] <= created), key=lambda b: b[1])[0]
            state = ListingState.published
            if n % 23 == 5:
                state = ListingState.submitted
            elif n % 37 == 7:
                state = ListingState.paused
            elif created < self.now - timedelta(days=400) and rng.random() < 0.5:
                state = ListingState.closed  # an old listing no longer on the menu, its history kept
            listed = state != ListingState.submitted
            location = "" if mode == "online" else rng.choice(["南山区工人文化宫", "蛇口职工之家", "科技园工会驿站"])
            listing = SimpleListing(
                id=self.ids.take("listings"),
                market_id=market.id,
                provider_id=provider_id,
                category_id=market.categories[slug][0],
                batch_id=batch_id if listed else None,
                title=f"{title}（{n // len(flat) + 1}）" if n >= len(flat) else title,
                summary=summary,
                description=f"{summary}。由劳模工匠志愿提供，职工会员免费参加。请按时到场，如不能参加请提前取消。",
                shape=shape,
                mode=mode,
                location=location,
                target_groups=["parent"] if ("亲子" in title or "少儿" in title) else [],
                auto_accept=shape == ListingShape.group and n % 3 != 0,
                state=state,
                published_at=created + timedelta(days=3) if listed else None,
                created_at=created,
            )
            known.users[provider_id] = User(id=provider_id, name=market.names[provider_id])
            await refresh_search_text(known, listing)
            if listed:
                self._history(market, listing, orders_per_listing)
            market.rows["listings"].append(listing)

    async def _category_names(self, market: Market) -> dict[int, tuple[str, str]]:
        rows = await self.conn.fetch("SELECT id, name_zh, name_en FROM categories WHERE market_id = $1", market.id)
        return {r["id"]: (r["name_zh"], r["name_en"]) for r in rows}

    def _history(self, market: Market, listing: "SimpleListing", per_listing: float) -> None:
        """Sessions from the listing's publication to a month ahead, and their orders."""
        rng = self.rng
        first = listing.published_at + timedelta(days=2)
        last = self.now + timedelta(days=30)
        if listing.state == ListingState.closed:
            last = min(last, first + timedelta(days=rng.uniform(60, 300)))
        if listing.shape == ListingShape.on_request:
            for _ in range(max(1, round(rng.gauss(per_listing / 6, 1)))):
                at = self._moment(first, self.now - timedelta(days=2))
                self._order(market, listing, None, at, self._ending(at + timedelta(days=3)))
            return
        slot = listing.shape == ListingShape.slot
        # A group session seats about 7 orders on average, a slot one: sessions enough for the demo's mix.
        count = max(1, round(rng.gauss(per_listing / 3 if slot else per_listing / 7, 1)))
        capacity = 1 if slot else rng.choice([20, 30, 50])
        for _ in range(count):
            starts = self._moment(first, last, recent=1.3).replace(minute=0, second=0)
            if abs(starts - self.now) < timedelta(days=1):
                starts += timedelta(days=2)
            ends, created = starts + timedelta(hours=1 if slot else 2), starts - timedelta(days=14)
            session = [self.ids.take("listing_sessions"), market.id, listing.id, starts, ends, capacity, 0, created]
            market.rows["listing_sessions"].append(session)
            self._session_orders(market, listing, session)

    def _session_orders(self, market: Market, listing, session: list) -> None:
        rng, starts, capacity = self.rng, session[3], session[5]
        past = starts < self.now
        wanted = capacity if capacity == 1 else rng.randint(4, min(14, capacity))
        if not past and capacity > 1 and rng.random() < 0.15:
            wanted = capacity + 3  # a popular session: full, with a waiting list
        seated = 0
        for member_id in rng.sample(market.members, k=min(wanted, len(market.members))):
            placed = starts - timedelta(days=rng.uniform(1, 8))
            if placed > self.now:
                placed = self.now - timedelta(hours=rng.uniform(1, 48))
            if seated >= capacity:
                self._order(market, listing, session, placed, "waitlisted", member_id)
                continue
            ending = self._ending(starts)
            seated += self._order(market, listing, session, placed, ending, member_id)
        session[6] = seated

    def _ending(self, starts: datetime) -> str:
        weighted = PAST_ENDINGS if starts < self.now else FUTURE_ENDINGS
        return self.rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]

    def _order(self, market: Market, listing, session, at: datetime, ending: str, member_id: int | None = None):
        """One listing order walked through the transition table to `ending`; whether it holds a seat."""
        rng = self.rng
        member_id = member_id or self._on_request_member(market, listing)
        if member_id is None:
            return False
        provider_id = listing.provider_id
        if listing.auto_accept and ending in ("offered", "declined"):
            ending = "accepted"
        starts = session[3] if session else None
        step = timedelta(hours=rng.uniform(0.5, 6))
        if at + 3 * step > self.now:
            step = (self.now - at) / 4
        service = ServiceTime(session[3], session[4]) if session else None
        chain = Chain(self, market.id, OrderKind.listing, service)
        chain.move("place", Actor.member, member_id, at)
        arrangement, arranged_at, delivered_at, attended = {}, None, None, None
        if ending == "waitlisted":
            chain.move("waitlist", Actor.system, None, at)
        elif listing.auto_accept:
            chain.move("auto_accept", Actor.system, None, at)
        else:
            chain.move("offer", Actor.system, None, at)
            chain.offer(provider_id, at, ending)
            if ending == "declined":
                chain.move("decline", Actor.provider, provider_id, at + step, "那天另有任务")
            elif ending != "offered":
                chain.move("accept", Actor.provider, provider_id, at + step)
        if ending == "cancelled":
            chain.move(
                "cancel", Actor.member, member_id, at + 2 * step, rng.choice(["临时加班", "时间冲突", "家里有事"])
            )
        elif ending not in ("waitlisted", "offered", "declined", "accepted"):
            when = starts or at + 3 * step
            if session is None:
                arrangement = {"starts_at": when.isoformat(), "place": listing.location or "线上会议"}
                arranged_at = at + 2 * step
                chain.service = ServiceTime(when, when + timedelta(hours=1))
                chain.move("arrange", Actor.provider, provider_id, arranged_at, data=arrangement)
            done = when + timedelta(hours=2)
            if ending == "no_show":
                chain.move("no_show", Actor.provider, provider_id, done, "absent")
                attended = False
            else:
                chain.move("deliver", Actor.provider, provider_id, done)
                attended, delivered_at = True, done
                chain.notice(member_id, "order_delivered", "请签收", done)
                if ending == "disputed":
                    chain.move("dispute", Actor.member, member_id, when + timedelta(hours=5), "内容与介绍不符")
                elif ending in ("received", "reviewed"):
                    chain.move("receive", Actor.member, member_id, when + timedelta(hours=6))
                if ending == "reviewed":
                    stars = rng.choices([5, 4, 3, 2], [62, 28, 7, 3])[0]
                    chain.move("review", Actor.member, member_id, when + timedelta(hours=8), data={"stars": stars})
                    tags = rng.sample(REVIEW_TAGS if stars >= 4 else REVIEW_TAGS_LOW, k=rng.randint(0, 2))
                    text = rng.choice(REVIEW_TEXTS[:7] if stars >= 4 else REVIEW_TEXTS[7:])
                    review = (self.ids.take("reviews"), market.id, chain.order_id, listing.id, provider_id, member_id,
                              stars, tags, text, when + timedelta(hours=8))  # fmt: skip
                    market.rows["reviews"].append(review)
        if chain.state in ("accepted",) and not listing.auto_accept:
            chain.notice(member_id, "order_accepted", "预约已确认", at + step)
        holds = session is not None and chain.state in SEAT_HOLDING
        market.rows["orders"].append(
            (chain.order_id, market.id, OrderKind.listing.value, member_id, listing.id, session[0] if session else None,
             listing.category_id, provider_id, chain.state, holds, listing.title, "", listing.mode,
             json.dumps(arrangement), arranged_at, attended, None, delivered_at, at, chain.last)
        )  # fmt: skip
        chain.write(market)
        if session is None and chain.state in LIVE_ON_REQUEST:
            market.live_on_request.add((member_id, listing.id))
        return holds

    def _on_request_member(self, market: Market, listing) -> int | None:
        """A member with no live order of this on-request listing (one live order each, as the index keeps)."""
        for _ in range(20):
            member_id = self.rng.choice(market.members)
            if (member_id, listing.id) not in market.live_on_request:
                return member_id
        return None

    def needs(self, market: Market) -> None:
        """Free-form needs: most old ones served or expired, recent ones open, offered or accepted."""
        rng = self.rng
        leaves = [(slug, cid) for slug, (cid, skills) in market.categories.items() if slug in market.serving]
        for _ in range(market.scaled(DEMO_NEEDS)):
            slug, category_id = rng.choice(leaves)
            member_id = rng.choice(market.members)
            at = self._moment(self.now - timedelta(days=365 * YEARS), self.now - timedelta(hours=2), recent=1.6)
            recent = at > self.now - timedelta(days=7)
            ending = rng.choice(["placed", "offered", "accepted"] if recent else ["expired", "reviewed", "reviewed"])
            chain = Chain(self, market.id, OrderKind.need, None)
            chain.move("place", Actor.member, member_id, at)
            provider_id, arrangement, arranged_at, delivered_at = None, {}, None, None
            if ending == "expired":
                chain.move("expire", Actor.system, None, at + timedelta(days=7), "no provider took it in time")
            elif ending != "placed":
                provider_id = rng.choice(market.serving[slug])
                offered = at + min(timedelta(hours=2), (self.now - at) / 4)
                chain.move("offer", Actor.operator, market.staff["operator"], offered, "按职工所在街道就近派单")
                chain.offer(provider_id, offered, "offered" if ending == "offered" else "accepted")
                if ending != "offered":
                    chain.move("accept", Actor.provider, provider_id, at + min(timedelta(hours=5), (self.now - at) / 2))
                if ending == "reviewed":
                    when = at + timedelta(days=2)
                    arrangement, arranged_at = (
                        {"starts_at": when.isoformat(), "link": "https://meeting.example.cn/1"},
                        at + timedelta(days=1),
                    )  # noqa: E501
                    chain.service = ServiceTime(when, when + timedelta(hours=1))
                    chain.move("arrange", Actor.provider, provider_id, arranged_at, data=arrangement)
                    delivered_at = when + timedelta(hours=1)
                    chain.move("deliver", Actor.provider, provider_id, delivered_at)
                    chain.move("receive", Actor.member, member_id, when + timedelta(hours=3))
                    chain.move("review", Actor.member, member_id, when + timedelta(hours=4), data={"stars": 5})
                    market.rows["reviews"].append(
                        (self.ids.take("reviews"), market.id, chain.order_id, None, provider_id, member_id, 5,
                         ["professional"], REVIEW_TEXTS[2], when + timedelta(hours=4))
                    )  # fmt: skip
            market.rows["orders"].append(
                (chain.order_id, market.id, OrderKind.need.value, member_id, None, None, category_id, provider_id,
                 chain.state, False, f"求助：{slug}", "工作日晚上或周末方便。", None, json.dumps(arrangement),
                 arranged_at, None, at + timedelta(days=7), delivered_at, at, chain.last)
            )  # fmt: skip
            chain.write(market)

    def ratings(self, market: Market) -> None:
        """Listing and provider aggregates over the market's reviews, with domain/ratings.py."""
        by_listing, by_provider = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
        for review in market.rows["reviews"]:
            for key, table in ((review[3], by_listing), (review[4], by_provider)):
                if key is not None:
                    table[key][0] += review[6]
                    table[key][1] += 1
        for listing in market.rows["listings"]:
            total, count = by_listing.get(listing.id, (0, 0))
            listing.rating_avg, listing.rating_count = average(total, count), count
            listing.rating_score = bayesian_score(total, count)
        for profile in market.rows["provider_profiles"]:
            total, count = by_provider.get(profile[0], (0, 0))
            profile[8:11] = [average(total, count), count, bayesian_score(total, count)]

    async def market(self, slug: str, share: float, members_only: bool) -> None:
        async with self.sessionmaker() as db, db.begin():
            market_id = await ensure_market(db, slug, f"{slug} 工会云集市", f"{slug} Union Cloud Market")
            categories = await _seed_categories(db, market_id)
        self.built.markets.append(market_id)
        market = Market(self, market_id, share, categories)
        self.people(market, members_only)
        if not members_only:
            await self.listings(market)
            self.needs(market)
            self.ratings(market)
            market.rows["listings"] = [listing.row() for listing in market.rows["listings"]]
            market.rows["listing_sessions"] = [tuple(s) for s in market.rows["listing_sessions"]]
            market.rows["provider_profiles"] = [tuple(p) for p in market.rows["provider_profiles"]]
        else:
            for member_id in market.members[:: max(1, len(market.members) // 50_000)]:
                at = self._moment(self.now - timedelta(days=365), self.now)
                market.rows["notifications"].append(
                    (self.ids.take("notifications"), market_id, member_id, "order_accepted", "预约已确认", "",
                     "{}", at if at < self.now - timedelta(days=7) else None, at)
                )  # fmt: skip
        await self.flush(market)

    async def run(self, sqlalchemy_url: str, members_only: bool = False) -> Built:
        start = time.monotonic()
        self.engine = create_async_engine(sqlalchemy_url, pool_size=1)
        self.sessionmaker = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.password_hash = hash_password(_settings, PASSWORD)
        try:
            await self.start_ids()
            n = self.markets or (max(1, round(0.3 * self.factor)) if not members_only else 1)
            parents = market_tree(n)
            for rank, share in enumerate(market_shares(n)):
                await self.market(market_slug(rank, parents[rank]), share, members_only)
            await self.nest(parents)
            self.progress.show("sequences, ANALYZE")
            await self.finish_ids()
            # the desk's figures, folded from the events as the worker folds them (services/rollups.py)
            self.progress.show("figures folded")
            await rollups.catch_up(self.sessionmaker)
            await self.conn.execute("ANALYZE figure_days, figure_served_members, figure_provider_deliveries")
            # as autovacuum leaves a table in service (its visibility map set): the menu counts its listings from
            # their indexes alone, which a fresh COPY would not allow until autovacuum came by, when it liked
            await self.conn.execute("VACUUM (ANALYZE) listings, listing_sessions")
        finally:
            await self.engine.dispose()
        self.progress.done()
        self.built.seconds = time.monotonic() - start
        return self.built


LIVE_ON_REQUEST = {"placed", "offered", "accepted", "waitlisted", "delivered", "disputed"}


@dataclass
class SimpleListing:
    """A listing row in the making (what refresh_search_text reads and writes)."""

    id: int
    market_id: int
    provider_id: int
    category_id: int
    batch_id: int | None
    title: str
    summary: str
    description: str
    shape: str
    mode: str
    location: str
    target_groups: list[str]
    auto_accept: bool
    state: str
    published_at: datetime | None
    created_at: datetime
    search_text: str = ""
    rating_avg: float | None = None
    rating_count: int = 0
    rating_score: float | None = None

    def row(self) -> tuple:
        return tuple(getattr(self, name) for name in TABLES["listings"])


class Chain:
    """One order's events, each a move of the transition table checked as the services check it."""

    def __init__(self, gen: Generator, market_id: int, kind: OrderKind, service: ServiceTime | None):
        self.gen, self.market_id, self.kind, self.service = gen, market_id, kind, service
        self.order_id = gen.ids.take("orders")
        self.state: str | None = None
        self.last: datetime | None = None
        self.events: list[tuple] = []
        self.offers: list[tuple] = []
        self.notices: list[tuple] = []

    def move(self, action: str, role: Actor, actor_id: int | None, at: datetime, reason: str = "", data=None):
        if action == "place":
            target = OrderState.placed.value
        else:
            found = transition(OrderState(self.state), action, self.kind, {role})
            if found.window is not None and self.service is not None:
                refusal = time_refusal(found, role, at, self.service)
                assert refusal is None, f"{action} at {at}: {refusal}"
            target = found.target.value
        assert self.last is None or at >= self.last, f"{action} before the previous move"
        self.events.append(
            (self.gen.ids.take("order_events"), self.order_id, self.market_id, at, actor_id, role.value, action,
             self.state, target, reason, json.dumps(data or {}))
        )  # fmt: skip
        self.state, self.last = target, at

    def offer(self, provider_id: int, at: datetime, ending: str) -> None:
        state = {"offered": "pending", "declined": "declined"}.get(ending, "accepted")
        responded = None if state == "pending" else at + timedelta(hours=1)
        deadline = max(at, self.gen.now) + timedelta(days=2)
        self.offers.append(
            (self.gen.ids.take("offers"), self.market_id, self.order_id, provider_id, state, deadline, at, responded)
        )
        self.notice(provider_id, "offer", "新的预约待处理", at)

    def notice(self, user_id: int, kind: str, title: str, at: datetime) -> None:
        read = at + timedelta(hours=5) if at < self.gen.now - timedelta(days=3) else None
        data = json.dumps({"order_id": self.order_id})
        self.notices.append((self.gen.ids.take("notifications"), self.market_id, user_id, kind, title, "", data,
                             read, at))  # fmt: skip

    def write(self, market: Market) -> None:
        market.rows["order_events"] += self.events
        market.rows["offers"] += self.offers
        market.rows["notifications"] += self.notices


def _dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def build(
    sqlalchemy_url: str, factor: float, seed: int = 2026, members_only: bool = False, quiet=False, markets: int = 0
) -> Built:
    """Fill a migrated database (without listings or orders yet) with `factor`× the demo data (in `markets`
    markets when given, else as many as the factor makes)."""
    conn = await asyncpg.connect(_dsn(sqlalchemy_url))
    try:
        return await Generator(conn, factor, seed, quiet, markets).run(sqlalchemy_url, members_only)
    finally:
        await conn.close()


# The menu's facts kept on each listing (written by the triggers as the sessions are copied) against what the
# sessions give; a kept next start that has passed is allowed (the worker's scan moves it on).
LISTING_SEATS_WRONG = """
SELECT * FROM (
    SELECT l.id, l.next_session_at, l.seats_open_until,
        (SELECT min(s.starts_at) FROM listing_sessions s
         WHERE s.listing_id = l.id AND s.cancelled_at IS NULL AND s.starts_at > now()) AS next_at,
        (SELECT max(s.starts_at) FROM listing_sessions s
         WHERE s.listing_id = l.id AND s.cancelled_at IS NULL AND s.seats_taken < s.capacity) AS open_until
    FROM listings l
) AS f
WHERE f.seats_open_until IS DISTINCT FROM f.open_until
   OR (f.next_session_at IS DISTINCT FROM f.next_at AND NOT f.next_session_at <= now())
"""


async def problems(sqlalchemy_url: str) -> list[str]:
    """What breaks the invariants the app relies on (empty: none). Reads every event: for small factors."""
    conn = await asyncpg.connect(_dsn(sqlalchemy_url))
    try:
        found = [
            f"session {r['id']}: {r['seats_taken']} seats taken, {r['held']} orders hold one (capacity {r['capacity']})"
            for r in await conn.fetch(
                "SELECT s.id, s.seats_taken, s.capacity, count(o.id) AS held FROM listing_sessions s"
                " LEFT JOIN orders o ON o.session_id = s.id AND o.holds_seat GROUP BY s.id"
                " HAVING s.seats_taken <> count(o.id) OR s.seats_taken > s.capacity"
            )
        ]
        found += [
            f"order {r['id']} holds a seat while {r['state']}"
            for r in await conn.fetch(
                "SELECT id, state FROM orders WHERE holds_seat AND (session_id IS NULL OR NOT state = ANY($1))",
                sorted(SEAT_HOLDING),
            )
        ]
        orders = {r["id"]: r for r in await conn.fetch("SELECT id, kind, state FROM orders")}
        chains: dict[int, list] = defaultdict(list)
        for event in await conn.fetch("SELECT * FROM order_events ORDER BY order_id, at, id"):
            chains[event["order_id"]].append(event)
        for order_id, order in orders.items():
            found += _chain_problems(order, chains.get(order_id, []))
        for table, key in (("listings", "listing_id"), ("provider_profiles", "provider_id")):
            own = "id" if table == "listings" else "user_id"
            rows = await conn.fetch(
                f"SELECT t.{own} AS id, t.rating_avg, t.rating_count, t.rating_score,"
                f" coalesce(sum(r.stars), 0) AS total, count(r.id) AS n FROM {table} t"
                f" LEFT JOIN reviews r ON r.{key} = t.{own} AND r.hidden_at IS NULL GROUP BY t.{own}"
            )
            for r in rows:
                want = (average(r["total"], r["n"]), r["n"], bayesian_score(r["total"], r["n"]))
                if (r["rating_avg"], r["rating_count"], r["rating_score"]) != want:
                    found.append(f"{table} {r['id']}: ratings {tuple(r)[1:4]}, reviews give {want}")
        found += [
            f"listing {r['id']}: kept next session {r['next_session_at']} and last free start {r['seats_open_until']},"
            f" its sessions give {r['next_at']} and {r['open_until']}"
            for r in await conn.fetch(LISTING_SEATS_WRONG)
        ]
        found += [
            f"listing {r['id']}: search_text without its title"
            for r in await conn.fetch("SELECT id FROM listings WHERE strpos(search_text, lower(title)) = 0")
        ]
        return found
    finally:
        await conn.close()


def _chain_problems(order, events: list) -> list[str]:
    """An order's events must start with `place` and follow the transition table to the order's state."""
    if not events or events[0]["action"] != "place" or events[0]["to_state"] != OrderState.placed:
        return [f"order {order['id']}: its events do not start with 'place'"]
    state = OrderState.placed
    for event in events[1:]:
        try:
            found = transition(state, event["action"], OrderKind(order["kind"]), {Actor(event["actor_role"])})
        except Exception as exc:  # noqa: BLE001 - the refusal is the finding
            return [f"order {order['id']}: {event['action']} from {state}: {exc}"]
        if event["from_state"] != state or found.target != event["to_state"]:
            return [f"order {order['id']}: event {event['id']} records {event['from_state']}->{event['to_state']}"]
        state = found.target
    return [] if state == order["state"] else [f"order {order['id']} is {order['state']}, its events end {state}"]


async def tokens(db: ScratchDb, user_ids: list[int]) -> list[str]:
    """A fresh login for each user, as a login would give (bench/data.py's settings and issue_token)."""
    conn = await asyncpg.connect(db.dsn)
    try:
        out = []
        for user_id in user_ids:
            session_id = await conn.fetchval(
                "INSERT INTO login_sessions (user_id, user_agent, created_at, last_seen_at, expires_at)"
                " VALUES ($1, 'bench', now(), now(), now() + interval '1 day') RETURNING id",
                user_id,
            )
            out.append(issue_token(_settings, user_id, session_id))
        return out
    finally:
        await conn.close()


async def _main(args) -> None:
    db = ScratchDb()
    await db.create()
    try:
        factor = args.members_only or args.factor
        built = await build(db.sqlalchemy_url, factor, args.seed, members_only=bool(args.members_only))
        print(f"{db.name}: {factor}× in {built.seconds:.0f} s: {dict(built.counts)}")
    finally:
        if not args.keep:
            await db.drop()
        else:
            print(f"kept {db.name}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--factor", type=float, default=1, help="k: k× the demo data (100: a province)")
    p.add_argument("--members-only", type=float, default=0, help="k× the people only (1000: 700,000 members)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    run_async(_main(p.parse_args()))


if __name__ == "__main__":
    main()
