"""The menu's search at province scale (issue #17): 8,000 published listings, each query answered through
the GIN index on the listings' grams (services/menu.search_condition) against, in the same run, the same
search read off every listing's text (LIKE / a whole-word regular expression, as before the index) — the
same answers, checked. Reported: PostgreSQL's own execution time (EXPLAIN ANALYZE, whatever the machine's
load adds around it) and the whole menu call (services/menu.browse, a page of 20 with the card's facts).

    .venv/bin/python -m bench.search [--listings 8000 --rounds 20]
"""

import argparse
import random
import time

import sqlalchemy as sa

from marketplace.db import make_engine, make_sessionmaker
from marketplace.domain import search
from marketplace.models import Category, Listing, User
from marketplace.services import menu
from marketplace.services.markets import ensure_market
from marketplace.settings import Settings
from seeds.catalogue import LISTINGS

from .common import REDIS_URL, ScratchDb, explain, median, percentile, run_async, server_ms
from .report import Row, save, table

# Chinese words, a lone character, an English word, a mixed term, a term no listing has
QUERIES = ["书法", "编程 少儿", "咨询", "心理", "python", "ai", "急救培训", "腰", "数据分析", "劳模 一对一", "量子纠缠"]


async def _fill(sessionmaker, market_id: int, n: int, rng: random.Random) -> None:
    texts = [(title, summary) for items in LISTINGS.values() for title, summary, *_ in items]
    async with sessionmaker() as db, db.begin():
        category = Category(market_id=market_id, slug="bench", name_zh="基准", name_en="Bench")
        provider = User(market_id=market_id, phone="13900000000", name="基准老师", password_hash="-")
        db.add_all([category, provider])
        await db.flush()
        rows = []
        for i in range(n):
            title, summary = rng.choice(texts)
            other = rng.choice(texts)[1]
            rows.append(
                {
                    "market_id": market_id,
                    "provider_id": provider.id,
                    "category_id": category.id,
                    "title": f"{title}{i}",
                    "summary": summary,
                    "description": other,
                    "shape": "on_request",
                    "mode": "online",
                    "state": "published",
                    "search_text": f"{title}{i} {summary} {other} 基准 bench 基准老师".lower(),
                }
            )
        await db.execute(sa.insert(Listing), rows)
        await db.execute(sa.text("ANALYZE listings"))


def _ids(market_id: int, q: str, indexed: bool):
    return sa.select(Listing.id).where(
        Listing.market_id == market_id,
        Listing.state == "published",
        menu.search_condition(search.terms(q), indexed=indexed),
    )


async def measure(args) -> tuple[list[Row], dict]:
    scratch = ScratchDb()
    await scratch.create()
    settings = Settings(database_url=scratch.sqlalchemy_url, redis_url=REDIS_URL)
    engine = make_engine(scratch.sqlalchemy_url, settings, pool_size=2)
    sessionmaker = make_sessionmaker(engine, settings)
    server = {"index": [], "scan": []}
    browse_ms: list[float] = []
    found: dict[str, int] = {}
    try:
        async with sessionmaker() as db, db.begin():
            market_id = await ensure_market(db, "bench", "基准", "Bench")
        await _fill(sessionmaker, market_id, args.listings, random.Random(17))
        async with sessionmaker() as db:
            raw = (await (await db.connection()).get_raw_connection()).driver_connection
            for q in QUERIES:  # the same answers both ways
                indexed = set((await db.execute(_ids(market_id, q, True))).scalars())
                scanned = set((await db.execute(_ids(market_id, q, False))).scalars())
                if indexed != scanned:
                    raise AssertionError(f"the index finds other listings for {q!r}")
                found[q] = len(indexed)
            for _ in range(args.rounds):
                for q in QUERIES:
                    server["index"].append(await server_ms(raw, engine, _ids(market_id, q, True)))
                    server["scan"].append(await server_ms(raw, engine, _ids(market_id, q, False)))
                    started = time.perf_counter()
                    await menu.browse(db, market_id, q=q)
                    browse_ms.append((time.perf_counter() - started) * 1000)
            plan = await explain(raw, engine, _ids(market_id, "书法", True), {})
    finally:
        await engine.dispose()
        await scratch.drop()
    rows = [
        Row(
            f"search, PostgreSQL execution p95 ({args.listings:,} listings)",
            percentile(server["index"], 95),
            "ms",
            "every listing's text read p95",
            percentile(server["scan"], 95),
            "≤ 0.5 × the scan",
            percentile(server["index"], 95) <= 0.5 * percentile(server["scan"], 95),
        ),
        Row(
            "search, PostgreSQL execution median", median(server["index"]), "ms", "scan median", median(server["scan"])
        ),
        Row("menu.browse with a search p50", median(browse_ms), "ms", "p95", percentile(browse_ms, 95)),
    ]
    return rows, {"listings": args.listings, "rounds": args.rounds, "found": found, "plan": plan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=8_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rows, extra = run_async(measure(args))
    print(table(rows))
    print("\nListings found per query:", extra["found"])
    print("\nThe plan of one search (EXPLAIN ANALYZE, BUFFERS):")
    print("\n".join(extra["plan"]))
    save("search", rows, extra)


if __name__ == "__main__":
    main()
