"""The cycle's edges (issue #10): every path to a seat, time-bound actions, overdue sessions, escalations."""

import asyncio
from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import ListingSession, OrderEvent
from marketplace.models.base import utcnow

MINUTE = timedelta(minutes=1)


async def _order(client, factory, member, listing, **body):
    return await client.post("/api/v1/orders", json={"listing_id": listing.id, **body}, headers=factory.headers(member))


async def _seat_holder_is_whole(client, factory, jobs, order_id: int, provider) -> None:
    """A seat holder has its provider (who can open it and finds it on the session's list) and reminders."""
    as_provider = await client.get(f"/api/v1/orders/{order_id}", headers=factory.headers(provider))
    assert as_provider.status_code == 200, as_provider.text
    shown = as_provider.json()
    assert shown["provider"]["id"] == provider.id
    session_id = shown["session"]["id"]
    listed = await client.get(
        "/api/v1/orders", params={"as": "provider", "limit": 100}, headers=factory.headers(provider)
    )
    assert order_id in [o["id"] for o in listed.json()["items"] if o["session"]["id"] == session_id]
    reminders = await jobs.rows("remind", prefix=f"order:{order_id}:remind:session:")
    assert {r.state for r in reminders} == {"pending"} and len(reminders) >= 2  # tomorrow and in one hour


async def test_every_path_to_a_seat_brings_its_provider_reminders_and_attendance_line(client, factory, jobs):
    provider = await factory.user(Role.provider)
    category = await factory.category()
    at_once = await factory.listing(provider, category, sessions=[(3, 1)], auto_accept=True)
    by_offer = await factory.listing(provider, category, sessions=[(3, 1)])
    a, b, c, d = await factory.members(4)

    # direct, accepted at once
    first = (await _order(client, factory, a, at_once)).json()
    await _seat_holder_is_whole(client, factory, jobs, first["id"], provider)
    # promoted from the waitlist of an auto-accept session (the seat a cancel freed)
    waiting = (await _order(client, factory, b, at_once)).json()
    assert waiting["state"] == "waitlisted"
    await client.post(f"/api/v1/orders/{first['id']}/cancel", json={}, headers=factory.headers(a))
    await _seat_holder_is_whole(client, factory, jobs, waiting["id"], provider)
    promoted = await client.post(f"/api/v1/orders/{waiting['id']}/confirm", headers=factory.headers(b))
    assert promoted.status_code == 200  # confirmed: still whole
    await _seat_holder_is_whole(client, factory, jobs, waiting["id"], provider)

    # offered, then accepted by the provider
    offered = (await _order(client, factory, c, by_offer)).json()
    assert offered["state"] == "offered"
    await client.post(f"/api/v1/orders/{offered['id']}/accept", headers=factory.headers(provider))
    await _seat_holder_is_whole(client, factory, jobs, offered["id"], provider)
    # promoted to an offer from the waitlist, confirmed by the member, accepted by the provider
    behind = (await _order(client, factory, d, by_offer)).json()
    assert behind["state"] == "waitlisted"
    await client.post(f"/api/v1/orders/{offered['id']}/cancel", json={}, headers=factory.headers(c))
    await client.post(f"/api/v1/orders/{behind['id']}/confirm", headers=factory.headers(d))
    accepted = await client.post(f"/api/v1/orders/{behind['id']}/accept", headers=factory.headers(provider))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    await _seat_holder_is_whole(client, factory, jobs, behind["id"], provider)

    async with factory.sessionmaker() as db:
        taken = (await db.execute(sa.select(ListingSession.seats_taken).order_by(ListingSession.id))).scalars()
        assert list(taken) == [1, 1]


