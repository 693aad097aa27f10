"""The needs classification list (需求分类清单): needs counted per category × respondent group (and district),
from the survey answers, the needs members posted and the waitlist places, with their trend by month, the
most representative phrasings (the classifier's most confident) and the top words (jieba, via the
classifier's own segmenter)."""

import asyncio
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..db import settings_of
from ..domain.categories import domain_of
from ..domain.orders import OrderKind, OrderState
from ..domain.segment import features
from ..errors import InvalidInput
from ..models import Category, Order, SurveyNeed, User
from ..models.base import utcnow

TYPICAL = 3
TOP_WORDS = 8
WORDS_FROM = 300  # texts per category the top words are counted over (the most confident)
MONTHS = 12
UNKNOWN = ""


@dataclass
class Period:
    since: datetime
    until: datetime

    @classmethod
    def default(cls, now: datetime | None = None) -> "Period":
        now = now or utcnow()
        return cls(now - timedelta(days=365), now + timedelta(minutes=1))


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def period_of(
    since: date | None, until: date | None, zone: str, now: datetime | None = None, *, strict: bool = True
) -> Period:
    """A period of whole days in the market's zone, `until` included (default: the last year to today).
    Days are held within 2000–2100; a period ending before it starts is refused (strict) or empty."""
    tz = ZoneInfo(zone)
    today = (now or utcnow()).astimezone(tz).date()
    until = min(max(until or today, FIRST_DAY), LAST_DAY)
    since = min(max(since or until - timedelta(days=365), FIRST_DAY), LAST_DAY)
    if since > until:
        if strict:
            raise InvalidInput("The period ends before it starts.", field="until")
        until = since - timedelta(days=1)
    start = datetime.combine(since, time(0), tz).astimezone(UTC)
    end = datetime.combine(until + timedelta(days=1), time(0), tz).astimezone(UTC)
    return Period(start, end)


@dataclass
class Filters:
    domain_id: int | None = None
    group: str | None = None
    district: str | None = None


@dataclass
class NeedsRow:
    category_id: int
    domain_id: int
    name_zh: str
    name_en: str
    domain_zh: str
    domain_en: str
    survey: int = 0
    posted: int = 0
    waitlist: int = 0
    groups: Counter = field(default_factory=Counter)
    districts: Counter = field(default_factory=Counter)
    typical: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.survey + self.posted + self.waitlist


@dataclass
class NeedsList:
    period: Period
    filters: Filters
    rows: list[NeedsRow]
    domains: list[tuple[int, str, str, int]]  # id, 中文, English, needs
    groups: list[tuple[str, int]]
    districts: list[tuple[str, int]]
    months: list[str]  # "2026-07" …
    trend: dict[int, list[int]]  # domain id -> needs per month
    unclassified: int = 0

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows) + self.unclassified


async def tree(db: AsyncSession, market_ids: Sequence[int]) -> dict[int, tuple[int | None, str, str]]:
    rows = await db.execute(
        sa.select(Category.id, Category.parent_id, Category.name_zh, Category.name_en).where(
            Category.market_id.in_(market_ids)
        )
    )
    return {r.id: (r.parent_id, r.name_zh, r.name_en) for r in rows.all()}


async def _same_as(db: AsyncSession, market_ids: Sequence[int]) -> dict[int, int]:
    """The categories of the markets below the first one that have a category of the first market with the same
    slug (the shared vocabulary): a province's needs list counts a district's 书法培训 as its own 书法培训."""
    if len(market_ids) < 2:
        return {}
    own = aliased(Category)
    rows = await db.execute(
        sa.select(Category.id, own.id)
        .join(own, sa.and_(own.slug == Category.slug, own.market_id == market_ids[0]))
        .where(Category.market_id.in_(market_ids[1:]))
    )
    return dict(rows.all())


def _month(column, zone: str):
    return sa.func.to_char(sa.func.timezone(zone, column), "YYYY-MM")


def _member_group():
    return sa.func.coalesce(User.groups[1], UNKNOWN)


