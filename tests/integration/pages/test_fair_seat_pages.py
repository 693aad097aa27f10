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