async def test_members_cancel_only_before_the_start_the_union_at_any_time(client, factory):
    provider = await factory.user(Role.provider)
    operator = await factory.user(Role.operator)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)], auto_accept=True)
    a, b = await factory.members(2)
    first = (await _order(client, factory, a, listing)).json()
    second = (await _order(client, factory, b, listing)).json()
    await factory.move_session(first["session"]["id"], timedelta(hours=-3))  # it ended an hour ago
    late = await client.post(f"/api/v1/orders/{first['id']}/cancel", json={}, headers=factory.headers(a))
    assert late.status_code == 409 and late.json()["detail"] == "This session has already started."
    shown = (await client.get(f"/api/v1/orders/{first['id']}", headers=factory.headers(a))).json()
    assert shown["state"] == "accepted" and "cancel" not in shown["actions"]
    by_union = await client.post(
        f"/api/v1/orders/{second['id']}/cancel", json={"reason": "核实后取消"}, headers=factory.headers(operator)
    )
    assert by_union.status_code == 200 and by_union.json()["state"] == "cancelled"


async def test_no_show_only_once_the_session_has_started_and_the_seat_stays_held(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 1)], auto_accept=True)
    member, waiting = await factory.members(2)
    order = (await _order(client, factory, member, listing)).json()
    p = factory.headers(provider)
    early = await client.post(f"/api/v1/orders/{order['id']}/no-show", json={}, headers=p)
    assert early.status_code == 409 and early.json()["detail"] == "This can be done once the service has started."
    absent = await client.post(f"/api/v1/orders/{order['id']}/deliver", json={"attended": False}, headers=p)
    assert absent.status_code == 409  # the attendance path is guarded the same way
    queued = (await _order(client, factory, waiting, listing)).json()
    assert queued["state"] == "waitlisted"  # the seat is still the member's
    await factory.move_session(order["session"]["id"], timedelta(minutes=-10))
    marked = await client.post(f"/api/v1/orders/{order['id']}/no-show", json={}, headers=p)
    assert marked.status_code == 200 and marked.json()["state"] == "no_show"


async def test_an_accepted_order_past_its_session_reminds_the_provider_then_the_operators(client, factory, jobs):
    provider = await factory.user(Role.provider)
    operator = await factory.user(Role.operator)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)], auto_accept=True)
    member, other = await factory.members(2)
    forgotten = (await _order(client, factory, member, listing)).json()
    recorded = (await _order(client, factory, other, listing)).json()
    session_id = forgotten["session"]["id"]
    await factory.move_session(session_id, timedelta(hours=-3))  # 3 h ago, 2 h long: ended an hour ago
    now = utcnow()
    await client.post(f"/api/v1/orders/{recorded['id']}/deliver", json={}, headers=factory.headers(provider))

    assert (await jobs.scan(now))["attendance_overdue"] == 0  # within the grace of two hours
    reminded_at = now + timedelta(hours=1, minutes=1)
    assert (await jobs.scan(reminded_at))["attendance_overdue"] == 1
    await jobs.drain(reminded_at)
    [notice] = await jobs.notices(provider.id, "attendance_overdue")
    assert notice.data["order_id"] == forgotten["id"]
    assert (await jobs.order(forgotten["id"])).escalated_at is None
    await jobs.scan(reminded_at + MINUTE)
    await jobs.drain(reminded_at + MINUTE)
    assert len(await jobs.notices(provider.id, "attendance_overdue")) == 1  # once

    escalated_at = now + timedelta(hours=47, minutes=1)
    assert (await jobs.scan(escalated_at))["escalate_overdue"] == 1
    await jobs.drain(escalated_at)
    order = await jobs.order(forgotten["id"])
    assert order.state == "accepted" and order.escalated_at is not None
    [told] = await jobs.notices(operator.id, "order_escalated")
    assert "未记录服务情况" in told.body
    queue = await client.get("/api/v1/orders", params={"escalated": "true"}, headers=factory.headers(operator))
    assert [o["id"] for o in queue.json()["items"]] == [forgotten["id"]]
    assert (await jobs.scan(escalated_at + MINUTE))["escalate_overdue"] == 0  # the operators have it
    # the provider can still record it: the order was never stuck in a state of its own
    late = await client.post(f"/api/v1/orders/{forgotten['id']}/deliver", json={}, headers=factory.headers(provider))
    assert late.json()["state"] == "delivered" and late.json()["escalated_at"] is None
    queue = await client.get("/api/v1/orders", params={"escalated": "true"}, headers=factory.headers(operator))
    assert queue.json()["items"] == []  # handled: off the operators' queue


