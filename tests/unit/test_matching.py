"""The matching score and the batch assignment (domain/matching.py): pure, no I/O."""

import itertools
import random
from collections import Counter
from datetime import UTC, datetime, time

import pytest

from marketplace.domain import matching
from marketplace.domain.matching import (
    WEIGHTS,
    NeedFacts,
    ProviderFacts,
    Window,
    assign,
    fit_total,
    grams,
    penalty,
    score,
    skill_fit,
    time_fit,
)

LAW, LABOUR_LAW, HEALTH = 1, 2, 3  # 法律咨询 > 劳动法; 医疗健康


def need(**values) -> NeedFacts:
    base = dict(id=1, member_id=100, category_path=(LABOUR_LAW, LAW), text="被拖欠工资怎么办 想咨询劳动仲裁")
    return NeedFacts(**{**base, **values})


def provider(pid: int = 10, **values) -> ProviderFacts:
    return ProviderFacts(**{"id": pid, "categories": frozenset({LABOUR_LAW}), **values})


def test_never_outside_the_providers_categories_nor_to_the_member_or_a_provider_who_had_it():
    assert score(need(), provider(categories=frozenset({HEALTH}))) is None
    assert score(need(), provider(categories=frozenset({LAW}))) is not None  # a category above the need's
    assert score(need(category_path=(LAW,)), provider(categories=frozenset({LABOUR_LAW}))) is None  # not told below
    assert score(need(member_id=10), provider()) is None
    assert score(need(excluded=frozenset({10})), provider()) is None
    assert score(need(), provider(open_load=5, capacity=5)) is None


def test_a_need_under_a_domain_reaches_providers_of_the_categories_below_it():
    domain_need = need(category_path=(LAW,), category_below=frozenset({LABOUR_LAW}))
    below = score(domain_need, provider(categories=frozenset({LABOUR_LAW})))
    exact = score(domain_need, provider(categories=frozenset({LAW})))
    assert below is not None and exact is not None
    assert exact.parts["category"] > below.parts["category"] > 0  # the domain's own provider fits it best
    assert score(domain_need, provider(categories=frozenset({HEALTH}))) is None  # still never outside
    # the batch offers it to the sub-category's provider with the very same score
    [offered] = assign([domain_need], [provider(categories=frozenset({LABOUR_LAW}))])
    assert offered.provider_id == 10 and offered.score == below


def test_a_provider_who_just_let_offers_lapse_is_not_offered_the_next_at_once():
    skilled = dict(skills=("劳动仲裁",), recent_offers=2)
    away = provider(10, recent_declines=2, fresh_declines=2, **skilled)  # both lapsed within the day
    other = provider(11)
    assert [a.provider_id for a in assign([need()], [away, other])] == [11]
    assert score(need(), away).parts["declines"] < score(need(), provider(10, recent_declines=2)).parts["declines"]
    # a month-old pair of lapses weighs little: the better fit gets it
    back = provider(10, recent_declines=2, **skilled)
    assert [a.provider_id for a in assign([need()], [back, other])] == [10]
    assert [a.provider_id for a in assign([need()], [away])] == [10]  # still theirs when nobody else fits


def test_the_exact_sub_category_beats_the_domain():
    exact = score(need(), provider(categories=frozenset({LABOUR_LAW})))
    domain = score(need(), provider(categories=frozenset({LAW})))
    assert exact.parts["category"] == WEIGHTS["category"] > domain.parts["category"]


def test_skills_are_matched_against_the_needs_text_by_chinese_bigrams():
    assert {"劳动", "仲裁", "动仲"} <= grams("劳动仲裁")
    assert "wifi" in grams("家里WiFi坏了")
    text = grams("被拖欠工资怎么办 想咨询劳动仲裁")
    assert skill_fit([grams("劳动仲裁")], text) == 1.0
    assert skill_fit([grams("婚姻家事")], text) == 0.0
    skilled = score(need(), provider(skills=("劳动仲裁", "合同审查")))
    unskilled = score(need(), provider(skills=("婚姻家事",)))
    assert skilled.parts["skills"] == WEIGHTS["skills"] and unskilled.parts["skills"] == 0


def test_online_offline_area_and_target_group():
    online_need = need(mode="online")
    assert score(online_need, provider(online=True)).parts["mode"] > score(online_need, provider()).parts["mode"]
    near = need(mode="offline", text="劳动仲裁 我在粤海街道")
    assert score(near, provider(area="粤海街道")).parts["mode"] > score(near, provider(area="西丽街道")).parts["mode"]
    rider = need(groups=frozenset({"new_employment"}))
    assert (
        score(rider, provider(groups=frozenset({"new_employment"}))).parts["group"]
        > score(rider, provider()).parts["group"]
        > score(rider, provider(groups=frozenset({"retiree"}))).parts["group"]
    )


