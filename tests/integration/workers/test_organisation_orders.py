"""团体预约 through the API: a grassroots union books 20 seats with a roster, swaps a person before the
cut-off (not after), takes attendance by QR; the people on the roster see their own orders."""

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.domain import checkin as rules
from marketplace.domain.roles import Role
from marketplace.models import ListingSession, Order, OrgBooking, User
from marketplace.models.base import utcnow

from ...codes import register

pytestmark = pytest.mark.asyncio


def roster(n: int, start: int = 0) -> list[dict]:
    return [{"name": f"工友{i}", "phone": f"139{i:08d}"} for i in range(start, start + n)]


async def _market(client, factory, capacity: int = 40, share: int = 50):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, sessions=[(3, capacity)], auto_accept=True)
    (session,) = await factory.sessions_of(listing)
    curator = await factory.user(Role.curator)
    contact = await factory.user(name="车间工会主席")
    made = await client.post(
        "/api/v1/admin/organisations",
        json={"name": "第一车间工会", "contact_phone": contact.phone, "max_share_percent": share},
        headers=factory.headers(curator),
    )
    assert made.status_code == 201, made.text
    return provider, listing, session, curator, contact, made.json()


async def test_book_twenty_swap_one_and_take_attendance_by_qr(client, factory, jobs):
    provider, listing, session, curator, contact, org = await _market(client, factory)
    c = factory.headers(contact)
    known = await factory.user(name="老会员")  # already has an account: found by phone
    people = roster(19) + [{"name": "老会员", "phone": known.phone}]
    booked = await client.post(
        "/api/v1/organisation/bookings", json={"session_id": session.id, "people": people}, headers=c
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    assert len(booking["seats"]) == 20 and {s["state"] for s in booking["seats"]} == {"accepted"}
    async with jobs.sessionmaker() as db:
        assert (await db.get(ListingSession, session.id)).seats_taken == 20
        orders = (await db.execute(sa.select(Order).where(Order.session_id == session.id))).scalars().all()
        assert len({o.member_id for o in orders}) == 20 and all(o.holds_seat for o in orders)
        invited = (await db.execute(sa.select(User).where(User.phone == "13900000003"))).scalar_one()
        assert invited.is_active is False
    assert any(o.member_id == known.id for o in orders)
    assert len(await jobs.notices(known.id, "org_booked")) == 1

    # a roster person registers with their phone and finds their own order there
    claimed = await register(client, factory.settings, "13900000003", "工友3", "longenough-9")
    assert claimed.status_code == 201, claimed.text
    token = (await client.post("/api/v1/auth/login", json={"phone": "13900000003", "password": "longenough-9"})).json()[
        "access_token"
    ]
    h3 = {"Authorization": f"Bearer {token}"}
    theirs = (await client.get("/api/v1/orders", headers=h3)).json()["items"]
    assert [o["state"] for o in theirs] == ["accepted"] and theirs[0]["session"]["id"] == session.id
    assert (await client.get("/api/v1/orders", headers=factory.headers(known))).json()["total"] == 1

    # swap one person before the cut-off: their order ends, the newcomer gets the seat
    seat = next(s for s in booking["seats"] if s["name"] == "工友5")
    swapped = await client.post(
        f"/api/v1/organisation/seats/{seat['seat_id']}/swap",
        json={"name": "新工友", "phone": "13700000001"},
        headers=c,
    )
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["state"] == "accepted" and swapped.json()["name"] == "新工友"
    assert (await jobs.order(seat["order_id"])).state == "cancelled"
    again = await client.post(
        f"/api/v1/organisation/seats/{seat['seat_id']}/swap", json={"name": "某人", "phone": "13700000002"}, headers=c
    )
    assert again.status_code == 409
    async with jobs.sessionmaker() as db:
        assert (await db.get(ListingSession, session.id)).seats_taken == 20  # the seat moved, no new one

    # after the cut-off: refused
    await jobs.edit(OrgBooking, booking["id"], swap_until=utcnow() - timedelta(minutes=1))
    other = next(s for s in booking["seats"] if s["name"] == "工友6")
    late = await client.post(
        f"/api/v1/organisation/seats/{other['seat_id']}/swap", json={"name": "某人", "phone": "13700000003"}, headers=c
    )
    assert late.status_code == 409 and "cut-off" in late.json()["detail"]

    # the session begins: the door scans each person's own QR; attendance is per person
    await factory.move_session(session.id, -timedelta(minutes=5))
    mine = await client.get(f"/api/v1/orders/{theirs[0]['id']}/check-in", headers=h3)
    key = factory.settings.key("checkin")
    p = factory.headers(provider)
    door = f"/api/v1/sessions/{session.id}/check-ins"
    assert (await client.post(door, json={"code": mine.json()["token"], "scanned": True}, headers=p)).status_code == 200
    live = [s for s in (await client.get("/api/v1/organisation/bookings", headers=c)).json()[0]["seats"]]
    live = [s for s in live if s["state"] == "accepted"]
    for s in live[:10]:
        answer = await client.post(door, json={"code": rules.order_token(key, s["order_id"], session.id)}, headers=p)
        assert answer.status_code == 200, answer.text
    seen = (await client.get("/api/v1/organisation/bookings", headers=c)).json()[0]["seats"]
    attended = [s for s in seen if s["checked_in_at"]]
    assert len(attended) == 11 and {s["state"] for s in attended} == {"delivered"}
    assert {s["state"] for s in seen if s["swapped_at"]} == {"cancelled"}


async def test_share_cap_and_capacity_hold(client, factory, jobs):
    provider, listing, session, curator, contact, org = await _market(client, factory, capacity=10, share=50)
    c = factory.headers(contact)
    over = await client.post(
        "/api/v1/organisation/bookings", json={"session_id": session.id, "people": roster(6)}, headers=c
    )
    assert over.status_code == 409 and "at most 5" in over.json()["detail"]
    # the curator raises the cap; members fill 7 seats meanwhile, so only 3 are left
    raised = await client.patch(
        f"/api/v1/admin/organisations/{org['id']}", json={"max_share_percent": 100}, headers=factory.headers(curator)
    )
    assert raised.status_code == 200 and raised.json()["max_share_percent"] == 100
    for member in await factory.members(7):
        await factory.order_in_state(member, listing, "accepted")
    full = await client.post(
        "/api/v1/organisation/bookings", json={"session_id": session.id, "people": roster(4)}, headers=c
    )
    assert full.status_code == 409 and "Only 3 seats" in full.json()["detail"]
    # two bookings at the same moment for the last seats: never beyond capacity
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/v1/organisation/bookings",
                json={"session_id": session.id, "people": roster(2, start=10 * k)},
                headers=c,
            )
            for k in range(1, 4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409]
    async with jobs.sessionmaker() as db:
        assert (await db.get(ListingSession, session.id)).seats_taken == 9

    # refusals of the roster name the line; nobody but a contact books
    dup = await client.post(
        "/api/v1/organisation/bookings",
        json={"session_id": session.id, "people": [{"name": "甲", "phone": "13911111111"}] * 2},
        headers=c,
    )
    assert dup.status_code == 400 and "Line 2" in dup.json()["detail"]
    stranger = await factory.user()
    assert (
        await client.post(
            "/api/v1/organisation/bookings",
            json={"session_id": session.id, "people": roster(1)},
            headers=factory.headers(stranger),
        )
    ).status_code == 403


