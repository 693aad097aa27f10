"""免申即享 on a phone (issue #16 item 6): a curator reserves a session's seats for new-employment-form workers
through the form as it stands; a member opens the notice and accepts with a double tap (one order), another
declines and the place goes to the next member; the campaign's page shows 惠及 N 人."""

import sqlalchemy as sa
from playwright.async_api import expect

from marketplace.domain.roles import Role
from marketplace.models import CampaignOffer, Order

from .conftest import PHONE
from .helpers import log_in


async def _as(browser, live_server, phone):
    context = await browser.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await log_in(page, phone)
    return context, page


async def _pending(factory) -> list[CampaignOffer]:
    async with factory.sessionmaker() as db:
        rows = await db.execute(
            sa.select(CampaignOffer).where(CampaignOffer.state == "pending").order_by(CampaignOffer.rank)
        )
        return list(rows.scalars())


async def test_curator_offers_seats_and_members_answer_in_one_tap(page, browser, live_server, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), title="骑手急救培训", sessions=[(7, 10)])
    curator = await factory.user(Role.curator, name="区总工会")
    riders = {u.id: u for u in [await factory.user(groups=["new_employment"]) for _ in range(3)]}
    await factory.user(groups=["parent"])  # not targeted: never offered

    await log_in(page, curator.phone)
    await page.goto("/desk/campaigns")
    await page.get_by_role("link", name="新建活动").click()
    # sent as it stands first: the refusals name the fields
    await page.get_by_role("button", name="创建").click()
    await expect(page.locator("#e-title")).to_be_visible()
    await page.get_by_label("标题").fill("新就业形态劳动者急救培训 免申即享")
    await page.get_by_label("场次座位").check()
    await page.get_by_label("场次（座位类）").select_option(index=1)
    await page.get_by_label("名额数量").fill("2")
    await page.get_by_label("新就业形态劳动者").check()
    await page.get_by_role("button", name="创建").click()
    await expect(page.get_by_role("status")).to_contain_text("活动已存为草稿")
    await page.get_by_role("button", name="启动：预留并发放").dblclick()
    await expect(page.get_by_role("status")).to_contain_text("已启动")
    await expect(page.locator(".badge").first).to_have_text("发放中")
    campaign_url = page.url.split("?")[0]

    first, second = await _pending(factory)
    # the first member opens the notice and accepts with a double tap: one order
    context, member = await _as(browser, live_server, riders[first.member_id].phone)
    await member.goto("/notices")
    await member.get_by_role("link", name="免申即享，为您保留：新就业形态劳动者急救培训 免申即享").click()
    await expect(member.get_by_role("heading", level=1)).to_have_text("新就业形态劳动者急救培训 免申即享")
    await member.get_by_role("button", name="接受名额").dblclick()
    await expect(member.get_by_role("status")).to_contain_text("名额归您了")
    await member.reload()  # a refresh after the POST changes nothing
    await member.get_by_role("link", name="查看订单").click()
    await expect(member.locator(".badge").first).to_have_text("已接单")
    await context.close()
    async with factory.sessionmaker() as db:
        orders = (await db.execute(sa.select(Order).where(Order.member_id == first.member_id))).scalars().all()
    assert len(orders) == 1 and orders[0].listing_id == listing.id

    # the second finds it on 我的订单 (offered to you) and declines: the third member is offered the place
    context, member = await _as(browser, live_server, riders[second.member_id].phone)
    await member.goto("/orders")
    await expect(member.get_by_role("heading", name="为您保留")).to_be_visible()
    await member.get_by_role("link", name="接受或放弃").click()
    await member.get_by_role("button", name="放弃名额").click()
    await expect(member.get_by_role("status")).to_contain_text("名额将转给下一位会员")
    await context.close()
    (third,) = await _pending(factory)
    assert third.member_id not in (first.member_id, second.member_id) and third.member_id in riders

    await page.goto(campaign_url)
    await expect(page.get_by_role("heading", name="惠及 1 人")).to_be_visible()
    await expect(page.locator(".figures li", has_text="新就业形态劳动者")).to_contain_text("惠及 1 人")
    await expect(page.locator(".figures li", has_text="已放弃")).to_contain_text("1")
    await expect(page.locator(".figures li", has_text="等待答复")).to_contain_text("1")
