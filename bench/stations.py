"""The nearest open stations among 10,000 (issue #16): the product's query (services/stations.nearest, a
latitude/longitude box on the index, then exact distance) against, in the same run, the cheapest query the
database can answer (a primary-key fetch: the round-trip floor) and the same search without the box (every
station's distance computed: what the index saves).

    .venv/bin/python -m bench.stations [--stations 10000 --queries 300]
"""

import argparse
import random
import time

import sqlalchemy as sa

from marketplace.db import make_engine, make_sessionmaker
from marketplace.domain import stations as rules
from marketplace.models import Station, StationOpening
from marketplace.services import stations
from marketplace.services.markets import ensure_market
from marketplace.settings import Settings

from .common import REDIS_URL, ScratchDb, explain, median, percentile, run_async, server_ms
from .report import Row, save, table

CENTRE = (22.54, 113.95)
SPREAD = 0.6  # degrees: about 130 × 120 km, a province's built-up belt rather than one district


async def _fill(sessionmaker, market_id: int, n: int, rng: random.Random) -> None:
    async with sessionmaker() as db, db.begin():
        rows = [
            {
                "market_id": market_id,
                "name": f"驿站{i}",
                "address": "",
                "lat": CENTRE[0] + rng.uniform(-SPREAD, SPREAD),
                "lon": CENTRE[1] + rng.uniform(-SPREAD, SPREAD),
                "open_all_day": rng.random() < 0.15,
                "facilities": sorted(rng.sample([f.value for f in rules.Facility], rng.randint(1, 6))),
                "contact": "",
                "rating_count": 0,
            }
            for i in range(n)
        ]
        ids = (await db.execute(sa.insert(Station).returning(Station.id), rows)).scalars().all()
        openings = []
        for station_id in ids:
            opens = rng.choice([6, 7, 8, 9]) * 60
            openings += [
                {"station_id": station_id, "weekday": d, "opens": opens, "closes": opens + 12 * 60} for d in range(7)
            ]
        await db.execute(sa.insert(StationOpening), openings)
    async with sessionmaker() as db, db.begin():
        for table in ("stations", "station_openings"):
            await db.execute(sa.text(f"ANALYZE {table}"))


async def _time(work, count: int) -> list[float]:
    took = []
    for _ in range(count):
        started = time.perf_counter()
        await work()
        took.append((time.perf_counter() - started) * 1000)
    return took


async def measure(args) -> tuple[list[Row], dict]:
    scratch = ScratchDb()
    await scratch.create()
    settings = Settings(database_url=scratch.sqlalchemy_url, redis_url=REDIS_URL)
    engine = make_engine(scratch.sqlalchemy_url, settings, pool_size=2)
    sessionmaker = make_sessionmaker(engine, settings)
    rng = random.Random(16)
    try:
        async with sessionmaker() as db, db.begin():
            market_id = await ensure_market(db, "bench", "基准", "Bench")
        await _fill(sessionmaker, market_id, args.stations, rng)
        points = [
            (CENTRE[0] + rng.uniform(-SPREAD, SPREAD), CENTRE[1] + rng.uniform(-SPREAD, SPREAD))
            for _ in range(args.queries)
        ]
        facilities = [["hot_water"], [], ["toilet", "charging"]]
        async with sessionmaker() as db:
            picks = iter(range(10**9))

            async def nearest() -> None:
                i = next(picks)
                lat, lon = points[i % len(points)]
                await stations.nearest(
                    db, market_id, lat, lon, facilities=facilities[i % 3], open_only=i % 2 == 0, radius_m=3_000
                )

            async def floor() -> None:
                await db.execute(sa.select(Station.id, Station.name).where(Station.id == 1 + next(picks) % 100))

            async def no_box() -> None:
                lat, lon = points[next(picks) % len(points)]
                distance = stations._distance(lat, lon)
                await db.execute(
                    sa.select(Station.id, distance)
                    .where(Station.market_id == market_id, distance <= 3_000)
                    .order_by(distance)
                    .limit(10)
                )

            for work in (nearest, floor, no_box):  # warm the plans and the cache
                await _time(work, 20)
            took = {
                name: await _time(work, args.queries)
                for name, work in (("nearest", nearest), ("floor", floor), ("no_box", no_box))
            }
            server = {"nearest": [], "no_box": []}
            raw = (await (await db.connection()).get_raw_connection()).driver_connection
            local = stations.local_now(db)
            for i, (lat, lon) in enumerate(points[:100]):
                box_query = stations.nearest_query(market_id, lat, lon, local, facilities[i % 3], i % 2 == 0, 3_000)
                distance = stations._distance(lat, lon)
                plain = (
                    sa.select(Station.id, distance)
                    .where(Station.market_id == market_id, distance <= 3_000)
                    .order_by(distance)
                    .limit(10)
                )
                server["nearest"].append(await server_ms(raw, engine, *box_query))
                server["no_box"].append(await server_ms(raw, engine, plain))
            plan = await explain(
                raw, engine, *stations.nearest_query(market_id, *points[0], local, ["hot_water"], True)
            )
    finally:
        await engine.dispose()
        await scratch.drop()
    p95 = {name: percentile(values, 95) for name, values in took.items()}
    rows = [
        Row(
            "nearest: PostgreSQL execution, median",
            median(server["nearest"]),
            "ms",
            "the same search without the box",
            median(server["no_box"]),
            "< 1 ms",
            median(server["nearest"]) < 1,
        ),
        Row(
            f"nearest open stations p95 ({args.stations:,} stations)",
            p95["nearest"],
            "ms",
            "primary-key fetch p95",
            p95["floor"],
            "≤ 3 × the floor",
            p95["nearest"] <= 3 * p95["floor"],
        ),
        Row("nearest, median", median(took["nearest"]), "ms", "primary-key fetch median", median(took["floor"])),
        Row("the same search without the box (every distance) p95", p95["no_box"], "ms", "nearest p95", p95["nearest"]),
    ]
    return rows, {"stations": args.stations, "queries": args.queries, "plan": plan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rows, extra = run_async(measure(args))
    print(table(rows))
    print("\nThe plan of one nearest-open-station query (EXPLAIN ANALYZE, BUFFERS):")
    print("\n".join(extra["plan"]))
    save("stations", rows, extra)


if __name__ == "__main__":
    main()
