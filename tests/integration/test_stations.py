"""Union stations through the API: the record, the nearest open ones (checked against a brute-force
search), visits by the station's code, members' ratings and the star review (issue #16, items 1–3)."""

import random
from datetime import UTC, datetime

import sqlalchemy as sa

from marketplace.db import make_sessionmaker
from marketplace.domain import stations as rules
from marketplace.domain.roles import Role
from marketplace.models import AuditEvent, Station, StationOpening
from marketplace.services import stations

CENTRE = (22.5330, 113.9300)
WEEKDAYS = [{"weekday": d, "opens": 7 * 60, "closes": 22 * 60} for d in range(5)]


def _station(name: str, lat: float, lon: float, **values) -> dict:
    return {
        "name": name,
        "address": f"深圳市南山区{name}",
        "lat": lat,
        "lon": lon,
        "openings": WEEKDAYS,
        "facilities": ["hot_water", "charging"],
        **values,
    }


async def test_a_curator_records_stations_and_bad_ones_are_refused_with_the_field(client, factory):
    curator, member = await factory.user(Role.curator), await factory.user()
    url = "/api/v1/admin/stations"
    made = await client.post(url, json=_station("科技园驿站", *CENTRE), headers=factory.headers(curator))
    assert made.status_code == 201, made.text
    assert made.json()["openings"] == WEEKDAYS and made.json()["facilities"] == ["charging", "hot_water"]
    assert (await client.post(url, json=_station("x", *CENTRE), headers=factory.headers(member))).status_code == 403
    for bad, field in (
        ({"openings": [{"weekday": 0, "opens": 600, "closes": 600}]}, "openings"),
        ({"facilities": ["sauna"]}, "facilities"),
        ({"lat": 91}, "lat"),
        ({"openings": []}, "openings"),
        ({"name": "\x00"}, "name"),
    ):
        refused = await client.post(url, json=_station("坏驿站", *CENTRE) | bad, headers=factory.headers(curator))
        assert refused.status_code == 400, (bad, refused.text)
        assert field in refused.text
    all_day = await client.post(
        url,
        json=_station("24小时驿站", 22.54, 113.94, openings=[], open_all_day=True),
        headers=factory.headers(curator),
    )
    assert all_day.status_code == 201 and all_day.json()["open_all_day"]
    station_id = made.json()["id"]
    changed = await client.put(
        f"{url}/{station_id}",
        json=_station("科技园驿站", *CENTRE, facilities=["toilet"]),
        headers=factory.headers(curator),
    )
    assert changed.status_code == 200 and changed.json()["facilities"] == ["toilet"]
    gone = await client.delete(f"{url}/{station_id}?reason=搬迁", headers=factory.headers(curator))
    assert gone.status_code == 204
    assert (await client.get(f"/api/v1/stations/{station_id}")).status_code == 404
    async with factory.sessionmaker() as db:
        actions = (await db.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))).scalars().all()
    assert actions == ["create_station", "create_station", "update_station", "archive_station"]


async def _random_stations(factory, n: int, seed: int) -> None:
    rng = random.Random(seed)
    async with factory.sessionmaker() as db, db.begin():
        for i in range(n):
            station = Station(
                market_id=factory.market_id,
                name=f"驿站{i}",
                address="南山",
                lat=CENTRE[0] + rng.uniform(-0.05, 0.05),
                lon=CENTRE[1] + rng.uniform(-0.05, 0.05),
                open_all_day=rng.random() < 0.15,
                facilities=sorted(rng.sample([f.value for f in rules.Facility], rng.randint(0, 5))),
            )
            db.add(station)
            await db.flush()
            opens = rng.choice([0, 6, 8, 10, 14]) * 60
            for day in rng.sample(range(7), rng.randint(1, 7)):
                db.add(
                    StationOpening(station_id=station.id, weekday=day, opens=opens, closes=min(opens + 9 * 60, 1440))
                )


async def test_the_nearest_stations_equal_a_brute_force_search(client, factory, engine):
    await _random_stations(factory, 400, seed=7)
    async with factory.sessionmaker() as db:
        every = (await db.execute(sa.select(Station))).scalars().all()
        hours: dict[int, list] = {}
        for o in (await db.execute(sa.select(StationOpening))).scalars():
            hours.setdefault(o.station_id, []).append(rules.Opening(o.weekday, o.opens, o.closes))
        rng = random.Random(11)
        for trial in range(25):
            lat, lon = CENTRE[0] + rng.uniform(-0.04, 0.04), CENTRE[1] + rng.uniform(-0.04, 0.04)
            now = datetime(2026, 12, 1 + trial % 7, rng.randint(0, 23), rng.randint(0, 59), tzinfo=UTC)
            wanted = sorted(rng.sample([f.value for f in rules.Facility], trial % 3))
            open_only, radius = trial % 2 == 0, rng.choice([500, 1500, 3000])
            local = stations.local_now(db, now)
            expected = sorted(
                (
                    (rules.distance_m(lat, lon, s.lat, s.lon), s.id)
                    for s in every
                    if rules.distance_m(lat, lon, s.lat, s.lon) <= radius
                    and set(wanted) <= set(s.facilities)
                    and (not open_only or rules.is_open(hours.get(s.id, []), s.open_all_day, local))
                ),
            )[:10]
            found = await stations.nearest(
                db, factory.market_id, lat, lon, facilities=wanted, open_only=open_only, radius_m=radius, now=now
            )
            assert [n.station.id for n in found] == [sid for _, sid in expected], trial
            for n, (metres, _) in zip(found, expected, strict=True):
                assert abs(n.metres - metres) < 0.01
                assert n.open_now == rules.is_open(hours.get(n.station.id, []), n.station.open_all_day, local)
                assert (n.next_open is None) == n.open_now or not hours.get(n.station.id)


