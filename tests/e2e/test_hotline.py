"""In Chromium: a hotline operator takes a call, finds the caller by phone, books and then cancels a service
for them and ends the call; the member's timeline and notices say the hotline did it (issue #16, item 4)."""

from playwright.async_api import expect

from marketplace.domain.roles import Role

from .helpers import log_in


async def test_an_operator_books_and_cancels_for_a_caller(page, factory):
    category = await factory.category("法律咨询")
    provider = await factory.provider([category], name="李律师")
    await factory.listing(provider, category, title="劳动合同咨询", sessions=[(3, 10)], auto_accept=True)
    operator = await factory.user(Role.operator, name="小陈")
    member = await factory.user(name="快递员老王")

    await log_in(page, operator.phone)
    await page.goto("/desk/hotline")
    await page.get_by_label("来电会员手机号").fill(member.phone)
    await page.get_by_label("原因（例如：会员来电预约咨询）").fill("会员来电预约法律咨询")
    await page.get_by_role("button", name="查看会员信息").click()
    await expect(page.get_by_role("heading", name="快递员老王的来电")).to_be_visible()

    await page.get_by_label("搜索服务").fill("劳动")
    await page.get_by_role("button", name="搜索", exact=True).click()
    await page.get_by_role("button", name="为会员下单").first.click()
    await expect(page.get_by_role("status")).to_contain_text("已为会员下单")
    current = page.locator("section", has=page.get_by_role("heading", name="会员当前的订单"))
    await expect(current).to_contain_text("劳动合同咨询")
    await current.get_by_label("会员取消的原因").fill("会员临时加班")
    await current.get_by_role("button", name="为会员取消").click()
    await expect(page.get_by_role("status")).to_contain_text("已为会员取消")

    await page.get_by_label("来电事由", exact=True).select_option(label="预订服务")
    await page.get_by_label("结果", exact=True).select_option(label="已办结")
    await page.get_by_role("button", name="结束并记录来电").click()
    await expect(page.get_by_role("status")).to_contain_text("来电已结束并记录")
    await expect(page.locator("table")).to_contain_text("快递员老王")

    await page.context.clear_cookies()
    await log_in(page, member.phone)
    await page.goto("/notices")
    await expect(page.locator("main")).to_contain_text("工会热线为您下单：劳动合同咨询")
    await expect(page.locator("main")).to_contain_text("工会热线为您取消订单：劳动合同咨询")
    await page.goto("/orders?tab=all")
    await page.get_by_role("link", name="劳动合同咨询").first.click()
    await expect(page.locator(".timeline")).to_contain_text("由热线话务员小陈代办")
