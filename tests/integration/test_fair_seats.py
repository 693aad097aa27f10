"""Issue #15: a verifiable draw with a priority reserve, exactly once; quotas under bursts."""

import asyncio
import itertools
import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from marketplace import auth
from marketplace.cli import verify_published
from marketplace.db import make_engine, make_sessionmaker
from marketplace.domain import lottery as rules
from marketplace.domain.roles import Role
from marketplace.models import ListingSession, LoginSession, LotteryDraw, Notification, Order, User
from marketplace.models.base import utcnow
from marketplace.services import lottery, orders

from ..factories import PASSWORD
from .pages.conftest import Pages

_phones = itertools.count(secrets.randbelow(10**8) * 10)


async def bulk_members(factory, n: int, groups_of=lambda i: []) -> list[User]:
    """n members written at once (a burst test needs thousands), each with a login session."""
    password_hash = auth.hash_password(factory.settings, PASSWORD)
    async with factory.sessionmaker() as db, db.begin():
        users = [
            User(
                market_id=factory.market_id,
                phone=f"17{next(_phones):09d}",
                name=f"会员{i}",
                password_hash=password_hash,
                roles=[Role.member.value],
                groups=list(groups_of(i)),
            )
            for i in range(n)
        ]
        db.add_all(users)
        await db.flush()
        sessions = [
            LoginSession(user_id=u.id, expires_at=utcnow() + timedelta(hours=factory.settings.token_ttl_hours))
            for u in users
        ]
        db.add_all(sessions)
        await db.flush()
        for u, s in zip(users, sessions, strict=True):
            factory._tokens[u.id] = auth.issue_token(factory.settings, u.id, s.id)
    return users


async def lottery_session(client, factory, capacity: int, percent: int = 0, groups=(), auto_accept=True, **draw):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    listing = await factory.listing(
        provider, await factory.category(), title="暑期夏令营", sessions=[(10, capacity)], auto_accept=auto_accept
    )
    session_id = (await factory.sessions_of(listing))[0].id
    h = factory.headers(curator)
    if percent:
        r = await client.put(
            f"/api/v1/admin/sessions/{session_id}/reserve", json={"percent": percent, "groups": list(groups)}, headers=h
        )
        assert r.status_code == 200, r.text
    now = utcnow()
    body = {
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "draw_at": (now + timedelta(hours=2)).isoformat(),
        **draw,
    }
    r = await client.put(f"/api/v1/admin/sessions/{session_id}/draw", json=body, headers=h)
    assert r.status_code == 200, r.text
    return listing, session_id, r.json()


async def register_all(client, factory, listing, session_id, members, width: int = 100) -> list:
    gate = asyncio.Semaphore(width)

    async def one(member):
        async with gate:
            return await client.post(
                "/api/v1/orders",
                json={"listing_id": listing.id, "session_id": session_id},
                headers=factory.headers(member),
            )

    return await asyncio.gather(*(one(m) for m in members))


async def run_draw(sessionmaker, session_id: int, after: timedelta = timedelta(hours=3)) -> str:
    async with sessionmaker() as db, db.begin():
        return await lottery.run(db, session_id, now=utcnow() + after)


async def states(engine, session_id: int) -> dict[int, tuple[str, int | None, bool]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(Order.id, Order.state, Order.draw_rank, Order.holds_seat).where(Order.session_id == session_id)
        )
        return {r.id: (r.state, r.draw_rank, r.holds_seat) for r in rows}


async def seats_taken(engine, session_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(sa.select(ListingSession.seats_taken).where(ListingSession.id == session_id))
        ).scalar_one()


