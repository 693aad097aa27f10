"""The waiting line: "full, you are number N" is exact, even for orders whose transactions overlap.

A place counted inside the order's own transaction could not see concurrent orders not committed yet: two
members were told the same place. Now a committed order takes the next number of its session's line
(services/waitlist_lines.py); these tests make transactions overlap on purpose, and through a real server
with real concurrent connections.
"""

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy import event

from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.jobs import periodic
from marketplace.models import Order, WaitlistLine
from marketplace.models.base import utcnow
from marketplace.schemas.orders import OrderIn
from marketplace.services import orders, waitlist_joins, waitlist_lines

from .test_database_restart import restart_seen_by


async def _full_session(factory, seats: int = 1):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, seats)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    for member in await factory.members(seats):
        async with transaction(factory.sessionmaker) as db:
            await orders.place(db, member, OrderIn(listing_id=listing.id, session_id=session_id))
    return listing, session_id


async def _order(client, factory, member, listing, session_id, key=None):
    headers = factory.headers(member) | ({"Idempotency-Key": key} if key else {})
    answer = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _place_now(client, factory, member, order_id) -> int:
    answer = await client.get(f"/api/v1/orders/{order_id}", headers=factory.headers(member))
    assert answer.status_code == 200 and answer.json()["state"] == "waitlisted"
    return answer.json()["waitlist_position"]


async def test_an_order_committed_later_is_not_told_the_place_of_one_committed_before(client, factory):
    listing, session_id = await _full_session(factory)
    early, late = await factory.members(2)

    # `early` places first but its transaction stays open while `late` orders and is answered.
    async with transaction(factory.sessionmaker) as db:
        held = await orders.place(db, early, OrderIn(listing_id=listing.id, session_id=session_id))
        assert held.state == "waitlisted"
        told_late = await _order(client, factory, late, listing, session_id)
    # Before the fix both were told 1: `late` could not see `early`, and `early` counted before `late` was.
    assert told_late["waitlist_position"] == 1
    assert await _place_now(client, factory, late, told_late["id"]) == 1
    assert await _place_now(client, factory, early, held.id) == 2

    # The line is promoted in the order it was told: a seat freed goes to `late`.
    seated = await _seated_order(factory, session_id)
    cancel = await client.post(
        f"/api/v1/orders/{seated.id}/cancel",
        json={"reason": "有事"},
        headers=factory.headers(await _member(factory, seated)),
    )
    assert cancel.status_code == 200, cancel.text
    states = await _states(factory, [told_late["id"], held.id])
    assert states == {told_late["id"]: "accepted", held.id: "waitlisted"}
    assert await _place_now(client, factory, early, held.id) == 1


async def test_places_move_up_as_the_line_moves_and_a_replay_tells_the_place_now(client, factory):
    listing, session_id = await _full_session(factory)
    crowd = await factory.members(5)
    told = [await _order(client, factory, m, listing, session_id, key=f"k{i}") for i, m in enumerate(crowd)]
    assert [t["waitlist_position"] for t in told] == [1, 2, 3, 4, 5]

    # The second in line gives up: everyone behind moves up, and the next newcomer is fifth, not sixth.
    cancel = await client.post(f"/api/v1/orders/{told[1]['id']}/cancel", json={}, headers=factory.headers(crowd[1]))
    assert cancel.status_code == 200, cancel.text
    assert [await _place_now(client, factory, m, t["id"]) for m, t in zip(crowd[2:], told[2:], strict=True)] == [
        2,
        3,
        4,
    ]
    newcomer = await _order(client, factory, await factory.user(), listing, session_id)
    assert newcomer["waitlist_position"] == 5
    async with factory.sessionmaker() as db:
        line = await db.get(WaitlistLine, session_id)
    assert (line.issued, line.departed) == (6, 1)

    # The same key again: the same order, at its place now (third, no longer fourth).
    again = await _order(client, factory, crowd[3], listing, session_id, key="k3")
    assert again["id"] == told[3]["id"] and again["waitlist_position"] == 3


async def test_an_order_whose_process_died_before_its_number_is_numbered_by_the_minute_scan(client, factory):
    listing, session_id = await _full_session(factory)
    first, lost, after = await factory.members(3)
    told_first = await _order(client, factory, first, listing, session_id)
    async with transaction(factory.sessionmaker) as db:
        orphan = await orders.place(db, lost, OrderIn(listing_id=listing.id, session_id=session_id))
        db.info.pop(waitlist_lines._PENDING_KEY)  # the process dies right after the commit
    told_after = await _order(client, factory, after, listing, session_id)

    # Unnumbered, it waits behind the numbered ones (as promotions would take them), and is told so.
    assert told_after["waitlist_position"] == 2
    assert await _place_now(client, factory, lost, orphan.id) == 3
    async with transaction(factory.sessionmaker) as db:
        assert await waitlist_lines.number_stragglers(db) == 0  # too young: its process may still number it
    # Half a minute on, the worker's minute scan numbers it, once.
    async with transaction(factory.sessionmaker) as db:
        await db.execute(
            sa.update(Order).where(Order.id == orphan.id).values(created_at=utcnow() - timedelta(minutes=1))
        )
    ctx = {"settings": factory.settings, "sessionmaker": factory.sessionmaker, "redis": None, "queue_name": None}
    assert (await periodic.scan_deadlines(ctx))["waitlist_numbered"] == 1
    assert (await periodic.scan_deadlines(ctx))["waitlist_numbered"] == 0
    async with factory.sessionmaker() as db:
        places = dict(
            (await db.execute(sa.select(Order.id, Order.line_place).where(Order.state == "waitlisted"))).all()
        )
    assert places == {told_first["id"]: 1, told_after["id"]: 2, orphan.id: 3}
    assert await _place_now(client, factory, lost, orphan.id) == 3


