"""Archiving (issue #17 item 5): finished old orders and read old notices leave the hot indexes, their orders'
events move to the archive partition of order_events, and every figure, export, history, timeline and data
download stays what it was."""

import re
from datetime import timedelta

import sqlalchemy as sa

from marketplace import auth
from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.jobs import periodic
from marketplace.models import Notification, Order, OrderEvent
from marketplace.models.base import utcnow
from marketplace.services import archive, rollups

from ...factories import PASSWORD

OLD = timedelta(days=800)  # past the default ARCHIVE_AFTER_DAYS (730)


async def _history(factory, client):
    """A market with three years of life: reviewed, received and cancelled orders made old, a need, and one
    order still live; each member read their notices."""
    category = await factory.category("书法培训")
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, auto_accept=True, sessions=[(2, 10), (3, 10)])
    session = (await factory.sessions_of(listing))[0]
    members = await factory.members(4)
    p = factory.headers(provider)
    placed = []
    for member in members:
        body = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
        placed.append(body.json()["id"])
    await client.post(
        f"/api/v1/orders/{placed[3]}/cancel", json={"reason": "有事"}, headers=factory.headers(members[3])
    )
    await factory.move_session(session.id, timedelta(minutes=-5))
    for member, order_id in zip(members[:3], placed[:3], strict=True):
        m = factory.headers(member)
        assert (await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=p)).status_code == 200
        assert (await client.post(f"/api/v1/orders/{order_id}/receive", headers=m)).status_code == 200
    for order_id, member, stars in ((placed[0], members[0], 5), (placed[1], members[1], 2)):
        review = {"stars": stars, "text": "很好"}
        assert await client.post(f"/api/v1/orders/{order_id}/review", json=review, headers=factory.headers(member))
    needs = await factory.needs(members[:2], category, 2)  # open: live, never archived
    async with factory.sessionmaker() as db, db.begin():
        # everything so far happened long ago
        for table, columns in (
            (Order.__table__, ("created_at", "updated_at", "delivered_at")),
            (OrderEvent.__table__, ("at",)),
            (Notification.__table__, ("created_at", "read_at")),
        ):
            await db.execute(table.update().values({c: table.c[c] - OLD for c in columns}))
    for member in members:
        assert (await client.post("/api/v1/notifications/read-all", headers=factory.headers(member))).status_code == 200
    live = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(members[0]))
    assert live.status_code == 201
    return provider, members, placed, [live.json()["id"], needs[0]]


def _csrf_free(html: str) -> str:
    return re.sub(r'name="_csrf_token" value="[^"]*"', "", html)


async def _figures(client, factory, curator, provider, members, orders: list[int]) -> dict:
    """Every figure a curator, a provider and a member read, as the API and pages give them; every order's
    timeline as its provider reads it; every event row (both partitions) and the folded figures, folded again
    from the first event."""
    c, p = factory.headers(curator), factory.headers(provider)
    async with factory.sessionmaker() as db, db.begin():
        await rollups.forget(db)
    await rollups.catch_up(factory.sessionmaker)
    async with factory.sessionmaker() as db:
        folded = {
            t: sorted(map(tuple, await db.execute(sa.text(f"SELECT * FROM {t}"))))
            for t in ("figure_days", "figure_months", "figure_served_members", "figure_provider_deliveries")
        }
        columns = [c for c in OrderEvent.__table__.c if c.name != "archived"]
        events = [tuple(row) for row in await db.execute(sa.select(*columns).order_by(OrderEvent.id))]
    got = {
        "folded": folded,
        "events": events,
        "timelines": [(await client.get(f"/api/v1/orders/{o}", headers=p)).json()["events"] for o in orders],
        "stats": (await client.get("/api/v1/admin/stats", headers=c)).json(),
        "hours": (await client.get("/api/v1/admin/hours", headers=c)).json(),
        "provider hours": (await client.get("/api/v1/provider/hours", headers=p)).json(),
        "cases": (await client.get("/api/v1/admin/cases", headers=c)).json(),
    }
    client.cookies.set(auth.SESSION_COOKIE, factory.token(curator))
    try:
        for path in ("/desk/export/orders.csv", "/desk/export/reviews.csv", "/desk/needs", "/desk"):
            answer = await client.get(path)
            assert answer.status_code == 200, path
            got[path] = _csrf_free(answer.text)
    finally:
        client.cookies.clear()
    for member in members:
        data = (await client.get("/api/v1/me/data", headers=factory.headers(member))).json()
        got[f"data of {member.id}"] = data
        got[f"orders of {member.id}"] = await _every_order(client, factory.headers(member))
    return got


