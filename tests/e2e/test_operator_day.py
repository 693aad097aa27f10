"""An operator's whole day (志愿者服务队) in Chromium, in English on a 1280-wide screen: lands on the desk,
opens a dispute from its reason and resolves it on the order, follows up a member who was dissatisfied,
takes a hotline call and logs it — and no Chinese beyond what people typed shows on the way."""

import re
from datetime import timedelta

from playwright.async_api import expect

from marketplace.domain.roles import Role

from .helpers import log_in

WIDE = {"width": 1280, "height": 800}
HAN = re.compile(r"[\u3400-\u9fff]")


async def _market(factory, client):
    category = await factory.category("法律咨询")
    provider = await factory.provider([category], name="李律师")
    listing = await factory.listing(
        provider, category, title="劳动合同咨询", auto_accept=True, sessions=[(2, 10), (3, 10)]
    )
    member, other = await factory.user(name="快递员老王"), await factory.user(name="刘师傅")
    m, o, p = factory.headers(member), factory.headers(other), factory.headers(provider)
    sessions = await factory.sessions_of(listing)
    disputed = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id, "session_id": sessions[0].id}, headers=m)
    ).json()
    poor = (
        await client.post("/api/v1/orders", json={"listing_id": listing.id, "session_id": sessions[0].id}, headers=o)
    ).json()
    await factory.move_session(sessions[0].id, timedelta(hours=-2))
    for order_id in (disputed["id"], poor["id"]):
        assert (await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=p)).status_code == 200
    reason = {"reason": "律师没有来"}
    assert (await client.post(f"/api/v1/orders/{disputed['id']}/dispute", json=reason, headers=m)).status_code == 200
    assert (await client.post(f"/api/v1/orders/{poor['id']}/receive", headers=o)).status_code == 200
    survey = {"overall": 1, "as_arranged": False, "recommend": False, "comment": "迟到一小时"}
    assert (await client.post(f"/api/v1/orders/{poor['id']}/survey", json=survey, headers=o)).status_code == 201
    return member, disputed["id"]


async def _no_chinese_but_typed(page, typed: list[str]) -> None:
    text = await page.locator("main").inner_text()
    for words in sorted(typed, key=len, reverse=True):
        text = text.replace(words, " ")
    assert not HAN.findall(text), (page.url, "".join(HAN.findall(text))[:40])


async def test_an_operators_whole_day_in_english(browser, live_server, factory, client):
    member, disputed = await _market(factory, client)
    operator = await factory.user(Role.operator, name="小陈")
    typed = [
        "法律咨询",
        "李律师",
        "劳动合同咨询",
        "快递员老王",
        "刘师傅",
        "律师没有来",
        "迟到一小时",
        "小陈",
        "会员来电问驿站",
    ]
    typed += [
        "双方确认已服务",
        "南山区工人文化宫",
        "电话联系，已道歉并改约",
        "会员满意新的安排",
    ]  # the resolution's reason; the factory listing's place
    context = await browser.new_context(base_url=live_server, viewport=WIDE, locale="en-GB")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    try:
        await log_in(page, operator.phone)
        await expect(page).to_have_url(re.compile(r"/desk/?(\?ok=hello)?$"))  # an operator lands on the desk
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await _no_chinese_but_typed(page, typed)

        await page.get_by_role("link", name="Stuck orders and disputes").click()
        dispute = page.locator("main").get_by_text("律师没有来")
        await expect(dispute).to_be_visible()
        await _no_chinese_but_typed(page, typed)
        await page.get_by_role("link", name="劳动合同咨询").first.click()
        await expect(page).to_have_url(re.compile(rf"/orders/{disputed}$"))
        await page.get_by_role("button", name="Resolve: received").first.click()  # no reason given yet
        await expect(page.locator("main")).to_contain_text("Please write something visible here.")
        await page.get_by_label("Reason").first.fill("双方确认已服务")
        await page.get_by_role("button", name="Resolve: received").first.click()
        await expect(page.get_by_role("status")).to_be_visible()
        await expect(page.locator("main")).to_contain_text("Received")
        await _no_chinese_but_typed(page, typed)

        await page.goto("/desk/cases?state=open")
        await expect(page.locator("main")).to_contain_text("迟到一小时")
        await page.get_by_label("Note").first.fill("电话联系，已道歉并改约")
        await page.get_by_role("button", name="Member contacted").first.dblclick()  # a double tap acts once
        await expect(page.get_by_role("status")).to_contain_text("Recorded: the member was contacted.")
        await expect(page.locator("main")).not_to_contain_text("This case")  # no refusal of a second move
        await page.goto("/desk/cases?state=contacted")
        await page.get_by_label("Note").first.fill("会员满意新的安排")
        await page.get_by_label("Outcome").first.select_option(label="Service made good")
        await page.get_by_role("button", name="Resolve").first.click()
        await expect(page.get_by_role("status")).to_be_visible()
        await _no_chinese_but_typed(page, typed)

        await page.get_by_role("link", name="Hotline 12351").click()
        await page.get_by_label("Caller's mobile number").fill(member.phone)
        await page.get_by_label("Why (e.g. the member called to book a consultation)").fill("会员来电问驿站")
        await page.get_by_role("button", name="Open the record").click()
        await expect(page.get_by_role("heading", name="Call from 快递员老王")).to_be_visible()
        await _no_chinese_but_typed(page, typed)
        await page.get_by_label("About", exact=True).select_option(label="A question")
        await page.get_by_label("Outcome", exact=True).select_option(label="Resolved")
        await page.get_by_role("button", name="End and log the call").click()
        await expect(page.get_by_role("status")).to_contain_text("The call is ended and logged.")
        await _no_chinese_but_typed(page, typed)
    finally:
        await page.screenshot(path="test-artifacts/operator_day_en.png", full_page=True)
        await context.close()
