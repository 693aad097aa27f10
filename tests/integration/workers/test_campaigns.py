"""免申即享 (issue #16 item 6): reserved places offered to every eligible member once, passed on when declined
or unanswered, never over-taken, released when the campaign ends — through the API and the worker."""

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Campaign, CampaignOffer, ListingSession, Order
from marketplace.models.base import utcnow
from marketplace.services import campaigns

HARDSHIP, RIDER = "hardship", "new_employment"


async def _seats_campaign(client, factory, places=2, capacity=5, window=48, groups=(RIDER,), days=10):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), title="急救培训", sessions=[(days, capacity)])
    session = (await factory.sessions_of(listing))[0]
    body = {
        "title": "新就业形态劳动者急救培训",
        "kind": "seats",
        "session_id": session.id,
        "places": places,
        "groups": list(groups),
        "window_hours": window,
    }
    r = await client.post("/api/v1/admin/campaigns", json=body, headers=factory.headers(curator))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "draft"
    return curator, session, listing, r.json()["id"]


async def _start(client, factory, curator, campaign_id):
    r = await client.post(f"/api/v1/admin/campaigns/{campaign_id}/start", headers=factory.headers(curator))
    assert r.status_code == 200, r.text
    return r.json()


async def _open_offer(client, factory, member):
    r = await client.get("/api/v1/campaign-offers?open=true", headers=factory.headers(member))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _offers(factory, campaign_id) -> list[CampaignOffer]:
    async with factory.sessionmaker() as db:
        rows = await db.execute(
            sa.select(CampaignOffer).where(CampaignOffer.campaign_id == campaign_id).order_by(CampaignOffer.rank)
        )
        return list(rows.scalars())


async def _seats(factory, session_id) -> int:
    async with factory.sessionmaker() as db:
        return (await db.get(ListingSession, session_id)).seats_taken


async def test_reserve_withholds_seats_and_every_eligible_member_is_offered_once(client, factory, jobs):
    riders = [await factory.user(groups=[RIDER]) for _ in range(4)]
    poor = await factory.user(groups=[HARDSHIP, RIDER])
    outsider = await factory.user(groups=["parent"])
    curator, session, listing, cid = await _seats_campaign(client, factory, places=2, capacity=3)
    assert await _seats(factory, session.id) == 0  # a draft reserves nothing
    started = await _start(client, factory, curator, cid)
    assert started["state"] == "running" and started["seed"]
    assert await _seats(factory, session.id) == 2  # withheld from the public
    assert started["figures"]["eligible"] == 5 and started["figures"]["waiting"] == 2
    # the member in hardship is offered first; the outsider never
    first = await _offers(factory, cid)
    assert first[0].member_id == poor.id and len(first) == 2
    assert not await _open_offer(client, factory, outsider)
    # the public can take the one seat left, and then no more
    public = await factory.user()
    r = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(public))
    assert r.status_code == 201 and r.json()["state"] in ("offered", "accepted"), r.text
    late = await factory.user()
    r = await client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session.id}, headers=factory.headers(late)
    )
    assert r.json()["state"] == "waitlisted", r.text

    # everyone declines in turn: each eligible member is offered exactly once, then the seats go back
    for _ in range(10):
        open_now = [o for o in await _offers(factory, cid) if o.state == "pending"]
        if not open_now:
            break
        for offer in open_now:
            member = next(m for m in [*riders, poor] if m.id == offer.member_id)
            r = await client.post(f"/api/v1/campaign-offers/{offer.id}/decline", headers=factory.headers(member))
            assert r.status_code == 200 and r.json()["state"] == "declined", r.text
    offers = await _offers(factory, cid)
    assert sorted(o.member_id for o in offers) == sorted(m.id for m in [*riders, poor])
    detail = (await client.get(f"/api/v1/admin/campaigns/{cid}", headers=factory.headers(curator))).json()
    assert detail["state"] == "finished"
    f = detail["figures"]
    assert f["offered"] == 5 and f["declined"] == 5 and f["reach"] == 0 and f["seats_released"] == 2
    assert f["unclaimed"] == 2 and f["seats_held"] == 0
    # the released seats went to the waiting list first
    async with factory.sessionmaker() as db:
        waiting = (await db.execute(sa.select(Order).where(Order.member_id == late.id))).scalar_one()
        assert waiting.state != "waitlisted"
    assert await _seats(factory, session.id) == 2


