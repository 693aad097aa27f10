"""The menu's "available" filter and "soonest" order read facts kept on each listing (`seats_open_until`,
`next_session_at`, migration 2026_11_30_menuseats): seats taken and given back, sessions added and called
off, two sessions filling at once and time passing must all leave them giving what the sessions give."""

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Listing, ListingSession
from marketplace.models.base import utcnow

# What the menu showed before the facts were kept: sums over every upcoming session, per request.
DIRECT = sa.text(
    """
    SELECT l.id, l.shape = 'on_request' AS on_request,
        (SELECT min(s.starts_at) FROM listing_sessions s
         WHERE s.listing_id = l.id AND s.cancelled_at IS NULL AND s.starts_at > now()) AS next_at,
        (SELECT coalesce(sum(s.capacity - s.seats_taken), 0) FROM listing_sessions s
         WHERE s.listing_id = l.id AND s.cancelled_at IS NULL AND s.starts_at > now()) AS seats_left
    FROM listings l WHERE l.market_id = :market AND l.state = 'published'
    """
)


async def direct(engine, market_id: int) -> tuple[list[int], list[int]]:
    """(available ids sorted, every id soonest first) computed from the sessions themselves."""
    async with engine.connect() as conn:
        rows = (await conn.execute(DIRECT, {"market": market_id})).all()
    available = sorted(r.id for r in rows if r.on_request or r.seats_left > 0)
    soonest = [r.id for r in sorted(rows, key=lambda r: (r.next_at is None, r.next_at or 0, -r.id))]
    return available, soonest


async def menu(client, **params) -> list[int]:
    response = await client.get("/api/v1/listings", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def paged(client, **params) -> list[int]:
    """The same order read one listing a page (the offset walks the merged order)."""
    found, offset = [], 0
    while page := (await client.get("/api/v1/listings", params={"limit": 1, "offset": offset, **params})).json()[
        "items"
    ]:
        found.append(page[0]["id"])
        offset += 1
    return found


async def assert_menu_exact(client, engine, market_id: int) -> tuple[list[int], list[int]]:
    available, soonest = await direct(engine, market_id)
    assert sorted(await menu(client, available=True)) == available
    assert await menu(client, sort="soon") == soonest
    assert await paged(client, sort="soon") == soonest
    assert await menu(client, sort="soon", available=True) == [i for i in soonest if i in available]
    return available, soonest


async def kept(engine, listing_id: int):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                sa.select(Listing.next_session_at, Listing.seats_open_until, sa.column("xmin")).where(
                    Listing.id == listing_id
                )
            )
        ).one()


