"""限额 and 抽签 in the pages: the desk sets a quota by its form; a member is told in Chinese when they may
order again; a registration is withdrawn from its order page."""

import re

from marketplace.domain.roles import Role

from ..test_fair_seats import lottery_session


async def test_curator_sets_and_removes_a_quota_and_a_member_is_told_why_not(pages, factory, client):
    curator = await factory.user(Role.curator)
    provider = await factory.user(Role.provider)
    camps = await factory.category("夏令营")
    listing = await factory.listing(provider, camps, sessions=[(3, 5), (4, 5)], auto_accept=True)
    first, second = await factory.sessions_of(listing)
    pages.login(curator)
    shown = await pages.get("/desk/quotas")
    assert shown.status_code == 200 and "暂无限额" in shown.text
    refused = await pages.post("/desk/quotas", {"category_id": str(camps.id), "max_per_period": "1"})
    assert refused.status_code == 400
    done = await pages.post("/desk/quotas", {"category_id": str(camps.id), "max_per_period": "1", "period_days": "365"})
    assert done.status_code == 303 and done.headers["location"] == "/desk/quotas?ok=created"
    listed = await pages.get("/desk/quotas")
    assert "365 天内 1 单" in listed.text

    member = await factory.user()
    pages.login(member)
    assert (await pages.post(f"/listings/{listing.id}/order", {"session_id": str(first.id)})).status_code == 303
    again = await pages.post(f"/listings/{listing.id}/order", {"session_id": str(second.id)})
    assert again.status_code == 409
    assert re.search(r"此类服务 365 天内最多下 1 单；您可在 \d{4}-\d\d-\d\d 起再次下单。", again.text)

    pages.login(curator)
    quota_id = (await client.get("/api/v1/admin/quotas", headers=factory.headers(curator))).json()[0]["id"]
    assert (await pages.post(f"/desk/quotas/{quota_id}/delete")).status_code == 303
    assert "暂无限额" in (await pages.get("/desk/quotas")).text


async def test_a_member_withdraws_a_registration_from_its_page(pages, factory, client):
    listing, session_id, _ = await lottery_session(client, factory, 2)
    member = await factory.user()
    pages.login(member)
    placed = await pages.post(f"/listings/{listing.id}/order", {"session_id": str(session_id)})
    assert placed.status_code == 303 and placed.headers["location"].endswith("?ok=registered")
    order_page = await pages.get(placed.headers["location"])
    assert "已报名抽签" in order_page.text and "退出抽签" in order_page.text
    order_id = int(placed.headers["location"].split("?")[0].rsplit("/", 1)[1])
    gone = await pages.post(f"/orders/{order_id}/withdraw")
    assert gone.status_code == 303
    assert "已取消" in (await pages.get(f"/orders/{order_id}")).text


async def test_staff_see_seats_by_group_and_others_do_not(pages, factory, client, engine, settings):
    from datetime import timedelta

    from marketplace.db import make_sessionmaker
    from marketplace.models.base import utcnow
    from marketplace.services import lottery

    from ..test_fair_seats import bulk_members, register_all

    listing, session_id, _ = await lottery_session(client, factory, 3, percent=34, groups=["hardship"])
    crowd = await bulk_members(factory, 6, lambda i: ["hardship"] if i < 2 else [])
    await register_all(client, factory, listing, session_id, crowd)
    async with make_sessionmaker(engine, settings)() as db, db.begin():
        await lottery.run(db, session_id, now=utcnow() + timedelta(hours=3))
    curator = await factory.user(Role.curator)
    pages.login(curator)
    shown = await pages.get(f"/desk/sessions/{session_id}/seats")
    assert shown.status_code == 200
    # 34 % of 3 seats keeps 1 for the hardship group: at least one of its two members holds a seat
    row = re.search(r"<td>困难职工</td><td>(\d+)</td><td>(\d+)</td>", shown.text)
    assert row and int(row.group(1)) >= 1 and int(row.group(1)) + int(row.group(2)) == 2
    assert "<td>所有人</td><td>3</td><td>3</td>" in shown.text  # 3 seated, 3 waiting
    pages.login(crowd[0])
    assert (await pages.get(f"/desk/sessions/{session_id}/seats")).status_code in (302, 303, 403)
