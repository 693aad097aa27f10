"""Satisfaction figures (满意度测评) per listing, provider, domain and batch, for a period, with response rate,
satisfaction rate and trend — from orders signed off and surveys answered through the API (issue #14, item 6)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Batch, Listing, OrderEvent
from marketplace.models.base import utcnow


async def _signed_off(client, factory, listing, members) -> list[int]:
    """Each member orders the listing's session, the provider delivers it and the member signs it off."""
    ids = []
    for member in members:
        placed = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
        assert placed.status_code == 201, placed.text
        ids.append(placed.json()["id"])
    await factory.move_session((await factory.sessions_of(listing))[0].id, timedelta(minutes=-5))
    async with factory.sessionmaker() as db:
        provider = await db.get(type(members[0]), listing.provider_id)
    for order_id, member in zip(ids, members, strict=True):
        delivered = await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=factory.headers(provider))
        assert delivered.status_code == 200, delivered.text
        received = await client.post(f"/api/v1/orders/{order_id}/receive", headers=factory.headers(member))
        assert received.status_code == 200, received.text
    return ids


async def _answer(client, factory, member, order_id, overall, recommend, as_arranged=True):
    body = {"overall": overall, "as_arranged": as_arranged, "recommend": recommend}
    answered = await client.post(f"/api/v1/orders/{order_id}/survey", json=body, headers=factory.headers(member))
    assert answered.status_code == 201, answered.text


async def _in_batch(factory, listing, name: str) -> int:
    async with factory.sessionmaker() as db, db.begin():
        batch = Batch(market_id=factory.market_id, name=name)
        db.add(batch)
        await db.flush()
        await db.execute(sa.update(Listing).where(Listing.id == listing.id).values(batch_id=batch.id))
        return batch.id


@pytest.fixture
async def market(client, factory):
    education = await factory.category("教育培训", name_en="Education")
    calligraphy = await factory.category("书法培训", parent=education, name_en="Calligraphy")
    legal = await factory.category("法律服务", name_en="Legal")
    labour = await factory.category("劳动争议", parent=legal, name_en="Labour disputes")
    teacher = await factory.provider([calligraphy], name="王老师")
    lawyer = await factory.provider([labour], name="李律师")
    brush = await factory.listing(teacher, calligraphy, title="毛笔字入门", auto_accept=True)
    law = await factory.listing(lawyer, labour, title="劳动合同咨询", auto_accept=True)
    first, second = await _in_batch(factory, brush, "第一批"), await _in_batch(factory, law, "第二批")
    m = await factory.members(6)
    b1, b2, b3 = await _signed_off(client, factory, brush, m[:3])
    l1, l2, old = await _signed_off(client, factory, law, m[3:])
    await _answer(client, factory, m[0], b1, 5, True)
    await _answer(client, factory, m[1], b2, 2, False)  # poor: a follow-up case
    # m[2] never answers
    await _answer(client, factory, m[3], l1, 4, True)
    await _answer(client, factory, m[4], l2, 3, False)
    await _answer(client, factory, m[5], old, 5, True)
    async with factory.sessionmaker() as db, db.begin():  # signed off 60 days ago: outside the last 30 days
        await db.execute(
            sa.update(OrderEvent)
            .where(OrderEvent.order_id == old, OrderEvent.to_state == "received")
            .values(at=utcnow() - timedelta(days=60))
        )
    return {
        "education": education.id,
        "legal": legal.id,
        "teacher": teacher.id,
        "lawyer": lawyer.id,
        "brush": brush.id,
        "law": law.id,
        "first": first,
        "second": second,
    }


def _figures(row) -> tuple:
    keys = ("signed_off", "answered", "satisfied", "recommend", "poor")
    return tuple(row[k] for k in keys) + (row["response_rate"], row["satisfaction_rate"], row["recommend_rate"])


async def test_the_period_has_its_response_and_satisfaction_rates_and_a_row_per_listing_provider_domain_batch(
    client, factory, market
):
    staff = factory.headers(await factory.user(Role.curator))
    url = "/api/v1/admin/satisfaction"
    month = await client.get(f"{url}?period=30d&by=listing", headers=staff)
    assert month.status_code == 200, month.text
    found = month.json()
    assert _figures(found["total"]) == (5, 4, 2, 2, 1, 0.8, 0.5, 0.5)
    rows = {r["id"]: _figures(r) for r in found["rows"]}
    assert rows == {
        market["brush"]: (3, 2, 1, 1, 1, 0.6667, 0.5, 0.5),
        market["law"]: (2, 2, 1, 1, 0, 1.0, 0.5, 0.5),
    }
    assert {r["name"] for r in found["rows"]} == {"毛笔字入门", "劳动合同咨询"}
    expected = {"provider": ("teacher", "lawyer"), "domain": ("education", "legal"), "batch": ("first", "second")}
    for by, (of_brush, of_law) in expected.items():
        rows = (await client.get(f"{url}?period=30d&by={by}", headers=staff)).json()["rows"]
        assert {r["id"]: _figures(r) for r in rows} == {
            market[of_brush]: (3, 2, 1, 1, 1, 0.6667, 0.5, 0.5),
            market[of_law]: (2, 2, 1, 1, 0, 1.0, 0.5, 0.5),
        }, by
    domains = (await client.get(f"{url}?period=30d&by=domain", headers=staff)).json()["rows"]
    assert {(r["name"], r["name_en"]) for r in domains} == {("教育培训", "Education"), ("法律服务", "Legal")}

    # the trend: a point a day over the 30 days, today's holding the five sign-offs
    assert found["unit"] == "day" and len(found["trend"]) == 30
    assert _figures(found["trend"][-1]) == (5, 4, 2, 2, 1, 0.8, 0.5, 0.5)
    assert sum(p["signed_off"] for p in found["trend"]) == 5
    assert found["trend"][0]["response_rate"] is None  # a quiet day has no rate, not 0 %

    # all time: the order signed off 60 days ago counts too, in its own month
    ever = (await client.get(f"{url}?period=all&by=listing", headers=staff)).json()
    assert _figures(ever["total"]) == (6, 5, 3, 3, 1, 0.8333, 0.6, 0.6)
    assert ever["unit"] == "month" and sum(p["signed_off"] for p in ever["trend"]) == 6
    assert len([p for p in ever["trend"] if p["signed_off"]]) == 2


async def test_the_figures_are_for_staff_of_the_market_and_refuse_odd_queries(client, factory, market):
    url = "/api/v1/admin/satisfaction"
    assert (await client.get(url)).status_code == 401
    for role in ((), (Role.provider,)):
        assert (await client.get(url, headers=factory.headers(await factory.user(*role)))).status_code == 403
    operator = factory.headers(await factory.user(Role.operator))
    assert (await client.get(url, headers=operator)).json()["by"] == "domain"  # the default breakdown
    for query in ("?period=week", "?by=member", "?by="):
        refused = await client.get(url + query, headers=operator)
        assert refused.status_code == 400, (query, refused.text)
    other = await factory.other_market()
    elsewhere = (await client.get(url, headers=other.headers(await other.user(Role.curator)))).json()
    assert elsewhere["total"]["signed_off"] == 0 and elsewhere["rows"] == []
    assert elsewhere["total"]["response_rate"] is None