async def _every_order(client, headers) -> list[int]:
    """A member's everyday orders and, asked for, their history a page of one at a time."""
    ids = [o["id"] for o in (await client.get("/api/v1/orders?as=member&limit=100", headers=headers)).json()["items"]]
    offset = 0
    while True:
        page = await client.get(f"/api/v1/orders?as=member&archived=true&limit=1&offset={offset}", headers=headers)
        items = page.json()["items"]
        if not items:
            return sorted(ids)
        ids += [o["id"] for o in items]
        offset += 1


def _ctx(jobs) -> dict:
    return {
        "settings": jobs.settings,
        "sessionmaker": jobs.sessionmaker,
        "redis": jobs.redis,
        "queue_name": jobs.queue_name,
    }


async def _archived(factory) -> tuple[set[int], int]:
    async with factory.sessionmaker() as db:
        orders = set((await db.execute(sa.select(Order.id).where(Order.archived_at.is_not(None)))).scalars())
        notices = await db.scalar(sa.select(sa.func.count()).where(Notification.archived_at.is_not(None)))
    return orders, notices


async def _partitions(factory) -> dict[str, dict[int, list[int]]]:
    """Each partition of order_events, read by its name: order id → its event ids there."""
    found: dict[str, dict[int, list[int]]] = {}
    async with factory.sessionmaker() as db:
        for name in ("order_events_hot", "order_events_archive"):
            rows = await db.execute(sa.text(f"SELECT order_id, id FROM {name} ORDER BY order_id, id"))
            for order_id, event_id in rows:
                found.setdefault(name, {}).setdefault(order_id, []).append(event_id)
    return found


async def test_archiving_keeps_every_figure_and_history(client, factory, jobs):
    provider, members, placed, live = await _history(factory, client)
    curator = await factory.user(Role.curator)
    theirs = placed + live[:1]  # the provider's orders (live[1] is an open need)
    before = await _figures(client, factory, curator, provider, members, theirs)
    assert before["folded"]["figure_days"] and len(before["events"]) > 10  # something to compare
    m0 = factory.headers(members[0])
    assert len((await client.get("/api/v1/notifications", headers=m0)).json()["items"]) > 0
    assert set(await _partitions(factory)) == {"order_events_hot"}  # nothing archived yet

    done = await periodic.archive_old(_ctx(jobs))

    orders, notices = await _archived(factory)
    # finished and old: reviewed, received, cancelled; not the open needs, not the live order
    assert orders == set(placed) and done["orders"] == 4
    assert notices == done["notices"] > 0
    # the archived orders' events went with them, every one; the live order's and the needs' stayed hot
    partitions = await _partitions(factory)
    assert set(partitions["order_events_archive"]) == set(placed)
    assert set(partitions["order_events_hot"]) == {live[0]}  # (the factory writes the needs without events)
    assert all(len(partitions["order_events_archive"][o]) >= 2 for o in placed)
    # ... and every figure, export, timeline and event row reads the same, the figures folded again from zero
    assert await _figures(client, factory, curator, provider, members, theirs) == before
    # the everyday lists no longer carry them; the history does, and an archived order still opens
    mine = (await client.get("/api/v1/orders?as=member", headers=m0)).json()
    assert sorted(o["id"] for o in mine["items"]) == sorted(live) and mine["total"] == 2
    history = (await client.get("/api/v1/orders?as=member&archived=true", headers=m0)).json()
    assert [o["id"] for o in history["items"]] == [placed[0]]
    shown = await client.get(f"/api/v1/orders/{placed[0]}", headers=m0)
    assert shown.status_code == 200 and shown.json()["state"] == "reviewed" and len(shown.json()["events"]) >= 4
    client.cookies.set(auth.SESSION_COOKIE, factory.token(members[0]))
    try:
        page = await client.get(f"/orders/{placed[0]}")
        assert page.status_code == 200
        tab = await client.get("/orders?tab=history")
        assert tab.status_code == 200 and f'href="/orders/{placed[0]}"' in tab.text
        assert f'href="/orders/{live[0]}"' not in tab.text
    finally:
        client.cookies.clear()
    # read old notices are out of the notices page; unread and new ones stay
    assert all(n["read"] is False for n in (await client.get("/api/v1/notifications", headers=m0)).json()["items"])
    # a second run finds nothing left to do, and moves nothing
    assert await periodic.archive_old(_ctx(jobs)) == {**done, "orders": 0, "notices": 0}
    assert await _partitions(factory) == partitions


