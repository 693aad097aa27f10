"""A member types a need: the form suggests its category as they type, and they post it."""

from playwright.async_api import expect

from ..integration.test_classify_needs import _tree
from .helpers import log_in


async def test_the_need_form_suggests_the_category_while_the_member_types(page, factory):
    tree, legal = await _tree(factory)
    member = await factory.user(name="刘师傅")
    await log_in(page, member.phone)
    await page.goto("/need")
    hint = page.locator("[data-suggestion]")
    await expect(hint).to_be_hidden()
    await page.get_by_label("您需要什么（简述）").press_sequentially("老板拖欠工资三个月不给", delay=20)
    await expect(hint).to_be_visible(timeout=15_000)  # the first suggestion loads the segmenter
    await expect(hint).to_contain_text("劳动争议")
    await expect(page.get_by_label("分类")).to_have_value(str(legal["labour"].id))

    # the member's own choice is kept: a later suggestion no longer changes it
    await page.get_by_label("分类").select_option(str(tree["calligraphy"].id))
    async with page.expect_response(lambda r: "/need/suggest" in r.url) as answered:
        await page.get_by_label("详细说明（选填）").fill("还有加班费也没给")
    assert (await (await answered.value).json()) == {"category_id": legal["labour"].id}
    await expect(page.get_by_label("分类")).to_have_value(str(tree["calligraphy"].id))
    await page.get_by_role("button", name="提交需求").click()
    await expect(page.get_by_role("status")).to_contain_text("需求已提交")
