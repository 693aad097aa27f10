"""A full session's orders written together (services/waitlist_joins.py): each order whole, told once, replayed
and refused as alone; a group cut from its database sends its orders alone and the next group heals."""

import asyncio
import os
from collections import Counter

import httpx
import sqlalchemy as sa

from marketplace.models import IdempotencyKey, Order, OrderEvent

from .test_waitlist_lines import _full_session, _order

_GROUPS = f"marketplace-waitlist-joins-{os.getpid()}"  # the in-process app's connection for the groups


async def _order_rows(factory, session_id: int) -> dict[int, tuple[str, int | None, str]]:
    """Each waitlisted order of the session: (its member, its line number, the transaction that wrote it)."""
    async with factory.sessionmaker() as db:
        rows = await db.execute(
            sa.select(Order.id, Order.member_id, Order.line_place, sa.literal_column("orders.xmin::text")).where(
                Order.session_id == session_id, Order.state == "waitlisted"
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


async def _events(factory, order_ids) -> dict[int, list[tuple[str, str]]]:
    async with factory.sessionmaker() as db:
        rows = await db.execute(
            sa.select(OrderEvent.order_id, OrderEvent.action, OrderEvent.to_state)
            .where(OrderEvent.order_id.in_(list(order_ids)))
            .order_by(OrderEvent.id)
        )
        events: dict[int, list[tuple[str, str]]] = {}
        for order_id, action, to_state in rows:
            events.setdefault(order_id, []).append((action, to_state))
        return events


async def _keys(factory) -> dict[tuple[int, str], tuple[int | None, int | None]]:
    """Every stored Idempotency-Key: its status and the order id its answer names."""
    async with factory.sessionmaker() as db:
        rows = await db.execute(
            sa.select(IdempotencyKey.user_id, IdempotencyKey.key, IdempotencyKey.status_code, IdempotencyKey.response)
        )
        return {(u, k): (status, (response or {}).get("id")) for u, k, status, response in rows}


async def test_a_crowd_at_a_full_session_shares_commits_and_each_order_is_whole_and_told_once(live_server, factory):
    listing, session_id = await _full_session(factory)
    crowd = await factory.members(120)
    twice = crowd[:6]  # press twice at once with two keys: one order, and "you already hold one"
    tapped = crowd[6:12]  # press twice at once with the same key: one order, told twice
    requests = (
        [(m, f"k-{m.id}") for m in crowd] + [(m, f"k2-{m.id}") for m in twice] + [(m, f"k-{m.id}") for m in tapped]
    )
    body = {"listing_id": listing.id, "session_id": session_id}
    async with httpx.AsyncClient(base_url=live_server, limits=httpx.Limits(max_connections=200), timeout=60) as http:
        answers = await asyncio.gather(
            *(
                http.post("/api/v1/orders", json=body, headers=factory.headers(m) | {"Idempotency-Key": k})
                for m, k in requests
            )
        )
    by_request = list(zip(requests, answers, strict=True))
    assert Counter(a.status_code for a in answers) == {201: 120 + 6, 409: 6}, [
        a.text for a in answers if a.status_code >= 400
    ]
    for member in twice:
        mine = [a for (m, _), a in by_request if m.id == member.id]
        assert sorted(a.status_code for a in mine) == [201, 409]
        [refused] = [a for a in mine if a.status_code == 409]
        assert refused.json()["extra"]["field"] == "session_id"
    for member in tapped:
        mine = [a.json() for (m, _), a in by_request if m.id == member.id]
        assert len({a["id"] for a in mine}) == 1  # the same order, told to both taps

    rows = await _order_rows(factory, session_id)
    assert sorted(member for member, _, _ in rows.values()) == sorted(m.id for m in crowd)  # one order a member
    assert sorted(number for _, number, _ in rows.values()) == list(range(1, 121))  # each place once
    told = {a.json()["id"]: a.json()["waitlist_position"] for a in answers if a.status_code == 201}
    assert told == {order_id: number for order_id, (_, number, _) in rows.items()}
    # Written in groups: fewer transactions than orders (alone, each order had its own).
    assert len({xmin for _, _, xmin in rows.values()}) < len(rows)
    # Each order whole: both its events, as the transition table gives them.
    assert all(e == [("place", "placed"), ("waitlist", "waitlisted")] for e in (await _events(factory, rows)).values())
    assert len(await _events(factory, rows)) == 120
    # Each key stored once with its order's answer; the refused orders' keys are not kept.
    keys = await _keys(factory)
    order_of = {member: order_id for order_id, (member, _, _) in rows.items()}
    expected = {(m.id, f"k-{m.id}") for m in crowd} | {(m.id, f"k2-{m.id}") for m in twice}
    kept = {key for key, (status, order_id) in keys.items() if key in expected}
    assert all(keys[key] == (201, order_of[key[0]]) for key in kept)
    assert len(kept) == 120  # one a member: the key of each refused second press was dropped


async def test_a_replay_and_a_second_order_after_the_group_are_answered_as_alone(client, factory):
    listing, session_id = await _full_session(factory)
    member, other = await factory.members(2)
    first = await _order(client, factory, member, listing, session_id, key="first")
    assert first["state"] == "waitlisted" and first["waitlist_position"] == 1
    assert [e["action"] for e in first["events"]] == ["place", "waitlist"]
    again = await _order(client, factory, member, listing, session_id, key="first")
    assert again == first  # the stored answer, the place now
    headers = factory.headers(member) | {"Idempotency-Key": "second"}
    for _ in range(2):  # refused, and refused again: the refusal kept no key to replay
        refused = await client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=headers
        )
        assert refused.status_code == 409 and refused.json()["extra"]["field"] == "session_id", refused.text
    assert (await _order(client, factory, other, listing, session_id))["waitlist_position"] == 2
    assert set(await _keys(factory)) == {(member.id, "first")}


async def test_a_group_cut_from_its_database_sends_its_orders_alone_and_the_next_group_heals(client, factory, engine):
    listing, session_id = await _full_session(factory)
    crowd = await factory.members(3)
    assert (await _order(client, factory, crowd[0], listing, session_id))["waitlist_position"] == 1  # opens it
    async with engine.connect() as connection:  # the groups' own connection is cut under them
        cut = await connection.scalar(
            sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :mine"),
            {"mine": _GROUPS},
        )
    assert cut == 1
    assert (await _order(client, factory, crowd[1], listing, session_id))["waitlist_position"] == 2
    assert (await _order(client, factory, crowd[2], listing, session_id))["waitlist_position"] == 3
    async with engine.connect() as connection:  # a group wrote the third on a connection of its own again
        assert (
            await connection.scalar(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :mine"), {"mine": _GROUPS}
            )
            == 1
        )
    rows = await _order_rows(factory, session_id)
    assert sorted(number for _, number, _ in rows.values()) == [1, 2, 3]
    assert all(len(e) == 2 for e in (await _events(factory, rows)).values())


async def test_what_a_careless_or_hostile_member_sends_to_a_full_session_is_refused_or_kept_exactly(client, factory):
    listing, session_id = await _full_session(factory)
    member, other = await factory.members(2)
    body = {"listing_id": listing.id, "session_id": session_id}
    for note in ("\x00", "a" * 1001):  # refused with the field named; nothing written, not a group's failure
        refused = await client.post("/api/v1/orders", json=body | {"note": note}, headers=factory.headers(member))
        assert refused.status_code == 400 and "note" in refused.text, refused.text
    odd = "周六上午😀 'quoted'; DROP TABLE orders; -- \\ \" {} []"
    told = await client.post(
        "/api/v1/orders",
        json=body | {"note": odd},
        headers=factory.headers(member) | {"Idempotency-Key": "'; --{}[]\\"},
    )
    assert told.status_code == 201 and told.json()["note"] == odd, told.text
    assert (await _order(client, factory, other, listing, session_id))["waitlist_position"] == 2
    async with factory.sessionmaker() as db:
        assert (await db.get(Order, told.json()["id"])).note == odd
    assert set(await _keys(factory)) == {(member.id, "'; --{}[]\\")}
