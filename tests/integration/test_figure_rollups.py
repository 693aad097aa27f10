"""The desk's figures read from the folded rollups equal counting every order (the code they replaced,
kept as `figures_oracle.py`), folded or not, for every period; folding again or at once changes nothing;
a transaction committing late is never skipped."""

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace.domain.periods import PERIODS
from marketplace.domain.roles import Role
from marketplace.models import Order, OrderEvent, Review
from marketplace.services import insights, rollups
from seeds.loader import load_demo_data

from . import figures_oracle as oracle

ZONE = ZoneInfo("Asia/Shanghai")
TABLES = ("figure_days", "figure_months", "figure_served_members", "figure_provider_deliveries")


def _same(want: dict, got: dict, period: str) -> None:
    """Equal, but for medians: read from buckets, within the bucket's width (domain/durations.py)."""
    for name in ("to_acceptance", "to_delivery"):
        w, g = want.pop(name), got.pop(name)
        assert (g["orders"], g["average_hours"]) == (w["orders"], w["average_hours"]), (period, name, w, g)
        if w["median_hours"] is None:
            assert g["median_hours"] is None
        else:
            assert abs(g["median_hours"] - w["median_hours"]) <= 0.051 * w["median_hours"] + 0.1, (period, w, g)
    for name in want:
        assert got[name] == want[name], (period, name)


async def _compare(factory, market_id: int) -> dict:
    async with factory.sessionmaker() as db:
        for period in PERIODS:
            want = (await oracle.stats(db, market_id, period, ZONE)).model_dump()
            got = (await insights.stats(db, [market_id], period, ZONE)).model_dump()
            _same(want, got, period)
    return got


async def _rows(factory) -> dict:
    async with factory.sessionmaker() as db:
        return {t: sorted(map(tuple, await db.execute(sa.text(f"SELECT * FROM {t}")))) for t in TABLES}


async def _served_order(factory, client, stars: int) -> int:
    """An order taken through the API from placing to a review."""
    category = await factory.category("书法培训")
    provider = await factory.provider([category])
    member = await factory.user()
    listing = await factory.listing(provider, category, auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session(session.id, timedelta(minutes=-5))
    assert (await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)).status_code == 200
    assert (await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)).status_code == 200
    review = await client.post(f"/api/v1/orders/{order['id']}/review", json={"stars": stars}, headers=m)
    assert review.status_code == 200, review.text
    return review.json()["review_id"]


async def test_folded_figures_equal_counting_every_order_for_every_period(settings, factory, client):
    await load_demo_data(settings)  # three years of orders in every state, needs, reviews
    curator = factory.headers(await factory.user(Role.curator))
    async with factory.sessionmaker() as db:
        review_id = (await db.execute(sa.select(Review.id).order_by(Review.id).limit(1))).scalar_one()
    hidden = await client.post(f"/api/v1/admin/reviews/{review_id}/hide", json={"reason": "广告"}, headers=curator)
    assert hidden.status_code == 200
    before = await _compare(factory, factory.market_id)  # nothing folded: all of it the live tail
    assert before["funnel"][0]["orders"] > 2000 and before["reviews"]["count"] > 400

    last = await rollups.catch_up(factory.sessionmaker)
    async with factory.sessionmaker() as db:
        assert await rollups.folded_upto(db) == last > 0
    assert len((await _rows(factory))["figure_days"]) > 1000
    assert await _compare(factory, factory.market_id) == before  # all folded: the same

    # after the fold: a new order served and reviewed, one hidden review shown again, a need posted
    await _served_order(factory, client, stars=2)
    shown = await client.post(f"/api/v1/admin/reviews/{review_id}/show", json={"reason": "误判"}, headers=curator)
    assert shown.status_code == 200
    need = await client.post(
        "/api/v1/orders",
        json={"category_id": (await factory.category("法律咨询")).id, "title": "劳动合同", "description": "想问"},
        headers=factory.headers(await factory.user()),
    )
    assert need.status_code == 201, need.text
    mixed = await _compare(factory, factory.market_id)  # folded days and the live tail together
    assert mixed["funnel"][0]["orders"] == before["funnel"][0]["orders"] + 2
    assert mixed["visits_served"] == before["visits_served"] + 1
    await rollups.catch_up(factory.sessionmaker)
    assert await _compare(factory, factory.market_id) == mixed