async def test_accept_makes_one_order_and_decline_passes_on(client, factory, jobs):
    members = [await factory.user(groups=[RIDER]) for _ in range(3)]
    curator, session, _, cid = await _seats_campaign(client, factory, places=1)
    await _start(client, factory, curator, cid)
    (offer,) = await _offers(factory, cid)
    first = next(m for m in members if m.id == offer.member_id)
    others = [m for m in members if m.id != first.id]
    # another member cannot answer (nor see) someone else's offer
    r = await client.post(f"/api/v1/campaign-offers/{offer.id}/accept", headers=factory.headers(others[0]))
    assert r.status_code == 404
    r = await client.post(f"/api/v1/campaign-offers/{offer.id}/decline", headers=factory.headers(first))
    assert r.status_code == 200
    # a second tap answers the same; accepting after declining is refused
    r = await client.post(f"/api/v1/campaign-offers/{offer.id}/decline", headers=factory.headers(first))
    assert r.status_code == 200 and r.json()["state"] == "declined"
    r = await client.post(f"/api/v1/campaign-offers/{offer.id}/accept", headers=factory.headers(first))
    assert r.status_code == 409 and r.json()["extra"]["field"] == "state"
    second = (await _offers(factory, cid))[1]
    taker = next(m for m in others if m.id == second.member_id)
    # a double tap on accept: exactly one order
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/campaign-offers/{second.id}/accept", headers=factory.headers(taker)) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [200, 200]
    assert {a.json()["state"] for a in answers} == {"accepted"}
    async with factory.sessionmaker() as db:
        orders = (await db.execute(sa.select(Order).where(Order.member_id == taker.id))).scalars().all()
    assert len(orders) == 1 and orders[0].state == "accepted" and orders[0].holds_seat
    assert await _seats(factory, session.id) == 1  # the campaign's seat passed to the order, no second one
    detail = (await client.get(f"/api/v1/admin/campaigns/{cid}", headers=factory.headers(curator))).json()
    assert detail["state"] == "finished"
    assert detail["figures"]["reach"] == 1 and detail["figures"]["reach_by_group"] == {RIDER: 1}
    r = await client.get(f"/api/v1/orders/{orders[0].id}", headers=factory.headers(taker))
    assert r.json()["events"][-1]["action"] == "take_offered_place"


async def test_concurrent_accepts_cannot_over_take(client, factory, jobs):
    members = [await factory.user(groups=[RIDER]) for _ in range(6)]
    curator, session, _, cid = await _seats_campaign(client, factory, places=3, capacity=3)
    await _start(client, factory, curator, cid)
    offers = await _offers(factory, cid)
    by_id = {m.id: m for m in members}
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/campaign-offers/{o.id}/accept", headers=factory.headers(by_id[o.member_id]))
            for o in offers
            for _ in range(3)
        )
    )
    assert all(a.status_code == 200 for a in answers)
    async with factory.sessionmaker() as db:
        taken = (await db.execute(sa.select(sa.func.count()).select_from(Order))).scalar_one()
        session_now = await db.get(ListingSession, session.id)
    assert taken == 3 and session_now.seats_taken == 3 == session_now.capacity


