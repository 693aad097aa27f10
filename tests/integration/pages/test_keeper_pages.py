"""我的驿站 and the desk's station page as they are used: a curator adds a keeper by phone, the keeper's form
sent as it stands (blank days, a closure date, a double tap), photos uploaded from the phone, moved and
removed, a bad file refused beside the field; a keeper kept out of the desk and of other stations; the desk's
list filtered and paged (issue #16, item 1)."""

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from PIL import Image

from marketplace.domain.roles import Role
from marketplace.models import Landmark, Station, StationKeeper, StationOpening, StationPhoto
from marketplace.models.base import utcnow

EVERY_DAY = [{"weekday": d, "opens": 0, "closes": 1440} for d in range(7)]  # open whenever the test runs


def _key(html: str) -> str:
    return re.findall(r'name="_form_key" value="([^"]+)"', html)[0]


def _jpeg(colour=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG")
    return out.getvalue()


async def _stations(client, factory, curator) -> tuple[int, int]:
    made = []
    for name, lat, lon in (("科技园工会驿站", 22.5405, 113.953), ("蛇口港驿站", 22.488, 113.911)):
        body = {"name": name, "address": f"南山区{name}", "lat": lat, "lon": lon, "openings": EVERY_DAY}
        answer = await client.post("/api/v1/admin/stations", json=body, headers=factory.headers(curator))
        made.append(answer.json()["id"])
    return made[0], made[1]


async def test_a_curator_adds_a_keeper_who_edits_their_station_with_the_form_as_it_stands(pages, factory, client):
    curator = await factory.user(Role.curator)
    mine, theirs = await _stations(client, factory, curator)
    person = await factory.user(name="赵站长")
    pages.login(curator)
    await pages.get("/lang/zh-CN")
    desk = await pages.get(f"/desk/stations/{mine}")
    assert "站长" in desk.text and "尚未指定站长" in desk.text
    wrong = await pages.post(f"/desk/stations/{mine}/keepers", {"phone": "139 0000 0000", "_form_key": _key(desk.text)})
    assert wrong.status_code == 404 and "本集市没有使用此手机号的账号" in wrong.text
    key = _key((await pages.get(f"/desk/stations/{mine}")).text)
    first = await pages.post(f"/desk/stations/{mine}/keepers", {"phone": person.phone, "_form_key": key})
    again = await pages.post(f"/desk/stations/{mine}/keepers", {"phone": person.phone, "_form_key": key})
    assert first.status_code == again.status_code == 303
    shown = await pages.get(first.headers["location"])
    assert "赵站长" in shown.text and "站长已添加" in shown.text

    pages.logout()
    pages.login(person)
    await pages.get("/lang/zh-CN")
    home = await pages.get("/keeper")
    assert home.status_code == 200 and "科技园工会驿站" in home.text and "蛇口港驿站" not in home.text
    console = await pages.get(f"/keeper/stations/{mine}")
    assert console.status_code == 200 and "近 30 天每日到访" in console.text and 'accept="image/*"' in console.text
    form = {
        "notice": "热水器维修中",
        "closed_until": "",
        "contact": "0755-26000000",
        **{f"opens_{d}": "08:00" for d in range(5)},
        **{f"closes_{d}": "20:00" for d in range(5)},
        "opens_5": "",
        "closes_5": "",
        "opens_6": "",
        "closes_6": "",
        "facility": ["hot_water", "wifi"],
    }
    bad = await pages.post(f"/keeper/stations/{mine}", form | {"closed_until": "明天", "_form_key": _key(console.text)})
    assert bad.status_code == 400 and "请按“年-月-日”填写日期" in bad.text and 'value="热水器维修中"' in bad.text
    past = await pages.post(f"/keeper/stations/{mine}", form | {"closed_until": "2020-01-01"})
    assert past.status_code == 400 and "暂停开放的结束日期须晚于现在" in past.text
    key = _key(console.text)
    saved = await pages.post(f"/keeper/stations/{mine}", form | {"_form_key": key})
    twice = await pages.post(f"/keeper/stations/{mine}", form | {"_form_key": key})
    assert saved.status_code == twice.status_code == 303 and "keeper_saved" in saved.headers["location"]
    async with factory.sessionmaker() as db:
        station = await db.get(Station, mine)
        hours = (await db.execute(sa.select(StationOpening).where(StationOpening.station_id == mine))).scalars().all()
    assert station.notice == "热水器维修中" and station.facilities == ["hot_water", "wifi"]
    assert sorted((o.weekday, o.opens, o.closes) for o in hours) == [(d, 480, 1200) for d in range(5)]
    public = await pages.get(f"/stations/{mine}")
    assert "热水器维修中" in public.text and "08:00–20:00" in public.text

    # another station, the desk, the star review: refused with a sentence
    other = await pages.get(f"/keeper/stations/{theirs}")
    assert other.status_code == 403 and "您不是该驿站的站长" in other.text
    posted = await pages.post(f"/keeper/stations/{theirs}", form)
    assert posted.status_code == 403
    for path in ("/desk", "/desk/stations", f"/desk/stations/{mine}", "/desk/accounts"):
        refused = await pages.get(path)
        assert refused.status_code == 403 and "您的角色无法访问此页面" in refused.text, path
    inspect = await pages.post(f"/desk/stations/{mine}/inspect", {"inspection": "20"})
    assert inspect.status_code == 403
    keepers = await pages.post(f"/desk/stations/{mine}/keepers", {"phone": person.phone})
    assert keepers.status_code == 403


async def test_photos_from_the_phone_are_uploaded_moved_and_removed_and_bad_files_refused(pages, factory, client):
    curator = await factory.user(Role.curator)
    mine, _ = await _stations(client, factory, curator)
    keeper = await factory.user(name="赵站长")
    await client.post(
        f"/api/v1/admin/stations/{mine}/keepers", json={"user_id": keeper.id}, headers=factory.headers(curator)
    )
    pages.login(keeper)
    await pages.get("/lang/zh-CN")
    url = f"/keeper/stations/{mine}/photos"
    key = _key((await pages.get(f"/keeper/stations/{mine}")).text)
    sent = await pages.post_files(url, {"file": ("IMG_0001.jpg", _jpeg(), "image/jpeg")}, {"_form_key": key})
    twice = await pages.post_files(url, {"file": ("IMG_0001.jpg", _jpeg(), "image/jpeg")}, {"_form_key": key})
    assert sent.status_code == twice.status_code == 303 and "photo_added" in sent.headers["location"]
    await pages.post_files(url, {"file": ("b.png", _jpeg((200, 0, 0)), "image/png")})
    async with factory.sessionmaker() as db:
        photos = (await db.execute(sa.select(StationPhoto).order_by(StationPhoto.position))).scalars().all()
    assert len(photos) == 2  # the double tap added one
    empty = await pages.post_files(url, {"file": ("", b"", "application/octet-stream")})
    assert empty.status_code == 400 and "请选择要上传的图片" in empty.text
    fake = await pages.post_files(url, {"file": ("a.jpg", b"not a picture", "image/jpeg")})
    assert fake.status_code == 400 and 'aria-invalid="true"' in fake.text and "JPEG" in fake.text

    moved = await pages.post(f"{url}/{photos[1].id}/move", {"step": "-1"})
    assert moved.status_code == 303
    async with factory.sessionmaker() as db:
        order = (await db.execute(sa.select(StationPhoto.id).order_by(StationPhoto.position))).scalars().all()
    assert order == [photos[1].id, photos[0].id]
    public = await pages.get(f"/stations/{mine}")
    assert public.text.index(photos[1].name) < public.text.index(photos[0].name)
    assert 'alt="「科技园工会驿站」的第 1 张照片"' in public.text and 'loading="lazy"' in public.text
    assert f'width="{photos[0].width}" height="{photos[0].height}"' in public.text
    removed = await pages.post(f"{url}/{photos[0].id}/remove")
    assert removed.status_code == 303
    assert (await pages.post(f"{url}/{photos[0].id}/remove")).status_code == 404
    # the curator does the same from the desk's station page
    pages.logout()
    pages.login(curator)
    desk = await pages.post_files(f"/desk/stations/{mine}/photos", {"file": ("c.jpg", _jpeg((0, 0, 9)), "image/jpeg")})
    assert desk.status_code == 303 and desk.headers["location"].startswith(f"/desk/stations/{mine}?ok=photo_added")
    async with factory.sessionmaker() as db:
        assert (await db.scalar(sa.select(sa.func.count()).select_from(StationPhoto))) == 2


async def test_the_desk_list_of_stations_filters_and_pages(pages, factory, client):
    curator = await factory.user(Role.curator)
    async with factory.sessionmaker() as db, db.begin():
        db.add(Landmark(market_id=factory.market_id, name="粤海街道", lat=22.533, lon=113.945))
        db.add(Landmark(market_id=factory.market_id, name="蛇口街道", lat=22.485, lon=113.915))
        for n in range(55):
            db.add(Station(market_id=factory.market_id, name=f"驿站{n:02d}", address="粤海", lat=22.533, lon=113.945))
    mine, theirs = await _stations(client, factory, curator)
    person = await factory.user()
    await client.post(
        f"/api/v1/admin/stations/{mine}/keepers", json={"user_id": person.id}, headers=factory.headers(curator)
    )
    pages.login(curator)
    await pages.get("/lang/zh-CN")
    every = await pages.get("/desk/stations")
    assert every.status_code == 200 and "57 个驿站" in every.text and "下一页" in every.text
    second = await pages.get("/desk/stations?page=2")
    assert "驿站55" not in second.text and "蛇口港驿站" in second.text and "上一页" in second.text
    async with factory.sessionmaker() as db:
        shekou = await db.scalar(sa.select(Landmark.id).where(Landmark.name == "蛇口街道"))
    area = await pages.get(f"/desk/stations?area={shekou}&q=&stars=&open=&day=&hour=")
    assert "1 个驿站" in area.text and "蛇口港驿站" in area.text
    found = await pages.get("/desk/stations?q=科技园")
    assert "1 个驿站" in found.text and "科技园工会驿站" in found.text
    closed = await pages.get("/desk/stations?open=0&stars=0")
    assert "55 个驿站" in closed.text  # the 55 without hours are closed; the two with hours every day are open
    odd = await pages.get("/desk/stations?area=x&stars=9&open=maybe&page=-3")
    assert odd.status_code == 200 and "57 个驿站" in odd.text
    async with factory.sessionmaker() as db:
        assert await db.scalar(sa.select(sa.func.count()).select_from(StationKeeper)) == 1


async def test_a_closure_is_shown_while_it_lasts_and_a_station_reopens_by_itself(pages, factory, client):
    curator = await factory.user(Role.curator)
    mine, _ = await _stations(client, factory, curator)
    keeper = await factory.user(name="赵站长")
    await client.post(
        f"/api/v1/admin/stations/{mine}/keepers", json={"user_id": keeper.id}, headers=factory.headers(curator)
    )
    pages.login(keeper)
    await pages.get("/lang/zh-CN")
    console = await pages.get(f"/keeper/stations/{mine}")
    form = {f"opens_{d}": "" for d in range(7)} | {f"closes_{d}": "" for d in range(7)} | {"open_all_day": "1"}
    soon = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    saved = await pages.post(
        f"/keeper/stations/{mine}", form | {"closed_until": soon, "notice": "装修", "_form_key": _key(console.text)}
    )
    assert saved.status_code == 303
    shown = await pages.get(f"/keeper/stations/{mine}")
    assert f'value="{soon}"' in shown.text
    public = await pages.get(f"/stations/{mine}")
    assert "休息中 ·" in public.text and "装修" in public.text  # closed, opening when the closure ends
    async with factory.sessionmaker() as db, db.begin():
        station = await db.get(Station, mine)
        station.closed_until = utcnow() - timedelta(minutes=1)  # the day came
    again = await pages.get(f"/keeper/stations/{mine}")
    assert 'name="closed_until" type="date" value=""' in again.text  # not offered to be sent again
    resent = await pages.post(f"/keeper/stations/{mine}", form | {"closed_until": "", "notice": ""})
    assert resent.status_code == 303
    reopened = await pages.get(f"/stations/{mine}")
    assert "24 小时开放" in reopened.text and "休息中" not in reopened.text and "装修" not in reopened.text
