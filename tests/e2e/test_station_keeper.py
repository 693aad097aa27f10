"""On a phone in Chromium: a station keeper (站长) opens 我的驿站, changes the hours with the form as it stands,
posts a notice and a photo from the phone, and the public station page shows them; on the desk, a curator
filters the list of stations and gives one to a keeper (issue #16, item 1)."""

import re

from PIL import Image
from playwright.async_api import expect

from marketplace.domain.roles import Role
from marketplace.models import Landmark

from .conftest import ARTIFACTS, PHONE
from .helpers import log_in

EVERY_DAY = [{"weekday": d, "opens": 420, "closes": 1320} for d in range(7)]


async def _stations(factory, client, curator) -> dict[str, int]:
    headers, made = factory.headers(curator), {}
    for name, lat, lon in (
        ("科技园工会驿站", 22.5405, 113.953),
        ("深大地铁站驿站", 22.5400, 113.939),
        ("蛇口港驿站", 22.4880, 113.911),
    ):
        body = {"name": name, "address": f"南山区{name}", "lat": lat, "lon": lon, "openings": EVERY_DAY}
        made[name] = (await client.post("/api/v1/admin/stations", json=body, headers=headers)).json()["id"]
    await client.post(
        f"/api/v1/admin/stations/{made['蛇口港驿站']}/inspections", json={"inspection": 20}, headers=headers
    )
    return made


async def test_a_keeper_changes_the_hours_and_adds_a_photo_from_the_phone(
    browser, live_server, factory, client, tmp_path
):
    curator = await factory.user(Role.curator)
    stations = await _stations(factory, client, curator)
    keeper = await factory.user(name="赵站长")
    station = stations["科技园工会驿站"]
    given = {"user_id": keeper.id}
    await client.post(f"/api/v1/admin/stations/{station}/keepers", json=given, headers=factory.headers(curator))
    photo = tmp_path / "驿站门口.jpg"
    Image.new("RGB", (1600, 1200), (40, 120, 90)).save(photo, "JPEG")

    context = await browser.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    try:
        await log_in(page, keeper.phone)
        await page.get_by_role("link", name="我的驿站").click()
        await expect(page.get_by_role("heading", name="我的驿站")).to_be_visible()
        await expect(page.get_by_role("link", name="深大地铁站驿站")).to_have_count(0)  # not theirs
        await page.get_by_role("link", name="科技园工会驿站").click()
        await expect(page.get_by_role("heading", name=re.compile("科技园工会驿站"))).to_be_visible()

        # Monday 08:00–20:00, Sunday closed (both times blank), a notice; the rest of the form as it stands
        await page.locator('input[name="opens_0"]').fill("08:00")
        await page.locator('input[name="closes_0"]').fill("20:00")
        await page.locator('input[name="opens_6"]').fill("")
        await page.locator('input[name="closes_6"]').fill("")
        await page.get_by_label("给来访者的公告（选填）").fill("热水器维修中，可正常休息")
        await page.get_by_role("button", name="保存驿站").click()
        await expect(page.get_by_role("status")).to_contain_text("驿站信息已保存")
        await page.reload()  # a refresh after the POST changes nothing more
        await expect(page.get_by_role("status")).to_contain_text("驿站信息已保存")

        await page.get_by_label(re.compile("添加照片")).set_input_files(str(photo))
        await page.get_by_role("button", name="上传照片").click()
        await expect(page.get_by_role("status")).to_contain_text("照片已添加")
        await expect(page.get_by_role("img", name="「科技园工会驿站」的第 1 张照片")).to_have_attribute("width", "400")

        await page.get_by_role("link", name="查看公开页面").click()
        picture = page.get_by_role("img", name="「科技园工会驿站」的第 1 张照片")
        await expect(picture).to_be_visible()
        await expect(picture).to_have_attribute("width", "1280")
        assert await picture.evaluate("img => img.complete && img.naturalWidth") == 1280
        await expect(page.get_by_role("note")).to_contain_text("热水器维修中")
        hours = page.get_by_role("table").filter(has_text="星期一")
        await expect(hours.get_by_role("row", name=re.compile("星期一"))).to_contain_text("08:00–20:00")
        await expect(hours.get_by_role("row", name=re.compile("星期日"))).to_contain_text("不开放")

        # the star review and the desk are the union's
        await page.goto(f"/desk/stations/{station}")
        await expect(page.get_by_text("您的角色无法访问此页面")).to_be_visible()
        await page.goto(f"/keeper/stations/{stations['深大地铁站驿站']}")
        await expect(page.get_by_text("您不是该驿站的站长")).to_be_visible()
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "station_keeper.png"), full_page=True)
        await context.close()


async def test_a_curator_filters_the_stations_and_gives_one_to_a_keeper(page, factory, client):
    curator = await factory.user(Role.curator)
    async with factory.sessionmaker() as db, db.begin():
        db.add(Landmark(market_id=factory.market_id, name="粤海街道", lat=22.533, lon=113.945))
        db.add(Landmark(market_id=factory.market_id, name="蛇口街道", lat=22.485, lon=113.915))
    await _stations(factory, client, curator)
    person = await factory.user(name="钱站长")
    await log_in(page, curator.phone)
    await page.goto("/desk/stations")
    listing = page.get_by_role("region", name="全部驿站")
    await expect(listing.get_by_role("status")).to_contain_text("3 个驿站")
    await listing.get_by_role("combobox", name=re.compile("^所在片区")).select_option(label="粤海街道")
    await listing.get_by_role("combobox", name=re.compile("^星级")).select_option(label="尚未评星")
    await listing.get_by_role("button", name="搜索").click()
    await expect(listing.get_by_role("status")).to_contain_text("2 个驿站")
    await expect(listing.get_by_role("link", name="蛇口港驿站")).to_have_count(0)
    await listing.get_by_label("名称或地址").fill("深大")
    await listing.get_by_role("button", name="搜索").click()
    await expect(listing.get_by_role("status")).to_contain_text("1 个驿站")
    await expect(listing.get_by_role("combobox", name=re.compile("^所在片区"))).to_have_value(
        re.compile(r"\d+")
    )  # the filters stay chosen

    await listing.get_by_role("link", name="深大地铁站驿站").click()
    await page.get_by_label("新站长账号的手机号").fill(person.phone)
    await page.get_by_role("button", name="设为站长").click()
    await expect(page.get_by_role("status")).to_contain_text("站长已添加")
    keepers = page.get_by_role("region", name="站长", exact=True)
    await expect(keepers).to_contain_text("钱站长")
    await page.goto("/desk/stations")
    row = page.get_by_role("row", name=re.compile("深大地铁站驿站"))
    await expect(row.get_by_role("cell").last).to_have_text("1")