async def test_a_late_review_brings_an_archived_order_back(client, factory, jobs):
    _, members, placed, _ = await _history(factory, client)
    await periodic.archive_old(_ctx(jobs))
    received = placed[2]  # signed off, never reviewed
    m = factory.headers(members[2])
    old_events = (await _partitions(factory))["order_events_archive"][received]
    review = await client.post(f"/api/v1/orders/{received}/review", json={"stars": 4, "text": ""}, headers=m)
    assert review.status_code == 200
    assert (await jobs.order(received)).archived_at is None
    assert received in [o["id"] for o in (await client.get("/api/v1/orders?as=member", headers=m)).json()["items"]]
    # its new event is hot; the old ones may stay archived, and its timeline reads both
    partitions = await _partitions(factory)
    assert partitions["order_events_archive"][received] == old_events
    [new_event] = partitions["order_events_hot"][received]
    assert new_event > max(old_events)
    timeline = (await client.get(f"/api/v1/orders/{received}", headers=m)).json()["events"]
    assert len(timeline) == len(old_events) + 1 and timeline[-1]["to"] == "reviewed"


async def test_a_run_killed_midway_is_finished_by_the_next(client, factory, jobs):
    await _history(factory, client)
    expected = await periodic.archive_old(_ctx(jobs))
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.update(Order).values(archived_at=None))
        await db.execute(sa.update(OrderEvent).values(archived=False))
        await db.execute(sa.update(Notification).values(archived_at=None))
    units = 0

    def dying_unit():
        nonlocal units
        units += 1
        if units > 3:  # the max(id) read and two batches (ids 1 and 2) committed, then the worker is killed
            raise KeyboardInterrupt
        return transaction(jobs.sessionmaker, jobs.redis, jobs.queue_name)

    try:
        await archive.run(dying_unit, now=utcnow(), after_days=730, batch_size=1)
    except KeyboardInterrupt:
        pass
    first, _ = await _archived(factory)
    assert 0 < len(first) < expected["orders"]  # what committed stays
    # each committed batch moved its orders' events with them: the archive partition holds exactly theirs
    assert set((await _partitions(factory)).get("order_events_archive", {})) == first
    again = await periodic.archive_old(_ctx(jobs))
    orders, notices = await _archived(factory)
    assert len(orders) == expected["orders"] and notices == expected["notices"]
    assert again["orders"] == expected["orders"] - len(first)  # nothing flagged twice
    assert set((await _partitions(factory))["order_events_archive"]) == orders


async def test_account_deletion_reaches_archived_notices(client, factory, jobs):
    _, members, _, _ = await _history(factory, client)
    await periodic.archive_old(_ctx(jobs))
    member = members[2]  # no live order, no open need
    async with factory.sessionmaker() as db:
        kept = await db.scalar(sa.select(sa.func.count()).where(Notification.user_id == member.id))
    assert kept > 0
    done = await client.post("/api/v1/me/delete", json={"password": PASSWORD}, headers=factory.headers(member))
    assert done.status_code == 204
    async with factory.sessionmaker() as db:
        assert await db.scalar(sa.select(sa.func.count()).where(Notification.user_id == member.id)) == 0
