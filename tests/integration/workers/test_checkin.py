"""扫码签到 through the API: signed codes, the door, a member's own scan, and delivery from the start."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.domain import checkin as rules
from marketplace.domain.roles import Role
from marketplace.models import CheckIn, OrderEvent
from marketplace.models.base import utcnow

from ..pages.conftest import Pages

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def pages(client, factory):
    client.cookies.clear()
    yield Pages(client, factory)
    client.cookies.clear()


async def _setup(factory, starts_in: timedelta, members: int = 2):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, sessions=[(3, 10), (4, 10)], auto_accept=True)
    first, second = await factory.sessions_of(listing)
    await factory.move_session(first.id, starts_in)
    people = await factory.members(members)
    orders = [await factory.order_in_state(m, listing, "accepted") for m in people]
    return provider, listing, first, second, people, orders


async def _code(client, factory, member, order):
    answer = await client.get(f"/api/v1/orders/{order.id}/check-in", headers=factory.headers(member))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_typed_code_after_the_start_delivers_and_is_single_use(client, factory, jobs):
    provider, _, session, _, people, orders = await _setup(factory, -timedelta(minutes=10))
    code = await _code(client, factory, people[0], orders[0])
    assert len(code["code"]) == 6 and code["token"].startswith(f"CM1.{orders[0].id}.{session.id}.")
    # the same code on a second look: made once
    assert (await _code(client, factory, people[0], orders[0]))["code"] == code["code"]

    url = f"/api/v1/sessions/{session.id}/check-ins"
    done = await client.post(url, json={"code": code["code"].lower()}, headers=factory.headers(provider))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "delivered" and done.json()["delivered"] is True

    again = await client.post(url, json={"code": code["token"]}, headers=factory.headers(provider))
    assert again.status_code == 409
    assert again.json()["detail"].startswith("Already checked in at ")

    async with jobs.sessionmaker() as db:
        row = await db.get(CheckIn, orders[0].id)
        assert row.checked_in_by == provider.id and row.method == "typed"
        events = (await db.execute(sa.select(OrderEvent).where(OrderEvent.order_id == orders[0].id))).scalars().all()
        assert [e.action for e in events][-1] == "check_in"
        assert events[-1].actor_id == provider.id and events[-1].actor_role == "provider"
    # delivery starts sign-off as ever
    assert len(await jobs.notices(people[0].id, "order_delivered")) == 1
    door = await client.get(url, headers=factory.headers(provider))
    assert door.status_code == 200
    assert {r["order_id"]: r["checked_in_at"] is not None for r in door.json()["items"]} == {
        orders[0].id: True,
        orders[1].id: False,
    }


async def test_forged_other_session_and_outside_window_are_refused(client, factory, jobs):
    provider, listing, session, other, people, orders = await _setup(factory, timedelta(minutes=30))
    url = f"/api/v1/sessions/{session.id}/check-ins"
    p = factory.headers(provider)
    token = (await _code(client, factory, people[0], orders[0]))["token"]

    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    refused = await client.post(url, json={"code": forged}, headers=p)
    assert refused.status_code == 409 and refused.json()["detail"] == rules.FORGED
    assert (await client.post(url, json={"code": "ZZZZZZ"}, headers=p)).json()["detail"] == rules.FORGED
    assert (await client.post(url, json={"code": "hello"}, headers=p)).json()["detail"] == rules.FORGED

    # a code of another session: the token names it, and the short code is found there
    stranger = await factory.user()
    elsewhere = await factory.order_in_state(stranger, listing, "accepted", session_index=1)
    other_code = await _code(client, factory, stranger, elsewhere)
    for text in (other_code["token"], other_code["code"]):
        answer = await client.post(url, json={"code": text}, headers=p)
        assert answer.status_code == 409 and answer.json()["detail"] == rules.OTHER_SESSION
    # ... and that session opens its doors only an hour before its start (it is days ahead)
    early = await client.post(f"/api/v1/sessions/{other.id}/check-ins", json={"code": other_code["code"]}, headers=p)
    assert early.status_code == 409 and early.json()["detail"] == rules.TOO_EARLY

    # after the end: closed
    await factory.move_session(session.id, -timedelta(hours=3))
    late = await client.post(url, json={"code": token}, headers=p)
    assert late.status_code == 409 and late.json()["detail"] == rules.TOO_LATE

    # nobody else keeps the door: another provider gets 404
    someone = await factory.provider()
    assert (await client.post(url, json={"code": token}, headers=factory.headers(someone))).status_code == 404
    async with jobs.sessionmaker() as db:
        assert (await db.execute(sa.select(sa.func.count()).where(CheckIn.checked_in_at.is_not(None)))).scalar() == 0


async def test_check_in_before_the_start_is_delivered_when_the_session_starts(client, factory, jobs):
    provider, _, session, _, people, orders = await _setup(factory, timedelta(minutes=30))
    token = (await _code(client, factory, people[0], orders[0]))["token"]
    done = await client.post(
        f"/api/v1/sessions/{session.id}/check-ins",
        json={"code": token, "scanned": True, "latitude": 22.53, "longitude": 113.93},
        headers=factory.headers(provider),
    )
    assert done.status_code == 200 and done.json()["state"] == "accepted"  # attendance kept, not yet delivered
    assert (await jobs.scan(utcnow()))["deliver_checked_in"] == 0
    starts = utcnow() + timedelta(minutes=31)
    assert (await jobs.scan(starts))["deliver_checked_in"] == 1
    await jobs.drain(starts)
    assert (await jobs.order(orders[0].id)).state == "delivered"
    assert (await jobs.order(orders[1].id)).state == "accepted"  # not checked in: the provider marks them
    await jobs.scan(starts + timedelta(minutes=1))  # a second scan finds nothing more to do
    await jobs.drain(starts + timedelta(minutes=1))
    async with jobs.sessionmaker() as db:
        row = await db.get(CheckIn, orders[0].id)
        assert (row.method, row.latitude, row.longitude) == ("scan", 22.53, 113.93)
        actions = (await db.execute(sa.select(OrderEvent.action).where(OrderEvent.order_id == orders[0].id))).scalars()
        assert list(actions).count("check_in") == 1


async def test_member_scans_the_sessions_own_code(client, factory, jobs):
    provider, _, session, other, people, orders = await _setup(factory, -timedelta(minutes=5))
    door = await client.get(f"/api/v1/sessions/{session.id}/check-ins", headers=factory.headers(provider))
    url = door.json()["session_code_url"]
    token = url.rsplit("/", 1)[1]
    mine = await client.post("/api/v1/check-in", json={"token": token}, headers=factory.headers(people[1]))
    assert mine.status_code == 200 and mine.json()["order_id"] == orders[1].id
    assert mine.json()["state"] == "delivered"
    twice = await client.post("/api/v1/check-in", json={"token": token}, headers=factory.headers(people[1]))
    assert twice.status_code == 409 and twice.json()["detail"].startswith("Already checked in at")
    outsider = await factory.user(Role.member)
    nobody = await client.post("/api/v1/check-in", json={"token": token}, headers=factory.headers(outsider))
    assert nobody.status_code == 409
    forged = rules.session_token("not the key", session.id)
    bad = await client.post("/api/v1/check-in", json={"token": forged}, headers=factory.headers(people[0]))
    assert bad.status_code == 409 and bad.json()["detail"] == rules.FORGED


async def test_after_the_door_those_not_checked_in_start_unticked_and_become_no_shows(client, factory, jobs, pages):
    provider, _, session, _, people, orders = await _setup(factory, timedelta(minutes=30), members=3)
    token = (await _code(client, factory, people[0], orders[0]))["token"]
    url = f"/api/v1/sessions/{session.id}/check-ins"
    assert (await client.post(url, json={"code": token}, headers=factory.headers(provider))).status_code == 200
    await factory.move_session(session.id, -timedelta(hours=2, minutes=5))  # the session is over
    pages.login(provider)
    form = await pages.get(f"/provider/sessions/{session.id}/attendance")
    ticked = re.findall(r'name="present" value="(\d+)"( checked)?', form.text)
    assert {int(i): bool(c) for i, c in ticked} == {orders[0].id: True, orders[1].id: False, orders[2].id: False}
    # the form as it stands: the ticked box is present, the others absent
    saved = await pages.post(
        f"/provider/sessions/{session.id}/attendance",
        {"orders": [str(o.id) for o in orders], "present": str(orders[0].id), "_form_key": "form:att"},
    )
    assert saved.status_code == 303
    assert [(await jobs.order(o.id)).state for o in orders] == ["delivered", "no_show", "no_show"]


async def test_after_a_session_whose_door_was_used_those_never_checked_in_are_no_shows(client, factory, jobs):
    provider, _, session, _, people, orders = await _setup(factory, -timedelta(minutes=10), members=3)
    code = await _code(client, factory, people[0], orders[0])
    url = f"/api/v1/sessions/{session.id}/check-ins"
    assert (await client.post(url, json={"code": code["code"]}, headers=factory.headers(provider))).status_code == 200
    # check-in started sign-off: the member signs for it
    signed = await client.post(f"/api/v1/orders/{orders[0].id}/receive", headers=factory.headers(people[0]))
    assert signed.status_code == 200 and signed.json()["state"] == "received"
    # a session whose door nobody used is left to its provider's attendance list
    _, _, untouched, _, others, their_orders = await _setup(factory, -timedelta(hours=3), members=1)

    assert await jobs.scan(utcnow()) is not None
    await jobs.drain()
    assert [(await jobs.order(o.id)).state for o in orders] == ["received", "accepted", "accepted"]  # not over yet

    await factory.move_session(session.id, -timedelta(hours=3))  # the session is over
    now = utcnow()
    counts = await jobs.scan(now)
    assert counts["mark_absent"] >= 2  # (other tests of the run share the database)
    await jobs.drain(now)
    assert [(await jobs.order(o.id)).state for o in orders] == ["received", "no_show", "no_show"]
    assert (await jobs.order(their_orders[0].id)).state == "accepted"
    async with jobs.sessionmaker() as db:
        last = (
            await db.execute(
                sa.select(OrderEvent).where(OrderEvent.order_id == orders[1].id).order_by(OrderEvent.id.desc()).limit(1)
            )
        ).scalar_one()
    assert (last.action, last.actor_role, last.to_state) == ("absent", "system", "no_show")
    # run again: nothing more to do
    assert (await jobs.scan(utcnow()))["mark_absent"] == 0
