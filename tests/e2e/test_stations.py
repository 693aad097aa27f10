"""On a phone in Chromium: a rider finds the nearest open station with hot water from where they stand
(the browser's location, granted), sees what is on there and checks in by the poster's code; the curator's
coverage map shows where the 15-minute rest circle has gaps (issue #16)."""

import re

from playwright.async_api import expect

from marketplace.db import make_sessionmaker
from marketplace.domain.roles import Role
from marketplace.models import Landmark, Listing
from marketplace.services.stations import visit_code

from .conftest import ARTIFACTS, PHONE
from .helpers import log_in

HERE = {"latitude": 22.5330, "longitude": 113.9450}
EVERY_DAY = [{"weekday": d, "opens": 0, "closes": 1440} for d in range(7)]


async def _stations(factory, client, curator) -> dict[str, int]:
    headers = factory.headers(curator)
    made = {}
    for name, lat, lon, facilities, openings in (
        ("粤海热水驿站", 22.5340, 113.9460, ["hot_water", "charging"], EVERY_DAY),
        ("科苑无热水驿站", 22.5332, 113.9452, ["charging"], EVERY_DAY),  # nearer, but no hot water
        ("白石洲关门驿站", 22.5335, 113.9455, ["hot_water"], [{"weekday": 0, "opens": 0, "closes": 1}]),
        ("西丽远处驿站", 22.5850, 113.9550, ["hot_water"], EVERY_DAY),  # open, but far: a gap between
    ):
        body = {"name": name, "address": f"南山区{name}", "lat": lat, "lon": lon, "openings": openings}
        answer = await client.post("/api/v1/admin/stations", json=body | {"facilities": facilities}, headers=headers)
        made[name] = answer.json()["id"]
    return made


async def test_a_rider_finds_the_nearest_open_station_with_hot_water_and_checks_in(
    browser, live_server, factory, client, engine
):
    curator = await factory.user(Role.curator)
    rider = await factory.user(name="外卖骑手小李", groups=["new_employment"])
    stations = await _stations(factory, client, curator)
    category = await factory.category("急救培训")
    provider = await factory.provider([category], name="张医生")
    listing = await factory.listing(provider, category, title="骑手急救小课堂", sessions=[(3, 20)])
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            Listing.__table__.update().where(Listing.id == listing.id).values(station_id=stations["粤海热水驿站"])
        )
        db.add(Landmark(market_id=factory.market_id, name="西丽街道", lat=22.585, lon=113.955))

    context = await browser.new_context(
        base_url=live_server, viewport=PHONE, locale="zh-CN", geolocation=HERE, permissions=["geolocation"]
    )
    page = await context.new_page()
    try:
        await log_in(page, rider.phone)
        await page.get_by_role("link", name="驿站").first.click()
        await expect(page.get_by_role("heading", name="附近的工会驿站")).to_be_visible()
        await page.get_by_label("热水").check()
        await page.get_by_label("只看营业中").check()
        await page.get_by_role("button", name="使用我的位置").click()
        await expect(page.get_by_role("heading", name="离您最近")).to_be_visible()
        cards = page.locator("ul.cards > li")
        await expect(cards.first).to_contain_text("粤海热水驿站")
        await expect(cards.first).to_contain_text("营业中")
        await expect(cards.first).to_contain_text(re.compile(r"步行约 \d+ 分钟"))
        text = await page.locator("main").inner_text()
        assert "科苑无热水驿站" not in text and "白石洲关门驿站" not in text  # filtered out, as asked
        assert text.index("粤海热水驿站") < text.index("西丽远处驿站")

        await cards.first.get_by_role("link", name="粤海热水驿站").click()
        await expect(page.get_by_role("heading", name="驿站近期服务")).to_be_visible()
        await expect(page.get_by_role("link", name="骑手急救小课堂")).to_be_visible()

        # the poster at the station: the curator's page shows the code the rider scans
        async with make_sessionmaker(engine, factory.settings)() as db:
            code = visit_code(db, stations["粤海热水驿站"])
        await page.goto(f"/stations/{stations['粤海热水驿站']}/visit?code={code}")
        await page.get_by_role("button", name="签到").click()
        await expect(page.get_by_role("status")).to_contain_text("签到成功")
        await expect(page.locator("main")).to_contain_text("近 30 天 1 人次到访")

        # without a location: the member chooses a place instead
        await page.goto("/stations")
        await page.get_by_label("在哪附近").select_option(label="西丽街道")
        await page.get_by_role("button", name="查找驿站").click()
        await expect(page.get_by_role("heading", name="离西丽街道最近")).to_be_visible()
        await expect(page.locator("ul.cards > li").first).to_contain_text("西丽远处驿站")
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "stations_member.png"), full_page=True)
        await context.close()


async def test_the_coverage_map_shows_the_gaps_of_the_rest_circle(page, factory, client):
    curator = await factory.user(Role.curator)
    await _stations(factory, client, curator)
    await log_in(page, curator.phone)
    await page.goto("/desk/stations")
    await expect(page.get_by_role("heading", name="15 分钟休息圈")).to_be_visible()
    summary = await page.locator("main").inner_text()
    share = int(re.search(r"辖区内 (\d+)% 的区域步行 15 分钟内没有开放的驿站", summary)[1])
    assert 0 < share < 100  # two clusters of stations 6 km apart: covered around each, a gap between
    coverage = page.get_by_role("img", name=re.compile("覆盖地图"))
    await expect(coverage).to_be_visible()
    assert await coverage.locator("rect.cov-gap").count() > 0 and await coverage.locator("rect.cov-near").count() > 0
    assert await coverage.locator("circle.cov-open").count() == 3  # the one closed now is drawn hollow
    assert await coverage.locator("circle.cov-closed").count() == 1