async def backend(conn) -> int:
    return (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()


async def blocked_on_a_lock(engine, pid: int) -> bool:
    """Whether backend `pid` comes to wait for a lock, asked of PostgreSQL (not guessed from elapsed time)."""
    waiting = sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid")
    for _ in range(200):
        async with engine.connect() as look:
            if (await look.execute(waiting, {"pid": pid})).scalar():
                return True
        await asyncio.sleep(0.01)
    return False


async def test_seats_taken_and_given_back_move_available_only_when_a_session_fills_or_frees(client, factory, engine):
    provider = await factory.user(Role.provider)
    category = await factory.category()
    single = await factory.listing(provider, category, title="单人书法", sessions=[(2, 1)])
    pair = await factory.listing(provider, category, title="双人书法", sessions=[(1, 2)])
    asked = await factory.listing(provider, category, title="上门维修", shape="on_request")
    first, second = await factory.members(2)
    assert await assert_menu_exact(client, engine, factory.market_id) == (
        sorted([single.id, pair.id, asked.id]),
        [pair.id, single.id, asked.id],
    )

    taken = await client.post("/api/v1/orders", json={"listing_id": single.id}, headers=factory.headers(first))
    assert taken.status_code == 201, taken.text
    available, _ = await assert_menu_exact(client, engine, factory.market_id)
    assert available == sorted([pair.id, asked.id])  # the one session is full

    before = await kept(engine, pair.id)
    one_of_two = await client.post("/api/v1/orders", json={"listing_id": pair.id}, headers=factory.headers(first))
    assert one_of_two.status_code == 201
    assert await kept(engine, pair.id) == before  # a seat taken, the session still free: the listing untouched
    await client.post("/api/v1/orders", json={"listing_id": pair.id}, headers=factory.headers(second))
    assert (await kept(engine, pair.id)).seats_open_until is None  # the last seat: written once
    available, _ = await assert_menu_exact(client, engine, factory.market_id)
    assert available == [asked.id]

    back = await client.post(f"/api/v1/orders/{taken.json()['id']}/cancel", json={}, headers=factory.headers(first))
    assert back.status_code == 200, back.text
    available, _ = await assert_menu_exact(client, engine, factory.market_id)
    assert available == sorted([single.id, asked.id])  # the seat given back: on the menu again


async def test_sessions_added_and_called_off_move_available_and_soonest(client, factory, engine):
    provider = await factory.user(Role.provider)
    category = await factory.category()
    past_only = await factory.listing(provider, category, title="往期讲座", sessions=[(-3, 5)])
    later = await factory.listing(provider, category, title="月底讲座", sessions=[(20, 5)])
    available, soonest = await assert_menu_exact(client, engine, factory.market_id)
    assert available == [later.id] and soonest == [later.id, past_only.id]

    start = utcnow() + timedelta(days=2)
    added = await client.post(
        f"/api/v1/listings/{past_only.id}/sessions",
        json={"sessions": [{"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}]},
        headers=factory.headers(provider),
    )
    assert added.status_code == 200, added.text
    available, soonest = await assert_menu_exact(client, engine, factory.market_id)
    assert available == sorted([past_only.id, later.id]) and soonest == [past_only.id, later.id]
    assert await menu(client, q="讲座", sort="soon") == soonest  # a search's title order first, then soonest
    assert await menu(client, q="月底", sort="soon") == [later.id]

    new_session = next(s for s in await factory.sessions_of(past_only) if s.starts_at > utcnow())
    called_off = await client.post(
        f"/api/v1/sessions/{new_session.id}/cancel", json={"reason": "场地维修"}, headers=factory.headers(provider)
    )
    assert called_off.status_code == 200, called_off.text
    available, soonest = await assert_menu_exact(client, engine, factory.market_id)
    assert available == [later.id] and soonest == [later.id, past_only.id]


async def test_two_sessions_filling_at_once_leave_the_listing_full(factory, engine):
    """Each filling session's writer recounts the listing's free sessions: the second waits for the first's
    commit and counts what it wrote, so neither leaves the other's session counted as free."""
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(1, 1), (2, 1)])
    one, two = await factory.sessions_of(listing)
    fill = sa.update(ListingSession).values(seats_taken=ListingSession.capacity)
    async with engine.connect() as a, engine.connect() as b:
        await a.execute(fill.where(ListingSession.id == one.id))  # holds the listing until it commits

        async def second():
            await b.execute(fill.where(ListingSession.id == two.id))
            await b.commit()

        pid = await backend(b)
        waiting = asyncio.create_task(second())
        assert await blocked_on_a_lock(engine, pid)  # the second writer waits for the listing
        assert not waiting.done()
        await a.commit()
        await waiting
    assert (await kept(engine, listing.id)).seats_open_until is None


async def test_a_session_filling_does_not_deadlock_with_an_order_being_written(factory, engine):
    """Writing an order holds a KEY SHARE lock on its listing (the foreign key) and then waits for the
    session's row; the writer that fills the session holds that row and refreshes the listing: its lock on
    the listing must not wait for the KEY SHARE one (found by bench/orders.py: 500s from deadlocks)."""
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), sessions=[(1, 2)])
    (session,) = await factory.sessions_of(listing)
    row = sa.update(ListingSession).where(ListingSession.id == session.id)
    async with engine.begin() as conn:
        await conn.execute(row.values(seats_taken=1))
    async with engine.connect() as filling, engine.connect() as ordering:
        await filling.execute(row.values(seats_taken=1))  # holds the session's row
        await ordering.execute(
            sa.select(Listing.id).where(Listing.id == listing.id).with_for_update(read=True, key_share=True)
        )

        async def order():
            await ordering.execute(row.values(seats_taken=ListingSession.seats_taken - 1))
            await ordering.commit()

        pid = await backend(ordering)
        waiting = asyncio.create_task(order())
        assert await blocked_on_a_lock(engine, pid)  # the order waits for the session's row
        assert not waiting.done()
        await filling.execute(row.values(seats_taken=2))  # full: the listing is refreshed
        await filling.commit()
        await waiting
    assert (await kept(engine, listing.id)).seats_open_until == session.starts_at  # a seat free again


async def test_time_passing_keeps_the_menu_exact_and_the_scan_moves_the_next_session_on(client, factory, engine, jobs):
    """The one change no statement makes. A session starts three seconds from now, with no write at its start:
    the menu is exact at once (available compares the last free start with now; soonest computes the next
    start of a listing whose kept one has passed), and the worker's scan then moves the kept start on."""
    provider = await factory.user(Role.provider)
    category = await factory.category()
    starting = await factory.listing(provider, category, title="即将开始", sessions=[(1, 5), (2, 1)])
    tomorrow = await factory.listing(provider, category, title="明日", sessions=[(1, 5)])
    later = await factory.listing(provider, category, title="后天", sessions=[(3, 5)])
    first, full = await factory.sessions_of(starting)
    await factory.move_session(first.id, timedelta(seconds=3))
    first = (await factory.sessions_of(starting))[0]
    member = await factory.user()
    order = await client.post(
        "/api/v1/orders", json={"listing_id": starting.id, "session_id": full.id}, headers=factory.headers(member)
    )
    assert order.status_code == 201, order.text
    await assert_menu_exact(client, engine, factory.market_id)

    async with engine.connect() as conn:  # no test clock here: the database's own has to pass the start
        wait = sa.func.greatest(0, sa.extract("epoch", first.starts_at - sa.func.clock_timestamp())) + 0.05
        await conn.execute(sa.select(sa.func.pg_sleep(wait)))
    stale = await kept(engine, starting.id)
    assert stale.next_session_at <= utcnow()  # nothing wrote the listing: its kept start has passed

    available, soonest = await assert_menu_exact(client, engine, factory.market_id)
    assert available == sorted([tomorrow.id, later.id])  # what is left of it is full
    assert soonest == [tomorrow.id, starting.id, later.id]

    assert (await jobs.scan(utcnow()))["listing_seats"] == 1
    refreshed = await kept(engine, starting.id)
    assert refreshed.next_session_at == full.starts_at
    assert (await jobs.scan(utcnow()))["listing_seats"] == 0
    assert (await assert_menu_exact(client, engine, factory.market_id))[1] == soonest
