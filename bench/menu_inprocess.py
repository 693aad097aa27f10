"""The menu's search in process, no server: what the web process spends on it at 1× and k×.

    .venv/bin/python -m bench.menu_inprocess bench_1x bench_100x [--calls 300]

Two kept builds (`bench.scale --keep`). For each, the asked market (the first made) is asked the five searches
of `bench.scale`, its searches that fill a page at both sizes ("full search") and the newest page (20 cards at
both sizes), `--calls` times each after 20 to warm (the connection's prepared statements, SQLAlchemy's and the
templates' caches), one at a time:
- "service": `menu.browse` and its JSON, what the search API computes on a cache miss (`web/public.menu_json`),
  with the SQL's share (cursor events: from sending each statement to having its rows);
- "API" and "page": the app called as ASGI (`/api/v1/listings?q=…`, `/menu?q=…`, anonymous, zh-CN, not
  compressed), served with `MENU_CACHE_SECONDS=0`, as `bench.scale` asks and serves them.
Prints p50 and p95 per size, and the CPU this process spent per call (the client's part too, for the API and
page: the same at both sizes). The machine's other work shows less here than in `bench.scale`'s served p95s.
"""

import argparse
import itertools
import logging
import secrets
import time
from urllib.parse import urlencode

import asyncpg
from sqlalchemy import event

from .common import PG_URL, REDIS_URL, SECRET_KEY, percentile, run_async
from .scale import FULL_SEARCHES, SEARCHES

logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
# As bench.scale's client asks: not compressed (httpx would ask for gzip, and unzip it in this process).
_HEADERS = {"Accept-Language": "zh-CN", "Accept-Encoding": "identity"}


def _url(name: str) -> str:
    return f"{PG_URL}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def _market(name: str) -> int:
    conn = await asyncpg.connect(f"{PG_URL}/{name}")
    try:
        return await conn.fetchval("SELECT min(id) FROM markets")
    finally:
        await conn.close()


def _asks() -> dict[str, list[dict]]:
    return {
        "search": [{"q": q, "limit": 20} for q in SEARCHES],
        "full search": [{"q": q, "limit": 20} for q in FULL_SEARCHES],
        "newest": [{"limit": 20}],
    }


def _summary(wall: list[float], cpu: float, **more) -> dict:
    """p50 and p95 of the wall times (ms), and this process's CPU per call (ms): it does not count the time
    the machine's other work takes the cores, so it is the steadier figure on a shared machine."""
    return {"p50": percentile(wall, 50), "p95": percentile(wall, 95), "cpu": cpu * 1000 / len(wall), **more}


async def service(name: str, calls: int) -> dict:
    """`menu.browse` and its JSON, with the SQL's share and the cards shown."""
    from marketplace.db import make_engine, make_sessionmaker
    from marketplace.services import menu
    from marketplace.settings import get_settings

    market_id = await _market(name)
    engine = make_engine(_url(name), get_settings(), 1)
    sql = [0.0]

    def before(conn, cursor, statement, parameters, context, executemany):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        sql[0] += time.perf_counter() - context._bench_started

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    sessions = make_sessionmaker(engine)
    found = {}
    try:
        for label, asks in _asks().items():
            wall, in_sql, cards, cpu = [], [], [], 0.0
            for n, filters in enumerate(itertools.islice(itertools.cycle(asks), calls + 20)):
                sql[0] = 0.0
                started, used = time.perf_counter(), time.process_time()
                async with sessions() as db:
                    page = await menu.browse(db, market_id, **filters)
                    page.model_dump_json()
                if n >= 20:
                    wall.append((time.perf_counter() - started) * 1000)
                    cpu += time.process_time() - used
                    in_sql.append(sql[0] * 1000)
                    cards.append(len(page.items))
            found[label] = _summary(wall, cpu, sql_p50=percentile(in_sql, 50), cards=sum(cards) / len(cards))
    finally:
        await engine.dispose()
    return found


async def served(name: str, calls: int) -> dict:
    """The search API and page through the app, as ASGI, in this event loop (not the test client's thread)."""
    import httpx

    from marketplace.app import create_app
    from marketplace.settings import Settings

    settings = Settings(
        database_url=_url(name),
        redis_url=REDIS_URL,
        queue_name=f"bench-{secrets.token_hex(4)}",
        secret_key=SECRET_KEY,
        menu_cache_seconds=0,
        log_level="WARNING",
    )
    found = {}
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for label, asks in _asks().items():
            for what, path in (("API", "/api/v1/listings"), ("page", "/menu")):
                wall, cpu = [], 0.0
                for n, filters in enumerate(itertools.islice(itertools.cycle(asks), calls + 20)):
                    started, used = time.perf_counter(), time.process_time()
                    response = await client.get(f"{path}?{urlencode(filters)}", headers=_HEADERS)
                    if response.status_code != 200:
                        raise SystemExit(f"{path} answered {response.status_code}")
                    if n >= 20:
                        wall.append((time.perf_counter() - started) * 1000)
                        cpu += time.process_time() - used
                found[f"{label} {what}"] = _summary(wall, cpu)
    return found


async def main_async(args) -> None:
    rows = []
    for name in args.databases:
        for label, r in (await service(name, args.calls)).items():
            rows.append((name, f"{label} service", r, f"{r['sql_p50']:.2f} ms", f"{r['cards']:.1f}"))
        for label, r in (await served(name, args.calls)).items():
            rows.append((name, label, r, "", ""))
    print("| database | asked | p50 | p95 | CPU / call | SQL p50 | cards |\n|---|---|---|---|---|---|---|")
    for name, label, r, sql, cards in rows:
        print(f"| {name} | {label} | {r['p50']:.2f} ms | {r['p95']:.2f} ms | {r['cpu']:.2f} ms | {sql} | {cards} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("databases", nargs="+", help="kept builds, 1× first")
    p.add_argument("--calls", type=int, default=300)
    run_async(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