async def needs_list(
    db: AsyncSession, market_ids: Sequence[int], period: Period, filters: Filters | None = None
) -> NeedsList:
    """The needs of these markets (a staff member's market first, then those below it: rolled up)."""
    filters = filters or Filters()
    zone = settings_of(db).time_zone
    nodes = await tree(db, market_ids)
    same_as = await _same_as(db, market_ids)
    parents = {k: v[0] for k, v in nodes.items()}
    rows: dict[int, NeedsRow] = {}
    months: Counter = Counter()  # (domain, month) -> n

    def row_of(category_id: int) -> NeedsRow:
        category_id = same_as.get(category_id, category_id)
        if category_id not in rows:
            domain = domain_of(category_id, parents)
            _, zh, en = nodes[category_id]
            rows[category_id] = NeedsRow(category_id, domain, zh, en, nodes[domain][1], nodes[domain][2])
        return rows[category_id]

    # survey answers
    survey = sa.and_(
        SurveyNeed.market_id.in_(market_ids),
        SurveyNeed.answered_at >= period.since,
        SurveyNeed.answered_at < period.until,
    )
    if filters.group:
        survey = sa.and_(survey, SurveyNeed.group == filters.group)
    if filters.district:
        survey = sa.and_(survey, SurveyNeed.district == filters.district)
    month = _month(SurveyNeed.answered_at, zone)
    found = await db.execute(
        sa.select(SurveyNeed.category_id, SurveyNeed.group, SurveyNeed.district, month, sa.func.count())
        .where(survey)
        .group_by(SurveyNeed.category_id, SurveyNeed.group, SurveyNeed.district, month)
    )
    unclassified = 0
    for category_id, group, district, at, n in found.all():
        if category_id is None or category_id not in nodes:
            unclassified += n
            continue
        row = row_of(category_id)
        row.survey += n
        row.groups[group] += n
        row.districts[district] += n
        months[(row.domain_id, at)] += n

    # needs members posted, and waitlist places (no district: the counts skip them when one is chosen)
    if not filters.district:
        for kind in ("posted", "waitlist"):
            where = [
                Order.market_id.in_(market_ids),
                Order.created_at >= period.since,
                Order.created_at < period.until,
            ]
            if kind == "posted":
                where.append(Order.kind == OrderKind.need)
            else:
                where.append(Order.state == OrderState.waitlisted)
            group = _member_group()
            if filters.group:
                where.append(group == filters.group)
            month = _month(Order.created_at, zone)
            found = await db.execute(
                sa.select(Order.category_id, group, month, sa.func.count())
                .join(User, User.id == Order.member_id)
                .where(*where)
                .group_by(Order.category_id, group, month)
            )
            for category_id, member_group, at, n in found.all():
                if category_id not in nodes:
                    continue
                row = row_of(category_id)
                setattr(row, kind, getattr(row, kind) + n)
                row.groups[member_group] += n
                months[(row.domain_id, at)] += n

    if filters.domain_id:
        rows = {k: v for k, v in rows.items() if v.domain_id == filters.domain_id}
        months = Counter({k: v for k, v in months.items() if k[0] == filters.domain_id})
    await _phrasings(db, survey, rows, same_as)

    ordered = sorted(rows.values(), key=lambda r: (-r.total, r.category_id))
    domains: Counter = Counter()
    groups: Counter = Counter()
    districts: Counter = Counter()
    for row in ordered:
        domains[row.domain_id] += row.total
        groups.update(row.groups)
        districts.update(row.districts)
    labels = _month_labels(period, ZoneInfo(zone))
    return NeedsList(
        period=period,
        filters=filters,
        rows=ordered,
        domains=[(d, nodes[d][1], nodes[d][2], n) for d, n in domains.most_common()],
        groups=groups.most_common(),
        districts=[(d, n) for d, n in districts.most_common(20) if d],
        months=labels,
        trend={d: [months[(d, m)] for m in labels] for d in domains},
        unclassified=unclassified,
    )


def _month_labels(period: Period, zone: ZoneInfo) -> list[str]:
    end = (period.until - timedelta(seconds=1)).astimezone(zone)
    start = period.since.astimezone(zone)
    labels = []
    y, m = end.year, end.month
    while len(labels) < MONTHS and (y, m) >= (start.year, start.month):
        labels.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return labels[::-1]


async def _phrasings(db: AsyncSession, survey, rows: dict[int, NeedsRow], same_as: dict[int, int]) -> None:
    """Each category's most representative texts (the classifier's most confident) and its top words."""
    if not rows:
        return
    rank = (
        sa.func.row_number()
        .over(partition_by=SurveyNeed.category_id, order_by=(SurveyNeed.confidence.desc(), SurveyNeed.id))
        .label("rank")
    )
    ranked = (
        sa.select(SurveyNeed.category_id, SurveyNeed.text, rank)
        .where(survey, SurveyNeed.category_id.in_([*rows, *(c for c, own in same_as.items() if own in rows)]))
        .subquery()
    )
    found = await db.execute(
        sa.select(ranked.c.category_id, ranked.c.text).where(ranked.c.rank <= WORDS_FROM).order_by(ranked.c.rank)
    )
    texts: dict[int, list[str]] = defaultdict(list)
    for category_id, text in found.all():
        texts[same_as.get(category_id, category_id)].append(text)

    def words() -> dict[int, list[str]]:
        out = {}
        for category_id, found_texts in texts.items():
            counted: Counter = Counter()
            for text in found_texts:
                counted.update(features(text))
            out[category_id] = [w for w, _ in counted.most_common(TOP_WORDS)]
        return out

    top = await asyncio.to_thread(words)
    for category_id, row in rows.items():
        seen: list[str] = []
        for text in texts.get(category_id, ()):
            if text not in seen:
                seen.append(text)
            if len(seen) >= TYPICAL:
                break
        row.typical = seen
        row.words = top.get(category_id, [])
