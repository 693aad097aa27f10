"""In Chromium, on a phone: a curator filters the desk's lists with their forms as they stand (the empty
fields sent too), pages through a filtered list, and goes back — approvals, reviews, the call log,
organisations and quotas (issue #13, "every list paginated and filterable")."""

from datetime import timedelta

from playwright.async_api import expect

from marketplace.domain.roles import Role
from marketplace.models import HotlineCall, Organisation, Quota, Review
from marketplace.models.base import utcnow

from .helpers import log_in


async def _add(factory, *rows) -> None:
    async with factory.sessionmaker() as db, db.begin():
        db.add_all(rows)


async def test_a_curator_filters_the_desk_lists_and_goes_back(page, factory):
    calligraphy, law = await factory.category("书法培训"), await factory.category("法律咨询", name_en="Legal advice")
    wang, li = await factory.provider([calligraphy], name="王老师"), await factory.provider([law], name="李律师")
    await factory.listing(wang, calligraphy, title="书法体验课", state="submitted")
    await factory.listing(li, law, title="劳动合同咨询", state="submitted")
    reviewed = await factory.listing(wang, calligraphy, title="硬笔书法")
    for stars, text in ((5, "讲得很清楚"), (2, "迟到了半小时")):
        member = await factory.user()
        order = await factory.order_in_state(member, reviewed, "reviewed", provider=wang)
        await _add(
            factory,
            Review(
                market_id=factory.market_id,
                order_id=order.id,
                listing_id=reviewed.id,
                provider_id=wang.id,
                member_id=member.id,
                stars=stars,
                text=text,
            ),
        )
    curator = await factory.user(Role.curator, name="李主任")
    now = utcnow()
    calls = [
        HotlineCall(
            market_id=factory.market_id,
            operator_id=curator.id,
            reason="来电",
            topic="complaint",
            outcome="resolved",
            note=f"投诉{n}",
            started_at=now - timedelta(minutes=n),
        )
        for n in range(32)
    ]
    calls.append(
        HotlineCall(
            market_id=factory.market_id,
            operator_id=curator.id,
            reason="来电",
            topic="order",
            outcome="referred",
            started_at=now - timedelta(days=60),
        )
    )
    await _add(factory, *calls)
    await _add(factory, *(Organisation(market_id=factory.market_id, name=n) for n in ("第一车间工会", "物流_100%工会")))
    await _add(
        factory,
        Quota(market_id=factory.market_id, category_id=law.id, max_live=2),
        Quota(market_id=factory.market_id, category_id=calligraphy.id, max_live=3),
    )

    await log_in(page, curator.phone)

    # 上架审核: by provider, the category left at 全部 (sent empty)
    await page.goto("/desk/approvals")
    await page.get_by_label("服务者", exact=True).select_option(label="李律师")
    await page.get_by_role("button", name="筛选").click()
    await expect(page).to_have_url(f"/desk/approvals?category=&provider={li.id}")
    await expect(page.get_by_role("link", name="劳动合同咨询")).to_be_visible()
    await expect(page.get_by_role("link", name="书法体验课")).to_have_count(0)
    await page.get_by_label("分类", exact=True).select_option(label="书法培训")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("没有符合筛选条件的待审核服务。")).to_be_visible()
    await page.go_back()
    await expect(page.get_by_role("link", name="劳动合同咨询")).to_be_visible()
    await expect(page.get_by_label("服务者", exact=True)).to_have_value(str(li.id))
    await page.go_back()
    await expect(page.get_by_role("link", name="书法体验课")).to_be_visible()

    # 评价管理: by stars, beside the listing and shown-or-hidden left at 全部
    await page.goto("/desk/reviews")
    await expect(page.get_by_text("共 2 条评价")).to_be_visible()
    await page.get_by_label("星级", exact=True).select_option(label="2 星")
    await page.get_by_role("button", name="筛选").click()
    await expect(page).to_have_url("/desk/reviews?hidden=&stars=2&listing=")
    await expect(page.get_by_text("迟到了半小时")).to_be_visible()
    await expect(page.get_by_text("讲得很清楚")).to_have_count(0)
    await page.get_by_label("服务", exact=True).select_option(label="硬笔书法")
    await page.get_by_label("显示状态").select_option(label="已隐藏")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("没有符合筛选条件的评价。")).to_be_visible()
    await page.go_back()
    await expect(page.get_by_text("迟到了半小时")).to_be_visible()

    # 12351 来电记录: by outcome, topic and period, then the next page keeps them
    await page.goto("/desk/hotline")
    await expect(page.get_by_text("共 33 通来电")).to_be_visible()
    await page.get_by_label("按结果").select_option(label="已办结")
    await page.get_by_label("按事由").select_option(label="投诉")
    await page.get_by_label("来电时间").select_option(label="近 30 天")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("共 32 通来电")).to_be_visible()
    await page.get_by_role("link", name="较早").click()
    await expect(page.get_by_text("第 2 / 2 页")).to_be_visible()
    await expect(page.get_by_text("共 32 通来电")).to_be_visible()
    await expect(page.get_by_label("按事由")).to_have_value("complaint")
    await page.get_by_label("按事由").select_option(label="全部")
    await page.get_by_label("来电时间").select_option(label="全部")
    await page.get_by_label("按结果").select_option(label="已转介")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("共 1 通来电")).to_be_visible()
    await page.go_back()
    await expect(page.get_by_text("第 2 / 2 页")).to_be_visible()

    # 基层组织 and 限额: the search box, LIKE's characters as typed; emptied, everything again
    await page.goto("/desk/organisations")
    await page.get_by_label("搜索组织").fill("_100%")
    await page.get_by_role("button", name="搜索", exact=True).click()
    await expect(page.get_by_text("共 1 个组织")).to_be_visible()
    await expect(page.get_by_role("heading", name="物流_100%工会")).to_be_visible()
    await page.get_by_label("搜索组织").fill("")
    await page.get_by_role("button", name="搜索", exact=True).click()
    await expect(page).to_have_url("/desk/organisations?q=")
    await expect(page.get_by_text("共 2 个组织")).to_be_visible()
    await page.go_back()
    await expect(page.get_by_text("共 1 个组织")).to_be_visible()

    await page.goto("/desk/quotas")
    await page.get_by_label("按类别名称搜索限额").fill("legal")
    await page.get_by_role("button", name="搜索", exact=True).click()
    await expect(page.get_by_text("共 1 条限额")).to_be_visible()
    await expect(page.get_by_role("cell", name="法律咨询")).to_be_visible()
    await page.get_by_label("按类别名称搜索限额").fill("驿站")
    await page.get_by_role("button", name="搜索", exact=True).click()
    await expect(page.get_by_text("没有类别名称包含所搜内容的限额。")).to_be_visible()
