"""Station keepers (站长) and station photos through the API: a curator gives a person stations to keep
(audited), the keeper changes their own station's hours, notice and closure and its photos — never another
station, never its star level, never the desk — and the desk's list of stations filters and pages
(issue #16, item 1)."""

import io
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image

from marketplace.domain.roles import Role
from marketplace.models import AuditEvent, Landmark, User
from marketplace.models.base import utcnow

EVERY_DAY = [{"weekday": d, "opens": 0, "closes": 1440} for d in range(7)]
CLOSED_ALWAYS = [{"weekday": 0, "opens": 0, "closes": 1}]


def _jpeg(colour=(10, 120, 200), size=(1600, 1200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


async def _station(client, curator_headers, name: str, lat=22.5405, lon=113.953, openings=EVERY_DAY, **more) -> int:
    body = {"name": name, "address": f"南山区{name}", "lat": lat, "lon": lon, "openings": openings} | more
    made = await client.post("/api/v1/admin/stations", json=body, headers=curator_headers)
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def test_a_curator_gives_a_station_to_a_keeper_who_edits_it_and_no_other(client, factory):
    curator = await factory.user(Role.curator)
    c = factory.headers(curator)
    mine = await _station(client, c, "科技园驿站")
    theirs = await _station(client, c, "蛇口驿站", lat=22.488, lon=113.911)
    person = await factory.user(name="赵站长")
    k = factory.headers(person)
    assert (await client.get("/api/v1/keeper/stations", headers=k)).status_code == 403  # not a keeper yet

    given = await client.post(f"/api/v1/admin/stations/{mine}/keepers", json={"phone": person.phone}, headers=c)
    assert given.status_code == 201, given.text
    assert given.json()["name"] == "赵站长" and "****" in given.json()["phone"]
    again = await client.post(f"/api/v1/admin/stations/{mine}/keepers", json={"user_id": person.id}, headers=c)
    assert again.status_code == 201  # the same station again changes nothing
    keepers = await client.get(f"/api/v1/admin/stations/{mine}/keepers", headers=c)
    assert [x["user_id"] for x in keepers.json()] == [person.id]
    assert "keeper" in (await client.get("/api/v1/me", headers=k)).json()["roles"]

    listed = await client.get("/api/v1/keeper/stations", headers=k)
    assert listed.status_code == 200 and [s["id"] for s in listed.json()["items"]] == [mine]
    soon = (utcnow() + timedelta(days=3)).isoformat()
    edit = {
        "openings": [{"weekday": d, "opens": 480, "closes": 1200} for d in range(5)],
        "facilities": ["hot_water", "wifi"],
        "contact": "0755-26000000",
        "notice": "周末装修，暂停开放",
        "closed_until": soon,
    }
    changed = await client.put(f"/api/v1/keeper/stations/{mine}", json=edit, headers=k)
    assert changed.status_code == 200, changed.text
    out = changed.json()
    assert out["facilities"] == ["hot_water", "wifi"] and out["notice"] == "周末装修，暂停开放"
    assert out["closed_until"] is not None and len(out["openings"]) == 5 and out["name"] == "科技园驿站"
    public = (await client.get(f"/api/v1/stations/{mine}")).json()
    assert public["notice"] == "周末装修，暂停开放" and public["contact"] == "0755-26000000"
    near = await client.get("/api/v1/stations/nearest", params={"lat": 22.5405, "lon": 113.953, "limit": 5})
    found = next(s for s in near.json()["items"] if s["id"] == mine)
    assert not found["open_now"]  # closed for the while, whatever the hours say

    other = await client.put(f"/api/v1/keeper/stations/{theirs}", json=edit, headers=k)
    assert other.status_code == 403 and "do not keep this station" in other.json()["detail"]
    for bad, field in (
        ({"closed_until": (utcnow() - timedelta(hours=1)).isoformat()}, "closed_until"),
        ({"openings": []}, "openings"),
        ({"facilities": ["sauna"]}, "facilities"),
        ({"notice": "x" * 201}, "notice"),
    ):
        refused = await client.put(f"/api/v1/keeper/stations/{mine}", json=edit | bad, headers=k)
        assert refused.status_code == 400, (bad, refused.text)
        assert field in refused.text
    # not the star level, not the record, not the desk
    assert (
        await client.post(f"/api/v1/admin/stations/{mine}/inspections", json={"inspection": 20}, headers=k)
    ).status_code == 403
    whole = {"name": "改名", "address": "x", "lat": 22.5, "lon": 113.9, "openings": EVERY_DAY}
    assert (await client.put(f"/api/v1/admin/stations/{mine}", json=whole, headers=k)).status_code == 403
    desk = await client.get("/api/v1/admin/stations", headers=k)
    assert desk.status_code == 403 and desk.json()["detail"]
    assert (await client.get("/api/v1/admin/stats", headers=k)).status_code == 403

    figures = await client.get(f"/api/v1/keeper/stations/{mine}/figures", headers=k)
    assert figures.status_code == 200 and len(figures.json()["by_day"]) == 30 and len(figures.json()["by_hour"]) == 24
    assert (await client.get(f"/api/v1/keeper/stations/{theirs}/figures", headers=k)).status_code == 403

    # a curator's ticks on the accounts page do not take the keeper role away
    roles = await client.put(f"/api/v1/admin/users/{person.id}/roles", json={"roles": ["member"]}, headers=c)
    assert roles.status_code == 200 and "keeper" in roles.json()["roles"]

    removed = await client.delete(f"/api/v1/admin/stations/{mine}/keepers/{person.id}", headers=c)
    assert removed.status_code == 204
    assert (await client.delete(f"/api/v1/admin/stations/{mine}/keepers/{person.id}", headers=c)).status_code == 404
    async with factory.sessionmaker() as db:
        assert (await db.get(User, person.id)).roles == ["member"]
        actions = (await db.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))).scalars().all()
    assert actions.count("assign_keeper") == 1 and actions.count("remove_keeper") == 1
    assert "station_notice" in actions
    assert (await client.put(f"/api/v1/keeper/stations/{mine}", json=edit, headers=k)).status_code == 403