def test_preferred_times_meet_the_providers_weekly_windows_in_market_time():
    # Thursday 2026-11-26 19:30–20:30 in Shanghai is 11:30–12:30 UTC.
    wanted = need(
        preferred_times=((datetime(2026, 11, 26, 11, 30, tzinfo=UTC), datetime(2026, 11, 26, 12, 30, tzinfo=UTC)),)
    )
    evenings = (Window(3, time(19, 0), time(21, 0)),)
    mornings = (Window(3, time(9, 0), time(11, 0)),)
    assert time_fit(wanted.local_times, evenings) == 1.0
    assert time_fit(wanted.local_times, mornings) == 0.0
    assert time_fit((), evenings) == 0.5  # nothing asked: favours nobody
    assert Window.parse({"weekday": 3, "start": "19:00", "end": "24:00"}) == Window(3, time(19), time(0))
    assert Window.parse({"weekday": 9, "start": "x"}) is None
    overnight = (Window(3, time(22, 0), time(0, 0)),)
    late = need(
        preferred_times=((datetime(2026, 11, 26, 15, 0, tzinfo=UTC), datetime(2026, 11, 26, 15, 30, tzinfo=UTC)),)
    )
    assert time_fit(late.local_times, overnight) == 1.0  # 23:00 local


def test_rating_and_fairness_parts_add_up_to_the_score():
    star = score(need(), provider(rating_score=4.9))
    unknown = score(need(), provider(rating_score=None))
    assert star.parts["rating"] > unknown.parts["rating"] > score(need(), provider(rating_score=3.0)).parts["rating"]
    busy = score(need(), provider(open_load=3, recent_offers=4, recent_declines=2))
    assert busy.parts["load"] < 0 and busy.parts["recent_offers"] < 0 and busy.parts["declines"] < 0
    assert abs(busy.total - sum(busy.parts.values())) < 1e-6
    assert busy.fit == score(need(), provider()).fit > busy.total


def test_a_batch_respects_capacity_and_shares_the_work():
    needs = [need(id=i, member_id=1000 + i) for i in range(12)]
    star = provider(1, rating_score=5.0, skills=("劳动仲裁",), capacity=10)
    others = [provider(pid, capacity=10) for pid in (2, 3, 4)]
    done = assign(needs, [star, *others])
    assert len(done) == 12
    load = {pid: sum(1 for a in done if a.provider_id == pid) for pid in (1, 2, 3, 4)}
    assert load[1] > load[2]  # fit still counts
    assert max(load.values()) <= 2 * 12 / 4  # but the star does not get everything
    tight = assign(needs, [provider(1, capacity=2), provider(2, capacity=3)])
    assert len(tight) == 5
    assert sum(a.provider_id == 1 for a in tight) == 2


def test_a_batch_gives_nothing_to_a_provider_outside_the_category_and_takes_needs_in_order():
    needs = [need(id=1, member_id=50), need(id=2, member_id=51)]
    done = assign(needs, [provider(7, capacity=1), provider(8, categories=frozenset({HEALTH}))])
    assert [(a.need_id, a.provider_id) for a in done] == [(1, 7)]


# The batch is optimal, not greedy -------------------------------------------------------------


def test_an_older_need_moves_over_so_that_a_younger_one_is_served_too():
    # Need 1 fits both, need 2 may only go to provider 1 (provider 2 had it before): need by need,
    # need 1 would take provider 1's only place and need 2 would wait.
    anyone = need(id=1, member_id=51)
    picky = need(id=2, member_id=52, excluded=frozenset({2}))
    done = assign([anyone, picky], [provider(1, capacity=1), provider(2, categories=frozenset({LAW}), capacity=1)])
    assert sorted((a.need_id, a.provider_id) for a in done) == [(1, 2), (2, 1)]


def test_the_batch_goes_to_whoever_gains_most_not_to_whoever_came_first():
    # Provider 1 is the exact sub-category and knows labour arbitration; provider 2 is filed under
    # the whole domain. Need 1 gains little from provider 1, need 2 (about arbitration) a lot.
    vague = need(id=1, member_id=51, text="想咨询一下")
    arbitration = need(id=2, member_id=52, text="想申请劳动仲裁")
    expert = provider(1, skills=("劳动仲裁",), capacity=1)
    generalist = provider(2, categories=frozenset({LAW}), capacity=1)
    done = {a.need_id: a.provider_id for a in assign([vague, arbitration], [expert, generalist])}
    assert done == {1: 2, 2: 1}


