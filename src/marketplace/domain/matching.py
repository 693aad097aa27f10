"""精准匹配: how well a provider fits a free-form need, and a batch assignment that shares the work.

Pure: no database, no clock. A score is the sum of named parts, each stored with the
offer so an operator can read why a provider was chosen:

- fit parts (positive): category, skills, group, mode (online/offline and area), time, rating;
- fairness parts (negative): open load, offers received recently, recent declines — so the
  ~300 experts share the work instead of the stars getting everything.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

# How much each fit part (0..1) weighs; the sum is the best possible fit.
WEIGHTS = {"category": 3.0, "skills": 2.5, "mode": 1.5, "rating": 1.5, "group": 1.0, "time": 1.0}
# Fairness, in the same points: each open order a provider carries, plus how full they are.
LOAD_PENALTY = 0.6
FULLNESS_PENALTY = 1.0
RECENT_OFFER_PENALTY = 0.15  # per offer received in the last RECENT_OFFER_DAYS
RECENT_OFFER_CAP = 20
DECLINE_PENALTY = 0.4  # per offer declined or left to time out in the last RECENT_DECLINE_DAYS
DECLINE_CAP = 5
RECENT_OFFER_DAYS = 7
RECENT_DECLINE_DAYS = 30
# A provider without reviews is taken to be this good (the Bayesian prior of domain/ratings.py).
RATING_PRIOR = 4.0
NEUTRAL = 0.5  # a part we know nothing about favours nobody

_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")


def grams(text: str) -> frozenset[str]:
    """Chinese character bigrams (single characters for one-character runs) and lower-case words."""
    text = text.lower()
    found: set[str] = set(_WORD.findall(text))
    for run in _CJK.findall(text):
        if len(run) == 1:
            found.add(run)
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(found)


@dataclass(frozen=True)
class Window:
    """A weekly window a provider is usually free, in the market's local time (weekday 0 = Monday)."""

    weekday: int
    start: time
    end: time  # time(0, 0) or earlier than start: until midnight

    @classmethod
    def parse(cls, raw: dict) -> "Window | None":
        try:
            weekday = int(raw["weekday"])
            start = _clock(raw["start"])
            end = _clock(raw["end"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(weekday, start, end) if 0 <= weekday <= 6 else None


def _clock(text: str) -> time:
    hours, minutes = str(text).split(":")
    if int(hours) == 24:
        return time(0, 0)
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class NeedFacts:
    id: int
    member_id: int
    category_path: tuple[int, ...]  # the need's category first, then each category above it
    text: str  # title, description and note
    mode: str | None = None  # online | offline | None (either)
    groups: frozenset[str] = frozenset()  # the member's target groups
    preferred_times: tuple[tuple[datetime, datetime], ...] = ()  # aware datetimes
    excluded: frozenset[int] = frozenset()  # providers this need was offered to before (never again)
    time_zone: str = "Asia/Shanghai"

    @cached_property
    def grams(self) -> frozenset[str]:
        return grams(self.text)

    @cached_property
    def local_times(self) -> tuple[tuple[datetime, datetime], ...]:
        zone = ZoneInfo(self.time_zone)
        return tuple(
            (start.astimezone(zone).replace(tzinfo=None), end.astimezone(zone).replace(tzinfo=None))
            for start, end in self.preferred_times
        )


@dataclass(frozen=True)
class ProviderFacts:
    id: int
    categories: frozenset[int]
    skills: tuple[str, ...] = ()
    area: str = ""
    online: bool = False
    availability: tuple[Window, ...] = ()
    rating_score: float | None = None
    capacity: int = 5
    open_load: int = 0  # orders offered to or accepted by them now
    recent_offers: int = 0
    recent_declines: int = 0
    groups: frozenset[str] = frozenset()  # target groups of their published listings

    @cached_property
    def skill_grams(self) -> tuple[frozenset[str], ...]:
        return tuple(g for g in (grams(skill) for skill in self.skills) if g)


@dataclass(frozen=True)
class Score:
    total: float
    fit: float  # the fit parts alone (what the benchmark compares with the optimum)
    parts: dict[str, float] = field(default_factory=dict)


# Fit parts ------------------------------------------------------------------------------------


def category_distance(path: Sequence[int], served: frozenset[int]) -> int | None:
    """How many levels above the need's category the provider's category is; None: not theirs."""
    for distance, category_id in enumerate(path):
        if category_id in served:
            return distance
    return None


def category_fit(distance: int) -> float:
    # The exact sub-category beats a provider filed under the whole domain.
    return {0: 1.0, 1: 0.7}.get(distance, 0.5)


def skill_fit(skill_grams: Iterable[frozenset[str]], need_grams: frozenset[str]) -> float:
    """The best share of one skill's bigrams found in the need's text."""
    best = 0.0
    for skill in skill_grams:
        best = max(best, len(skill & need_grams) / len(skill))
    return best


def group_fit(need_groups: frozenset[str], provider_groups: frozenset[str]) -> float:
    if need_groups & provider_groups:
        return 1.0
    if not need_groups or not provider_groups:
        return NEUTRAL
    return 0.25  # the provider's services target other groups


def mode_fit(mode: str | None, text: str, online: bool, area: str) -> float:
    if mode == "online":
        return 1.0 if online else 0.1
    near = bool(area) and area in text
    if mode == "offline":
        return 1.0 if near else NEUTRAL
    return 1.0 if near else (0.75 if online else NEUTRAL)


def time_fit(local_times: Sequence[tuple[datetime, datetime]], availability: Sequence[Window]) -> float:
    """The share of the member's preferred times that meet one of the provider's free windows."""
    if not local_times or not availability:
        return NEUTRAL
    met = sum(1 for start, end in local_times if _meets(start, end, availability))
    return met / len(local_times)


def _meets(start: datetime, end: datetime, availability: Sequence[Window]) -> bool:
    day = datetime.combine(start.date(), time(0, 0))
    while day < end:
        for window in availability:
            if window.weekday != day.weekday():
                continue
            opens = datetime.combine(day.date(), window.start)
            closes = datetime.combine(day.date(), window.end)
            if closes <= opens:
                closes = day + timedelta(days=1)
            if max(opens, start) < min(closes, end):
                return True
        day += timedelta(days=1)
    return False


def rating_fit(rating_score: float | None) -> float:
    rating = RATING_PRIOR if rating_score is None else rating_score
    return min(max((rating - 1.0) / 4.0, 0.0), 1.0)


_PARTS = tuple(WEIGHTS)  # category, skills, mode, rating, group, time
_WEIGHT = tuple(WEIGHTS.values())


def _raw(need: NeedFacts, provider: ProviderFacts) -> tuple[float, ...] | None:
    """The fit parts before weighting, in _PARTS order; None when this provider may not have it."""
    if provider.id == need.member_id or provider.id in need.excluded:
        return None
    distance = category_distance(need.category_path, provider.categories)
    if distance is None:
        return None  # never outside a provider's categories
    return (
        category_fit(distance),
        skill_fit(provider.skill_grams, need.grams),
        mode_fit(need.mode, need.text, provider.online, provider.area),
        rating_fit(provider.rating_score),
        group_fit(need.groups, provider.groups),
        time_fit(need.local_times, provider.availability),
    )


def fit_total(need: NeedFacts, provider: ProviderFacts) -> float | None:
    raw = _raw(need, provider)
    if raw is None:
        return None
    c, s, m, r, g, t = raw
    w = _WEIGHT
    return w[0] * c + w[1] * s + w[2] * m + w[3] * r + w[4] * g + w[5] * t


def fit_parts(need: NeedFacts, provider: ProviderFacts) -> dict[str, float] | None:
    """The weighted fit parts, or None when this provider may not be offered this need at all."""
    raw = _raw(need, provider)
    if raw is None:
        return None
    return {name: round(weight * value, 4) for name, weight, value in zip(_PARTS, _WEIGHT, raw, strict=True)}


def penalty(open_load: int, capacity: int, recent_offers: int, recent_declines: int) -> float:
    """The fairness parts, summed (positive: subtracted from the fit)."""
    return (
        LOAD_PENALTY * open_load
        + FULLNESS_PENALTY * open_load / max(capacity, 1)
        + RECENT_OFFER_PENALTY * min(recent_offers, RECENT_OFFER_CAP)
        + DECLINE_PENALTY * min(recent_declines, DECLINE_CAP)
    )


def fairness_parts(open_load: int, capacity: int, recent_offers: int, recent_declines: int) -> dict[str, float]:
    return {
        "load": -round(LOAD_PENALTY * open_load + FULLNESS_PENALTY * open_load / max(capacity, 1), 4),
        "recent_offers": -round(RECENT_OFFER_PENALTY * min(recent_offers, RECENT_OFFER_CAP), 4),
        "declines": -round(DECLINE_PENALTY * min(recent_declines, DECLINE_CAP), 4),
    }


def score(need: NeedFacts, provider: ProviderFacts) -> Score | None:
    """How well this provider fits this need now; None when they may not be offered it."""
    fit = fit_parts(need, provider)
    if fit is None or provider.open_load >= provider.capacity:
        return None
    fair = fairness_parts(provider.open_load, provider.capacity, provider.recent_offers, provider.recent_declines)
    return _score(fit, fair)


def _score(fit: dict[str, float], fair: dict[str, float]) -> Score:
    fit_sum = sum(fit.values())
    total = fit_sum + sum(fair.values())
    return Score(round(total, 4), round(fit_sum, 4), {**fit, **fair})


# Batch assignment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    need_id: int
    provider_id: int
    score: Score


def assign(needs: Sequence[NeedFacts], providers: Sequence[ProviderFacts]) -> list[Assignment]:
    """Offer each need, in the order given (oldest first), to the provider who scores best at that
    moment. Each offer adds to that provider's load and recent offers, so the next need already sees
    the work handed out in this batch, and nobody is given more than their capacity."""
    by_category: dict[int, list[ProviderFacts]] = {}
    for provider in sorted(providers, key=lambda p: p.id):
        for category_id in provider.categories:
            by_category.setdefault(category_id, []).append(provider)
    load = {p.id: p.open_load for p in providers}
    offers = {p.id: p.recent_offers for p in providers}
    out: list[Assignment] = []
    for need in needs:
        best_key: tuple[float, int, int] | None = None  # (total, -load, -id): higher is better
        best: ProviderFacts | None = None
        seen: set[int] = set()
        for category_id in need.category_path:
            for provider in by_category.get(category_id, ()):
                pid = provider.id
                if pid in seen or load[pid] >= provider.capacity:
                    continue
                seen.add(pid)
                fit = fit_total(need, provider)
                if fit is None:
                    continue
                total = fit - penalty(load[pid], provider.capacity, offers[pid], provider.recent_declines)
                key = (total, -load[pid], -pid)
                if best_key is None or key > best_key:
                    best_key, best = key, provider
        if best is not None:
            fair = fairness_parts(load[best.id], best.capacity, offers[best.id], best.recent_declines)
            out.append(Assignment(need.id, best.id, _score(fit_parts(need, best), fair)))
            load[best.id] += 1
            offers[best.id] += 1
    return out
