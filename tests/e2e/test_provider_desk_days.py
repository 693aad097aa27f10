"""A provider's whole day and a curator's whole day, in Chromium at 390×844, in Chinese.

The provider: a new account finds the guided first step, creates a listing, adds a picture, previews it
as members will see it, submits it, and adds a class that repeats weekly (one week clashing). The curator:
the figures with their charts and period filter, a bulk approval, every order filtered by period, the
reviews paged, and a dispute opened from its reason to the order."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from playwright.async_api import expect

from marketplace.domain.roles import Role
from marketplace.models import Order, Review

from .helpers import log_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _photo(tmp_path) -> str:
    path = tmp_path / "课堂.jpg"
    Image.new("RGB", (1600, 1200), (180, 40, 40)).save(path, "JPEG")
    return str(path)


async def test_a_new_providers_whole_day(page, factory, tmp_path):
    category = await factory.category("书法培训", slug="calligraphy")
    provider = await factory.provider([category], name="王老师")
    await log_in(page, provider.phone)
    await page.goto("/provider")  # the console (where a provider lands)

    guide = page.get_by_role("region", name="欢迎！把您的第一项服务放上菜单")
    await expect(guide).to_be_visible()
    await guide.get_by_role("link", name="创建第一个服务项目").click()

    first = (datetime.now(UTC) + timedelta(days=3)).astimezone(SHANGHAI).replace(hour=19, minute=0)
    await page.get_by_label("标题").fill("硬笔书法入门")
    await page.get_by_label("一句话简介").fill("劳模带你练好字")
    await page.get_by_label("分类").select_option(label="书法培训")
    await page.get_by_label("地点（线下服务必填）").fill("南山工人文化宫")
    await page.locator("#s0-start").fill(_local(first))
    await page.locator("#s0-capacity").fill("12")
    await page.get_by_role("button", name="预览").click()

    await expect(page.get_by_role("heading", name="预览", exact=True)).to_be_visible()
    await expect(page.get_by_text("审核通过后，会员看到的服务项目就是这样。")).to_be_visible()
    await expect(page.get_by_text("劳模带你练好字").first).to_be_visible()
    await expect(page.get_by_text("12 / 12")).to_be_visible()

    await page.get_by_role("link", name="返回服务项目").click()
    await page.get_by_label("添加图片（JPEG、PNG 或 WebP，不超过 5 MB，最多 6 张）").set_input_files(_photo(tmp_path))
    await page.get_by_role("button", name="上传图片").click()
    await expect(page.get_by_role("status")).to_contain_text("图片已添加")
    thumb = page.get_by_role("img", name="「硬笔书法入门」的第 1 张图片")
    await expect(thumb).to_have_attribute("width", "400")
    await expect(thumb).to_have_attribute("loading", "lazy")

    await page.get_by_role("link", name="预览").click()
    picture = page.get_by_role("img", name="「硬笔书法入门」的第 1 张图片")
    await expect(picture).to_have_attribute("width", "1280")
    await expect(page.locator(".card-picture")).to_have_attribute("height", "300")
    await page.get_by_role("button", name="提交审核").click()
    await expect(page.get_by_role("status")).to_contain_text("已提交审核")
    await expect(page.get_by_text("待审核").first).to_be_visible()

    # A weekly class from next week for 4 weeks; the first of them clashes with the session already held.
    clash = first + timedelta(minutes=30)
    await page.locator("#s0-start").fill(_local(clash))
    await page.locator("#s0-capacity").fill("12")
    await page.get_by_label("每周重复").select_option(label="每周一次，共 4 周")
    await page.get_by_role("button", name="添加场次").click()
    await expect(page.get_by_text("已添加场次：3 个。")).to_be_visible()
    skipped = page.locator("ul.skipped li")
    await expect(skipped).to_have_count(1)
    await expect(page.get_by_text("与您已有的场次时间冲突")).to_be_visible()
    await expect(page.locator("table tbody tr")).to_have_count(4)
    await page.reload()  # a refresh after the POST adds nothing
    await expect(page.locator("table tbody tr")).to_have_count(4)
    await page.goto("/provider")
    await expect(page.get_by_role("region", name="欢迎！把您的第一项服务放上菜单")).to_have_count(0)


async def _disputed_and_reviewed(factory, client, engine, category, provider):
    listing = await factory.listing(provider, category, title="劳动合同咨询", auto_accept=True, sessions=[(3, 80)])
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user(name="刘师傅")
    m, p = factory.headers(member), factory.headers(provider)
    order = (await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=m)).json()
    await factory.move_session(session.id, timedelta(minutes=-5))
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=p)
    await client.post(f"/api/v1/orders/{order['id']}/dispute", json={"reason": "老师没有按时到场"}, headers=m)
    # 55 reviews from other members, and one order placed two months ago.
    other = await factory.listing(provider, category, title="书法体验课", sessions=[(-2, 100)])
    async with factory.sessionmaker() as db, db.begin():
        for n in range(55):
            someone = await factory.user()
            row = Order(
                market_id=factory.market_id,
                kind="listing",
                member_id=someone.id,
                listing_id=other.id,
                category_id=category.id,
                provider_id=provider.id,
                title=other.title,
                state="reviewed",
            )
            db.add(row)
            await db.flush()
            db.add(
                Review(
                    market_id=factory.market_id,
                    order_id=row.id,
                    listing_id=other.id,
                    provider_id=provider.id,
                    member_id=someone.id,
                    stars=5 - n % 2,
                    text=f"第{n}条评价",
                )
            )
        old = await db.get(Order, row.id)
        old.created_at = datetime.now(UTC) - timedelta(days=60)
    return order


async def test_a_curators_whole_day(page, factory, client, engine):
    category = await factory.category("法律咨询", slug="legal")
    provider = await factory.provider([category], name="张律师")
    waiting = [
        await factory.listing(provider, category, title=t, state="submitted") for t in ("工伤维权讲座", "劳动仲裁答疑")
    ]
    order = await _disputed_and_reviewed(factory, client, engine, category, provider)
    curator = await factory.user(Role.curator, name="李主任")
    await client.post("/api/v1/admin/batches", json={"name": "第三批"}, headers=factory.headers(curator))

    await log_in(page, curator.phone)
    await page.goto("/desk/")  # the desk (where union staff land)
    await expect(page.get_by_role("heading", name="关键指标")).to_be_visible()
    await expect(page.get_by_role("img", name="订单趋势")).to_be_visible()
    await expect(page.get_by_role("img", name="平均星级趋势")).to_be_visible()
    await expect(page.locator("svg.chart text").first).to_be_visible()
    await expect(page.get_by_role("heading", name="各环节转化率")).to_be_visible()
    await page.get_by_role("navigation", name="统计时段").get_by_role("link", name="近 30 天").click()
    await expect(page.get_by_role("link", name="近 30 天")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_text("订单与评价自")).to_be_visible()
    labels = await page.locator('svg[aria-label="订单趋势"] text.chart-axis').all_text_contents()
    assert any("月" in label for label in labels), labels  # Chinese dates on the axis

    await page.goto("/desk/approvals")
    for listing in waiting:
        await page.get_by_role("article").filter(has_text=listing.title).get_by_label("勾选以批量审核").check()
    await page.get_by_label("勾选的项目放入").select_option(label="第三批")
    await page.get_by_role("button", name="审核通过所勾选的项目").click()
    await expect(page.get_by_role("status")).to_contain_text("所选服务项目已审核通过并发布")
    await expect(page.get_by_text("没有待审核的服务。")).to_be_visible()

    await page.goto("/desk/orders")
    await page.get_by_label("下单时段").select_option(label="近 7 天")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_role("heading", name="全部订单 (55)")).to_be_visible()  # not the one two months ago
    await expect(page.get_by_label("下单时段")).to_have_value("7d")

    await page.goto("/desk/reviews")
    await expect(page.get_by_text("第 1 / 2 页")).to_be_visible()
    await page.get_by_role("link", name="较早").click()
    await expect(page.get_by_text("第 2 / 2 页")).to_be_visible()
    await expect(page.locator("article, li.card, tr").filter(has_text="书法体验课").first).to_be_visible()

    await page.goto("/desk/orders")
    dispute = page.locator("li.dispute").filter(has_text="劳动合同咨询")
    await expect(dispute).to_contain_text("老师没有按时到场")
    await expect(dispute).to_contain_text("提出争议")
    await dispute.get_by_role("link", name="查看订单、时间线和留言").click()
    await expect(page).to_have_url(re.compile(rf"/orders/{order['id']}$"))
    await expect(page.get_by_text("老师没有按时到场").first).to_be_visible()
