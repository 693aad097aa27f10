"""精准匹配: how well a provider fits a free-form need, and a batch assignment that shares the work.

Pure: no database, no clock. A score is the sum of named parts, each stored with the
offer so an operator can read why a provider was chosen:

- fit parts (positive): category, skills, group, mode (online/offline and area), time, rating;
- fairness parts (negative): open load, offers received recently, recent declines — so the
  ~300 experts share the work instead of the stars getting everything.
"""

import heapq
import math
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
# A provider who just declined or let offers lapse is likely away or full: each such answer of the last
# FRESH_DECLINE_HOURS weighs this much more, so a third offer goes to someone else who fits (though still
# to them when nobody else does).
FRESH_DECLINE_PENALTY = 1.5
FRESH_DECLINE_CAP = 3
FRESH_DECLINE_HOURS = 24
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
    category_below: frozenset[int] = frozenset()  # every category under the need's (domain/categories.Reach)
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
        """The preferred times in the market's wall-clock time; a window that cannot be shown there
        (a far-off year that overflows when moved to the zone) is left out: no provider meets it."""
        zone = ZoneInfo(self.time_zone)
        found = []
        for start, end in self.preferred_times:
            try:
                found.append((start.astimezone(zone).replace(tzinfo=None), end.astimezone(zone).replace(tzinfo=None)))
            except (OverflowError, ValueError):
                continue
        return tuple(found)


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
    recent_declines: int = 0  # declined or left to lapse in the last RECENT_DECLINE_DAYS
    fresh_declines: int = 0  # of those, in the last FRESH_DECLINE_HOURS
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
    """How many levels above the need's category the provider's category is; None: none above."""
    for distance, category_id in enumerate(path):
        if category_id in served:
            return distance
    return None


def category_fit(distance: int) -> float:
    # The exact sub-category beats a provider filed under the whole domain.
    return {0: 1.0, 1: 0.7}.get(distance, 0.5)


# A need filed under a domain (or any category with others below it) reaches the providers of the
# categories below it too: they serve part of what it asks, so less surely than the category itself.
BELOW_FIT = 0.8


def category_match(need: NeedFacts, served: frozenset[int]) -> float | None:
    """The category part (0..1) of a provider for a need; None: no category of theirs reaches it."""
    distance = category_distance(need.category_path, served)
    if distance is not None:
        return category_fit(distance)
    return None if need.category_below.isdisjoint(served) else BELOW_FIT