async def test_burst_of_2000_registrations_for_30_seats_with_a_20_percent_reserve(client, factory, engine, settings):
    sessionmaker = make_sessionmaker(engine, settings)
    listing, session_id, opened = await lottery_session(
        client, factory, 30, percent=20, groups=["new_employment", "hardship"]
    )
    # Published at opening: the commitment and nothing of the seed.
    assert opened["state"] == "open" and len(opened["commitment"]) == 64
    assert opened["seed"] is None and opened["entries"] is None and opened["results"] is None
    crowd = await bulk_members(
        factory, 2000, lambda i: ["new_employment"] if i % 20 == 0 else (["hardship"] if i % 37 == 0 else [])
    )
    responses = await register_all(client, factory, listing, session_id, crowd)
    assert [r.status_code for r in responses if r.status_code != 201] == []
    assert {r.json()["state"] for r in responses} == {"registered"}
    assert await seats_taken(engine, session_id) == 0  # a registration holds no seat
    # a second registration of the same member is refused
    again = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(crowd[0])
    )
    assert again.status_code == 409
    # one withdraws before the close: not an entry
    withdrawn = responses[1].json()["id"]
    r = await client.post(f"/api/v1/orders/{withdrawn}/withdraw", headers=factory.headers(crowd[1]))
    assert r.status_code == 200 and r.json()["state"] == "cancelled"

    # The seed is never shown before the draw.
    before = (await client.get(f"/api/v1/sessions/{session_id}/draw")).json()
    assert before["seed"] is None

    assert await run_draw(sessionmaker, session_id, timedelta(hours=1, minutes=1)) == "closed"
    closed = (await client.get(f"/api/v1/sessions/{session_id}/draw")).json()
    assert closed["state"] == "closed" and closed["seed"] is None
    assert len(closed["entries"]) == 1999 and withdrawn not in closed["entries"]
    assert closed["entries_digest"] == rules.entries_digest(closed["entries"])

    assert await run_draw(sessionmaker, session_id) == "drawn"
    published = (await client.get(f"/api/v1/sessions/{session_id}/draw")).json()
    assert rules.commitment(published["seed"]) == opened["commitment"]
    assert set(published["results"][0]) == {
        "entry",
        "ticket",
        "priority",
        "weight",
        "outcome",
        "reserve",
    }  # no one's groups

    found = await states(engine, session_id)
    accepted = [oid for oid, (state, _, _) in found.items() if state == "accepted"]
    waiting = sorted((rank, oid) for oid, (state, rank, _) in found.items() if state == "waitlisted")
    assert len(accepted) == 30 and await seats_taken(engine, session_id) == 30
    assert sum(1 for _, _, holds in found.values() if holds) == 30
    assert len(waiting) == 1999 - 30
    # draw order: the HMAC order of the published entries; the waiting list follows it
    order = rules.draw_order(published["seed"], published["entries"])
    assert [r["entry"] for r in published["results"]] == order
    assert [oid for _, oid in waiting] == [e for e in order if e not in set(accepted)]
    # the reserve: the first 6 priority entries in draw order won, seated on the reserve
    priority = [r["entry"] for r in published["results"] if r["priority"]]
    reserve = [r["entry"] for r in published["results"] if r["reserve"]]
    assert published["reserve_seats"] == 6 and reserve == priority[:6]
    assert set(reserve) <= set(accepted)
    assert published["figures"]["all"] == {"entries": 1999, "won": 30, "reserve": 6}
    assert published["figures"]["new_employment"]["won"] + published["figures"]["hardship"]["won"] >= 6
    # verify-draw recomputes the same order from the published data alone
    assert verify_published(published) == (order, [])
    # every member is told
    async with engine.connect() as conn:
        told = (
            await conn.execute(
                sa.select(sa.func.count())
                .where(Notification.kind.in_(["draw_won", "draw_waiting"]))
                .where(Notification.data["session_id"].as_integer() == session_id)
            )
        ).scalar_one()
    assert told == 1999
    # a waiting member's position is their place in the draw order's waiting list
    first_waiting = waiting[0][1]
    member = next(m for m, r in zip(crowd, responses, strict=True) if r.json()["id"] == first_waiting)
    shown = (await client.get(f"/api/v1/orders/{first_waiting}", headers=factory.headers(member))).json()
    assert shown["state"] == "waitlisted" and shown["waitlist_position"] == 1

    # a re-run changes nothing
    assert await run_draw(sessionmaker, session_id, timedelta(hours=5)) == "already drawn"
    assert await states(engine, session_id) == found
    # a freed seat goes to the first in draw order
    winner = accepted[0]
    owner = next(m for m, r in zip(crowd, responses, strict=True) if r.json()["id"] == winner)
    r = await client.post(f"/api/v1/orders/{winner}/cancel", json={"reason": "有事"}, headers=factory.headers(owner))
    assert r.status_code == 200, r.text
    after = await states(engine, session_id)
    assert after[first_waiting][0] == "accepted" and await seats_taken(engine, session_id) == 30


