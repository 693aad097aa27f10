"""扫码签到 in Chromium: the member's code on their order page, typed at the provider's door (the fallback
that always works); attendance is recorded once and the order moves on to delivered."""

import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.async_api import expect

from marketplace.models import CheckIn

from .helpers import log_in


async def test_typed_code_at_the_door_checks_in_and_delivers(page, factory, client):
    category = await factory.category("急救培训", slug="first-aid")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="急救培训", sessions=((2, 10),), auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user(name="陈来了")
    order = await factory.order_in_state(member, listing, "accepted")
    await factory.move_session(session.id, timedelta(minutes=-10))  # the session has begun

    # the member's order page shows the QR code and the short code for typing
    await log_in(page, member.phone)
    await page.goto(f"/orders/{order.id}")
    await expect(page.get_by_role("heading", name="签到码")).to_be_visible()
    await expect(page.locator(".qr svg")).to_be_visible()
    code = (await page.locator("#checkin-code").inner_text()).strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)

    # the provider types it at the door
    await page.context.clear_cookies()
    await log_in(page, provider.phone)
    await page.goto("/provider/schedule")
    await page.get_by_role("link", name="扫码签到").first.click()
    await expect(page.get_by_role("heading", name="扫码签到：急救培训")).to_be_visible()
    await expect(page.get_by_text("已签到 0 / 1 人")).to_be_visible()
    await page.get_by_role("textbox", name=re.compile("^签到码")).fill(code.lower())
    await page.get_by_role("button", name="签到", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("签到成功")
    await expect(page.locator("#last-checked")).to_contain_text("陈来了")
    await expect(page.get_by_text("已签到 1 / 1 人")).to_be_visible()
    await expect(page.get_by_text("已服务，请签收")).to_be_visible()

    # the same code again (a second scan, or a refresh after the POST) says when it was used
    await page.reload()
    await expect(page.get_by_text("已签到 1 / 1 人")).to_be_visible()
    await page.get_by_role("textbox", name=re.compile("^签到码")).fill(code)
    await page.get_by_role("button", name="签到", exact=True).click()
    await expect(page.locator("#e-code")).to_have_text(re.compile(r"^已签到 \d\d:\d\d。$"))
    # a made-up code is refused in Chinese
    await page.get_by_role("textbox", name=re.compile("^签到码")).fill("ABCDEF")
    await page.get_by_role("button", name="签到", exact=True).click()
    await expect(page.locator("#e-code")).to_have_text("签到码无效。")

    answer = await client.get(f"/api/v1/orders/{order.id}", headers=factory.headers(member))
    assert answer.json()["state"] == "delivered"
    async with factory.sessionmaker() as db:
        row = (await db.execute(sa.select(CheckIn).where(CheckIn.order_id == order.id))).scalar_one()
        assert row.checked_in_by == provider.id and row.method == "typed"


# The camera and the QR reader stand in for the phone's: a canvas stream and a BarcodeDetector that reads the
# member's token (the real one is the browser's; Chromium on Linux has none). Everything else is the page's
# own script and the server's answer.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  async detect(video) { return video.readyState >= 2 ? [{ rawValue: window.__qr }] : []; }
};
if (!navigator.mediaDevices) Object.defineProperty(navigator, "mediaDevices", { value: {} });
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  const paint = () => { canvas.getContext("2d").fillRect(0, 0, 64, 64); };
  paint(); setInterval(paint, 100);
  return canvas.captureStream(10);
};
"""


async def test_the_door_camera_reads_a_members_qr_and_checks_them_in(page, factory, client):
    category = await factory.category("急救培训", slug="first-aid-cam")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="急救培训", sessions=((2, 10),), auto_accept=True)
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user(name="林扫码")
    order = await factory.order_in_state(member, listing, "accepted")
    await factory.move_session(session.id, timedelta(minutes=-10))
    token = (await client.get(f"/api/v1/orders/{order.id}/check-in", headers=factory.headers(member))).json()["token"]

    await page.add_init_script(FAKE_CAMERA + f"window.__qr = {token!r};")
    await log_in(page, provider.phone)
    await page.goto(f"/provider/sessions/{session.id}/checkin")
    await page.get_by_role("button", name="用摄像头扫码").click()
    await expect(page.get_by_role("status")).to_contain_text("签到成功")
    await expect(page.locator("#last-checked")).to_contain_text("林扫码")
    await expect(page.get_by_text("已签到 1 / 1 人")).to_be_visible()
    async with factory.sessionmaker() as db:
        row = (await db.execute(sa.select(CheckIn).where(CheckIn.order_id == order.id))).scalar_one()
        assert row.method == "scan" and row.checked_in_by == provider.id
    answer = await client.get(f"/api/v1/orders/{order.id}", headers=factory.headers(member))
    assert answer.json()["state"] == "delivered"
