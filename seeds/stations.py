"""Demo union stations (工会驿站) around Nanshan: 24 stations with real-looking hours and facilities, the
subdistrict centres to search from, a month of check-ins, members' ratings and a star review each.
Some listings are held at a station (their place names it)."""

import random
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.domain import stations as rules
from marketplace.domain.roles import Role
from marketplace.models import (
    Landmark,
    Listing,
    Station,
    StationInspection,
    StationKeeper,
    StationOpening,
    StationReview,
    StationVisit,
    User,
)
from marketplace.models.base import utcnow

# Subdistrict (街道) centres of Nanshan, the places a member may search from.
LANDMARKS = [
    ("南头街道", 22.5445, 113.9225),
    ("南山街道", 22.5210, 113.9260),
    ("沙河街道", 22.5390, 113.9790),
    ("蛇口街道", 22.4850, 113.9150),
    ("招商街道", 22.4870, 113.9300),
    ("粤海街道", 22.5330, 113.9450),
    ("桃源街道", 22.5700, 113.9700),
    ("西丽街道", 22.5850, 113.9550),
]

# (name, address, lat, lon, hours: "24h" | (opens, closes) weekdays [, weekend])
STATIONS = [
    ("科技园工会驿站", "科技园科苑路15号", 22.5405, 113.9530, (7, 22)),
    ("深圳湾户外劳动者服务站", "滨海大道深圳湾公园入口", 22.5200, 113.9480, "24h"),
    ("南山书城骑手驿站", "南海大道2748号", 22.5245, 113.9270, (8, 21)),
    ("海岸城快递小哥之家", "文心五路33号", 22.5170, 113.9380, (9, 22)),
    ("南头古城驿站", "南头古城东门", 22.5450, 113.9195, (7, 20)),
    ("前海工会服务站", "前海路与梦海大道交汇处", 22.5320, 113.8990, "24h"),
    ("蛇口港驿站", "蛇口港湾大道1号", 22.4880, 113.9110, (6, 22)),
    ("海上世界户外驿站", "望海路1128号", 22.4840, 113.9190, (8, 23)),
    ("招商街道工会驿站", "招商路57号", 22.4895, 113.9310, (8, 18), (9, 17)),
    ("西丽湖环卫工人休息室", "西丽湖路4227号", 22.5890, 113.9610, (6, 20)),
    ("西丽高铁站网约车驿站", "西丽站东广场", 22.5805, 113.9510, "24h"),
    ("大学城户外劳动者服务站", "丽水路2199号", 22.5930, 113.9720, (7, 21)),
    ("桃源村工会驿站", "龙珠大道桃源村三期", 22.5660, 113.9760, (8, 20)),
    ("沙河世纪城驿站", "侨城西街与沙河西路交汇处", 22.5395, 113.9720, (7, 22)),
    ("华侨城环卫驿站", "深南大道9018号", 22.5360, 113.9850, (6, 21)),
    ("白石洲快递驿站", "沙河街道白石洲东", 22.5380, 113.9610, (8, 22), (8, 18)),
    ("后海工会驿站", "后海大道2388号", 22.5225, 113.9405, (7, 21)),
    ("南油外卖骑手之家", "南油大道东滨路", 22.5150, 113.9230, (10, 23)),
    ("荔香公园驿站", "南光路荔香公园北门", 22.5310, 113.9225, (7, 19)),
    ("同乐村工会驿站", "南头同乐村牌坊旁", 22.5550, 113.9120, (8, 18), None),
    ("留仙洞户外驿站", "留仙大道留仙洞站", 22.5720, 113.9350, (7, 20)),
    ("塘朗山公园驿站", "塘朗山公园东入口", 22.5760, 113.9900, (6, 19)),
    ("深大地铁站驿站", "深大地铁站C出口", 22.5400, 113.9390, (7, 23)),
    ("粤海街道党群驿站", "粤海街道办事处一楼", 22.5290, 113.9500, (9, 18), None),
]


def _openings(hours) -> tuple[bool, list[tuple[int, int, int]]]:
    if hours == "24h":
        return True, []
    weekdays, *rest = hours if isinstance(hours[0], tuple) else (hours,)
    weekend = rest[0] if rest else weekdays
    found = [(d, weekdays[0] * 60, weekdays[1] * 60) for d in range(5)]
    if weekend is not None:
        found += [(d, weekend[0] * 60, weekend[1] * 60) for d in (5, 6)]
    return False, found


# The demo keeper (站长) keeps these two.
KEPT = ("科技园工会驿站", "深大地铁站驿站")