def skill_fit(skill_grams: Iterable[frozenset[str]], need_grams: frozenset[str]) -> float:
    """The best share of one skill's bigrams found in the need's text."""
    best = 0.0
    for skill in skill_grams:
        share = len(skill & need_grams) / len(skill)
        if share > best:  # not max(): this runs for every pair of a batch
            best = share
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
    """The fit parts before weighting, in _PARTS order; None when this provider may not have it.
    (_Batch.candidates computes the same sum for a whole batch at once; keep the two in step.)"""
    if provider.id == need.member_id or provider.id in need.excluded:
        return None
    category = category_match(need, provider.categories)
    if category is None:
        return None  # never outside a provider's categories
    return (
        category,
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


def decline_penalty(recent_declines: int, fresh_declines: int = 0) -> float:
    """Declines and lapses alike: a little for each of the last month, much more for each of the last day."""
    return DECLINE_PENALTY * min(recent_declines, DECLINE_CAP) + FRESH_DECLINE_PENALTY * min(
        fresh_declines, FRESH_DECLINE_CAP
    )


def penalty(open_load: int, capacity: int, recent_offers: int, recent_declines: int, fresh_declines: int = 0) -> float:
    """The fairness parts, summed (positive: subtracted from the fit)."""
    return (
        LOAD_PENALTY * open_load
        + FULLNESS_PENALTY * open_load / max(capacity, 1)
        + RECENT_OFFER_PENALTY * min(recent_offers, RECENT_OFFER_CAP)
        + decline_penalty(recent_declines, fresh_declines)
    )


def fairness_parts(
    open_load: int, capacity: int, recent_offers: int, recent_declines: int, fresh_declines: int = 0
) -> dict[str, float]:
    return {
        "load": -round(LOAD_PENALTY * open_load + FULLNESS_PENALTY * open_load / max(capacity, 1), 4),
        "recent_offers": -round(RECENT_OFFER_PENALTY * min(recent_offers, RECENT_OFFER_CAP), 4),
        "declines": -round(decline_penalty(recent_declines, fresh_declines), 4),
    }


def score(need: NeedFacts, provider: ProviderFacts) -> Score | None:
    """How well this provider fits this need now; None when they may not be offered it."""
    fit = fit_parts(need, provider)
    if fit is None or provider.open_load >= provider.capacity:
        return None
    p = provider
    fair = fairness_parts(p.open_load, p.capacity, p.recent_offers, p.recent_declines, p.fresh_declines)
    return _score(fit, fair)


def _score(fit: dict[str, float], fair: dict[str, float]) -> Score:
    fit_sum = sum(fit.values())
    total = fit_sum + sum(fair.values())
    return Score(round(total, 4), round(fit_sum, 4), {**fit, **fair})


# Batch assignment -----------------------------------------------------------------------------
#
# A batch is a min-cost flow: each need may go to one provider it may have; a provider takes at
# most its free places, and the k-th place it takes in the batch costs the fairness penalty at
# that load (penalty() only grows with load, so places fill in order). The matcher maximises the
# total score, fit minus fairness, of the needs it serves.
#
# Needs are taken oldest first, as before, but each is placed along the best *augmenting path*
# instead of simply with the best provider left: the new need may take provider A's place while
# one of A's needs moves on to B, and one of B's to C, if that raises the total score (successive
# shortest paths). Need by need, greedy fell about 0.17 points per need short of the optimum,
# because early needs took providers whom later needs fitted much better; moving them on repairs
# exactly that.
#
# The graph is small: a node per provider, plus "a free place" (the end of every path). An edge
# p → q stands for moving the need held by p that loses least by going to q. Dijkstra needs no
# negative edges, so each provider carries a potential (a price), updated after each path as in
# Johnson's reweighting. A search settles at most SEARCH_LIMIT providers and then takes the best
# path found: without the limit the result is exactly optimal (about 20 providers settled per
# need on the benchmark); with it, the batch is about 0.2 % below the optimum for 40 % less time
# (bench/README.md has the figures). Either way the potentials stay valid.
#
# Age decides *who* is served when places run short (a need is served whenever a path frees a
# place for it, and a served need is never dropped for a younger one), not who gets the best fit.

SEARCH_LIMIT = 4  # providers settled per search at most, once some path has been found


@dataclass(frozen=True)
class Assignment:
    need_id: int
    provider_id: int
    score: Score


def assign(needs: Sequence[NeedFacts], providers: Sequence[ProviderFacts]) -> list[Assignment]:
    """Offer the needs, taken in the order given (oldest first), to providers so that the total
    score is the best possible for the needs served; nobody is given more than their capacity.

    Each provider's fairness parts count the work handed out in this batch: their first new need
    is scored at their current load, the next (the next oldest) at one more, and so on."""
    batch = _Batch(providers)
    for index, need in enumerate(needs):
        batch.serve(index, need)
    return batch.assignments(needs)


class _Batch:
    def __init__(self, providers: Sequence[ProviderFacts]):
        # Only providers with a free place take part; sorted so that ties always break the same way.
        self.providers = {p.id: p for p in sorted(providers, key=lambda p: p.id) if p.open_load < p.capacity}
        self.by_category: dict[int, list[ProviderFacts]] = {}
        for provider in self.providers.values():
            for category_id in provider.categories:
                self.by_category.setdefault(category_id, []).append(provider)
        self.fits: list[dict[int, float]] = []  # need index -> provider id -> fit
        self.held: dict[int, list[int]] = {pid: [] for pid in self.providers}  # provider -> need indexes
        self.holder: dict[int, int] = {}  # need index -> provider id
        # moves[p][q] = (fit lost, need index): the need held by p that loses least by moving to q
        self.moves: dict[int, dict[int, tuple[float, int]]] = {pid: {} for pid in self.providers}
        # The cost of one more need for each provider (its fairness penalty at the next load); None: full.
        self.place_cost = {pid: self._place_cost(pid) for pid in self.providers}
        # Potentials; "a free place" has 0. −price lies between the penalty of the provider's last
        # place taken and of its next one: about what its next place is worth.
        self.price = {pid: -cost for pid, cost in self.place_cost.items()}
        # Providers from whom no path reaches a free place: the batch only ever fills places, and a
        # path never runs through them, so they stay dead and later searches skip them.
        self.dead: set[int] = set()
        self.times: dict = {}  # time_fit memo for this batch
        self.rating = {pid: _WEIGHT[3] * rating_fit(p.rating_score) for pid, p in self.providers.items()}

    def _place_cost(self, pid: int) -> float | None:
        p = self.providers[pid]
        taken = len(self.held[pid])
        if p.open_load + taken >= p.capacity:
            return None
        return penalty(p.open_load + taken, p.capacity, p.recent_offers + taken, p.recent_declines, p.fresh_declines)

    def serve(self, index: int, need: NeedFacts) -> None:
        fits = self.candidates(need)
        self.fits.append(fits)
        path = self.best_path(fits)
        if path is not None:
            self.apply(index, path)

    def candidates(self, need: NeedFacts) -> dict[int, float]:
        """fit_total(need, p) for each live provider p who may have the need: the same sums in the same
        order, so the very same numbers, with what depends on the provider alone worked out once
        per batch (tens of thousands of pairs per batch make this the matcher's second cost)."""
        fits: dict[int, float] = {}
        banned = need.excluded | {need.member_id}
        words, text, mode, groups, local = need.grams, need.text, need.mode, need.groups, need.local_times
        times, rating, dead = self.times, self.rating, self.dead
        w = _WEIGHT
        # Walking the path from the need's own category up, a provider is met first at its distance;
        # then the categories below it (category_match's order, so the same part for each provider).
        levels = [(category_id, w[0] * category_fit(d)) for d, category_id in enumerate(need.category_path)]
        levels += [(category_id, w[0] * BELOW_FIT) for category_id in sorted(need.category_below)]
        for category_id, category in levels:
            for p in self.by_category.get(category_id, ()):
                pid = p.id
                if pid in fits or pid in banned or pid in dead:
                    continue  # (a dead provider can never take it: no need to know how well it fits)
                if local:
                    timing = times.get((local, pid))
                    if timing is None:
                        timing = times[(local, pid)] = time_fit(local, p.availability)
                else:
                    timing = NEUTRAL
                fits[pid] = (
                    category
                    + w[1] * skill_fit(p.skill_grams, words)
                    + w[2] * mode_fit(mode, text, p.online, p.area)
                    + rating[pid]
                    + w[4] * group_fit(groups, p.groups)
                    + w[5] * timing
                )
        return fits

    def best_path(self, fits: dict[int, float]) -> list[tuple[int, int]] | None:
        """Dijkstra from the new need to a free place on reduced costs (cost + price(from) − price(to)).

        Returns the path as (provider, need index moved into it) steps, the new need's step first
        (with need index -1), or None when no provider can make room for it."""
        price, dead, moves, place_cost, holder = self.price, self.dead, self.moves, self.place_cost, self.holder
        # The best path found so far, to begin with the best provider with a free place: reduced
        # costs are never negative, so nothing as far as it or further can lead to anything better.
        best, last = math.inf, -1
        for pid, fit in fits.items():
            cost = place_cost[pid]
            if cost is not None and cost - fit < best:
                best, last = cost - fit, pid
        distance: dict[int, float] = {}
        came: dict[int, tuple[int, int]] = {}  # node -> (previous provider or -1, need moved)
        heap: list[tuple[float, int]] = []
        for pid, fit in fits.items():
            d = -fit - price[pid]  # from the need itself (a shift common to all does not matter)
            if d < best and pid not in dead:
                distance[pid] = d
                came[pid] = (-1, -1)
                heap.append((d, pid))
        heapq.heapify(heap)
        settled: dict[int, float] = {}  # provider -> final distance, in the order settled
        bound = math.inf
        while heap:
            d, node = heapq.heappop(heap)
            if d >= best:
                break
            if node in settled:
                continue  # a stale entry
            if len(settled) >= SEARCH_LIMIT and last != -1:
                bound = d  # nothing unsettled is nearer than this: the update below stays valid
                break
            settled[node] = d
            base = d + price[node]
            cost = place_cost[node]
            if cost is not None and base + cost < best:
                best, last = base + cost, node
            for target, (lost, moved) in list(moves[node].items()):
                if holder.get(moved) != node:  # stale: that need has moved on
                    fresh = self.fresh_move(node, target)
                    if fresh is None:
                        continue
                    lost, moved = fresh
                reached = base + lost - price[target]
                # Settled nodes are final: rounding must not let a path loop back through them.
                if reached < best and reached < distance.get(target, best) and target not in settled:
                    if target in dead:
                        continue
                    distance[target] = reached
                    came[target] = (node, moved)
                    heapq.heappush(heap, (reached, target))
        if last == -1:
            dead.update(settled)  # nobody reachable has a free place, now or later
            return None
        # Johnson's update: settled providers move by how much nearer than `bound` they were. It
        # keeps every reduced cost non-negative and the path's own edges at zero.
        bound = min(bound, best)
        for pid, reached in settled.items():
            price[pid] += reached - bound
        steps: list[tuple[int, int]] = []
        node = last
        while node != -1:
            previous, moved = came.get(node, (-1, -1))
            steps.append((node, moved))
            node = previous
        steps.reverse()
        return steps

    def apply(self, index: int, steps: list[tuple[int, int]]) -> None:
        """The new need goes to the first provider; each need named on a later step moves into
        that step's provider from the one before; the last provider ends with one more need."""
        first, _ = steps[0]
        for pid, moved in steps[1:]:
            self.release(moved)
            self.hold(moved, pid)
        self.hold(index, first)
        last, _ = steps[-1]
        self.place_cost[last] = self._place_cost(last)
        for pid, _ in reversed(steps):
            self.lower_price(pid)

    def lower_price(self, pid: int) -> None:
        """Lower a provider's potential as far as its outgoing edges allow.

        Any potential that keeps the reduced costs non-negative is valid; the lowest one makes the
        provider's best way on to a free place cost nothing reduced, so the next search gets there
        through it at once instead of settling every provider of about the same worth."""
        price, dead = self.price, self.dead
        cost = self.place_cost[pid]
        lowest = -math.inf if cost is None else -cost
        for target, (lost, moved) in list(self.moves[pid].items()):
            if target in dead:
                continue
            if self.holder.get(moved) != pid:  # stale: that need has moved on
                fresh = self.fresh_move(pid, target)
                if fresh is None:
                    continue
                lost, _ = fresh
            if price[target] - lost > lowest:
                lowest = price[target] - lost
        if lowest < price[pid]:
            price[pid] = lowest

    def hold(self, index: int, pid: int) -> None:
        self.held[pid].append(index)
        self.holder[index] = pid
        fits = self.fits[index]
        here = fits[pid]
        moves = self.moves[pid]
        for target, fit in fits.items():
            if target != pid:
                lost = here - fit
                best = moves.get(target)
                if best is None or (lost, index) < best:
                    moves[target] = (lost, index)

    def release(self, index: int) -> None:
        """Take a need off its provider. Edges that named it as the cheapest to move are left
        stale and worked out again only when a search or a price reads them (see fresh_move)."""
        pid = self.holder.pop(index)
        self.held[pid].remove(index)

    def fresh_move(self, pid: int, target: int) -> tuple[float, int] | None:
        """moves[pid][target] made current: the need held by pid that loses least by going to target."""
        fits = self.fits
        options = [(fits[k][pid] - fits[k][target], k) for k in self.held[pid] if target in fits[k]]
        if options:
            self.moves[pid][target] = best = min(options)
            return best
        del self.moves[pid][target]
        return None

    def assignments(self, needs: Sequence[NeedFacts]) -> list[Assignment]:
        """In the order given; each provider's needs, oldest first, take their places in turn."""
        place: dict[int, int] = {}
        for held in self.held.values():
            for taken, index in enumerate(sorted(held)):
                place[index] = taken
        out = []
        for index, need in enumerate(needs):
            pid = self.holder.get(index)
            if pid is None:
                continue
            p, taken = self.providers[pid], place[index]
            fair = fairness_parts(
                p.open_load + taken, p.capacity, p.recent_offers + taken, p.recent_declines, p.fresh_declines
            )
            out.append(Assignment(need.id, pid, _score(fit_parts(need, p), fair)))
        return out