async def test_keepers_are_given_only_by_curators_to_people_of_the_market(client, factory):
    curator, operator = await factory.user(Role.curator), await factory.user(Role.operator)
    station = await _station(client, factory.headers(curator), "科技园驿站")
    person = await factory.user()
    url = f"/api/v1/admin/stations/{station}/keepers"
    assert (await client.post(url, json={"user_id": person.id}, headers=factory.headers(operator))).status_code == 403
    c = factory.headers(curator)
    for body, status, field in (
        ({}, 400, None),
        ({"phone": "12345"}, 400, "phone"),
        ({"phone": "13999999999"}, 404, "phone"),
        ({"user_id": 2**31 - 1}, 404, None),
    ):
        refused = await client.post(url, json=body, headers=c)
        assert refused.status_code == status, (body, refused.text)
        assert refused.json()["detail"]
        if field:
            assert refused.json()["extra"]["field"] == field
    assert (
        await client.post("/api/v1/admin/stations/999999/keepers", json={"user_id": person.id}, headers=c)
    ).status_code == 404


async def test_photos_are_uploaded_ordered_and_removed_by_the_keeper_or_a_curator(client, factory, settings):
    curator = await factory.user(Role.curator)
    c = factory.headers(curator)
    station = await _station(client, c, "科技园驿站")
    elsewhere = await _station(client, c, "蛇口驿站", lat=22.488, lon=113.911)
    keeper = await factory.user(name="赵站长")
    await client.post(f"/api/v1/admin/stations/{station}/keepers", json={"user_id": keeper.id}, headers=c)
    k = factory.headers(keeper)
    url = f"/api/v1/stations/{station}/photos"
    ids = []
    for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200)):
        sent = await client.post(url, files={"file": ("IMG.HEIC", _jpeg(colour), "image/heic")}, headers=k)
        assert sent.status_code == 201, sent.text
        ids.append(sent.json()["id"])
    assert sent.json()["width"] == 1280 and sent.json()["thumb_width"] == 400
    shown = (await client.get(f"/api/v1/stations/{station}")).json()["photos"]
    assert [p["id"] for p in shown] == ids
    ordered = await client.put(f"{url}/order", json={"ids": ids[::-1]}, headers=k)
    assert ordered.status_code == 200 and [p["id"] for p in ordered.json()] == ids[::-1]
    assert [p["id"] for p in (await client.get(f"/api/v1/stations/{station}")).json()["photos"]] == ids[::-1]
    for bad in ([ids[0]], [*ids, ids[0]], [ids[0], ids[1], 999999]):
        refused = await client.put(f"{url}/order", json={"ids": bad}, headers=k)
        assert refused.status_code == 400 and refused.json()["extra"]["field"] == "ids", refused.text

    fake = await client.post(url, files={"file": ("a.jpg", b"<svg>no</svg>", "image/jpeg")}, headers=k)
    assert fake.status_code == 400 and fake.json()["extra"]["field"] == "file"
    assert "JPEG, PNG or WebP" in fake.json()["detail"]
    big = _jpeg() + b"\x00" * settings.picture_max_bytes
    too_big = await client.post(url, files={"file": ("big.jpg", big, "image/jpeg")}, headers=k)
    assert too_big.status_code == 413 and "too large" in too_big.json()["detail"]
    assert (await client.post(url, data={"nothing": "here"}, headers=k)).status_code == 400
    other = await client.post(
        f"/api/v1/stations/{elsewhere}/photos", files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=k
    )
    assert other.status_code == 403
    member = await factory.user()
    theirs = await client.post(url, files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=factory.headers(member))
    assert theirs.status_code == 403
    for n in range(3):
        assert (
            await client.post(url, files={"file": ("a.jpg", _jpeg((n, 9, 9)), "image/jpeg")}, headers=c)
        ).status_code == 201
    seventh = await client.post(url, files={"file": ("a.jpg", _jpeg((1, 2, 3)), "image/jpeg")}, headers=k)
    assert seventh.status_code == 409 and "at most 6" in seventh.json()["detail"]

    first = (await client.get(f"/api/v1/stations/{station}")).json()["photos"][0]
    assert (await client.get(first["url"])).status_code == 200
    assert (await client.delete(f"{url}/{first['id']}", headers=k)).status_code == 204
    assert (await client.delete(f"{url}/{first['id']}", headers=k)).status_code == 404
    assert (await client.get(first["url"])).status_code == 404  # its files went with it
    left = (await client.get(f"/api/v1/stations/{station}")).json()["photos"]
    assert len(left) == 5 and first["id"] not in [p["id"] for p in left]
    # the same file on a listing and a station: removing the station's photo keeps the listing's file
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category)
    same = _jpeg((7, 7, 7))
    on_listing = await client.post(
        f"/api/v1/listings/{listing.id}/pictures",
        files={"file": ("a.jpg", same, "image/jpeg")},
        headers=factory.headers(provider),
    )
    await client.delete(f"{url}/{left[0]['id']}", headers=c)
    on_station = await client.post(url, files={"file": ("a.jpg", same, "image/jpeg")}, headers=c)
    assert on_station.json()["url"] == on_listing.json()["url"]
    assert (await client.delete(f"{url}/{on_station.json()['id']}", headers=c)).status_code == 204
    assert (await client.get(on_listing.json()["url"])).status_code == 200