async def test_two_draws_at_once_draw_once(client, factory, engine, settings):
    listing, session_id, _ = await lottery_session(client, factory, 3)
    crowd = await bulk_members(factory, 20)
    await register_all(client, factory, listing, session_id, crowd)
    # two workers, each with its own connection, at the same moment
    own = make_engine(settings.database_url, settings)
    try:
        sessionmaker = make_sessionmaker(own, settings)
        outcomes = await asyncio.gather(run_draw(sessionmaker, session_id), run_draw(sessionmaker, session_id))
    finally:
        await own.dispose()
    assert sorted(outcomes) == ["already drawn", "drawn"]
    found = await states(engine, session_id)
    assert sum(1 for s, _, _ in found.values() if s == "accepted") == 3
    assert await seats_taken(engine, session_id) == 3


async def test_a_draw_aborted_midway_leaves_nothing_and_the_next_run_draws_the_same(client, factory, engine, settings):
    sessionmaker = make_sessionmaker(engine, settings)
    listing, session_id, _ = await lottery_session(client, factory, 4)
    crowd = await bulk_members(factory, 15)
    await register_all(client, factory, listing, session_id, crowd)
    before = await states(engine, session_id)

    class Killed(Exception):
        pass

    with pytest.raises(Killed):
        async with sessionmaker() as db, db.begin():
            assert await lottery.run(db, session_id, now=utcnow() + timedelta(hours=3)) == "drawn"
            await db.flush()
            winners_then = sorted(
                (await db.execute(sa.select(Order.id).where(Order.session_id == session_id, Order.state == "accepted")))
                .scalars()
                .all()
            )
            raise Killed  # the worker dies before the commit
    assert await states(engine, session_id) == before
    assert await seats_taken(engine, session_id) == 0
    async with sessionmaker() as db:
        draw = await db.get(LotteryDraw, session_id)
        assert draw.drawn_at is None and draw.seed is None
    assert await run_draw(sessionmaker, session_id) == "drawn"
    found = await states(engine, session_id)
    assert sorted(oid for oid, (s, _, _) in found.items() if s == "accepted") == winners_then


async def test_draw_setup_and_registration_are_refused_outside_their_rules(client, factory, engine, settings):
    listing, session_id, _ = await lottery_session(client, factory, 2, confirm_hours=12)
    curator = await factory.user(Role.curator)
    member = await factory.user()
    # the times cannot change once registration has opened; a member may not set a draw up
    now = utcnow()
    body = {
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "draw_at": (now + timedelta(hours=2)).isoformat(),
    }
    r = await client.put(f"/api/v1/admin/sessions/{session_id}/draw", json=body, headers=factory.headers(curator))
    assert r.status_code == 409
    r = await client.put(f"/api/v1/admin/sessions/{session_id}/draw", json=body, headers=factory.headers(member))
    assert r.status_code == 403
    bad = {**body, "closes_at": body["opens_at"]}
    r = await client.put(f"/api/v1/admin/sessions/{session_id}/draw", json=bad, headers=factory.headers(curator))
    assert r.status_code == 400
    # after the close, no registration
    r = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(member)
    )
    assert r.status_code == 201
    await run_draw(make_sessionmaker(engine, settings), session_id, timedelta(hours=1, minutes=5))
    late = await factory.user()
    r = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(late)
    )
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    # a winner with a confirmation window must confirm
    await run_draw(make_sessionmaker(engine, settings), session_id)
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(Order.state, Order.confirm_by).where(Order.session_id == session_id))).one()
    assert row.state == "accepted" and row.confirm_by is not None