async def test_escalation_says_how_many_offers_were_declined_and_how_many_unanswered(client, factory, jobs):
    counselling = await factory.category("心理咨询")
    providers = [await factory.provider([counselling]) for _ in range(4)]
    operator = await factory.user(Role.operator)
    member = await factory.user()
    need = await client.post(
        "/api/v1/orders", json={"category_id": counselling.id, "title": "想聊聊"}, headers=factory.headers(member)
    )
    need_id = need.json()["id"]
    declined_by = set()
    for _ in range(2):  # two providers decline in turn
        await jobs.drain()
        order = await jobs.order(need_id)
        assert order.state == "offered"
        declined_by.add(order.provider_id)
        who = next(p for p in providers if p.id == order.provider_id)
        await client.post(f"/api/v1/orders/{need_id}/decline", json={"reason": "没空"}, headers=factory.headers(who))
    await jobs.drain()
    third = await jobs.order(need_id)
    assert third.state == "offered" and third.provider_id not in declined_by
    [offer] = [o for o in await jobs.offers(need_id) if o.state == "pending"]
    later = offer.deadline_at + MINUTE
    await jobs.scan(later)
    await jobs.drain(later)  # the third does not answer: three offers made, the limit
    order = await jobs.order(need_id)
    assert order.state == "placed" and order.escalated_at is not None and order.offer_attempts == 3
    [told] = await jobs.notices(operator.id, "order_escalated")
    assert "已邀请 3 位劳模工匠：2 位婉拒，1 位未答复" in told.body
    shown = (await client.get(f"/api/v1/orders/{need_id}", headers=factory.headers(operator))).json()
    assert shown["events"][-1]["action"] == "escalate"
    assert shown["events"][-1]["reason"] == "3 offers: 2 declined, 1 unanswered"


async def test_declines_alone_reach_the_limit_and_go_to_the_operators(client, factory, jobs):
    counselling = await factory.category("心理咨询")
    providers = {p.id: p for p in [await factory.provider([counselling]) for _ in range(4)]}
    member = await factory.user()
    need_id = (
        await client.post(
            "/api/v1/orders", json={"category_id": counselling.id, "title": "想聊聊"}, headers=factory.headers(member)
        )
    ).json()["id"]
    for _ in range(3):
        await jobs.drain()
        order = await jobs.order(need_id)
        who = providers[order.provider_id]
        await client.post(f"/api/v1/orders/{need_id}/decline", json={"reason": "没空"}, headers=factory.headers(who))
    await jobs.drain()
    order = await jobs.order(need_id)
    assert order.state == "placed" and order.escalated_at is not None and order.offer_attempts == 3  # no 4th offer
    async with factory.sessionmaker() as db:
        [event] = (
            await db.execute(
                sa.select(OrderEvent).where(OrderEvent.order_id == need_id, OrderEvent.action == "escalate")
            )
        ).scalars()
    assert event.data == {"declined": 3, "unanswered": 0}


async def test_a_lapsed_promotion_says_the_seat_was_released_when_nobody_was_next(client, factory, jobs):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(5, 1)], auto_accept=True)
    first, second = await factory.members(2)
    held = (await _order(client, factory, first, listing)).json()
    waiting = (await _order(client, factory, second, listing)).json()
    await client.post(f"/api/v1/orders/{held['id']}/cancel", json={}, headers=factory.headers(first))
    promoted = (await client.get(f"/api/v1/orders/{waiting['id']}", headers=factory.headers(second))).json()
    later = datetime.fromisoformat(promoted["confirm_by"]) + MINUTE
    await jobs.scan(later)
    await jobs.drain(later)
    [notice] = await jobs.notices(second.id, "promotion_lapsed")
    assert "名额已释放" in notice.body and "顺延" not in notice.body
    detail = (await client.get(f"/api/v1/listings/{listing.id}")).json()
    assert detail["sessions"][0]["seats_left"] == 1