async def _keeper(db: AsyncSession, market_id: int, phone: str | None) -> int:
    """The demo keeper's stations, given again if missing (each start); how many were given."""
    keeper = await db.scalar(sa.select(User.id).where(User.market_id == market_id, User.phone == phone))
    if keeper is None:
        return 0
    kept = sa.select(Station.id, sa.literal(keeper)).where(Station.market_id == market_id, Station.name.in_(KEPT))
    given = await db.execute(
        insert(StationKeeper)
        .from_select(["station_id", "user_id"], kept)
        .on_conflict_do_nothing(index_elements=["station_id", "user_id"])
    )
    return given.rowcount or 0


async def load_stations(db: AsyncSession, market_id: int, keeper_phone: str | None = None) -> dict:
    if (await db.execute(sa.select(Station.id).where(Station.market_id == market_id).limit(1))).first():
        return {"stations": "already present", "station_keepers": await _keeper(db, market_id, keeper_phone)}
    rng = random.Random(16)
    facilities = [f.value for f in rules.Facility]
    db.add_all(Landmark(market_id=market_id, name=n, lat=lat, lon=lon) for n, lat, lon in LANDMARKS)
    made = []
    for name, address, lat, lon, *hours in STATIONS:
        all_day, openings = _openings(hours[0] if len(hours) == 1 else tuple(hours))
        station = Station(
            market_id=market_id,
            name=name,
            address=f"深圳市南山区{address}",
            lat=lat,
            lon=lon,
            open_all_day=all_day,
            facilities=sorted({"hot_water", "charging", "seats", *rng.sample(facilities, rng.randint(1, 5))}),
            contact=f"0755-2{rng.randint(1000000, 9999999)}",
        )
        db.add(station)
        await db.flush()
        db.add_all(StationOpening(station_id=station.id, weekday=d, opens=o, closes=c) for d, o, c in openings)
        made.append((station, openings))
    await db.flush()
    # Listings whose place is a station are held there.
    by_name = {s.name: s.id for s, _ in made}
    for name, station_id in by_name.items():
        await db.execute(
            sa.update(Listing)
            .where(Listing.market_id == market_id, Listing.location == name)
            .values(station_id=station_id)
        )
    members = (
        await db.execute(
            sa.select(User.id, User.groups).where(User.market_id == market_id, User.roles == [Role.member.value])
        )
    ).all()
    visits = await _visits(db, market_id, [s for s, _ in made], members, rng)
    ratings = 0
    curator = await db.scalar(
        sa.select(User).where(User.market_id == market_id, User.roles.contains([Role.curator.value]))
    )
    for station, openings in made:
        raters = rng.sample(members, rng.randint(0, 12))
        for member_id, _ in raters:
            db.add(StationReview(station_id=station.id, user_id=member_id, stars=rng.choice([3, 4, 4, 5, 5, 5])))
        if raters:
            await db.flush()
            average, count = (
                await db.execute(
                    sa.select(sa.func.avg(StationReview.stars), sa.func.count()).where(
                        StationReview.station_id == station.id
                    )
                )
            ).one()
            station.rating_avg, station.rating_count = float(average), count
            ratings += count
        hours = [rules.Opening(*o) for o in openings]
        points = rules.rubric_points(
            len(station.facilities),
            rules.weekly_hours(hours, station.open_all_day),
            station.rating_avg,
            rng.randint(12, 20),
        )
        station.star_level = rules.star_level(points)
        db.add(
            StationInspection(
                station_id=station.id,
                inspector_id=curator.id if curator else None,
                points=points,
                star_level=station.star_level,
                note="季度检查：环境整洁，设施完好。",
                created_at=utcnow() - timedelta(days=rng.randint(5, 80)),
            )
        )
    await db.flush()
    kept = await _keeper(db, market_id, keeper_phone)
    return {"stations": len(made), "station_visits": visits, "station_ratings": ratings, "station_keepers": kept}


async def _visits(db: AsyncSession, market_id: int, stations: list[Station], members, rng: random.Random) -> int:
    """A month of check-ins, busiest at meal times, many by new-employment-form workers."""
    now = utcnow()
    rows, keys = [], set()
    hours_by_weight = [7, 8, 11, 12, 12, 13, 14, 17, 18, 18, 19, 20, 21]
    riders = [m for m in members if "new_employment" in (m[1] or [])] or members
    for _ in range(2_400):
        member_id, groups = rng.choice(riders if rng.random() < 0.6 else members)
        station = rng.choice(stations)
        day = now - timedelta(days=rng.randint(0, 29))
        local_hour = rng.choice(hours_by_weight)
        at = day.replace(hour=(local_hour - 8) % 24, minute=rng.randint(0, 59))  # market time is UTC+8
        if at > now:
            continue
        key = f"{station.id}:{member_id}:{at:%Y%m%d%H}"
        if key in keys:
            continue
        keys.add(key)
        rows.append(
            {
                "market_id": market_id,
                "station_id": station.id,
                "user_id": member_id,
                "groups": list(groups or []),
                "hour_key": key,
                "visited_at": at,
            }
        )
    if rows:
        await db.execute(sa.insert(StationVisit), rows)
    return len(rows)