async def test_the_first_come_path_keeps_the_reserve_for_its_groups(client, factory, engine):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), sessions=[(5, 10)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    r = await client.put(
        f"/api/v1/admin/sessions/{session_id}/reserve",
        json={"percent": 30, "groups": ["hardship"]},
        headers=factory.headers(curator),
    )
    assert r.status_code == 200, r.text
    others = await bulk_members(factory, 12)
    priority = await bulk_members(factory, 5, lambda i: ["hardship"])
    got = await register_all(client, factory, listing, session_id, others)
    assert sorted(r.json()["state"] for r in got).count("accepted") == 7  # 10 seats, 3 kept
    got = await register_all(client, factory, listing, session_id, priority)
    assert [r.json()["state"] for r in got].count("accepted") == 3
    assert await seats_taken(engine, session_id) == 10


# 限额 quotas ----------------------------------------------------------------------------------


async def _place(sessionmaker, member, listing_id, session_id):
    try:
        async with sessionmaker() as db, db.begin():
            await orders.place_listing_order(db, member, listing_id, session_id)
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__


async def test_200_concurrent_orders_of_one_member_never_pass_the_quota(client, factory, engine, settings):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    camps = await factory.category("夏令营")
    listing = await factory.listing(provider, camps, sessions=[(3 + i % 20, 5) for i in range(200)], auto_accept=True)
    sessions = await factory.sessions_of(listing)
    r = await client.post(
        "/api/v1/admin/quotas", json={"category_id": camps.id, "max_live": 3}, headers=factory.headers(curator)
    )
    assert r.status_code == 201, r.text
    member = await factory.user()
    own = make_engine(settings.database_url, settings.model_copy(update={"db_pool_size": 50}))
    try:
        sessionmaker = async_sessionmaker(own, expire_on_commit=False, info={"settings": settings})
        outcomes = await asyncio.gather(*(_place(sessionmaker, member, listing.id, s.id) for s in sessions))
        assert outcomes.count("ok") == 3 and outcomes.count("Conflict") == 197
        # across members: 40 members, 5 orders each at once (200 in all), the same live quota of 3
        crowd = await bulk_members(factory, 40)
        outcomes = await asyncio.gather(
            *(_place(sessionmaker, m, listing.id, sessions[10 + k].id) for m in crowd for k in range(5))
        )
        assert outcomes.count("ok") == 40 * 3
    finally:
        await own.dispose()
    async with engine.connect() as conn:
        per_member = (
            await conn.execute(
                sa.select(Order.member_id, sa.func.count())
                .where(Order.listing_id == listing.id)
                .group_by(Order.member_id)
            )
        ).all()
    assert {n for _, n in per_member} == {3}


async def test_200_concurrent_requests_hold_a_period_quota_for_one_member_and_across_members(client, factory, engine):
    """Through the API as members meet it: 2 camps a year, 200 requests at once from one member, then 200 at
    once from 50 members (4 each)."""
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    camps = await factory.category("夏令营")
    listing = await factory.listing(provider, camps, sessions=[(3 + i % 20, 300) for i in range(200)], auto_accept=True)
    sessions = await factory.sessions_of(listing)
    r = await client.post(
        "/api/v1/admin/quotas",
        json={"category_id": camps.id, "max_per_period": 2, "period_days": 365},
        headers=factory.headers(curator),
    )
    assert r.status_code == 201, r.text

    async def order(member, session):
        return await client.post(
            "/api/v1/orders",
            json={"listing_id": listing.id, "session_id": session.id},
            headers=factory.headers(member),
        )

    (member,) = await bulk_members(factory, 1)
    answers = await asyncio.gather(*(order(member, s) for s in sessions))
    codes = [a.status_code for a in answers]
    # exactly 2 placed; the rest refused by the quota (409), or first by the per-member rate limit (429)
    assert codes.count(201) == 2 and set(codes) == {201, 409, 429} and codes.count(409) >= 20
    refused = next(a for a in answers if a.status_code == 409).json()
    assert "at most 2 orders of this kind in 365 days" in refused["detail"] and refused["extra"]["again_at"]
    crowd = await bulk_members(factory, 50)
    answers = await asyncio.gather(*(order(m, sessions[k * 7]) for m in crowd for k in range(4)))
    assert sorted(a.status_code for a in answers) == [201] * 100 + [409] * 100
    async with engine.connect() as conn:
        per_member = dict(
            (
                await conn.execute(
                    sa.select(Order.member_id, sa.func.count())
                    .where(Order.listing_id == listing.id)
                    .group_by(Order.member_id)
                )
            ).all()
        )
    assert set(per_member.values()) == {2} and len(per_member) == 51


async def test_a_period_quota_says_when_the_member_may_order_again(client, factory):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    camps = await factory.category("夏令营")
    listing = await factory.listing(provider, camps, sessions=[(3, 5), (4, 5), (5, 5)], auto_accept=True)
    sessions = await factory.sessions_of(listing)
    r = await client.post(
        "/api/v1/admin/quotas",
        json={"category_id": camps.id, "max_per_period": 2, "period_days": 365},
        headers=factory.headers(curator),
    )
    assert r.status_code == 201
    member = await factory.user()
    for s in sessions[:2]:
        r = await client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": s.id}, headers=factory.headers(member)
        )
        assert r.status_code == 201
    r = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": sessions[2].id}, headers=factory.headers(member)
    )
    assert r.status_code == 409
    body = r.json()
    assert "at most 2 orders of this kind in 365 days" in body["detail"]
    again = (utcnow() + timedelta(days=365)).date().isoformat()
    assert body["detail"].endswith(f"from {again}.") or "you may order again from" in body["detail"]
    # a cancelled order does not count
    mine = (await client.get("/api/v1/orders?as=member", headers=factory.headers(member))).json()["items"]
    await client.post(
        f"/api/v1/orders/{mine[0]['id']}/cancel", json={"reason": "不去了"}, headers=factory.headers(member)
    )
    r = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": sessions[2].id}, headers=factory.headers(member)
    )
    assert r.status_code == 201
    # the quota API: listed, refused for a member, deleted
    assert len((await client.get("/api/v1/admin/quotas", headers=factory.headers(curator))).json()) >= 1
    r = await client.post("/api/v1/admin/quotas", json={"max_live": 1}, headers=factory.headers(member))
    assert r.status_code == 403
    r = await client.post("/api/v1/admin/quotas", json={"max_per_period": 1}, headers=factory.headers(curator))
    assert r.status_code == 400


