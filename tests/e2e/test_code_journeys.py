"""验证码 in Chromium: register (the phone proven first), log in with a code, forget the password and set a
new one — with the development sender (the test reads the code from its inbox, as a phone would), and once
more through a local SMS gateway that receives the signed webhook."""

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import expect

from ..codes import last_code
from ..live import service_env, serving
from .conftest import PHONE


async def _ask_code(page, phone: str) -> None:
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    await expect(page.get_by_role("status")).to_contain_text("分钟内有效")
    await expect(page.get_by_role("status")).to_contain_text(phone[:3] + "****" + phone[-4:])


async def _log_out(page) -> None:
    await page.get_by_role("button", name="退出", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("已退出")


async def _reset_then_log_in(page, phone: str, code_of: Callable[[], Awaitable[str]], password: str) -> None:
    """忘记密码 from the login page with the code `code_of` gives once it is asked for; then the new password
    logs in."""
    await page.goto("/login")
    await page.get_by_role("link", name="忘记密码").click()
    await _ask_code(page, phone)
    await page.get_by_label("验证码", exact=True).fill(await code_of())
    await page.get_by_label("新密码").fill(password)
    await page.get_by_role("button", name="确认设置新密码").click()
    await expect(page.get_by_role("status")).to_contain_text("新密码已设置")
    await _log_out(page)
    await page.goto("/login")
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_label("密码", exact=True).fill(password)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("status")).to_contain_text("登录成功")


async def test_register_log_in_and_reset_with_codes_from_the_development_sender(page, settings, factory):
    phone = "13912346666"
    code_of = lambda purpose: last_code(settings, phone, purpose)  # noqa: E731

    await page.goto("/register")
    await expect(page.get_by_label("验证码", exact=True)).to_have_count(0)  # step 1: the phone only
    await _ask_code(page, phone)
    await page.get_by_label("验证码", exact=True).fill(code_of("register"))
    await page.get_by_label("姓名").fill("陈师傅")
    await page.get_by_label("密码", exact=True).fill("wood-and-glue-3")
    await page.get_by_role("button", name="注册").click()
    await expect(page.get_by_role("status")).to_contain_text("欢迎")
    await _log_out(page)

    # 验证码登录; then the same code again is refused
    await page.goto("/login")
    await page.get_by_role("link", name="验证码登录").click()
    await _ask_code(page, phone)
    login_code = code_of("login")
    await page.get_by_label("验证码", exact=True).fill(login_code)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("status")).to_contain_text("登录成功")
    await _log_out(page)
    await page.goto("/login?way=code")
    await expect(page.get_by_label("验证码", exact=True)).to_have_count(0)  # the phone was forgotten at login
    await _ask_code(page, phone)
    await page.get_by_label("验证码", exact=True).fill(login_code)  # the spent one, not the new one
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#e-code")).to_contain_text("验证码错误或已过期")

    # 忘记密码: a new password, then it logs in

    async def reset_code() -> str:
        return code_of("reset")

    await _reset_then_log_in(page, phone, reset_code, "chisel-and-plane-8")


async def test_an_expired_code_is_refused_in_the_page(page, settings, factory, engine):
    import sqlalchemy as sa

    from marketplace.models import OneTimeCode
    from marketplace.models.base import utcnow

    member = await factory.user()
    await page.goto("/login?way=code")
    await _ask_code(page, member.phone)
    async with engine.begin() as conn:
        await conn.execute(sa.update(OneTimeCode).values(expires_at=utcnow()))
    await page.get_by_label("验证码", exact=True).fill(last_code(settings, member.phone, "login"))
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#e-code")).to_contain_text("验证码错误或已过期")


class _Gateway:
    """The union's SMS gateway, in miniature: checks the signature, keeps the codes."""

    def __init__(self, key: str) -> None:
        self.codes: dict[str, str] = {}
        self.refused = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
                if hmac.compare_digest(self.headers.get("X-Marketplace-Signature", ""), expected):
                    message = json.loads(body)
                    gateway.codes[message["phone"]] = message["code"]
                    self.send_response(200)
                else:
                    gateway.refused += 1
                    self.send_response(401)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook_server(settings):
    """A second `marketplace serve` whose codes go through the signed webhook to a local gateway."""
    gateway = _Gateway(settings.key("sms-webhook"))
    env = service_env(
        settings, SMS_GATEWAY="webhook", SMS_WEBHOOK_URL=gateway.url, DEV_SMS_INBOX=str(settings.sms_inbox)
    )
    try:
        with serving(env) as base:
            yield base, gateway
    finally:
        gateway.server.shutdown()
        gateway.server.server_close()


async def _code_from(gateway: "_Gateway", phone: str, before: str | None = None) -> str:
    """The latest code the gateway received for this phone, waiting (briefly) for one other than `before`:
    the web process sends it right after its commit, which may be a moment after the page answered."""
    for _ in range(100):
        code = gateway.codes.get(phone)
        if code is not None and code != before:
            return code
        await asyncio.sleep(0.05)
    raise AssertionError(f"no new code reached the gateway for {phone}")


async def test_register_log_in_and_reset_with_codes_through_the_signed_webhook(browser, webhook_server, settings):
    base, gateway = webhook_server
    context = await browser.new_context(base_url=base, viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    try:
        phone = "13912347777"
        await page.goto("/register")
        await _ask_code(page, phone)
        registered = await _code_from(gateway, phone)
        await page.get_by_label("验证码", exact=True).fill(registered)
        await page.get_by_label("姓名").fill("钱师傅")
        await page.get_by_label("密码", exact=True).fill("saw-and-file-5")
        await page.get_by_role("button", name="注册").click()
        await expect(page.get_by_role("status")).to_contain_text("欢迎")
        await _log_out(page)
        await page.goto("/login?way=code")
        await _ask_code(page, phone)
        logged_in = await _code_from(gateway, phone, registered)
        await page.get_by_label("验证码", exact=True).fill(logged_in)
        await page.get_by_role("button", name="登录").click()
        await expect(page.get_by_role("status")).to_contain_text("登录成功")
        await _log_out(page)
        # 忘记密码 through the gateway too, then the new password opens the account
        await _reset_then_log_in(page, phone, lambda: _code_from(gateway, phone, logged_in), "rasp-and-awl-7")
        assert gateway.refused == 0
        try:
            sent_by_dev = last_code(settings, phone)
        except AssertionError:
            sent_by_dev = None
        assert sent_by_dev is None  # nothing went through the development sender
    finally:
        await context.close()