async def test_the_nearest_api_answers_anyone_and_refuses_impossible_places(client, factory):
    curator = await factory.user(Role.curator)
    for name, lat, lon in (("近", 22.5332, 113.9302), ("远", 22.55, 113.95)):
        await client.post(
            "/api/v1/admin/stations", json=_station(name, lat, lon, open_all_day=True), headers=factory.headers(curator)
        )
    found = await client.get("/api/v1/stations/nearest", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 5000})
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert [i["name"] for i in items] == ["近", "远"]
    assert items[0]["metres"] < 50 and items[0]["walking_minutes"] == 1 and items[0]["open_now"]
    assert items[1]["walking_minutes"] > 15
    water = await client.get(
        "/api/v1/stations/nearest", params={"lat": CENTRE[0], "lon": CENTRE[1], "facility": "toilet"}
    )
    assert water.json()["items"] == []
    for bad in ({"lat": 100, "lon": 0}, {"lat": "nan", "lon": 0}, {"lat": 0}, {"lat": 0, "lon": 0, "radius_m": 10**9}):
        assert (await client.get("/api/v1/stations/nearest", params=bad)).status_code == 400, bad


async def test_a_visit_counts_once_an_hour_with_the_stations_code_and_ratings_move_the_average(client, factory, engine):
    curator = await factory.user(Role.curator)
    member, other = await factory.user(groups=["new_employment"]), await factory.user()
    made = await client.post(
        "/api/v1/admin/stations", json=_station("粤海驿站", *CENTRE), headers=factory.headers(curator)
    )
    station_id = made.json()["id"]
    async with make_sessionmaker(engine, factory.settings)() as db:
        code = stations.visit_code(db, station_id)
    url = f"/api/v1/stations/{station_id}/visits"
    assert (await client.post(url, json={"code": code})).status_code == 401
    wrong = await client.post(url, json={"code": "0" * 16}, headers=factory.headers(member))
    assert wrong.status_code == 403 and "code" in wrong.text
    first = await client.post(url, json={"code": code}, headers=factory.headers(member))
    again = await client.post(url, json={"code": code}, headers=factory.headers(member))
    assert first.json()["new"] and not again.json()["new"] and first.json()["visited_at"] == again.json()["visited_at"]
    assert (await client.post(url, json={"code": code}, headers=factory.headers(other))).json()["new"]
    async with factory.sessionmaker() as db:
        figures = await stations.visit_figures(db, factory.market_id)
    assert figures.total == 2 and figures.by_group == [("new_employment", 1)]
    assert sum(n for _, n in figures.by_hour) == 2

    review = f"/api/v1/stations/{station_id}/review"
    assert (
        await client.put(review, json={"stars": 4, "comment": "热水很方便"}, headers=factory.headers(member))
    ).json()["rating_count"] == 1
    second = await client.put(review, json={"stars": 2}, headers=factory.headers(other))
    assert second.json()["rating_avg"] == 3.0
    changed = await client.put(review, json={"stars": 5}, headers=factory.headers(other))
    assert changed.json() | {"created_at": None} == {
        "station_id": station_id,
        "stars": 5,
        "comment": "",
        "created_at": None,
        "rating_avg": 4.5,
        "rating_count": 2,
    }
    assert (await client.put(review, json={"stars": 6}, headers=factory.headers(other))).status_code == 400

    inspected = await client.post(
        f"/api/v1/admin/stations/{station_id}/inspections",
        json={"inspection": 18, "note": "整洁"},
        headers=factory.headers(curator),
    )
    assert inspected.status_code == 201, inspected.text
    # 2 facilities (6) + 75 h a week (22) + average 4.5 (22) + 18 = 68 points: three stars
    assert inspected.json()["points"] == {"facilities": 6, "hours": 22, "ratings": 22, "inspection": 18}
    assert inspected.json()["star_level"] == 3
    assert (await client.get(f"/api/v1/stations/{station_id}")).json()["star_level"] == 3


async def test_coordinates_too_fine_to_mean_anything_are_kept_to_a_centimetre_and_searched_without_underflow(
    client, factory
):
    curator = await factory.user(Role.curator)
    body = _station("赤道驿站", 1.0e-200, -3.0e-201)  # what a fuzzer sends: PostgreSQL's float8 would underflow
    made = await client.post("/api/v1/admin/stations", json=body, headers=factory.headers(curator))
    assert made.status_code == 201 and (made.json()["lat"], made.json()["lon"]) == (0.0, 0.0)
    near = await client.get(
        "/api/v1/stations/nearest", params={"lat": 6.199256332341162e-202, "lon": -9.551546037452016e-200}
    )
    assert near.status_code == 200, near.text
    assert [s["name"] for s in near.json()["items"]] == ["赤道驿站"]