async def test_the_desk_list_of_stations_filters_and_pages(client, factory):
    curator = await factory.user(Role.curator)
    c = factory.headers(curator)
    async with factory.sessionmaker() as db, db.begin():
        db.add_all(
            [
                Landmark(market_id=factory.market_id, name="粤海街道", lat=22.533, lon=113.945),
                Landmark(market_id=factory.market_id, name="蛇口街道", lat=22.485, lon=113.915),
            ]
        )
    a = await _station(client, c, "科技园驿站", 22.5405, 113.953)
    b = await _station(client, c, "深大驿站", 22.540, 113.939, openings=CLOSED_ALWAYS)
    s = await _station(client, c, "蛇口港驿站", 22.488, 113.911)
    await client.post(f"/api/v1/admin/stations/{a}/inspections", json={"inspection": 20}, headers=c)
    url = "/api/v1/admin/stations"
    every = (await client.get(url, headers=c)).json()
    assert every["total"] == 3 and [x["name"] for x in every["items"]] == sorted(
        ["科技园驿站", "深大驿站", "蛇口港驿站"]
    )
    by_id = {x["id"]: x for x in every["items"]}
    assert by_id[a]["area"] == "粤海街道" and by_id[s]["area"] == "蛇口街道"
    async with factory.sessionmaker() as db:
        place_ids = dict((await db.execute(sa.select(Landmark.name, Landmark.id))).all())
    yuehai = (await client.get(url, params={"area": place_ids["粤海街道"]}, headers=c)).json()
    assert sorted(x["id"] for x in yuehai["items"]) == sorted([a, b]) and yuehai["total"] == 2
    assert [x["id"] for x in (await client.get(url, params={"q": "深大"}, headers=c)).json()["items"]] == [b]
    assert [x["id"] for x in (await client.get(url, params={"q": "南山区蛇口"}, headers=c)).json()["items"]] == [s]
    stars = (await client.get(url, params={"stars": by_id[a]["star_level"] or 1}, headers=c)).json()
    assert [x["id"] for x in stars["items"]] == [a]
    unreviewed = (await client.get(url, params={"stars": 0}, headers=c)).json()
    assert sorted(x["id"] for x in unreviewed["items"]) == sorted([b, s])
    closed = (await client.get(url, params={"open_now": "false"}, headers=c)).json()
    assert [x["id"] for x in closed["items"]] == [b]
    opened = (await client.get(url, params={"open_now": "true"}, headers=c)).json()
    assert sorted(x["id"] for x in opened["items"]) == sorted([a, s])
    paged = (await client.get(url, params={"limit": 1, "offset": 1}, headers=c)).json()
    assert paged["total"] == 3 and len(paged["items"]) == 1 and paged["items"][0]["id"] == every["items"][1]["id"]
    for bad in ({"stars": 6}, {"limit": 0}, {"area": 0}, {"q": "\x00"}):
        assert (await client.get(url, params=bad, headers=c)).status_code == 400, bad