async def test_one_live_order_per_member_per_on_request_listing(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), shape="on_request")
    member = await factory.user()
    taps = await asyncio.gather(*(_order(client, factory, member, listing) for _ in range(5)))
    assert sorted(r.status_code for r in taps) == [201, 409, 409, 409, 409]
    refused = next(r for r in taps if r.status_code == 409).json()
    assert refused["detail"] == "You already hold a live order for this service."
    assert refused["extra"]["field"] == "listing_id"
    placed = next(r for r in taps if r.status_code == 201).json()
    await client.post(f"/api/v1/orders/{placed['id']}/cancel", json={}, headers=factory.headers(member))
    again = await _order(client, factory, member, listing)
    assert again.status_code == 201  # the first is no longer live
    other = await _order(client, factory, await factory.user(), listing)
    assert other.status_code == 201  # the rule is per member


async def test_a_session_called_off_is_recorded_as_its_provider_or_the_curator(client, factory):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 5), (4, 5)], auto_accept=True)
    member = await factory.user()
    sessions = await factory.sessions_of(listing)
    orders = [(await _order(client, factory, member, listing, session_id=s.id)).json() for s in sessions]
    for session, who in zip(sessions, (provider, curator), strict=True):
        called_off = await client.post(
            f"/api/v1/sessions/{session.id}/cancel", json={"reason": "场地检修"}, headers=factory.headers(who)
        )
        assert called_off.status_code == 200, called_off.text
    for order, (who, role) in zip(orders, ((provider, "provider"), (curator, "curator")), strict=True):
        shown = (await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(member))).json()
        last = shown["events"][-1]
        assert (shown["state"], last["action"], last["actor"]) == ("cancelled", "session_cancelled", role)
        async with factory.sessionmaker() as db:
            [actor_id] = (
                await db.execute(
                    sa.select(OrderEvent.actor_id).where(
                        OrderEvent.order_id == order["id"], OrderEvent.action == "session_cancelled"
                    )
                )
            ).scalars()
        assert actor_id == who.id


async def test_no_reorder_from_a_provider_who_just_declined(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 5)])
    member = await factory.user()
    order = (await _order(client, factory, member, listing)).json()
    declined = await client.post(
        f"/api/v1/orders/{order['id']}/decline", json={"reason": "那天有任务"}, headers=factory.headers(provider)
    )
    assert declined.json()["state"] == "declined" and declined.json()["actions"] == []
    shown = (await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(member))).json()
    assert "reorder" not in shown["actions"]


async def test_an_unreadable_agreed_time_holds_up_no_other_order(client, factory, jobs):
    """One odd row (an agreed time nobody can read, written before any rule) must not fail the overdue
    scan, the stuck list or the order's own page for everyone else."""
    provider = await factory.user(Role.provider)
    operator = await factory.user(Role.operator)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)], auto_accept=True)
    odd_member, member = await factory.members(2)
    odd = (await _order(client, factory, odd_member, listing)).json()
    overdue = (await _order(client, factory, member, listing)).json()
    await factory.move_session(overdue["session"]["id"], timedelta(hours=-5))
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            sa.text('UPDATE orders SET arrangement = \'{"starts_at": "not a time"}\' WHERE id = :id'),
            {"id": odd["id"]},
        )
    assert (await jobs.scan(utcnow()))["attendance_overdue"] == 2  # the odd one falls back to its session
    shown = await client.get(f"/api/v1/orders/{odd['id']}", headers=factory.headers(provider))
    assert shown.status_code == 200 and "deliver" in shown.json()["actions"]
    stuck = await client.get("/api/v1/orders", params={"as": "staff"}, headers=factory.headers(operator))
    assert stuck.status_code == 200