def _market(seed: int, needs: int, providers: int) -> tuple[list[NeedFacts], list[ProviderFacts]]:
    rng = random.Random(seed)
    skills = ["劳动仲裁", "工资追讨", "合同审查", "工伤认定", "心理疏导"]
    experts = [
        provider(
            pid,
            categories=frozenset(rng.sample([LABOUR_LAW, LAW, HEALTH], k=rng.choice([1, 2]))),
            skills=tuple(rng.sample(skills, k=rng.randint(0, 2))),
            rating_score=rng.choice([None, 3.5, 4.8]),
            online=rng.random() < 0.5,
            capacity=rng.randint(1, 4),
            open_load=rng.randint(0, 1),
            recent_offers=rng.randint(0, 3),
            recent_declines=rng.randint(0, 1),
        )
        for pid in range(1, providers + 1)
    ]
    wanted = [
        need(
            id=100 + n,
            member_id=1000 + n,
            category_path=rng.choice([(LABOUR_LAW, LAW), (LAW,), (HEALTH,)]),
            text="想找人帮忙" + "".join(rng.sample(skills, k=rng.randint(0, 2))),
            mode=rng.choice([None, "online"]),
            excluded=frozenset(rng.sample(range(1, providers + 1), k=rng.choice([0, 0, 1]))),
        )
        for n in range(needs)
    ]
    return wanted, experts


def _every_assignment(needs, providers):
    """Brute force: every way of giving each need one provider or none, within capacity."""
    options = [[None, *(p for p in providers if fit_total(n, p) is not None)] for n in needs]
    for choice in itertools.product(*options):
        taken = Counter(p.id for p in choice if p is not None)
        if all(p.open_load + taken[p.id] <= p.capacity for p in providers):
            yield choice


def _total(needs, choice) -> float:
    total, taken = 0.0, Counter()
    for n, p in zip(needs, choice, strict=True):
        if p is not None:
            k = taken[p.id]
            total += fit_total(n, p) - penalty(p.open_load + k, p.capacity, p.recent_offers + k, p.recent_declines)
            taken[p.id] += 1
    return total


@pytest.mark.parametrize("seed", range(12))
def test_with_an_unlimited_search_the_batch_is_optimal_and_serves_as_many_as_possible(seed, monkeypatch):
    monkeypatch.setattr(matching, "SEARCH_LIMIT", 10_000)
    needs, providers = _market(seed, needs=6, providers=3)
    done = assign(needs, providers)
    served = {a.need_id for a in done}
    everything = list(_every_assignment(needs, providers))
    assert len(served) == max(sum(p is not None for p in choice) for choice in everything)
    same_needs = [c for c in everything if {n.id for n, p in zip(needs, c, strict=True) if p} == served]
    best = max(_total(needs, choice) for choice in same_needs)
    assert abs(sum(a.score.total for a in done) - best) < 1e-3


@pytest.mark.parametrize("seed", range(12))
def test_a_batch_never_breaks_the_rules_and_its_scores_add_up(seed):
    needs, providers = _market(seed, needs=40, providers=6)
    done = assign(needs, providers)
    by_id = {p.id: p for p in providers}
    wanted = {n.id: n for n in needs}
    taken = Counter(a.provider_id for a in done)
    assert all(by_id[pid].open_load + count <= by_id[pid].capacity for pid, count in taken.items())
    assert len({a.need_id for a in done}) == len(done)
    for a in done:
        p, n = by_id[a.provider_id], wanted[a.need_id]
        assert a.provider_id not in n.excluded and fit_total(n, p) is not None  # category, member, decliners
        assert abs(a.score.fit - fit_total(n, p)) < 1e-3
        assert abs(a.score.total - sum(a.score.parts.values())) < 1e-3
    # each provider's new needs, oldest first, are scored at loads 0, 1, 2… above the current one
    for pid in taken:
        p = by_id[pid]
        loads = [p.open_load + k for k in range(taken[pid])]
        expected = [matching.fairness_parts(load, p.capacity, 0, 0)["load"] for load in loads]
        assert [a.score.parts["load"] for a in done if a.provider_id == pid] == expected  # `done` is oldest first
    # the batch's own fit computation is fit_total, number for number (for providers with room)
    batch = matching._Batch(providers)
    free = [p for p in providers if p.open_load < p.capacity]
    for n in needs:
        assert batch.candidates(n) == {p.id: f for p in free if (f := fit_total(n, p)) is not None}
