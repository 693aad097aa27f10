"""`marketplace demo remove`: the demo people and all they touched go; real people and the category tree stay."""

import asyncio

import sqlalchemy as sa

from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.schemas.orders import OrderIn
from marketplace.services import orders
from marketplace.standalone import remove_demo
from seeds.loader import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data

from ..factories import PASSWORD


async def _count(engine, sql: str) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(sa.text(sql))).scalar_one()


async def test_demo_remove_keeps_real_people_and_the_category_tree(client, factory, settings, engine):
    await load_demo_data(settings)
    demo_curator, demo_password = DEMO_LOGINS["curator"]
    login = await client.post("/api/v1/auth/login", json={"phone": demo_curator, "password": demo_password})
    assert login.status_code == 200
    categories = await _count(engine, "SELECT count(*) FROM categories")
    # 满意度测评 on a fresh start: about two in three members answered after signing off; poor answers opened
    # follow-up cases, old ones resolved with an outcome, recent ones still open
    demo_staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
    figures = (await client.get("/api/v1/admin/satisfaction?period=all&by=domain", headers=demo_staff)).json()
    assert figures["total"]["answered"] > 300 and 0.55 < figures["total"]["response_rate"] < 0.8
    assert 0.75 < figures["total"]["satisfaction_rate"] < 0.98 and len(figures["rows"]) == 7
    assert sum(p["answered"] for p in figures["trend"]) == figures["total"]["answered"]
    for state in ("open", "contacted", "resolved"):
        assert await _count(engine, f"SELECT count(*) FROM follow_up_cases WHERE state = '{state}'") > 0, state
    assert await _count(engine, "SELECT count(*) FROM follow_up_cases WHERE state = 'resolved' AND outcome = ''") == 0
    assert await _count(engine, "SELECT count(*) FROM station_visits") > 1000
    assert await _count(engine, "SELECT count(*) FROM survey_needs") > 5000
    # the demo questionnaire's unsure answers wait in the review queue; the demo curator files one
    unsure = await _count(engine, "SELECT min(id) FROM survey_needs WHERE confidence < 0.5 AND filed_at IS NULL")
    leaf = await _count(engine, "SELECT min(id) FROM categories WHERE parent_id IS NOT NULL")
    url = f"/api/v1/admin/surveys/answers/{unsure}/category"
    assert (await client.post(url, json={"category_id": leaf}, headers=demo_staff)).status_code == 200
    assert await _count(engine, "SELECT count(*) FROM need_labels WHERE survey_need_id IS NOT NULL") == 1
    assert await _count(engine, "SELECT count(*) FROM stations WHERE rating_count > 0") > 10
    # 免申即享: the demo campaign, started, with answers in
    assert await _count(engine, "SELECT count(*) FROM campaigns WHERE state = 'running'") == 1
    assert await _count(engine, "SELECT count(*) FROM campaign_offers WHERE state = 'accepted'") == 2
    # the demo roster (seeds/roster.py) verified most demo members, flagged one whose name differs
    assert await _count(engine, "SELECT count(*) FROM roster_entries") > 300
    assert await _count(engine, "SELECT count(*) FROM users WHERE verified_source = 'roster'") > 250
    assert await _count(engine, "SELECT count(*) FROM roster_entries WHERE name_differs") == 1
    keeper = await client.post(
        "/api/v1/auth/login", json=dict(zip(("phone", "password"), DEMO_LOGINS["keeper"], strict=True))
    )
    kept = await client.get(
        "/api/v1/keeper/stations", headers={"Authorization": f"Bearer {keeper.json()['access_token']}"}
    )
    assert sorted(s["name"] for s in kept.json()["items"]) == sorted(["深大地铁站驿站", "科技园工会驿站"])  # 站长's two
    # a real member orders a demo listing; a real provider lists a service of their own
    real_member, curator = await factory.user(name="真会员"), await factory.user(Role.curator)
    demo_listing = await _count(
        engine,
        "SELECT min(l.id) FROM listings l JOIN listing_sessions s ON s.listing_id = l.id "
        "WHERE l.state = 'published' AND l.target_groups = '{}' AND s.starts_at > now() + interval '1 day' "
        "AND s.seats_taken < s.capacity",
    )
    ordered = await client.post(
        "/api/v1/orders", json={"listing_id": demo_listing}, headers=factory.headers(real_member)
    )
    assert ordered.status_code == 201
    category = await factory.category()
    real_provider = await factory.provider([category])
    real_listing = await factory.listing(real_provider, category, title="真服务")

    removed = await remove_demo(settings, demo_curator, DEMO_PASSWORD)
    assert removed["people"] > 600 and removed["orders"] > 1000

    assert await _count(engine, "SELECT count(*) FROM users") == 3  # the real member, curator and provider
    assert await _count(engine, "SELECT count(*) FROM categories") == categories + 1
    assert await _count(engine, f"SELECT count(*) FROM listings WHERE id = {real_listing.id}") == 1
    assert await _count(engine, "SELECT count(*) FROM listings") == 1
    assert await _count(engine, "SELECT count(*) FROM orders") == 0  # the order of a demo listing went with it
    assert await _count(engine, "SELECT count(*) FROM reviews") == 0
    assert await _count(engine, "SELECT count(*) FROM satisfaction_surveys") == 0
    assert await _count(engine, "SELECT count(*) FROM follow_up_cases") == 0
    # The union's stations stay; the demo members' visits and ratings of them go, and the averages follow.
    assert await _count(engine, "SELECT count(*) FROM stations") == 24
    assert await _count(engine, "SELECT count(*) FROM station_visits") == 0
    assert await _count(engine, "SELECT count(*) FROM station_keepers") == 0
    assert await _count(engine, "SELECT count(*) FROM survey_needs") == 0  # the demo questionnaire too
    assert await _count(engine, "SELECT count(*) FROM need_labels") == 0  # and what was filed from it
    assert await _count(engine, "SELECT count(*) FROM campaigns") == 0
    assert await _count(engine, "SELECT count(*) FROM campaign_offers") == 0
    assert await _count(engine, "SELECT count(*) FROM roster_entries") == 0  # and the demo roster
    assert await _count(engine, "SELECT count(*) FROM stations WHERE rating_count > 0 OR rating_avg IS NOT NULL") == 0
    gone = await client.post("/api/v1/auth/login", json={"phone": demo_curator, "password": demo_password})
    assert gone.status_code == 401
    demo_token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/v1/me", headers=demo_token)).status_code == 401
    assert (await client.get("/api/v1/me", headers=factory.headers(curator))).status_code == 200
    assert (await remove_demo(settings, demo_curator, DEMO_PASSWORD)) == {"people": 0}  # nothing left to do


