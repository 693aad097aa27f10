"""A member's whole day on a phone (390×844, zh-CN), in Chromium: browse the menu with search and a filter,
book a session (the success page, its .ics), 我的订单's tabs, talk to a provider inside an on-request
order, agree to an arrangement and propose another time, cancel after the confirmation step, sign off,
rate with stars and quick tags, and the unread count on 消息. Each step asserts what the member sees."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from marketplace.domain.roles import Role

from .helpers import log_in

ZONE = ZoneInfo("Asia/Shanghai")
LATIN_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


async def _market(factory):
    education = await factory.category("教育培训", slug="education")
    calligraphy = await factory.category("书法培训", parent=education, slug="calligraphy")
    law = await factory.category("法律服务", slug="law")
    contracts = await factory.category("劳动合同", parent=law, slug="contracts")
    teacher = await factory.provider([calligraphy], name="王老师", star_level=4)
    lawyer = await factory.provider([contracts], name="李律师")
    calligraphy_class = await factory.listing(
        teacher,
        calligraphy,
        title="书法培训（硬笔）",
        summary="劳模带你练好字",
        auto_accept=True,
        sessions=[(2, 10), (4, 10)],
    )
    await factory.listing(teacher, calligraphy, title="书法培训（毛笔）", summary="线上课", mode="online")
    advice = await factory.listing(lawyer, contracts, title="劳动合同咨询", shape="on_request", summary="一对一")
    member = await factory.user(Role.member, name="刘师傅")
    return teacher, lawyer, calligraphy, calligraphy_class, advice, member


async def _no_english(page: Page) -> None:
    """The page's visible text holds no English word (the brand's name in Latin letters aside)."""
    text = await page.locator("main").inner_text()
    # codes to type or scan (check-in codes, ids) are marked translate="no" and are no language
    codes = " ".join(await page.locator("main :is(code, kbd, samp, [translate=no])").all_inner_texts())
    words = [w for w in LATIN_WORD.findall(text) if w not in ("https",) and w not in codes]
    assert not words, f"English on a zh-CN page {page.url}: {words[:5]}"


def _order_id(page: Page) -> int:
    return int(page.url.split("?")[0].split("#")[0].rsplit("/", 1)[1])


async def test_a_members_whole_day_on_a_phone(page, factory, client):
    teacher, lawyer, calligraphy, listing, advice, member = await _market(factory)
    await log_in(page, member.phone)

    # Morning: the menu, a search and a filter
    await page.get_by_role("navigation", name="主菜单").get_by_role("link", name="服务菜单").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("服务菜单")
    await page.get_by_role("searchbox", name="搜索服务").fill("书法")
    await page.get_by_role("button", name="搜索", exact=True).click()
    await expect(page.get_by_text("找到 2 项服务")).to_be_visible()
    await page.locator("summary", has_text="筛选").click()
    await page.get_by_label("服务方式").select_option("offline")
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_text("找到 1 项服务")).to_be_visible()
    await _no_english(page)
    await page.get_by_role("link", name="书法培训（硬笔）").click()

    # Book the first session: the success page says so, with the calendar file and the cancelling rule
    await page.locator("form[action$='/order'] button").first.click()
    await expect(page.get_by_role("status")).to_contain_text("报名成功，名额已为您保留")
    await expect(page.locator(".badge").first).to_have_text("已接单")
    await expect(page.locator("dd", has_text="服务开始前可在此取消")).to_be_visible()
    booked = _order_id(page)
    ics = await page.get_by_role("link", name="加入我的日历").get_attribute("href")
    calendar = await page.request.get(ics)
    assert (
        calendar.ok and "BEGIN:VCALENDAR" in (await calendar.text()) and "书法培训（硬笔）" in (await calendar.text())
    )
    await _no_english(page)

    # 我的订单: the tabs with their counts
    await page.get_by_role("navigation", name="主菜单").get_by_role("link", name="我的订单").click()
    tabs = page.get_by_role("navigation", name="订单状态")
    await expect(tabs.get_by_role("link", name="待服务 1")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_role("link", name="书法培训（硬笔）")).to_be_visible()
    await tabs.get_by_role("link", name=re.compile("^全部")).click()
    await expect(tabs.get_by_role("link", name=re.compile("^全部"))).to_have_attribute("aria-current", "page")

    # An on-request service: order, and the lawyer takes it and proposes a time and place
    await page.goto(f"/listings/{advice.id}")
    await page.get_by_label("给服务者的留言（选填）").fill("想咨询加班费")
    await page.get_by_role("button", name="点单（时间与您约定）").click()
    await expect(page.get_by_role("status")).to_contain_text("下单成功")
    consult = _order_id(page)
    lawyer_headers = factory.headers(lawyer)
    assert (await client.post(f"/api/v1/orders/{consult}/accept", headers=lawyer_headers)).is_success
    first_time = (datetime.now(ZONE) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    arranged = await client.post(
        f"/api/v1/orders/{consult}/arrange",
        json={"starts_at": first_time.isoformat(), "place": "工会201室"},
        headers=lawyer_headers,
    )
    assert arranged.is_success
    await page.reload()
    await expect(page.locator("#arrangement")).to_contain_text("工会201室")
    await expect(page.locator("#arrangement")).to_contain_text("服务者提议，待您确认")

    # Talk to the provider inside the order: phones stay hidden
    thread = page.locator("#thread")
    await expect(thread).to_contain_text("还没有消息")
    await thread.get_by_label("您的留言").fill("请问需要带劳动合同原件吗？")
    await thread.get_by_role("button", name="发送").click()
    await expect(page.get_by_role("status")).to_contain_text("消息已发送")
    await expect(thread.locator("li.mine")).to_contain_text("请问需要带劳动合同原件吗？")
    replied = await client.post(
        f"/api/v1/orders/{consult}/messages", json={"body": "带复印件即可，原件不用"}, headers=lawyer_headers
    )
    assert replied.status_code == 201
    await page.reload()
    await expect(thread.locator("li.theirs")).to_contain_text("李律师")
    await expect(thread.locator("li.theirs")).to_contain_text("带复印件即可")
    assert lawyer.phone[-4:] not in await page.locator("main").inner_text()  # no phone number, not even masked

    # The time does not suit: propose another, with a note
    await page.locator("summary", has_text="另约时间").click()  # the step folded under the big button
    wanted = first_time + timedelta(days=2)
    await page.get_by_label("您方便的时间").fill(wanted.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("给服务者的留言（选填）").fill("工作日要上班，周末更方便")
    await page.get_by_role("button", name="另约时间").click()
    await expect(page.get_by_role("status")).to_contain_text("您的提议已发送")
    await expect(page.locator("#proposal")).to_contain_text("等待服务者回复")
    await expect(page.locator("#proposal")).to_contain_text("周末更方便")
    await expect(page.locator(".timeline")).to_contain_text("会员提议另约时间")
    # the lawyer takes it; later moves the place, which the member agrees to with one tap
    assert (await client.post(f"/api/v1/orders/{consult}/accept-time", headers=lawyer_headers)).is_success
    await page.reload()
    await expect(page.locator("#arrangement")).to_contain_text("双方已确认")
    moved = await client.post(f"/api/v1/orders/{consult}/arrange", json={"place": "工会302室"}, headers=lawyer_headers)
    assert moved.is_success
    await page.reload()
    await expect(page.locator("#arrangement")).to_contain_text("工会302室")
    await page.get_by_role("button", name="确认这个安排").click()
    await expect(page.get_by_role("status")).to_contain_text("已确认，已通知服务者")
    await expect(page.locator("#arrangement")).to_contain_text("双方已确认")
    await _no_english(page)

    # Plans change: cancel the calligraphy seat, after the step that says what follows; a double tap acts once
    await page.goto(f"/orders/{booked}")
    await page.locator("summary", has_text="取消订单").click()
    step = page.locator("#cancel-step")
    await expect(step).to_contain_text("名额将被释放")
    await expect(step).to_contain_text("无法恢复")
    await page.get_by_label("原因（选填）").fill("临时加班")
    await page.get_by_role("button", name="确认取消订单").dblclick()
    await expect(page.get_by_role("status")).to_contain_text("订单已取消")
    await expect(page.locator(".badge").first).to_have_text("已取消")
    shown = (await client.get(f"/api/v1/orders/{booked}", headers=factory.headers(member))).json()
    assert [e["action"] for e in shown["events"]].count("cancel") == 1

    # The later session instead; it takes place, the teacher marks it delivered
    await page.goto(f"/listings/{listing.id}")
    await page.locator("form[action$='/order'] button").last.click()
    await expect(page.get_by_role("status")).to_contain_text("报名成功")
    later = _order_id(page)
    session_id = (await client.get(f"/api/v1/orders/{later}", headers=factory.headers(member))).json()["session"]["id"]
    await factory.move_session(session_id, timedelta(hours=-3))
    delivered = await client.post(f"/api/v1/orders/{later}/deliver", json={}, headers=factory.headers(teacher))
    assert delivered.is_success

    # 消息: the unread count in the header, as many as the member has unread
    unread = await client.get("/api/v1/notifications", params={"unread": "true"}, headers=factory.headers(member))
    count = unread.json()["total"]
    assert count >= 3  # the message, the accepted time, the delivery
    nav = page.get_by_role("navigation", name="主菜单")
    await page.goto("/orders")
    await expect(nav.get_by_label(f"{count} 条未读")).to_have_text(str(count))

    # Evening: sign off and rate with stars and quick tags
    tabs = page.get_by_role("navigation", name="订单状态")
    await tabs.get_by_role("link", name="待签收 1").click()
    await expect(tabs.get_by_role("link", name="待签收 1")).to_have_attribute("aria-current", "page")
    await page.get_by_role("button", name="确认签收").click()
    await expect(page.get_by_role("status")).to_contain_text("已签收")
    await page.get_by_label("5 星").check()
    await expect(page.get_by_label("5 星")).to_be_checked()
    await page.get_by_label("准时").check()
    await page.get_by_label("耐心").check()
    await expect(page.get_by_text("迟到", exact=True)).to_be_hidden()  # what went wrong shows for low stars only
    await page.get_by_label("4 星").focus()
    await page.keyboard.press("ArrowLeft")  # the stars are real radio buttons: the keyboard moves them
    await expect(page.get_by_label("3 星")).to_be_checked()
    await expect(page.get_by_text("迟到", exact=True)).to_be_visible()
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_label("5 星")).to_be_checked()
    await page.get_by_label("评价内容（选填）").fill("老师很耐心，字进步了")
    await page.get_by_role("button", name="评价", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("感谢您的评价")
    await _no_english(page)

    await page.goto(f"/listings/{listing.id}")
    reviews = page.locator("section[aria-labelledby='reviews-h']")
    await expect(reviews).to_contain_text("准时")
    await expect(reviews).to_contain_text("耐心")
    await expect(page.get_by_text("准时 × 1")).to_be_visible()

    # The inbox: opening it and marking all read clears the count
    await nav.get_by_role("link", name=re.compile("^消息")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("消息")
    await expect(page.get_by_text("新消息：劳动合同咨询")).to_be_visible()
    await page.get_by_role("button", name="全部标为已读").click()
    await expect(nav.locator(".count")).to_have_count(0)
    await page.get_by_role("link", name="‹ 首页").click()
    await expect(page).to_have_url(re.compile(r"/(\?.*)?$"))
