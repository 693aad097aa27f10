"""Counselling and legal help (PIPL, issue #12): the member of an order in a confidential category is named to
the member and the provider, and to staff only while the order waits for them (escalated or disputed) —
in the API, on the desk's pages, in its search and in the orders export."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Order
from marketplace.models.base import utcnow


async def _order_of(client, factory, viewer, order_id: int) -> dict:
    answer = await client.get(f"/api/v1/orders/{order_id}", headers=factory.headers(viewer))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_staff_see_a_confidential_orders_member_only_while_it_waits_for_them(pages, factory, client):
    curator, operator = await factory.user(Role.curator), await factory.user(Role.operator)
    legal = await factory.category("法律咨询", confidential=True)
    labour = await factory.category("劳动争议", parent=legal)  # below a confidential domain: confidential too
    provider = await factory.provider([labour], name="吴律师")
    listing = await factory.listing(provider, labour, title="劳动争议咨询", auto_accept=True)
    calligraphy = await factory.category("书法培训")
    open_listing = await factory.listing(provider, calligraphy, title="书法入门", auto_accept=True)
    member = await factory.user(name="钱师傅")
    m = factory.headers(member)
    placed = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    assert (await client.post("/api/v1/orders", json={"listing_id": open_listing.id}, headers=m)).status_code == 201

    for insider in (member, provider):
        assert (await _order_of(client, factory, insider, order_id))["member"]["name"] == "钱师傅"
    for staff in (curator, operator):
        seen = await _order_of(client, factory, staff, order_id)
        assert seen["member"] == {"id": None, "name": "保密会员", "phone": None}
        assert member.id not in [e["actor_id"] for e in seen["events"] or []]

    pages.login(curator)
    desk = (await pages.get("/desk/orders")).text
    assert "保密会员" in desk and "书法入门" in desk
    assert desk.count("钱师傅") == 1  # the calligraphy order only
    found = (await pages.get("/desk/orders", params={"q": "钱师傅"})).text
    assert "书法入门" in found and "劳动争议咨询" not in found  # a search by name does not tell who asked
    page = (await pages.get(f"/orders/{order_id}")).text
    assert "钱师傅" not in page and "保密会员" in page
    exported = (await pages.get("/desk/export/orders.csv")).text
    [row] = [line for line in exported.splitlines() if "劳动争议咨询" in line]
    assert "钱师傅" not in row and "保密会员" in row and member.phone[-4:] not in row

    # escalated to the staff, or disputed: they must reach the member now, and do
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.update(Order).where(Order.id == order_id).values(escalated_at=utcnow()))
    seen = await _order_of(client, factory, operator, order_id)
    assert (seen["member"]["id"], seen["member"]["name"]) == (member.id, "钱师傅")
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.update(Order).where(Order.id == order_id).values(escalated_at=None, state="disputed"))
    assert (await _order_of(client, factory, curator, order_id))["member"]["name"] == "钱师傅"
    assert "劳动争议咨询" in (await pages.get("/desk/orders", params={"q": "钱师傅"})).text


async def test_the_hidden_member_is_said_in_english_on_english_pages(pages, factory, client):
    curator = await factory.user(Role.curator)
    counselling = await factory.category("心理咨询", confidential=True)
    provider = await factory.provider([counselling])
    listing = await factory.listing(provider, counselling, auto_accept=True)
    member = await factory.user(name="孙女士")
    placed = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    pages.login(curator)
    await pages.get("/lang/en")
    for path in (f"/orders/{placed.json()['id']}", "/desk/orders", "/desk/export/orders.csv"):
        english = (await pages.get(path)).text
        assert "Confidential member" in english and "孙女士" not in english and "保密会员" not in english, path
