"""The matching score and the batch assignment (domain/matching.py): pure, no I/O."""

from datetime import UTC, datetime, time

from marketplace.domain.matching import (
    WEIGHTS,
    NeedFacts,
    ProviderFacts,
    Window,
    assign,
    grams,
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
    assert score(need(category_path=(LAW,)), provider(categories=frozenset({LABOUR_LAW}))) is None  # not below
    assert score(need(member_id=10), provider()) is None
    assert score(need(excluded=frozenset({10})), provider()) is None
    assert score(need(), provider(open_load=5, capacity=5)) is None


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
