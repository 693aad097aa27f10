"""Reminders at their time (time moved by the test), moved with the session, dropped on cancel;
auto sign-off; the promoted waitlist's confirmation window."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from marketplace.domain.reminders import DAY_BEFORE_AT
from marketplace.domain.roles import Role
from marketplace.models import ListingSession
from marketplace.models.base import utcnow
from marketplace.services import reminders

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)


def _day_before(starts_at: datetime) -> datetime:
    local = starts_at.astimezone(SHANGHAI)
    return datetime.combine(local.date() - timedelta(days=1), DAY_BEFORE_AT, tzinfo=SHANGHAI).astimezone(UTC)


async def _kinds(jobs, user) -> list[str]:
    return [n.kind for n in await jobs.notices(user.id)]


async def test_every_reminder_of_a_session_goes_out_at_its_time(client, factory, jobs):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category("书法培训"), sessions=[(3, 5)])
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user()
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    assert order["state"] == "offered"

    # provider: the offer waiting, when a quarter of its 48-hour window is left
    offer = (await jobs.offers(order["id"]))[0]
    recall = offer.deadline_at - (offer.deadline_at - offer.created_at) / 4  # 12 hours before
    await jobs.drain(recall - MINUTE)
    assert await _kinds(jobs, provider) == ["offer"]
    await jobs.drain(recall)
    assert await _kinds(jobs, provider) == ["offer", "offer_reminder"]

    await client.post(f"/api/v1/orders/{order['id']}/accept", headers=p)
    tomorrow, hour_before = _day_before(session.starts_at), session.starts_at - timedelta(hours=1)
    planned = {r.dedupe_key: r.due_at for r in await jobs.rows("remind") if r.state == "pending"}
    stamp = int(session.starts_at.timestamp())
    assert planned == {
        f"order:{order['id']}:remind:session:day_before:member:{stamp}": tomorrow,
        f"order:{order['id']}:remind:session:hour_before:member:{stamp}": hour_before,
        f"session:{session.id}:remind:day_before:{stamp}": tomorrow,
        f"session:{session.id}:remind:hour_before:{stamp}": hour_before,
    }

    await jobs.drain(tomorrow - MINUTE)
    assert await _kinds(jobs, member) == ["order_accepted"]
    await jobs.drain(tomorrow)
    day_before = (await jobs.notices(member.id, "reminder_day_before"))[0]
    assert day_before.title.startswith("明天的服务") and "南山区工人文化宫" in day_before.body
    assert "已确认 1 人" in (await jobs.notices(provider.id, "reminder_day_before"))[0].body
    await jobs.drain(hour_before - MINUTE)
    assert await jobs.notices(member.id, "reminder_hour_before") == []
    await jobs.drain(hour_before)
    assert (await jobs.notices(member.id, "reminder_hour_before"))[0].title.startswith("服务即将开始")
    assert len(await jobs.notices(provider.id, "reminder_hour_before")) == 1

    # member: sign-off request a day after delivery, review request two hours after sign-off
    await factory.move_session(session.id, timedelta(minutes=-30))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    delivered_at = (await jobs.order(order["id"])).delivered_at
    await jobs.drain(delivered_at + timedelta(hours=23))
    assert await jobs.notices(member.id, "reminder_sign_off") == []
    await jobs.drain(delivered_at + timedelta(days=1))
    assert "7 天内未确认将自动签收" in (await jobs.notices(member.id, "reminder_sign_off"))[0].body
    await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)
    await jobs.drain(utcnow() + timedelta(hours=2, minutes=1))
    assert len(await jobs.notices(member.id, "reminder_review")) == 1

    # every notice exactly once, however often the jobs ran
    await jobs.drain(utcnow() + timedelta(days=30))
    kinds = await _kinds(jobs, member)
    assert sorted(kinds) == sorted(set(kinds))
    assert {r.state for r in await jobs.rows()} <= {"done", "cancelled"}


async def test_reminders_follow_a_moved_session_and_a_cancel_drops_them(client, factory, jobs):
    counselling = await factory.category("心理咨询")
    provider = await factory.provider([counselling])
    member = await factory.user()
    m, p = factory.headers(member), factory.headers(provider)
    need = (
        await client.post("/api/v1/orders", json={"category_id": counselling.id, "title": "想聊聊"}, headers=m)
    ).json()
    await jobs.drain()
    accepted = await client.post(f"/api/v1/orders/{need['id']}/accept", headers=p)
    assert accepted.json()["state"] == "accepted"
    first = utcnow().replace(microsecond=0) + timedelta(days=4)
    await client.post(f"/api/v1/orders/{need['id']}/arrange", json={"starts_at": first.isoformat()}, headers=p)
    moved = first + timedelta(days=2)
    await client.post(
        f"/api/v1/orders/{need['id']}/arrange",
        json={"starts_at": moved.isoformat(), "link": "https://meet.example/x"},
        headers=p,
    )
    rows = await jobs.rows("remind", prefix=f"order:{need['id']}:remind:session:")
    assert {r.state for r in rows if str(int(first.timestamp())) in r.dedupe_key} == {"cancelled"}
    assert {r.due_at for r in rows if r.state == "pending"} == {_day_before(moved), moved - timedelta(hours=1)}

    await jobs.drain(_day_before(first) + MINUTE)  # the old time: nothing
    assert await jobs.notices(member.id, "reminder_day_before") == []
    await jobs.drain(_day_before(moved))
    told = await jobs.notices(member.id, "reminder_day_before")
    assert len(told) == 1 and "https://meet.example/x" in told[0].body
    assert len(await jobs.notices(provider.id, "reminder_day_before")) == 1

    cancelled = await client.post(f"/api/v1/orders/{need['id']}/cancel", json={"reason": "临时有事"}, headers=m)
    assert cancelled.json()["state"] == "cancelled"
    await jobs.drain(moved)
    assert await jobs.notices(member.id, "reminder_hour_before") == []
    assert {r.state for r in await jobs.rows(prefix=f"order:{need['id']}:remind:session:hour_before")} == {"cancelled"}


async def test_a_listing_session_that_moves_takes_its_reminders_along(client, factory, jobs):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(3, 5)], auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user()
    await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    new_start = session.starts_at + timedelta(days=3)
    await jobs.edit(ListingSession, session.id, starts_at=new_start, ends_at=new_start + timedelta(hours=2))
    assert await jobs.run(lambda db: reminders.replan_session(db, session.id)) == 1
    pending = {r.due_at for r in await jobs.rows("remind") if r.state == "pending"}
    assert pending == {_day_before(new_start), new_start - timedelta(hours=1)}
    await jobs.drain(_day_before(session.starts_at) + MINUTE)
    assert await jobs.notices(member.id, "reminder_day_before") == []
    await jobs.drain(_day_before(new_start))
    assert len(await jobs.notices(member.id, "reminder_day_before")) == 1


async def test_silence_after_delivery_signs_off_by_itself(client, factory, jobs):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 5)], auto_accept=True)
    member = await factory.user()
    order = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    ).json()
    await factory.move_session(order["session"]["id"], timedelta(minutes=-10))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=factory.headers(provider))
    delivered_at = (await jobs.order(order["id"])).delivered_at
    await jobs.drain(delivered_at + timedelta(days=1))
    assert len(await jobs.notices(member.id, "reminder_sign_off")) == 1
    assert (await jobs.scan(delivered_at + timedelta(days=6, hours=23)))["auto_receive"] == 0
    later = delivered_at + timedelta(days=7, minutes=1)
    assert (await jobs.scan(later))["auto_receive"] == 1
    await jobs.drain(later)
    shown = (await client.get(f"/api/v1/orders/{order['id']}", headers=factory.headers(member))).json()
    assert shown["state"] == "received"
    assert (shown["events"][-1]["action"], shown["events"][-1]["actor"]) == ("auto_receive", "system")
    assert "review" in shown["actions"]
    assert len(await jobs.notices(member.id, "order_auto_received")) == 1
    await jobs.drain(utcnow() + timedelta(hours=3))
    assert len(await jobs.notices(member.id, "reminder_review")) == 1
    assert len(await jobs.notices(member.id, "reminder_sign_off")) == 1


async def test_a_promoted_member_confirms_within_the_window_or_the_seat_moves_on(client, factory, jobs):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(5, 1)], auto_accept=True)
    first, second, third, fourth = await factory.members(4)
    orders = []
    for member in (first, second, third, fourth):
        placed = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
        orders.append(placed.json())
    assert [o["state"] for o in orders] == ["accepted", "waitlisted", "waitlisted", "waitlisted"]

    await client.post(f"/api/v1/orders/{orders[0]['id']}/cancel", json={}, headers=factory.headers(first))
    promoted = (await client.get(f"/api/v1/orders/{orders[1]['id']}", headers=factory.headers(second))).json()
    assert promoted["state"] == "accepted" and promoted["actions"] == ["confirm", "cancel"]
    window = datetime.fromisoformat(promoted["confirm_by"]) - utcnow()
    assert timedelta(hours=23, minutes=59) < window <= timedelta(hours=24)
    assert "前确认参加" in (await jobs.notices(second.id, "waitlist_promoted"))[0].body

    # the second member stays silent: after the window the seat passes to the third
    later = datetime.fromisoformat(promoted["confirm_by"]) + MINUTE
    assert (await jobs.scan(later))["confirm_timeout"] == 1
    await jobs.drain(later)
    lapsed = (await client.get(f"/api/v1/orders/{orders[1]['id']}", headers=factory.headers(second))).json()
    assert lapsed["state"] == "cancelled" and lapsed["events"][-1]["action"] == "confirm_timeout"
    assert len(await jobs.notices(second.id, "promotion_lapsed")) == 1
    third_view = (await client.get(f"/api/v1/orders/{orders[2]['id']}", headers=factory.headers(third))).json()
    assert third_view["state"] == "accepted" and third_view["confirm_by"] is not None

    # the third confirms in time and keeps the seat
    confirmed = await client.post(f"/api/v1/orders/{orders[2]['id']}/confirm", headers=factory.headers(third))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirm_by"] is None and confirmed.json()["actions"] == ["cancel"]
    again = await client.post(f"/api/v1/orders/{orders[2]['id']}/confirm", headers=factory.headers(third))
    assert again.status_code == 409
    await jobs.scan(later + timedelta(days=2))
    await jobs.drain(later + timedelta(days=2))
    assert (await jobs.order(orders[2]["id"])).state == "accepted"
    assert (await jobs.order(orders[3]["id"])).state == "waitlisted"


async def test_a_session_moved_back_gets_its_first_reminders_again(client, factory, jobs):
    counselling = await factory.category("心理咨询")
    provider = await factory.provider([counselling])
    member = await factory.user()
    p = factory.headers(provider)
    need = (
        await client.post(
            "/api/v1/orders", json={"category_id": counselling.id, "title": "想聊聊"}, headers=factory.headers(member)
        )
    ).json()
    await jobs.drain()
    await client.post(f"/api/v1/orders/{need['id']}/accept", headers=p)
    first = utcnow().replace(microsecond=0) + timedelta(days=4)
    for when in (first, first + timedelta(days=1), first):
        await client.post(f"/api/v1/orders/{need['id']}/arrange", json={"starts_at": when.isoformat()}, headers=p)
    rows = await jobs.rows("remind", prefix=f"order:{need['id']}:remind:session:")
    stamp = str(int(first.timestamp()))
    assert {r.state for r in rows if stamp in r.dedupe_key} == {"pending"}  # cancelled, then planned anew
    assert {r.state for r in rows if stamp not in r.dedupe_key} == {"cancelled"}
