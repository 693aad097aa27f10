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


async def test_provider_cancels_an_accepted_order_after_the_confirmation_step(page, factory, client):
    category = await factory.category("急救培训")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="急救知识科普", sessions=((2, 1),), auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    member, waiting = await factory.user(name="陈师傅"), await factory.user(name="林师傅")
    ids = []
    for who in (member, waiting):
        placed = await client.post(
            "/api/v1/orders", json={"listing_id": listing.id, "session_id": session.id}, headers=factory.headers(who)
        )
        ids.append(placed.json()["id"])

    await log_in(page, provider.phone)
    await page.goto(f"/orders/{ids[0]}")
    await page.locator("summary", has_text="取消订单（无法服务）").click()
    step = page.locator("#provider_cancel-step")
    await expect(step).to_contain_text("名额将被释放")
    await expect(step).to_contain_text("取消后无法撤销")
    await page.get_by_role("button", name="确认取消订单").click()  # the reason left empty, as the form stands
    await expect(page.locator("#e-provider_cancel\\.reason")).to_be_visible()
    await page.get_by_label("原因", exact=True).fill("那天临时出差")
    await page.get_by_role("button", name="确认取消订单").dblclick()  # a double tap acts once
    await expect(page.get_by_role("status")).to_contain_text("订单已取消，已通知会员")
    await expect(page.locator(".badge").first).to_have_text("已取消")
    await page.reload()  # a refresh after the POST sends nothing again
    await expect(page.locator(".timeline")).to_contain_text("服务者取消了订单")

    shown = (await client.get(f"/api/v1/orders/{ids[0]}", headers=factory.headers(member))).json()
    assert [e["action"] for e in shown["events"]].count("provider_cancel") == 1
    promoted = (await client.get(f"/api/v1/orders/{ids[1]}", headers=factory.headers(waiting))).json()
    assert promoted["state"] == "accepted"
    told = (await client.get("/api/v1/notifications", headers=factory.headers(member))).json()["items"]
    assert any(n["body"] == "服务者无法提供本次服务，已取消订单。原因：那天临时出差" for n in told)
