"""One odd need never stops matching for the whole market (issue #11, finding 2): a need whose
preferred time is in year 9999 is matched like any other, and a need whose row cannot be read at
all is handed to the operators, with the reason, while the others are offered."""

import logging

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import OrderEvent
from marketplace.services import matching


async def _set(factory, order_id: int, preferred_times: str) -> None:
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            sa.text("UPDATE orders SET preferred_times = CAST(:times AS jsonb) WHERE id = :id"),
            {"times": preferred_times, "id": order_id},
        )


async def test_the_matcher_skips_and_records_a_need_it_cannot_read(client, factory, jobs, caplog):
    category = await factory.category("法律咨询")
    for n in range(4):
        await factory.provider([category], name=f"律师{n}", capacity=5)
    operator = await factory.user(Role.operator)
    members = await factory.members(3)
    far, broken, plain = await factory.needs(members, category, 3)
    await _set(factory, far, '[{"starts_at": "9999-12-31T17:00:00+00:00", "ends_at": "9999-12-31T18:00:00+00:00"}]')
    await _set(factory, broken, "5")  # not a list: no window can be read from it

    with caplog.at_level(logging.ERROR, logger="marketplace.services.matching"):
        report = await jobs.run(lambda db: matching.match_market(db, factory.market_id))
    assert report.as_dict() == {"needs": 3, "offered": 2, "unmatched": 0, "unreadable": 1}
    assert (await jobs.order(far)).state == "offered"  # year 9999 no longer breaks the batch
    assert (await jobs.order(plain)).state == "offered"
    set_aside = await jobs.order(broken)
    assert set_aside.state == "placed" and set_aside.escalated_at is not None
    assert f"need #{broken} set aside" in caplog.text
    async with factory.sessionmaker() as db:
        event = (await db.execute(sa.select(OrderEvent).where(OrderEvent.order_id == broken))).scalars().all()[-1]
    assert event.action == "escalate" and "could not read" in event.reason
    assert [n.kind for n in await jobs.notices(operator.id)] == ["order_escalated"]
    # the operators see it in their queue; the matcher leaves it to them from now on
    queue = await client.get(
        "/api/v1/orders", params={"as": "staff", "escalated": "true"}, headers=factory.headers(operator)
    )
    assert [o["id"] for o in queue.json()["items"]] == [broken]
    again = await jobs.run(lambda db: matching.match_market(db, factory.market_id))
    assert again.needs == 0


async def test_a_need_placed_through_the_api_is_matched_past_an_odd_one(client, factory, jobs):
    category = await factory.category("法律咨询")
    expert = await factory.provider([category], name="律师", capacity=5)
    member = await factory.user()
    (odd,) = await factory.needs([member], category, 1)
    await _set(factory, odd, "5")
    posted = await client.post(
        "/api/v1/orders", json={"category_id": category.id, "title": "劳动仲裁咨询"}, headers=factory.headers(member)
    )
    assert posted.status_code == 201
    await jobs.drain()  # the match_needs job the need queued
    assert (await jobs.order(posted.json()["id"])).provider_id == expert.id
    failed = [row for row in await jobs.rows("match_needs") if row.state != "done"]
    assert failed == []