async def test_winners_of_a_listing_the_provider_accepts_are_offered_to_the_provider(client, factory, engine, settings):
    listing, session_id, _ = await lottery_session(client, factory, 2, auto_accept=False)
    crowd = await bulk_members(factory, 5)
    await register_all(client, factory, listing, session_id, crowd)
    assert await run_draw(make_sessionmaker(engine, settings), session_id) == "drawn"
    found = await states(engine, session_id)
    assert sorted(s for s, _, _ in found.values()) == ["offered"] * 2 + ["waitlisted"] * 3
    assert await seats_taken(engine, session_id) == 2
    offered = [oid for oid, (s, _, _) in found.items() if s == "offered"]
    async with factory.sessionmaker() as db:
        owners = {(await db.get(Order, oid)).provider_id for oid in offered}
    assert owners == {listing.provider_id}  # each offered to the listing's provider to accept


# Extra weight in the draw, and every mix at once ------------------------------------------------


async def test_a_draw_with_extra_weight_instead_of_a_reserve_is_published_and_verified(
    client, factory, engine, settings
):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), sessions=[(10, 10)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    h = factory.headers(curator)
    no_group = await client.put(
        f"/api/v1/admin/sessions/{session_id}/reserve", json={"percent": 0, "weight": 3}, headers=h
    )
    assert no_group.status_code == 400 and "name at least one group" in no_group.text
    too_heavy = await client.put(
        f"/api/v1/admin/sessions/{session_id}/reserve",
        json={"percent": 0, "groups": ["hardship"], "weight": 11},
        headers=h,
    )
    assert too_heavy.status_code == 400 and "weight" in too_heavy.text
    r = await client.put(
        f"/api/v1/admin/sessions/{session_id}/reserve",
        json={"percent": 0, "groups": ["hardship"], "weight": 4},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["weight"] == 4 and r.json()["groups"] == ["hardship"]
    now = utcnow()
    r = await client.put(
        f"/api/v1/admin/sessions/{session_id}/draw",
        json={
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(hours=1)).isoformat(),
            "draw_at": (now + timedelta(hours=2)).isoformat(),
        },
        headers=h,
    )
    assert r.status_code == 200 and r.json()["priority_weight"] == 4 and r.json()["reserve_percent"] == 0
    crowd = await bulk_members(factory, 200, lambda i: ["hardship"] if i % 10 == 0 else [])
    answers = await register_all(client, factory, listing, session_id, crowd)
    assert {a.status_code for a in answers} == {201}
    assert await run_draw(make_sessionmaker(engine, settings), session_id) == "drawn"
    published = (await client.get(f"/api/v1/sessions/{session_id}/draw")).json()
    hardship = {a.json()["id"] for m, a in zip(crowd, answers, strict=True) if "hardship" in m.groups}
    assert {r["entry"] for r in published["results"] if r["weight"] == 4} == hardship
    assert {r["weight"] for r in published["results"] if r["entry"] not in hardship} == {1}
    # the order is the weighted one (the lowest of each hardship entry's 4 tickets), not the plain one
    weighted = rules.draw_order(published["seed"], published["entries"], dict.fromkeys(hardship, 4))
    assert [r["entry"] for r in published["results"]] == weighted
    assert weighted != rules.draw_order(published["seed"], published["entries"])
    assert verify_published(published) == (weighted, [])
    assert published["reserve_seats"] == 0 and published["figures"]["all"]["won"] == 10
    assert published["figures"]["hardship"]["entries"] == 20
    # the page says who holds how many tickets, and how to check it, in Chinese
    pages = Pages(client, factory)
    client.cookies.clear()
    await pages.get("/lang/zh-CN")
    page = await pages.get(f"/draws/{session_id}")
    client.cookies.clear()
    assert "抽签加权" in page.text and "每人持有 4 张签" in page.text and ":2、:3……直到 :4" in page.text


async def _holders(engine, session_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                sa.select(sa.func.count()).where(Order.session_id == session_id, Order.holds_seat.is_(True))
            )
        ).scalar_one()


