"""实名制 in Chromium: a curator imports a roster through the desk while a real `marketplace worker` runs it,
and sees the progress and the rows refused by number; a member told up front that a service is for
verified members asks for verification on their page, a curator approves it on the desk, and the member
then orders the service."""

from playwright.async_api import expect

from marketplace.domain.roles import Role

from ..integration.workers.test_roster import roster_csv
from .helpers import log_in
from .test_needs_loop_journey import worker  # noqa: F401  (the fixture: a real worker runs the import)


async def test_a_curator_imports_a_roster_with_progress_and_bad_rows(page, factory, worker):  # noqa: F811
    page.set_default_timeout(60_000)
    curator = await factory.user(Role.curator, name="李主任")
    rider = await factory.user(name="周骑手")
    await log_in(page, curator.phone)
    await page.get_by_role("link", name="工会工作台").click()
    await page.get_by_role("link", name="会员名册").first.click()

    # nothing chosen: told beside the field
    await page.get_by_role("button", name="上传").click()
    await expect(page.locator("#e-file")).to_be_visible()

    rows = [[str(i), f"会员{i}", f"1390000{i:04d}", f"NS-{i}", "南山工会", "农民工"] for i in range(1, 40)]
    rows.insert(3, ["x", "周骑手", rider.phone, "NS-900", "顺丰工会", "新就业形态劳动者、困难职工"])
    rows.insert(5, ["y", "错号", "123", "", "", ""])
    rows.insert(8, ["z", "外星", "13911112222", "", "", "外星人"])
    await page.get_by_label("名册文件").set_input_files(
        files=[{"name": "会员名册.csv", "mimeType": "text/csv", "buffer": roster_csv(rows)}]
    )
    await page.get_by_role("button", name="上传").click()
    await expect(page.get_by_role("heading", name="各列对应的内容")).to_be_visible()
    await expect(page.get_by_label("手机号码")).to_have_value("2")  # guessed from the Chinese headers
    await expect(page.locator("#preview")).to_contain_text("新就业形态劳动者")
    await expect(page.locator("#preview tr.bad").first).to_contain_text("123 不是手机号码。")
    await page.get_by_role("button", name="导入 42 行").click()

    bar = page.locator("progress#import-progress")
    await expect(bar).to_be_visible()
    await expect(page.locator("#import-done")).to_be_visible(timeout=120_000)  # the script reloads when done
    await expect(bar).to_have_attribute("value", "100")
    bad = page.locator("#bad-rows tbody tr")
    await expect(bad).to_have_count(2)
    await expect(bad.nth(0)).to_contain_text("7123 不是手机号码。")
    await expect(bad.nth(1)).to_contain_text("10未知的人员类别：外星人。")
    await expect(page.locator("[data-field=verified]")).to_have_text("1")  # 周骑手, by phone and name
    await expect(page.locator("[data-field=imported]")).to_have_text("40")

    await page.get_by_role("link", name="会员名册").last.click()
    await page.get_by_role("searchbox", name="姓名、手机号或会员卡号").fill("ns-900")
    await page.get_by_role("button", name="搜索").click()
    found = page.locator("#roster tbody tr")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text("周骑手")
    await expect(found).to_contain_text("已注册")


async def test_a_member_asks_a_curator_approves_and_the_member_orders(page, factory):
    provider, curator = await factory.user(Role.provider, name="王老师"), await factory.user(Role.curator)
    listing = await factory.listing(
        provider, await factory.category(), title="职工法律咨询", verified_only=True, auto_accept=True
    )
    member = await factory.user(name="小周")
    await log_in(page, member.phone)
    await page.goto(f"/listings/{listing.id}")
    await expect(page.locator("#verify-first")).to_contain_text("仅限经工会实名认证的会员")
    await expect(page.locator("form[action$='/order']")).to_have_count(0)
    await page.locator("#verify-first").get_by_role("link", name="申请实名认证").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("会员实名认证")
    await page.get_by_label("工会会员卡号（如有）").fill("卡#1")  # refused beside the field
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator("#e-union_card")).to_contain_text("会员卡号只能包含")
    await page.get_by_label("工会会员卡号（如有）").fill("NS-77")
    await page.get_by_label("您所在的工会").fill("美团南山站")
    await page.get_by_label("新就业形态劳动者").check()
    await page.get_by_role("button", name="提交申请").dblclick()  # a double tap asks once
    await expect(page.get_by_role("status")).to_contain_text("申请已提交")
    await page.reload()  # a refresh after the POST asks nothing again
    await expect(page.locator("#verification-state")).to_contain_text("等待工会审核")

    await log_in(page, curator.phone)
    await page.goto("/desk/verifications")
    card = page.locator("section.card", has_text="小周")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("美团南山站")
    await expect(card).to_contain_text("名册中没有这个手机号码")
    await card.get_by_role("button", name="驳回申请").click()  # no reason: refused beside the field
    await expect(page.locator("section.card", has_text="小周").locator(".error")).to_be_visible()
    await page.locator("section.card", has_text="小周").get_by_role("button", name="通过申请").click()
    await expect(page.get_by_role("status")).to_contain_text("已通过")
    await expect(page.locator("section.card", has_text="小周")).to_have_count(0)  # no longer waiting

    await log_in(page, member.phone)
    await page.goto(f"/listings/{listing.id}")
    await expect(page.locator("#verify-first")).to_have_count(0)
    await page.locator("form[action$='/order'] button").first.click()
    await expect(page.get_by_role("status")).to_contain_text("报名成功")  # auto-accepted: a seat held
    await page.goto("/me/verification")
    await expect(page.locator("#verification-state")).to_contain_text("已实名认证")
    await expect(page.locator("#verification-state")).to_contain_text("新就业形态劳动者")
