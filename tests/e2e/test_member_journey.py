"""A member on a phone: registers, finds 书法 by search, orders a seat, later signs off and reviews."""

from datetime import timedelta

from playwright.async_api import expect

from marketplace.domain.roles import Role

from ..codes import last_code
from .helpers import log_in


async def _calligraphy(factory):
    domain = await factory.category("教育培训", slug="education")
    category = await factory.category("书法培训", parent=domain, slug="calligraphy")
    provider = await factory.provider([category], name="王老师", honours=["深圳工匠"], star_level=4)
    listing = await factory.listing(provider, category, title="书法培训（硬笔）", summary="劳模带你练好字")
    programming = await factory.category("少儿编程", parent=domain, slug="kids-programming")
    await factory.listing(provider, programming, title="少儿编程入门", summary="Scratch")
    return provider, listing


async def test_member_registers_finds_calligraphy_orders_then_signs_off_and_reviews(page, factory, client, settings):
    provider, listing = await _calligraphy(factory)

    await page.goto("/")
    await expect(page.get_by_role("heading", name="七大领域")).to_be_visible()
    await page.get_by_role("navigation", name="主菜单").get_by_role("link", name="注册").click()
    await page.get_by_label("手机号").fill("13912345678")
    await page.get_by_role("button", name="获取验证码").click()  # the phone is proven first
    await page.get_by_label("验证码", exact=True).fill(last_code(settings, "13912345678", "register"))
    await page.get_by_label("姓名").fill("刘师傅")
    await page.get_by_label("密码", exact=True).fill("my-password-1")
    await page.get_by_role("button", name="注册").click()
    await expect(page.get_by_role("status")).to_contain_text("欢迎")

    await page.get_by_role("searchbox", name="搜索服务").fill("书法")
    await page.get_by_role("button", name="搜索").click()
    await expect(page.get_by_text("找到 1 项服务")).to_be_visible()
    await page.get_by_role("link", name="书法培训（硬笔）").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("书法培训（硬笔）")
    await expect(page.get_by_text("深圳工匠").first).to_be_visible()
    await page.locator("form[action$='/order'] button").first.click()  # one tap
    await expect(page.get_by_role("status")).to_contain_text("下单成功")
    await expect(page.locator(".badge").first).to_have_text("等待服务者接单")
    order_id = int(page.url.split("?")[0].rsplit("/", 1)[1])

    # The provider accepts and delivers (through the API); later the member comes back.
    p = factory.headers(provider)
    assert (await client.post(f"/api/v1/orders/{order_id}/accept", headers=p)).status_code == 200
    session = (await factory.sessions_of(listing))[0]
    await factory.move_session(session.id, timedelta(minutes=-30))
    assert (await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=p)).status_code == 200

    await page.get_by_role("link", name="我的订单").first.click()
    await page.get_by_role("button", name="确认签收").click()
    await expect(page.get_by_role("status")).to_contain_text("已签收")
    await page.get_by_label("5 星").check()
    await page.get_by_label("耐心").check()  # quick tags, one tap each
    await page.get_by_label("收获很大").check()
    await page.get_by_label("评价内容").fill("老师很耐心，字进步了")
    await page.get_by_role("button", name="评价").click()
    await expect(page.get_by_role("status")).to_contain_text("感谢您的评价")
    # 再来一单: the member chooses the session again on the listing's page (no date picked for them)
    await page.get_by_role("link", name="再来一单：选择场次").click()
    await expect(page.get_by_role("heading", name="点单", exact=True)).to_be_visible()
    assert "/listings/" in page.url


async def test_a_member_can_order_and_sign_off_without_javascript(page_without_js, factory, client):
    page = page_without_js
    provider, listing = await _calligraphy(factory)
    member = await factory.user(Role.member, name="赵师傅")
    await log_in(page, member.phone)
    await page.goto(f"/listings/{listing.id}")
    await page.locator("form[action$='/order'] button").first.click()
    await expect(page.get_by_role("status")).to_contain_text("下单成功")
    order_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    p = factory.headers(provider)
    await client.post(f"/api/v1/orders/{order_id}/accept", headers=p)
    session = (await factory.sessions_of(listing))[0]
    await factory.move_session(session.id, timedelta(minutes=-30))
    await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=p)
    await page.goto("/orders")
    await page.get_by_role("button", name="确认签收").click()
    await expect(page.get_by_role("status")).to_contain_text("已签收")
    order = await client.get(f"/api/v1/orders/{order_id}", headers=factory.headers(member))
    assert order.json()["state"] == "received"


async def test_pages_render_in_english_and_chinese(page, factory):
    _, listing = await _calligraphy(factory)
    await page.goto(f"/listings/{listing.id}")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page.get_by_role("heading", name="服务者：王老师")).to_be_visible()
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", name="Provider: 王老师")).to_be_visible()
    await expect(page.get_by_role("button", name="Order a seat").first).to_be_visible()
