"""Seats free while members wait go to the waiting line within a minute (services/free_seats.py): when a
priority reserve's release time passes, and when a promotion passed over the first in line because its row
was held at that instant. Through the worker's minute scan (jobs/periodic.scan_deadlines)."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.jobs import periodic
from marketplace.models import ListingSession, Notification, Order
from marketplace.models.base import utcnow


def _ctx(factory) -> dict:
    return {"settings": factory.settings, "sessionmaker": factory.sessionmaker, "redis": None, "queue_name": None}


async def _session(factory, seats: int):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(5, seats)], auto_accept=True)
    return listing, (await factory.sessions_of(listing))[0].id


async def _order(client, factory, member, listing, session_id) -> dict:
    answer = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(member)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _seats_and_states(factory, session_id: int) -> tuple[int, dict[int, str]]:
    async with factory.sessionmaker() as db:
        taken = (
            await db.execute(sa.select(ListingSession.seats_taken).where(ListingSession.id == session_id))
        ).scalar_one()
        states = dict((await db.execute(sa.select(Order.id, Order.state).where(Order.session_id == session_id))).all())
    return taken, states


async def test_a_released_reserve_goes_to_the_waiting_line_in_its_order(client, factory):
    listing, session_id = await _session(factory, seats=10)
    curator = await factory.user(Role.curator)
    release_at = utcnow() + timedelta(hours=1)
    r = await client.put(
        f"/api/v1/admin/sessions/{session_id}/reserve",
        json={"percent": 30, "groups": ["hardship"], "release_at": release_at.isoformat()},
        headers=factory.headers(curator),
    )
    assert r.status_code == 200, r.text
    members = await factory.members(11)
    answers = [await _order(client, factory, m, listing, session_id) for m in members]
    assert [a["state"] for a in answers] == ["accepted"] * 7 + ["waitlisted"] * 4  # 3 seats kept for hardship
    waiting = [a["id"] for a in answers[7:]]

    # while the reserve holds, its seats stay kept
    assert (await periodic.scan_deadlines(_ctx(factory)))["waitlist_promoted"] == 0
    assert (await _seats_and_states(factory, session_id))[0] == 7

    # its release time passes: the three kept seats go to the first three in line, the fourth waits on
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            sa.update(ListingSession)
            .where(ListingSession.id == session_id)
            .values(reserve_release_at=utcnow() - timedelta(seconds=1))
        )
    assert (await periodic.scan_deadlines(_ctx(factory)))["waitlist_promoted"] == 3
    taken, states = await _seats_and_states(factory, session_id)
    assert taken == 10
    assert [states[i] for i in waiting] == ["accepted", "accepted", "accepted", "waitlisted"]
    assert (await periodic.scan_deadlines(_ctx(factory)))["waitlist_promoted"] == 0
    async with factory.sessionmaker() as db:
        told = (
            await db.execute(sa.select(Notification.user_id).where(Notification.kind == "waitlist_promoted"))
        ).scalars()
        assert {m.id for m in members[7:10]} <= set(told)


async def test_a_seat_passed_over_while_the_first_in_line_was_held_is_given_by_the_next_scan(client, factory, engine):
    listing, session_id = await _session(factory, seats=1)
    seated, waiting = await factory.members(2)
    first = await _order(client, factory, seated, listing, session_id)
    second = await _order(client, factory, waiting, listing, session_id)
    assert (first["state"], second["state"], second["waitlist_position"]) == ("accepted", "waitlisted", 1)

    # another transaction holds the waiting order's row while the seat comes free: the promotion passes it over
    async with engine.connect() as other:
        await other.execute(sa.select(Order.id).where(Order.id == second["id"]).with_for_update())
        cancelled = await client.post(
            f"/api/v1/orders/{first['id']}/cancel", json={"reason": "有事"}, headers=factory.headers(seated)
        )
        assert cancelled.status_code == 200, cancelled.text
        taken, states = await _seats_and_states(factory, session_id)
        assert (taken, states[second["id"]]) == (0, "waitlisted")
        await other.rollback()

    assert (await periodic.scan_deadlines(_ctx(factory)))["waitlist_promoted"] == 1
    taken, states = await _seats_and_states(factory, session_id)
    assert (taken, states[second["id"]]) == (1, "accepted")


async def test_a_seat_freed_while_the_reserve_holds_stays_for_its_groups_and_goes_to_the_first_of_them(client, factory):
    listing, session_id = await _session(factory, seats=10)
    curator = await factory.user(Role.curator)
    r = await client.put(
        f"/api/v1/admin/sessions/{session_id}/reserve",
        json={"percent": 30, "groups": ["hardship"], "release_at": (utcnow() + timedelta(hours=1)).isoformat()},
        headers=factory.headers(curator),
    )
    assert r.status_code == 200, r.text
    others = await factory.members(9)
    hardship = [await factory.user(groups=["hardship"]) for _ in range(5)]
    told = [await _order(client, factory, m, listing, session_id) for m in others]
    assert [a["state"] for a in told] == ["accepted"] * 7 + ["waitlisted"] * 2  # 3 seats kept for hardship
    line = [a["id"] for a in told[7:]]

    async def cancel(member, order_id) -> None:
        answer = await client.post(
            f"/api/v1/orders/{order_id}/cancel", json={"reason": "有事"}, headers=factory.headers(member)
        )
        assert answer.status_code == 200, answer.text

    # A hardship member takes a kept seat and gives it back: it is kept again, not given to the first in line.
    kept = await _order(client, factory, hardship[0], listing, session_id)
    assert kept["state"] == "accepted"
    await cancel(hardship[0], kept["id"])
    taken, states = await _seats_and_states(factory, session_id)
    assert taken == 7 and [states[i] for i in line] == ["waitlisted", "waitlisted"]
    assert (await periodic.scan_deadlines(_ctx(factory)))["waitlist_promoted"] == 0  # nor by the minute scan

    # The kept seats fill with hardship members; the next one waits, third in line.
    seated = [await _order(client, factory, m, listing, session_id) for m in hardship[1:4]]
    assert [a["state"] for a in seated] == ["accepted"] * 3
    waiting = await _order(client, factory, hardship[4], listing, session_id)
    assert waiting["state"] == "waitlisted" and waiting["waitlist_position"] == 3
    # A kept seat given back goes to the first in line who is in the reserve's groups.
    await cancel(hardship[1], seated[0]["id"])
    taken, states = await _seats_and_states(factory, session_id)
    assert taken == 10
    assert [states[i] for i in line] == ["waitlisted", "waitlisted"] and states[waiting["id"]] == "accepted"

    # Once the reserve is released, a seat given back goes to the first in line, whoever they are.
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            sa.update(ListingSession)
            .where(ListingSession.id == session_id)
            .values(reserve_release_at=utcnow() - timedelta(seconds=1))
        )
    await cancel(hardship[2], seated[1]["id"])
    assert [(await _seats_and_states(factory, session_id))[1][i] for i in line] == ["accepted", "waitlisted"]