async def test_demo_remove_that_meets_the_archive_moving_its_events_runs_again_and_removes_them(
    factory, settings, engine, caplog
):
    # The demo's people are those sharing one password hash; the factory's users share one too.
    provider, member = await factory.user(Role.provider), await factory.user()
    listing = await factory.listing(provider, await factory.category(), auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    async with transaction(factory.sessionmaker) as db:
        order = await orders.place(db, member, OrderIn(listing_id=listing.id, session_id=session_id))
    assert await _count(engine, f"SELECT count(*) FROM order_events WHERE order_id = {order.id}") > 0
    # The worker's archive is moving the order's events to the archive partition, not committed yet.
    async with engine.connect() as archive:
        await archive.execute(sa.text(f"UPDATE order_events SET archived = true WHERE order_id = {order.id}"))
        removing = asyncio.create_task(remove_demo(settings, member.phone, PASSWORD))
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        for _ in range(400):  # until the removal waits for those rows (bounded: it gets there within moments)
            if removing.done() or await _count(engine, waiting):
                break
            await asyncio.sleep(0.05)
        assert not removing.done() and await _count(engine, waiting) == 1
        await archive.commit()  # its first run fails: the rows it waited for moved to another partition
    removed = await asyncio.wait_for(removing, 60)
    assert "demo removal met concurrent work (40001); running it again" in caplog.text
    assert removed["people"] >= 2
    assert await _count(engine, f"SELECT count(*) FROM order_events WHERE order_id = {order.id}") == 0
    assert await _count(engine, f"SELECT count(*) FROM orders WHERE id = {order.id}") == 0
