"""A curator approves a listing into a batch and hides a review, with a reason."""

from datetime import timedelta

from playwright.async_api import expect

from marketplace.domain.roles import Role

from .helpers import log_in


async def _reviewed(factory, client, category):
    provider = await factory.provider([category])
    member = await factory.user(name="刘师傅")
    listing = await factory.listing(provider, category, title="法律咨询", auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session(session.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    await client.post(f"/api/v1/orders/{order['id']}/receive", headers=m)
    await client.post(f"/api/v1/orders/{order['id']}/review", json={"stars": 1, "text": "加微信领红包"}, headers=m)
    return listing


async def test_curator_approves_a_listing_into_a_batch_and_hides_a_review(page, factory, client):
    category = await factory.category("书法培训", slug="calligraphy")
    provider = await factory.provider([category], name="王老师")
    waiting = await factory.listing(provider, category, title="书法培训（硬笔）", state="submitted")
    reviewed = await _reviewed(factory, client, category)
    curator = await factory.user(Role.curator, name="李主任")

    await log_in(page, curator.phone)
    await page.get_by_role("link", name="工会工作台").click()
    await expect(page.get_by_role("heading", name="关键指标")).to_be_visible()
    await page.get_by_role("link", name="发布批次").click()
    await page.get_by_label("名称").fill("第一批")
    await page.get_by_role("button", name="创建").click()
    await expect(page.get_by_role("cell", name="第一批")).to_be_visible()

    await page.get_by_role("link", name="上架审核").click()
    await expect(page.get_by_role("link", name="书法培训（硬笔）")).to_be_visible()
    await page.get_by_label("批次").select_option(label="第一批")
    await page.get_by_role("button", name="审核通过，放入此批次").click()
    await expect(page.get_by_role("status")).to_contain_text("已审核通过并上架")
    await page.goto(f"/listings/{waiting.id}")
    await expect(page.get_by_role("button", name="报名").first).to_be_visible()

    await page.goto("/desk/reviews")
    await expect(page.get_by_text("加微信领红包")).to_be_visible()
    await page.get_by_label("原因").fill("广告内容")
    await page.get_by_role("button", name="隐藏").click()
    await expect(page.get_by_role("status")).to_contain_text("评价已隐藏")
    await page.goto(f"/listings/{reviewed.id}")
    await expect(page.get_by_text("加微信领红包")).to_have_count(0)
