"""A provider sets the weekly times the matcher uses on the profile page, and they are kept."""

from playwright.async_api import expect

from .helpers import log_in


async def test_provider_sets_weekly_availability_on_the_profile_page(page, factory, client):
    category = await factory.category("法律咨询", slug="law")
    provider = await factory.provider([category], name="周律师", capacity=5)

    await log_in(page, provider.phone)
    await page.get_by_role("link", name="服务者工作台").click()
    await page.get_by_role("link", name="我的资料").click()
    await expect(page.get_by_role("group", name="每周通常有空的时间")).to_be_visible()
    await page.locator("#w0-day").select_option(label="星期三")
    await page.locator("#w0-start").fill("18:30")
    await page.locator("#w0-end").fill("20:30")
    await page.get_by_label("可同时承接的订单数").fill("3")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_contain_text("已保存")

    await page.reload()  # what the page shows again is what was stored
    await expect(page.locator("#w0-day")).to_have_value("2")
    await expect(page.locator("#w0-start")).to_have_value("18:30")
    await expect(page.locator("#w0-end")).to_have_value("20:30")
    public = (await client.get(f"/api/v1/providers/{provider.id}")).json()
    assert public["availability"] == [{"weekday": 2, "start": "18:30", "end": "20:30"}]
    assert public["capacity"] == 3