async def test_a_group_only_service_is_booked_only_for_confirmed_members_of_the_group(client, factory, jobs):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(
        provider, category, sessions=[(3, 10)], auto_accept=True, target_groups=["new_employment"]
    )
    (session,) = await factory.sessions_of(listing)
    curator = await factory.user(Role.curator)
    contact = await factory.user()
    rider = await factory.user(name="骑手", groups=["new_employment"])
    await client.post(
        "/api/v1/admin/organisations",
        json={"name": "快递站工会", "contact_phone": contact.phone, "max_share_percent": 100},
        headers=factory.headers(curator),
    )
    c = factory.headers(contact)
    mixed = [{"name": "骑手", "phone": rider.phone}, {"name": "新人", "phone": "13911112222"}]
    refused = await client.post(
        "/api/v1/organisation/bookings", json={"session_id": session.id, "people": mixed}, headers=c
    )
    assert refused.status_code == 409 and refused.json()["detail"].startswith("新人 is not confirmed")
    async with jobs.sessionmaker() as db:
        assert (await db.get(ListingSession, session.id)).seats_taken == 0  # rolled back whole
    ok = await client.post(
        "/api/v1/organisation/bookings", json={"session_id": session.id, "people": mixed[:1]}, headers=c
    )
    assert ok.status_code == 201