async def test_folding_again_or_at_once_changes_nothing(settings, factory, client):
    await load_demo_data(settings)
    await rollups.catch_up(factory.sessionmaker)
    folded = await _rows(factory)
    assert await rollups.catch_up(factory.sessionmaker) and await _rows(factory) == folded  # nothing new: no change

    async def refold() -> None:  # the watermark back to the start: every event folded a second time
        async with factory.sessionmaker() as db, db.begin():
            await db.execute(sa.text("UPDATE figure_folds SET folded_upto = 0, pending_upto = NULL"))
        await asyncio.gather(*(rollups.catch_up(factory.sessionmaker) for _ in range(3)))

    await refold()
    assert await _rows(factory) == folded
    await _served_order(factory, client, stars=5)
    await rollups.catch_up(factory.sessionmaker)
    grown = await _rows(factory)
    assert grown != folded
    await refold()
    assert await _rows(factory) == grown
    await _compare(factory, factory.market_id)


async def test_an_event_committed_late_is_folded_not_skipped(factory, client, engine):
    """A transaction takes an event id, another takes a higher one and commits first: the fold waits."""
    await _served_order(factory, client, stars=4)
    async with factory.sessionmaker() as db:
        order_id = (await db.execute(sa.select(Order.id))).scalar_one()
    slow = await engine.connect()
    late = await slow.begin()
    await slow.execute(sa.update(Order).where(Order.id == order_id).values(state="disputed"))
    event = {"order_id": order_id, "market_id": factory.market_id, "actor_role": "member", "action": "dispute"}
    late_id = (
        await slow.execute(
            sa.insert(OrderEvent).values(**event, from_state="reviewed", to_state="disputed").returning(OrderEvent.id)
        )
    ).scalar_one()
    await _served_order(factory, client, stars=1)  # events with higher ids, committed now
    for _ in range(4):
        async with factory.sessionmaker() as db, db.begin():
            await rollups.fold(db)
    async with factory.sessionmaker() as db:
        assert await rollups.folded_upto(db) < late_id  # not past an id a running transaction holds
    await _compare(factory, factory.market_id)
    await late.commit()
    await slow.close()
    await rollups.catch_up(factory.sessionmaker)
    async with factory.sessionmaker() as db:
        assert await rollups.folded_upto(db) > late_id
    got = await _compare(factory, factory.market_id)
    assert got["orders_by_state"]["disputed"] == 1 and got["visits_served"] == 2


async def test_several_markets_add_up(factory, client):
    await _served_order(factory, client, stars=5)
    other = await factory.other_market()
    await _served_order(other, client, stars=3)
    await rollups.catch_up(factory.sessionmaker)
    await _served_order(other, client, stars=1)  # one in the live tail
    async with factory.sessionmaker() as db:
        both = await insights.stats(db, [factory.market_id, other.market_id], "all", ZONE)
        one = await oracle.stats(db, factory.market_id, "all", ZONE)
        two = await oracle.stats(db, other.market_id, "all", ZONE)
    assert both.orders_by_state == {s: one.orders_by_state[s] + two.orders_by_state[s] for s in one.orders_by_state}
    assert [f.orders for f in both.funnel] == [a.orders + b.orders for a, b in zip(one.funnel, two.funnel, strict=True)]
    assert both.visits_served == 3 and both.members_served == one.members_served + two.members_served == 3
    assert both.reviews.histogram == {1: 1, 2: 0, 3: 1, 4: 0, 5: 1}
    assert both.providers.active_90_days == 3 and len(both.providers.top) == 3
