"""Steps the browser scenarios share."""

from playwright.async_api import Page, expect

from ..factories import PASSWORD


async def log_in(page: Page, phone: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("status")).to_contain_text("登录成功")