async def test_expiry_sweep_passes_on_and_runs_once(client, factory, jobs):
    members = [await factory.user(groups=[RIDER]) for _ in range(3)]
    curator, _, _, cid = await _seats_campaign(client, factory, places=1, window=2)
    await _start(client, factory, curator, cid)
    (first,) = await _offers(factory, cid)
    later = utcnow() + timedelta(hours=3)
    found = await jobs.scan(later)
    assert found["campaign_sweep"] == 1
    again = await jobs.scan(later)  # a second scan in the same minute queues nothing more
    assert again["campaign_sweep"] == 1
    assert len(await jobs.rows("campaign_sweep")) == 1
    # two sweeps at once (say two workers): one expires and offers on, the other finds nothing due
    results = await asyncio.gather(
        jobs.run(lambda db: campaigns.sweep(db, cid, later)), jobs.run(lambda db: campaigns.sweep(db, cid, later))
    )
    assert sorted(results)[0].startswith("expired 0") and sorted(results)[1].startswith("expired 1"), results
    await jobs.drain(later)  # the queued job finds nothing left either
    offers = await _offers(factory, cid)
    assert [o.state for o in offers] == ["expired", "pending"] and offers[0].member_id == first.member_id
    assert len(await jobs.notices(first.member_id, "campaign_expired")) == 1
    assert len(await jobs.notices(offers[1].member_id, "campaign_offer")) == 1
    assert {o.member_id for o in offers} <= {m.id for m in members}


async def test_benefit_claim_gets_a_code_and_cancel_releases(client, factory, jobs):
    members = [await factory.user(groups=[HARDSHIP]) for _ in range(3)]
    curator = await factory.user(Role.curator)
    body = {
        "title": "困难职工暖心券",
        "kind": "benefit",
        "benefit_name": "超市购物券 200 元",
        "places": 2,
        "groups": [HARDSHIP],
    }
    h = factory.headers(curator)
    r = await client.post("/api/v1/admin/campaigns", json={**body, "benefit_name": ""}, headers=h)
    assert r.status_code == 400 and r.json()["extra"]["field"] == "benefit_name"
    r = await client.post("/api/v1/admin/campaigns", json=body, headers=h)
    cid = r.json()["id"]
    await _start(client, factory, curator, cid)
    offers = await _offers(factory, cid)
    taker = next(m for m in members if m.id == offers[0].member_id)
    r = await client.post(f"/api/v1/campaign-offers/{offers[0].id}/accept", headers=factory.headers(taker))
    assert r.json()["state"] == "accepted" and len(r.json()["redeem_code"]) == 8
    # another market's curator does not see it
    elsewhere = await factory.other_market()
    stranger = await elsewhere.user(Role.curator)
    for path in (f"/api/v1/admin/campaigns/{cid}", f"/api/v1/admin/campaigns/{cid}/offers"):
        assert (await client.get(path, headers=elsewhere.headers(stranger))).status_code == 404
    r = await client.post(f"/api/v1/admin/campaigns/{cid}/cancel", json={}, headers=elsewhere.headers(stranger))
    assert r.status_code == 404
    assert (await client.get("/api/v1/admin/campaigns", headers=elsewhere.headers(stranger))).json()["total"] == 0
    # a member may not run the desk
    r = await client.post(f"/api/v1/admin/campaigns/{cid}/cancel", json={}, headers=factory.headers(taker))
    assert r.status_code == 403
    r = await client.post(f"/api/v1/admin/campaigns/{cid}/cancel", json={"reason": "预算调整"}, headers=h)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    f = r.json()["figures"]
    assert f["accepted"] == 1 and f["withdrawn"] == 1 and f["unclaimed"] == 1 and f["reach_by_group"] == {HARDSHIP: 1}
    withdrawn = next(o for o in await _offers(factory, cid) if o.state == "withdrawn")
    assert len(await jobs.notices(withdrawn.member_id, "campaign_withdrawn")) == 1
    r = await client.post(f"/api/v1/admin/campaigns/{cid}/cancel", json={}, headers=h)
    assert r.status_code == 409


async def test_cancel_gives_seats_back_and_accepted_stay(client, factory, jobs):
    members = [await factory.user(groups=[RIDER]) for _ in range(3)]
    curator, session, _, cid = await _seats_campaign(client, factory, places=3, capacity=4)
    await _start(client, factory, curator, cid)
    offers = await _offers(factory, cid)
    by_id = {m.id: m for m in members}
    r = await client.post(
        f"/api/v1/campaign-offers/{offers[0].id}/accept", headers=factory.headers(by_id[offers[0].member_id])
    )
    assert r.status_code == 200
    assert await _seats(factory, session.id) == 3
    r = await client.post(f"/api/v1/admin/campaigns/{cid}/cancel", json={}, headers=factory.headers(curator))
    assert r.json()["figures"]["seats_released"] == 2
    assert await _seats(factory, session.id) == 1  # the accepted member's seat stays
    # a session that runs out of seats cannot be reserved beyond what is left
    body = {"title": "再来", "kind": "seats", "session_id": session.id, "places": 4, "groups": [RIDER]}
    r = await client.post("/api/v1/admin/campaigns", json=body, headers=factory.headers(curator))
    assert r.status_code == 409 and r.json()["extra"]["field"] == "places"