async def test_many_members_at_once_through_a_real_server_are_each_told_a_place_of_their_own(live_server, factory):
    # Two full sessions ordered at once: the server numbers what arrives together in one statement, per line.
    lines = [await _full_session(factory, seats=3), await _full_session(factory, seats=2)]
    crowd = await factory.members(160)
    bodies = [{"listing_id": lines[i % 2][0].id, "session_id": lines[i % 2][1]} for i in range(len(crowd))]
    limits = httpx.Limits(max_connections=len(crowd))
    async with httpx.AsyncClient(base_url=live_server, limits=limits, timeout=60) as http:
        answers = await asyncio.gather(
            *(
                http.post("/api/v1/orders", json=b, headers=factory.headers(m))
                for b, m in zip(bodies, crowd, strict=True)
            )
        )
        assert Counter(a.status_code for a in answers) == {201: 160}
        told = {a.json()["id"]: (a.json()["session"]["id"], a.json()["waitlist_position"]) for a in answers}
        for _, session_id in lines:  # everyone waits (the seats were taken before), each at a place of their own
            assert sorted(p for s, p in told.values() if s == session_id) == list(range(1, 81))
        # and what each was told is what the order page says now
        for member, answer in zip(crowd[:20], answers[:20], strict=True):
            read = await http.get(f"/api/v1/orders/{answer.json()['id']}", headers=factory.headers(member))
            assert read.json()["waitlist_position"] == told[answer.json()["id"]][1]
    async with factory.sessionmaker() as db:
        numbers = dict(
            (await db.execute(sa.select(Order.id, Order.line_place).where(Order.state == "waitlisted"))).all()
        )
    assert numbers == {order_id: place for order_id, (_, place) in told.items()}


async def _seated_order(factory, session_id: int) -> Order:
    async with factory.sessionmaker() as db:
        return (
            await db.execute(sa.select(Order).where(Order.session_id == session_id, Order.state == "accepted"))
        ).scalar_one()


async def _member(factory, order: Order):
    from marketplace.models import User

    async with factory.sessionmaker() as db:
        return await db.get(User, order.member_id)


async def _states(factory, ids: list[int]) -> dict[int, str]:
    async with factory.sessionmaker() as db:
        return dict((await db.execute(sa.select(Order.id, Order.state).where(Order.id.in_(ids)))).all())


async def test_the_lines_own_connection_cut_by_a_database_restart_is_replaced_unseen(app, client, factory, engine):
    listing, session_id = await _full_session(factory)
    crowd = await factory.members(3)
    assert (await _order(client, factory, crowd[0], listing, session_id))["waitlist_position"] == 1  # opens it
    here = asyncio.get_running_loop()  # the app runs in the test client's own loop
    # a full session's orders are written and numbered on the groups' own connection (waitlist_joins.py)
    [line_engine] = [g.engine for loop, g in waitlist_joins._groups.made.items() if loop is not here and g.engine]
    pooled = set()  # the app's connections and the line's, as they go back into their pools
    pools = (app.state.engine.sync_engine.pool, line_engine.sync_engine.pool)

    def remember(dbapi_connection, record) -> None:
        pooled.add(dbapi_connection.driver_connection)

    for pool in pools:
        event.listen(pool, "checkin", remember)
    try:
        assert (await _order(client, factory, crowd[1], listing, session_id))["waitlist_position"] == 2
    finally:
        for pool in pools:
            event.remove(pool, "checkin", remember)
    await restart_seen_by(engine, pooled)
    # A pooled connection of the app that no request of this test used may not have seen its end yet: that
    # request is answered 503 with Retry-After, as during any restart, and the member asks again.
    for _ in range(20):
        again = await client.post(
            "/api/v1/orders",
            json={"listing_id": listing.id, "session_id": session_id},
            headers=factory.headers(crowd[2]),
        )
        if again.status_code != 503:
            break
        await asyncio.sleep(0.05)
    assert again.status_code == 201, again.text
    assert again.json()["waitlist_position"] == 3  # the line's own connection was replaced unseen
    await engine.dispose()  # the tests' own pooled connections were cut too (the app's are the ones under test)
    async with factory.sessionmaker() as db:
        numbers = dict(
            (await db.execute(sa.select(Order.id, Order.line_place).where(Order.state == "waitlisted"))).all()
        )
    assert sorted(numbers.values()) == [1, 2, 3]