async def test_seats_stay_exact_under_a_draw_a_reserve_an_organisation_share_and_promotions(
    client, factory, engine, settings
):
    """20 seats: a 25 % reserve (5) with extra weight, an organisation capped at 40 % booking during the
    registration, 120 registrations, the draw, then cancels, a swap and promotions at the same moment."""
    listing, session_id, _ = await lottery_session(client, factory, 20, percent=25, groups=["hardship"])
    curator = await factory.user(Role.curator)
    r = await client.put(
        f"/api/v1/admin/sessions/{session_id}/reserve",
        json={"percent": 25, "groups": ["hardship"], "weight": 2},
        headers=factory.headers(curator),
    )
    assert r.status_code == 200
    contact = await factory.user(name="车间工会主席")
    made = await client.post(
        "/api/v1/admin/organisations",
        json={"name": f"第{secrets.randbelow(10**6)}车间工会", "contact_phone": contact.phone, "max_share_percent": 40},
        headers=factory.headers(curator),
    )
    assert made.status_code == 201, made.text
    c = factory.headers(contact)
    known = await factory.user(name="老会员")  # a roster person with an account of their own
    people = [{"name": "老会员", "phone": known.phone}]
    people += [{"name": f"工友{i}", "phone": f"139{secrets.randbelow(10**8):08d}"} for i in range(8)]
    over = await client.post(
        "/api/v1/organisation/bookings", json={"session_id": session_id, "people": people}, headers=c
    )
    assert over.status_code == 409 and "at most 8" in over.json()["detail"]  # 40 % of 20
    booked = await client.post(
        "/api/v1/organisation/bookings", json={"session_id": session_id, "people": people[:6]}, headers=c
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    assert await seats_taken(engine, session_id) == 6

    crowd = await bulk_members(factory, 120, lambda i: ["hardship"] if i % 8 == 0 else [])
    answers = await register_all(client, factory, listing, session_id, crowd, width=40)
    assert {a.status_code for a in answers} == {201}
    owner = {a.json()["id"]: m for m, a in zip(crowd, answers, strict=True)}
    assert await run_draw(make_sessionmaker(engine, settings), session_id) == "drawn"
    published = (await client.get(f"/api/v1/sessions/{session_id}/draw")).json()
    assert published["seats"] == 14 and published["reserve_seats"] == 5  # the organisation's 6 were taken before
    assert verify_published(published)[1] == []
    assert await seats_taken(engine, session_id) == 20 and await _holders(engine, session_id) == 20
    reserve = [r["entry"] for r in published["results"] if r["reserve"]]
    assert len(reserve) == 5 and all(r["priority"] for r in published["results"] if r["reserve"])

    found = await states(engine, session_id)
    winners = [r["entry"] for r in published["results"] if r["outcome"] == "won"]
    waiting = [oid for _, oid in sorted((rank, oid) for oid, (s, rank, _) in found.items() if s == "waitlisted")]
    # at once: four winners cancel, one person of the organisation cancels, the organisation swaps another
    org_seats = booking["seats"]
    cancels = [
        client.post(f"/api/v1/orders/{oid}/cancel", json={"reason": "有事"}, headers=factory.headers(owner[oid]))
        for oid in winners[:4]
    ]
    swap = client.post(
        f"/api/v1/organisation/seats/{org_seats[1]['seat_id']}/swap",
        json={"name": "新工友", "phone": f"136{secrets.randbelow(10**8):08d}"},
        headers=c,
    )
    own_cancel = client.post(
        f"/api/v1/orders/{org_seats[0]['order_id']}/cancel",
        json={"reason": "临时加班"},
        headers=factory.headers(known),
    )
    results = await asyncio.gather(*cancels, swap, own_cancel)
    assert [x.status_code for x in results] == [200] * 6, [x.text for x in results]

    after = await states(engine, session_id)
    # five seats freed, five taken by the first five waiting, in draw order; the swap moved a seat, no new one
    promoted = [oid for oid in waiting if after[oid][0] == "accepted"]
    assert promoted == waiting[:5]
    assert all(after[oid][0] == "waitlisted" for oid in waiting[5:])
    assert await seats_taken(engine, session_id) == 20 and await _holders(engine, session_id) == 20
    held = sum(1 for state, _, holds in after.values() if holds and state in ("accepted", "offered"))
    assert held == 20


async def test_a_quota_of_a_domain_counts_its_subcategories_and_a_market_quota_counts_everything(client, factory):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    education = await factory.category("教育")  # a domain
    camps = await factory.category("夏令营", parent=education)
    tutoring = await factory.category("课业辅导", parent=education)
    health = await factory.category("健康")
    listings = [
        await factory.listing(provider, c, sessions=[(3, 5), (4, 5)], auto_accept=True)
        for c in (camps, tutoring, health)
    ]
    h = factory.headers(curator)
    r = await client.post("/api/v1/admin/quotas", json={"category_id": education.id, "max_live": 1}, headers=h)
    assert r.status_code == 201
    member = await factory.user()

    async def order(listing, k=0):
        session = (await factory.sessions_of(listing))[k]
        return await client.post(
            "/api/v1/orders",
            json={"listing_id": listing.id, "session_id": session.id},
            headers=factory.headers(member),
        )

    assert (await order(listings[0])).status_code == 201
    refused = await order(listings[1])  # another category of the same domain
    assert refused.status_code == 409 and "at most 1 live orders of this kind" in refused.json()["detail"]
    assert (await order(listings[2])).status_code == 201  # outside the domain
    # a quota over the whole market counts every order
    r = await client.post("/api/v1/admin/quotas", json={"max_live": 2}, headers=h)
    assert r.status_code == 201 and r.json()["category_id"] is None
    assert (await order(listings[2], 1)).status_code == 409


async def test_first_time_members_are_the_ones_never_served_in_the_draw_and_first_come(
    client, factory, engine, settings
):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    before = await factory.listing(provider, await factory.category(), sessions=[(2, 10)], auto_accept=True)
    members = await bulk_members(factory, 6)
    served, new = members[:3], members[3:]
    for m in served:
        await factory.order_in_state(m, before, "delivered")
    # the draw: the reserve's priority is exactly the members never served
    listing, session_id, _ = await lottery_session(client, factory, 2, percent=50, groups=["first_time"])
    answers = await register_all(client, factory, listing, session_id, members)
    entry_of = {m.id: a.json()["id"] for m, a in zip(members, answers, strict=True)}
    assert await run_draw(make_sessionmaker(engine, settings), session_id) == "drawn"
    published = (await client.get(f"/api/v1/sessions/{session_id}/draw")).json()
    priority = {r["entry"] for r in published["results"] if r["priority"]}
    assert priority == {entry_of[m.id] for m in new}
    first = published["figures"]["first_time"]
    assert first["entries"] == 3 and first["reserve"] == 1 and first["won"] >= 1
    assert verify_published(published)[1] == []
    # first come: the reserved seat is kept from served members, a first-timer takes it
    plain = await factory.listing(provider, await factory.category(), sessions=[(5, 2)], auto_accept=True)
    plain_session = (await factory.sessions_of(plain))[0].id
    r = await client.put(
        f"/api/v1/admin/sessions/{plain_session}/reserve",
        json={"percent": 50, "groups": ["first_time"]},
        headers=factory.headers(curator),
    )
    assert r.status_code == 200
    states_of = []
    for m in (served[0], served[1], new[0]):
        r = await client.post(
            "/api/v1/orders", json={"listing_id": plain.id, "session_id": plain_session}, headers=factory.headers(m)
        )
        states_of.append(r.json()["state"])
    assert states_of == ["accepted", "waitlisted", "accepted"]
