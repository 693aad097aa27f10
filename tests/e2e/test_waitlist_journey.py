"""A full class on a phone: the member double-taps 候补报名, is told their place in line, refreshes, and is
promoted when a seat comes free; another member who joined later is told the next place."""

import re

from playwright.async_api import expect

from marketplace.domain.roles import Role

from .helpers import log_in


async def test_a_member_joins_the_waiting_list_is_told_the_place_and_is_promoted(page, factory, client):
    provider = await factory.user(Role.provider, name="陈老师")
    category = await factory.category("书法培训")
    listing = await factory.listing(provider, category, title="周末书法班", sessions=[(3, 1)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    seated, later = await factory.members(2)
    body = {"listing_id": listing.id, "session_id": session_id}
    taken = await client.post("/api/v1/orders", json=body, headers=factory.headers(seated))
    assert taken.status_code == 201 and taken.json()["state"] == "accepted"  # the one seat is gone

    member = await factory.user(name="刘师傅")
    await log_in(page, member.phone)
    await page.goto(f"/listings/{listing.id}")
    join = page.get_by_role("button", name=re.compile(r"^候补 .+ 的场次$"))  # its label names the session
    await expect(join).to_have_text("候补报名")
    await join.dblclick()  # a double tap
    await expect(page.get_by_role("status")).to_contain_text("该场次已满，您已进入候补名单")
    await expect(page.get_by_text("候补第 1 位")).to_be_visible()
    order_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    await page.reload()
    await expect(page.get_by_text("候补第 1 位")).to_be_visible()

    # Someone later is second; the double tap made one order, not two.
    second = await client.post("/api/v1/orders", json=body, headers=factory.headers(later))
    assert second.status_code == 201 and second.json()["waitlist_position"] == 2
    mine = await client.get("/api/v1/orders", headers=factory.headers(member))
    assert [o["id"] for o in mine.json()["items"]] == [order_id]

    # The seat comes free: the first in line gets it, and the page says so.
    cancel = await client.post(f"/api/v1/orders/{taken.json()['id']}/cancel", json={}, headers=factory.headers(seated))
    assert cancel.status_code == 200, cancel.text
    await page.reload()
    await expect(page.get_by_text("候补第 1 位")).to_have_count(0)
    await expect(page.locator(".badge").first).to_have_text("已接单")
    again = await client.get(f"/api/v1/orders/{second.json()['id']}", headers=factory.headers(later))
    assert again.json()["waitlist_position"] == 1