async def test_a_session_that_starts_ends_the_campaign(client, factory, jobs):
    [await factory.user(groups=[RIDER]) for _ in range(2)]
    curator, session, _, cid = await _seats_campaign(client, factory, places=1, window=48, days=1)
    await _start(client, factory, curator, cid)
    (offer,) = await _offers(factory, cid)
    assert offer.deadline_at <= session.starts_at + timedelta(seconds=1)  # never after the start
    await jobs.edit(ListingSession, session.id, starts_at=utcnow() - timedelta(minutes=1))
    await jobs.scan(utcnow())
    await jobs.drain()
    async with factory.sessionmaker() as db:
        campaign = await db.get(Campaign, cid)
    assert campaign.state == "finished" and campaign.seats_held == 0


async def test_a_group_service_is_offered_only_to_its_groups(client, factory, jobs):
    provider, curator = await factory.user(Role.provider), await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), target_groups=[RIDER])
    session = (await factory.sessions_of(listing))[0]
    body = {"title": "骑手专场", "kind": "seats", "session_id": session.id, "places": 1, "groups": [RIDER, HARDSHIP]}
    r = await client.post("/api/v1/admin/campaigns", json=body, headers=factory.headers(curator))
    assert r.status_code == 400 and r.json()["extra"]["field"] == "groups", r.text
    for bad in ({**body, "groups": []}, {**body, "places": 0}, {**body, "kind": "seats", "session_id": None}):
        r = await client.post("/api/v1/admin/campaigns", json=bad, headers=factory.headers(curator))
        assert r.status_code == 400, (bad, r.text)
    r = await client.post("/api/v1/admin/campaigns", json={**body, "groups": [RIDER]}, headers=factory.headers(curator))
    assert r.status_code == 201
    # started twice (a double tap): the second is refused, the seats are reserved once
    await factory.user(groups=[RIDER])
    cid = r.json()["id"]
    await _start(client, factory, curator, cid)
    r = await client.post(f"/api/v1/admin/campaigns/{cid}/start", headers=factory.headers(curator))
    assert r.status_code == 409 and r.json()["extra"]["field"] == "state"
    assert await _seats(factory, session.id) == 1
    # with nobody eligible, a campaign ends at its start and gives its seats back
    other = (await factory.sessions_of(await factory.listing(provider, await factory.category())))[0]
    body = {"title": "家长专场", "kind": "seats", "session_id": other.id, "places": 2, "groups": ["parent"]}
    r = await client.post("/api/v1/admin/campaigns", json=body, headers=factory.headers(curator))
    started = await _start(client, factory, curator, r.json()["id"])
    assert started["state"] == "finished" and started["figures"]["seats_released"] == 2
    assert await _seats(factory, other.id) == 0


async def test_a_session_called_off_ends_the_campaign_without_giving_seats_back(client, factory, jobs):
    members = [await factory.user(groups=[RIDER]) for _ in range(2)]
    curator, session, listing, cid = await _seats_campaign(client, factory, places=1)
    await _start(client, factory, curator, cid)
    r = await client.post(
        f"/api/v1/sessions/{session.id}/cancel", json={"reason": "场地维修"}, headers=factory.headers(curator)
    )
    assert r.status_code == 200, r.text
    await jobs.scan(utcnow())
    await jobs.drain()
    async with factory.sessionmaker() as db:
        campaign = await db.get(Campaign, cid)
    assert campaign.state == "finished" and campaign.seats_held == 0 and campaign.seats_released == 0
    assert await _seats(factory, session.id) == 0
    (offer,) = await _offers(factory, cid)
    assert offer.state == "withdrawn" and offer.member_id in {m.id for m in members}
