"""The supply gap and the needs list count every kind of demand — needs posted, waitlist places, needs that
expired unmet — against the supply of the period — listings, sessions, seats offered and taken, providers able
to serve — the largest gap first (issue #14, items 3 and 4). Survey answers are counted in
workers/test_survey_import.py."""

from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Order


async def test_demand_of_every_kind_against_the_supply_of_the_period_largest_gap_first(client, factory):
    legal = await factory.category("法律服务", name_en="Legal")
    labour = await factory.category("劳动争议", parent=legal, name_en="Labour disputes")
    family = await factory.category("婚姻家事", parent=legal, name_en="Family law")
    lawyer = await factory.provider([labour], skills=["劳动法"])
    await factory.provider([legal], skills=["法律援助"])  # serves the whole domain, so labour too
    scarce = await factory.listing(lawyer, labour, title="欠薪咨询", sessions=[(3, 1)], auto_accept=True)
    await factory.listing(lawyer, family, title="婚姻家事讲座", sessions=[(3, 30)], auto_accept=True)
    a, b, c, d, e = await factory.members(5)
    taken = await client.post("/api/v1/orders", json={"listing_id": scarce.id}, headers=factory.headers(a))
    waiting = await client.post("/api/v1/orders", json={"listing_id": scarce.id}, headers=factory.headers(b))
    assert taken.json()["state"] == "accepted" and waiting.json()["state"] == "waitlisted"
    need = {"category_id": labour.id, "title": "公司拖欠三个月工资怎么办"}
    assert (await client.post("/api/v1/orders", json=need, headers=factory.headers(c))).status_code == 201
    expired = (await factory.needs([d], labour, 1, title="被辞退没有补偿"))[0]
    async with factory.sessionmaker() as db, db.begin():  # nobody took it within its window (the deadline job)
        await db.execute(sa.update(Order).where(Order.id == expired).values(state="expired"))
    one_family_need = {"category_id": family.id, "title": "离婚后孩子抚养费怎么要"}
    assert (await client.post("/api/v1/orders", json=one_family_need, headers=factory.headers(e))).status_code == 201

    curator = factory.headers(await factory.user(Role.curator))
    today = date.today()
    period = {"since": (today - timedelta(days=30)).isoformat(), "until": (today + timedelta(days=10)).isoformat()}
    gaps = await client.get("/api/v1/admin/gaps", params=period, headers=curator)
    assert gaps.status_code == 200, gaps.text
    rows = {g["category_id"]: g for g in gaps.json()["items"]}
    first = gaps.json()["items"][0]
    assert first["category_id"] == labour.id  # the largest gap first
    kinds = ("survey", "posted", "waitlist", "expired", "demand")
    supply = ("listings", "sessions", "seats", "seats_taken", "providers", "gap")
    assert tuple(first[k] for k in kinds) == (0, 1, 1, 1, 3)
    assert tuple(first[k] for k in supply) == (1, 1, 1, 1, 2, 3)  # no free seat: the whole demand is the gap
    family_row = rows[family.id]
    assert tuple(family_row[k] for k in kinds) == (0, 1, 0, 0, 1)
    assert tuple(family_row[k] for k in supply) == (1, 1, 30, 0, 1, 0)  # 30 free seats cover it; the domain's provider

    # a period that ended before any of it: no demand, no sessions, no gap (the listings stand as they are)
    before = {"since": "2020-01-01", "until": "2020-12-31"}
    old = (await client.get("/api/v1/admin/gaps", params=before, headers=curator)).json()["items"]
    assert {(g["demand"], g["sessions"], g["seats"], g["gap"]) for g in old} == {(0, 0, 0, 0)}

    listed = await client.get("/api/v1/admin/needs/list", params=period, headers=curator)
    assert listed.status_code == 200, listed.text
    needs = {r["category_id"]: r for r in listed.json()["items"]}
    # the needs list counts what members asked for: both needs posted (one since expired) and the waitlist place
    assert (needs[labour.id]["posted"], needs[labour.id]["waitlist"], needs[labour.id]["total"]) == (2, 1, 3)
    assert sum(needs[labour.id]["groups"].values()) == 3
    assert (needs[family.id]["posted"], needs[family.id]["total"]) == (1, 1)
    assert listed.json()["total"] == 4
