"""Fair offers: the matcher spreads a batch of needs over the providers instead of the stars taking all."""

from collections import Counter
from statistics import mean

from marketplace import queue
from marketplace.services.matching import MATCH_NEEDS


async def test_200_needs_over_30_providers_leave_nobody_with_twice_the_mean_load(factory, jobs):
    calligraphy = await factory.category("书法培训")
    stars = [
        await factory.provider([calligraphy], skills=["硬笔书法", "楷书"], rating_score=4.9, capacity=20, online=True)
        for _ in range(5)
    ]
    others = [
        await factory.provider([calligraphy], skills=["国画"], rating_score=3.6 + (n % 5) / 10, capacity=20)
        for n in range(25)
    ]
    stranger = await factory.provider([await factory.category("法律咨询")], skills=["硬笔书法"], capacity=20)
    members = await factory.members(20)
    need_ids = await factory.needs(
        members, calligraphy, 200, title="想练硬笔书法", description="楷书入门，周末线上", mode="online"
    )
    await jobs.run(lambda db: queue.enqueue(db, MATCH_NEEDS, {"market_id": factory.market_id}))
    await jobs.drain()

    offers = [offer for need_id in need_ids for offer in await jobs.offers(need_id)]
    assert len(offers) == 200 and {o.state for o in offers} == {"pending"}  # capacity allowed all
    load = Counter(o.provider_id for o in offers)
    assert stranger.id not in load  # never outside a provider's categories
    everyone = [p.id for p in stars + others]
    average = 200 / len(everyone)
    assert max(load[pid] for pid in everyone) <= 2 * average
    assert min(load[pid] for pid in everyone) > 0
    # fit still counts: the best fitting get more than the rest, just not everything
    assert mean(load[p.id] for p in stars) > mean(load[p.id] for p in others)
