"""Station pages as they are used: the curator's form sent as it stands (blank days, a night opening, a
double tap), the member's search with the form's empty fields, check-in by the poster's code, ratings."""

import re

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Landmark, Station, StationOpening, StationVisit

FORM = {
    "name": "科技园工会驿站",
    "address": "科苑路15号",
    "lat": "22.5405",
    "lon": "113.953",
    "contact": "",
    **{f"opens_{d}": "" for d in range(7)},
    **{f"closes_{d}": "" for d in range(7)},
}


def _key(html: str) -> str:
    return re.findall(r'name="_form_key" value="([^"]+)"', html)[0]


async def test_a_curator_records_a_station_through_the_form_once_with_a_night_opening(pages, factory):
    curator = await factory.user(Role.curator)
    pages.login(curator)
    await pages.get("/lang/zh-CN")
    blank = await pages.post(
        "/desk/stations", {**FORM, "lat": "", "_form_key": _key((await pages.get("/desk/stations/new")).text)}
    )
    assert blank.status_code == 400 and "请用数字填写坐标" in blank.text
    no_hours = await pages.post("/desk/stations", FORM)
    assert no_hours.status_code == 400 and "请填写开放时间" in no_hours.text
    bad_time = await pages.post("/desk/stations", {**FORM, "opens_0": "7点", "closes_0": "22:00"})
    assert bad_time.status_code == 400 and "请按“时:分”填写" in bad_time.text

    key = _key((await pages.get("/desk/stations/new")).text)
    form = {
        **FORM,
        "opens_0": "07:00",
        "closes_0": "22:00",
        "opens_4": "22:00",
        "closes_4": "06:00",
        "facility": ["hot_water", "toilet"],
        "_form_key": key,
    }
    first, second = await pages.post("/desk/stations", form), await pages.post("/desk/stations", form)
    assert first.status_code == second.status_code == 303 and first.headers["location"] == second.headers["location"]
    async with factory.sessionmaker() as db:
        [station] = (await db.execute(sa.select(Station))).scalars().all()
        openings = (
            await db.execute(
                sa.select(StationOpening.weekday, StationOpening.opens, StationOpening.closes).order_by(
                    StationOpening.weekday
                )
            )
        ).all()
    assert station.facilities == ["hot_water", "toilet"]
    assert openings == [(0, 420, 1320), (4, 1320, 1440), (5, 0, 360)]  # Friday night runs into Saturday

    edit = await pages.get(first.headers["location"])
    assert edit.status_code == 200 and "驿站已保存" in edit.text
    assert 'value="22:00"' in edit.text and 'value="06:00"' in edit.text  # the night opening shown as one
    assert '<svg role="img"' in edit.text and "扫码签到" in edit.text
    empty_score = await pages.post(f"/desk/stations/{station.id}/inspect", {"inspection": "", "note": ""})
    assert empty_score.status_code == 400 and "检查得分为 0 到 20 分" in empty_score.text
    scored = await pages.post(f"/desk/stations/{station.id}/inspect", {"inspection": "20", "note": "很好"})
    assert scored.status_code == 303
    assert "星级评定已记录" in (await pages.get(scored.headers["location"])).text
    member = await factory.user()
    pages.login(member)
    assert (await pages.post("/desk/stations", {**form, "_form_key": "form:x"})).status_code == 403


async def test_a_member_finds_stations_from_a_place_checks_in_by_the_poster_and_rates(pages, factory, client):
    curator, member = await factory.user(Role.curator), await factory.user(groups=["new_employment"])
    async with factory.sessionmaker() as db, db.begin():
        db.add(Landmark(market_id=factory.market_id, name="粤海街道", lat=22.533, lon=113.945))
    headers = factory.headers(curator)
    every_day = [{"weekday": d, "opens": 0, "closes": 1440} for d in range(7)]
    near = {
        "name": "近处驿站",
        "address": "甲",
        "lat": 22.534,
        "lon": 113.946,
        "openings": every_day,
        "facilities": ["hot_water"],
    }
    far = {**near, "name": "远处驿站", "lat": 22.56, "lon": 113.99, "facilities": []}
    station_id = (await client.post("/api/v1/admin/stations", json=near, headers=headers)).json()["id"]
    await client.post("/api/v1/admin/stations", json=far, headers=headers)

    pages.login(member)
    await pages.get("/lang/zh-CN")
    empty = await pages.get("/stations?lat=&lon=&place=&open_now=")
    assert empty.status_code == 200 and "选择地点" in empty.text and "离您最近" not in empty.text
    found = await pages.get("/stations?lat=&lon=&place=1&facility=hot_water&open_now=1")
    assert found.status_code == 200
    assert "离粤海街道最近" in found.text and "近处驿站" in found.text and "远处驿站" not in found.text
    assert "步行约" in found.text and "营业中" in found.text
    both = await pages.get("/stations?place=1")
    assert both.text.index("近处驿站") < both.text.index("远处驿站") and "步行超过 15 分钟" in both.text
    for bad in (
        "/stations?lat=abc&lon=1",
        "/stations?lat=nan&lon=nan",
        "/stations?place=999",
        "/stations?lat=1e999&lon=0",
    ):
        refused = await pages.get(bad)
        assert refused.status_code == 400 and (
            "请用数字填写坐标" in refused.text or "请从列表中选择地点" in refused.text
        ), bad

    pages.login(curator)
    poster = (await pages.get(f"/desk/stations/{station_id}")).text
    code = re.search(r"/visit\?code=([0-9a-f]{16})", poster)[1]
    pages.login(member)
    wrong = await pages.post(f"/stations/{station_id}/visit", {"code": "0" * 16})
    assert wrong.status_code == 403 and "这不是本驿站的签到码" in wrong.text
    form = await pages.get(f"/stations/{station_id}/visit?code={code}")
    assert form.status_code == 200 and "在近处驿站签到" in form.text
    key = _key(form.text)
    for _ in range(2):  # a double tap
        visited = await pages.post(f"/stations/{station_id}/visit", {"code": code, "_form_key": key})
        assert visited.status_code == 303 and visited.headers["location"].endswith("ok=visited")
    async with factory.sessionmaker() as db:
        assert await db.scalar(sa.select(sa.func.count()).select_from(StationVisit)) == 1
    assert "签到成功" in (await pages.get(visited.headers["location"])).text

    no_star = await pages.post(f"/stations/{station_id}/review", {"comment": "好"})
    assert no_star.status_code == 400 and "请选择一到五颗星" in no_star.text
    rated = await pages.post(f"/stations/{station_id}/review", {"stars": "4", "comment": "热水很方便"})
    assert rated.status_code == 303
    page = (await pages.get(rated.headers["location"])).text
    assert "热水很方便" in page and "4 分（1 人评分）" in page and "00:00–24:00" in page
    pages.logout()
    assert (await pages.get(f"/stations/{station_id}/visit?code={code}")).status_code in (302, 303)
