"""A provider accepts offers and delivers a group session with its attendance list."""

from datetime import timedelta

from playwright.async_api import expect

from .helpers import log_in


async def test_provider_accepts_an_offer_and_delivers_with_attendance(page, factory, client):
    category = await factory.category("书法培训", slug="calligraphy")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="书法培训（硬笔）", sessions=((2, 10),))
    session = (await factory.sessions_of(listing))[0]
    came, absent = await factory.user(name="陈来了"), await factory.user(name="林没来")
    for member in (came, absent):
        placed = await client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": session.id}, headers=factory.headers(member)
        )
        assert placed.status_code == 201

    await log_in(page, provider.phone)
    await page.get_by_role("link", name="服务者工作台").click()
    await expect(page.get_by_role("heading", name="待您答复的请求 (2)")).to_be_visible()
    await expect(page.get_by_text("请在").first).to_be_visible()  # the deadline
    for _ in range(2):
        await page.get_by_role("button", name="接单").first.click()
        await expect(page.get_by_role("status")).to_contain_text("已接单")
        await page.goto("/provider")
    await expect(page.get_by_role("heading", name="已接单，待服务 (2)")).to_be_visible()

    await factory.move_session(session.id, timedelta(minutes=-15))  # the session has started
    await page.get_by_role("link", name="我的日程").click()
    await page.get_by_role("link", name="签到并完成服务").click()
    await page.get_by_label("林没来").uncheck()
    await page.get_by_role("button", name="保存签到并标记已服务").click()
    await expect(page.get_by_role("status")).to_contain_text("签到已保存")
    await expect(page.get_by_text("陈来了 — 已服务，请签收")).to_be_visible()
    await expect(page.get_by_text("林没来 — 缺席")).to_be_visible()
