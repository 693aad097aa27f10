"""下单 through the API: what the one placement statement writes, and that its answer tells the truth.

The answer to POST /orders is built from what the statement returned, not read back; these tests
compare it with GET /orders/{id} (built from the database) and look at the rows written beside it.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace import texts
from marketplace.domain.roles import Role
from marketplace.models import ListingSession, Notification, Offer, Order, OrderEvent, OutboxJob


async def _place(client, factory, member, listing, session_id=None, key=None):
    body = {"listing_id": listing.id} | ({"session_id": session_id} if session_id else {})
    headers = factory.headers(member) | ({"Idempotency-Key": key} if key else {})
    return await client.post("/api/v1/orders", json=body, headers=headers)


async def _rows(factory, model, *where):
    async with factory.sessionmaker() as db:
        return list((await db.execute(sa.select(model).where(*where))).scalars())


async def _seats_taken(factory, session_id: int) -> int:
    async with factory.sessionmaker() as db:
        return (await db.get(ListingSession, session_id)).seats_taken


async def _same_as_read_back(client, factory, member, placed) -> None:
    assert placed.status_code == 201, placed.text
    read = await client.get(f"/api/v1/orders/{placed.json()['id']}", headers=factory.headers(member))
    assert read.status_code == 200
    assert placed.json() == read.json()


async def test_accepted_at_once_writes_reminders_and_the_providers_notice(client, factory):
    provider = await factory.user(Role.provider, name="李老师")
    listing = await factory.listing(provider, await factory.category(), auto_accept=True, sessions=[(3, 5)])
    session_id = (await factory.sessions_of(listing))[0].id
    member = await factory.user(name="赵师傅")

    placed = await _place(client, factory, member, listing, session_id)
    await _same_as_read_back(client, factory, member, placed)
    order = placed.json()
    assert order["state"] == "accepted" and order["provider"]["name"] == "李老师"
    assert [(e["action"], e["from"], e["to"]) for e in order["events"]] == [
        ("place", None, "placed"),
        ("auto_accept", "placed", "accepted"),
    ]
    assert await _seats_taken(factory, session_id) == 1
    stamp = int(datetime.fromisoformat(order["session"]["starts_at"]).timestamp())
    jobs = await _rows(factory, OutboxJob, OutboxJob.dedupe_key.contains(":remind:"))
    assert sorted(j.dedupe_key for j in jobs) == sorted(
        [
            *(f"order:{order['id']}:remind:session:{k}:member:{stamp}" for k in ("day_before", "hour_before")),
            *(f"session:{session_id}:remind:{k}:{stamp}" for k in ("day_before", "hour_before")),
        ]
    )
    assert {(j.job, j.state, j.args["kind"]) for j in jobs if j.args["to"] == "member"} == {
        ("remind", "pending", "day_before"),
        ("remind", "pending", "hour_before"),
    }
    notices = await _rows(factory, Notification, Notification.user_id == provider.id)
    assert [(n.kind, n.title, n.body, n.data["order_id"]) for n in notices] == [
        ("order_accepted", "新报名：书法培训", "报名人：赵师傅。", order["id"])
    ]
    # Kept as a message, so the provider reads it in their own language.
    inbox = (await client.get("/api/v1/notifications", headers=factory.headers(provider))).json()["items"]
    assert inbox[0]["data"] == {"order_id": order["id"]} and inbox[0]["title"] == "新报名：书法培训"

    # A second member of the same session: their own reminders; the provider's are planned once per session.
    other = await _place(client, factory, await factory.user(), listing, session_id)
    assert other.status_code == 201 and other.json()["state"] == "accepted"
    assert len(await _rows(factory, OutboxJob, OutboxJob.dedupe_key.contains(":remind:"))) == 6


async def test_offered_to_the_provider_with_the_categorys_window(client, factory):
    provider = await factory.user(Role.provider)
    category = await factory.category(offer_deadline_hours=24)
    listing = await factory.listing(provider, category, sessions=[(5, 5)])
    member = await factory.user()

    placed = await _place(client, factory, member, listing)
    await _same_as_read_back(client, factory, member, placed)
    order = placed.json()
    assert order["state"] == "offered" and order["offer"] is None  # the member does not see the offer
    [offer] = await _rows(factory, Offer, Offer.order_id == order["id"])
    assert offer.state == "pending" and offer.provider_id == provider.id
    assert round((offer.deadline_at - offer.created_at).total_seconds() / 3600) == 24
    as_provider = await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(provider))
    assert as_provider.json()["offer"]["state"] == "pending"
    assert "accept" in as_provider.json()["actions"]
    [reminder] = await _rows(factory, OutboxJob, OutboxJob.dedupe_key == f"order:{order['id']}:remind:offer:1")
    assert offer.created_at < reminder.due_at < offer.deadline_at
    [notice] = await _rows(factory, Notification, Notification.user_id == provider.id)
    deadline = texts.moment("zh-CN", offer.deadline_at, ZoneInfo("Asia/Shanghai"))
    assert (notice.kind, notice.body) == ("offer", f"请在 {deadline} 前接单或婉拒。")
    async with factory.sessionmaker() as db:
        stored = await db.get(Order, order["id"])
    assert stored.offer_attempts == 1 and stored.holds_seat and stored.provider_id == provider.id


async def test_an_offer_must_be_answered_before_its_session_starts(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(offer_deadline_hours=48), sessions=[(0.25, 5)])
    [session] = await factory.sessions_of(listing)
    placed = await _place(client, factory, await factory.user(), listing)
    [offer] = await _rows(factory, Offer, Offer.order_id == placed.json()["id"])
    assert offer.deadline_at == session.starts_at  # six hours away, not 48
    await factory.move_session(session.id, timedelta(hours=-1))  # the provider looks too late
    late = await client.post(f"/api/v1/orders/{placed.json()['id']}/accept", headers=factory.headers(provider))
    assert late.status_code == 409 and late.json()["detail"] == "This session has already started."


async def test_a_full_session_waitlists_with_nothing_else_written(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), auto_accept=True, sessions=[(3, 1)])
    session_id = (await factory.sessions_of(listing))[0].id
    first, second, third = await factory.members(3)
    assert (await _place(client, factory, first, listing, session_id)).json()["state"] == "accepted"
    jobs_before = len(await _rows(factory, OutboxJob))

    for position, member in ((1, second), (2, third)):
        placed = await _place(client, factory, member, listing, session_id)
        await _same_as_read_back(client, factory, member, placed)
        order = placed.json()
        assert (order["state"], order["waitlist_position"], order["provider"]) == ("waitlisted", position, None)
        assert [(e["action"], e["reason"]) for e in order["events"]] == [
            ("place", ""),
            ("waitlist", "the session is full"),
        ]
    assert await _seats_taken(factory, session_id) == 1
    assert len(await _rows(factory, OutboxJob)) == jobs_before
    assert len(await _rows(factory, Notification, Notification.user_id == provider.id)) == 1


async def test_refusals_write_nothing_and_give_the_seat_back(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 2)])
    session_id = (await factory.sessions_of(listing))[0].id
    member = await factory.user()
    assert (await _place(client, factory, member, listing, session_id)).status_code == 201

    twice = await _place(client, factory, member, listing, session_id)
    assert twice.status_code == 409 and "already hold" in twice.json()["detail"]
    assert await _seats_taken(factory, session_id) == 1

    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.update(ListingSession).values(waitlist_open=False, seats_taken=2))
    full = await _place(client, factory, await factory.user(), listing, session_id)
    assert full.status_code == 409 and full.json()["detail"] == "This session is full."
    assert await _seats_taken(factory, session_id) == 2
    assert len(await _rows(factory, Order)) == 1
    assert len(await _rows(factory, OrderEvent)) == 2

    other = await factory.listing(provider, await factory.category())
    wrong = await _place(client, factory, member, listing, (await factory.sessions_of(other))[0].id)
    assert wrong.status_code == 400 and wrong.json()["extra"]["field"] == "session_id"


async def test_an_on_request_listing_takes_no_seat_and_plans_no_session_reminder(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), shape="on_request", auto_accept=True)
    member = await factory.user()

    placed = await _place(client, factory, member, listing)
    await _same_as_read_back(client, factory, member, placed)
    assert placed.json()["state"] == "accepted" and placed.json()["session"] is None
    async with factory.sessionmaker() as db:
        stored = await db.get(Order, placed.json()["id"])
    assert not stored.holds_seat
    assert await _rows(factory, OutboxJob, OutboxJob.dedupe_key.contains(":remind:")) == []
    with_session = await _place(client, factory, member, listing, session_id=1)
    assert with_session.status_code == 400


async def test_a_retry_with_the_key_gets_the_same_answer_and_writes_nothing(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), auto_accept=True, sessions=[(3, 5)])
    member = await factory.user()
    first = await _place(client, factory, member, listing, key="tap")
    again = await _place(client, factory, member, listing, key="tap")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(await _rows(factory, Order)) == 1
    assert len(await _rows(factory, Notification)) == 1
