"""No overselling: however many members order the last seats at once, exactly the free seats are given."""

import asyncio

import pytest
import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import ListingSession, Order


@pytest.mark.parametrize(("members", "seats", "auto_accept"), [(120, 5, True), (200, 10, False)])
async def test_concurrent_orders_take_exactly_the_free_seats(client, factory, engine, members, seats, auto_accept):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, seats)], auto_accept=auto_accept)
    session_id = (await factory.sessions_of(listing))[0].id
    crowd = await factory.members(members)

    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/orders",
                json={"listing_id": listing.id, "session_id": session_id},
                headers=factory.headers(member),
            )
            for member in crowd
        )
    )

    assert [r.status_code for r in responses if r.status_code >= 500] == []
    assert {r.status_code for r in responses} == {201}
    states = [r.json()["state"] for r in responses]
    seated = "accepted" if auto_accept else "offered"
    assert states.count(seated) == seats
    assert states.count("waitlisted") == members - seats
    async with engine.connect() as conn:
        taken = (
            await conn.execute(sa.select(ListingSession.seats_taken).where(ListingSession.id == session_id))
        ).scalar()
        holding = (
            await conn.execute(sa.select(sa.func.count()).where(Order.session_id == session_id, Order.holds_seat))
        ).scalar()
    assert taken == holding == seats
    # waitlist positions are 1..N with no gaps: first come, first promoted
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["state"] == "waitlisted")
    assert positions == list(range(1, members - seats + 1))


async def test_same_idempotency_key_at_the_same_moment_makes_one_order(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 3)])
    member = await factory.user()
    headers = {**factory.headers(member), "Idempotency-Key": "double-tap"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=headers) for _ in range(10))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1


async def test_a_member_tapping_twice_without_a_key_gets_one_order_and_a_conflict(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(2, 3)])
    session_id = (await factory.sessions_of(listing))[0].id
    member = await factory.user()
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/orders",
                json={"listing_id": listing.id, "session_id": session_id},
                headers=factory.headers(member),
            )
            for _ in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
