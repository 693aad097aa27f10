"""Archiving applied to a built database (issue #17 item 5): the nightly job's first run over years of history,
then what a deployment turning archiving on does once (VACUUM, REINDEX CONCURRENTLY of the hot indexes and of
the hot event partition), with the sizes of the person-keyed indexes and of the event partitions at each step
("before" is after a VACUUM and REINDEX of the hot indexes too, so that it is not the bulk load's half-full
pages).

    .venv/bin/python -m bench.scale_archive --factor 100 [--after-days 730]   # builds, archives, prints sizes
    (bench.scale --archive-after 730 does the same to both of its databases before measuring)
"""

import argparse
import json
import time

import asyncpg

from marketplace.db import make_engine, make_sessionmaker, transaction
from marketplace.models.base import utcnow
from marketplace.services import archive

from .common import ScratchDb, run_async
from .data import _settings
from .scale_data import _dsn, build

HOT = ["ix_orders_member_hot", "ix_orders_provider_state_hot", "ix_notifications_user_hot"]
ARCHIVE = ["ix_orders_member_archived", "ix_orders_provider_archived", "ix_notifications_user_archived"]
TABLES = ["orders", "notifications"]
# order_events is partitioned by `archived` (migration 2026_11_30_eventparts): the archived orders' events move
# to order_events_archive; the hot partition's four indexes (key, order_id, market_id, market+state+order)
# hold the rest
EVENT_PARTS = ["order_events_hot", "order_events_archive"]


async def sizes(conn: asyncpg.Connection) -> dict[str, int]:
    """Bytes of each person-keyed index and of each table's heap; of each event partition's indexes (their
    sum) and heap."""
    names = HOT + ARCHIVE + TABLES + EVENT_PARTS
    rows = await conn.fetch("SELECT n, pg_relation_size(n::regclass) AS b FROM unnest($1::text[]) AS n", names)
    found = {r["n"]: r["b"] for r in rows}
    for part in EVENT_PARTS:
        found[f"{part} indexes"] = await conn.fetchval("SELECT pg_indexes_size($1::regclass)", part)
    return found


async def _reindex_hot(conn: asyncpg.Connection) -> None:
    """Rebuild the hot indexes: the three partial ones and the hot event partition's."""
    for name in HOT:
        await conn.execute(f"REINDEX INDEX CONCURRENTLY {name}")
    await conn.execute("REINDEX TABLE CONCURRENTLY order_events_hot")


# The everyday statements of my orders (tab counts, first page), the provider's console and the notices page,
# as services/order_views.py and notices.py issue them: before archiving every row is hot and they read it all.
MEMBER_SQL = {
    "member's tab counts": "SELECT state, count(*) FROM orders WHERE member_id = $1 AND archived_at IS NULL"
    " GROUP BY state",
    "member's first page": "SELECT * FROM orders WHERE member_id = $1 AND archived_at IS NULL"
    " ORDER BY created_at DESC, id DESC LIMIT 20",
    "member's notices total": "SELECT count(*) FROM notifications WHERE user_id = $1 AND archived_at IS NULL",
}
# an order's timeline (services/order_views.py), of the heaviest member's newest order: a probe of each partition
ORDER_SQL = {"an order's events": "SELECT * FROM order_events WHERE order_id = $1 ORDER BY at, id"}
PROVIDER_SQL = {
    "provider's tab counts": "SELECT state, count(*) FROM orders WHERE provider_id = $1 AND archived_at IS NULL"
    " GROUP BY state",
    "provider's first page": "SELECT * FROM orders WHERE provider_id = $1 AND archived_at IS NULL"
    " ORDER BY created_at DESC, id DESC LIMIT 20",
    "provider's notices total": "SELECT count(*) FROM notifications WHERE user_id = $1 AND archived_at IS NULL",
}


async def heaviest(conn: asyncpg.Connection) -> tuple[int, int, int]:
    """The member and the provider with the longest history: who pays most for old rows; the member's newest
    order."""
    member = await conn.fetchval("SELECT member_id FROM orders GROUP BY member_id ORDER BY count(*) DESC LIMIT 1")
    provider = await conn.fetchval(
        "SELECT provider_id FROM orders WHERE provider_id IS NOT NULL"
        " GROUP BY provider_id ORDER BY count(*) DESC LIMIT 1"
    )
    order = await conn.fetchval("SELECT max(id) FROM orders WHERE member_id = $1", member)
    return member, provider, order


async def costs(conn: asyncpg.Connection, people: tuple[int, int, int]) -> dict[str, dict]:
    """Each hot statement's rows, buffers touched and execution time (EXPLAIN ANALYZE, BUFFERS; best of 5)."""
    found = {}
    statements = [(n, sql, people[0]) for n, sql in MEMBER_SQL.items()]
    statements += [(n, sql, people[1]) for n, sql in PROVIDER_SQL.items()]
    statements += [(n, sql, people[2]) for n, sql in ORDER_SQL.items()]
    for name, sql, person in statements:
        runs = []
        for _ in range(5):
            [plan] = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", person))
            top = plan["Plan"]
            runs.append(
                {
                    "ms": plan["Execution Time"],
                    "buffers": top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
                    "rows": top["Actual Rows"],
                }
            )
        found[name] = min(runs, key=lambda r: r["ms"])
    return found


async def compact(conn: asyncpg.Connection) -> None:
    """VACUUM ANALYZE and rebuild the hot indexes: what a fresh index looks like (COPY leaves them half full)."""
    await conn.execute("VACUUM ANALYZE orders, notifications, order_events")
    await _reindex_hot(conn)


async def compacted(sqlalchemy_url: str) -> None:
    conn = await asyncpg.connect(_dsn(sqlalchemy_url))
    try:
        await compact(conn)
    finally:
        await conn.close()


async def apply(sqlalchemy_url: str, after_days: int, batch_size: int = 1000) -> dict:
    """Run the archive job, then VACUUM and REINDEX the hot indexes; sizes and row counts at each step."""
    conn = await asyncpg.connect(_dsn(sqlalchemy_url))
    engine = make_engine(sqlalchemy_url, _settings, pool_size=2)
    try:
        await compact(conn)  # so that "before" is not the build's own bloat
        people = await heaviest(conn)
        found: dict = {"after_days": after_days, "before": await sizes(conn), "people": people}
        found["costs_before"] = await costs(conn, people)
        sessionmaker = make_sessionmaker(engine, _settings)
        started = time.perf_counter()
        report = await archive.run(
            lambda: transaction(sessionmaker), now=utcnow(), after_days=after_days, batch_size=batch_size
        )
        found["job"] = {**vars(report), "seconds": round(time.perf_counter() - started, 1)}
        found["flagged"] = await sizes(conn)
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE orders, notifications, order_events")
        found["vacuum_seconds"] = round(time.perf_counter() - started, 1)
        found["vacuumed"] = await sizes(conn)
        started = time.perf_counter()
        await _reindex_hot(conn)  # once, after the first run over years of history (docs/architecture.md)
        found["reindex_seconds"] = round(time.perf_counter() - started, 1)
        found["reindexed"] = await sizes(conn)
        found["costs_after"] = await costs(conn, people)
        found["rows"] = {
            table: dict(
                await conn.fetchrow(
                    f"SELECT count(*) FILTER (WHERE archived_at IS NULL) AS hot,"
                    f" count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived FROM {table}"
                )
            )
            for table in TABLES
        }
        found["rows"]["order_events"] = {
            "hot": await conn.fetchval("SELECT count(*) FROM order_events_hot"),
            "archived": await conn.fetchval("SELECT count(*) FROM order_events_archive"),
        }
        return found
    finally:
        await engine.dispose()
        await conn.close()


def table(found: dict) -> str:
    steps = ("before", "flagged", "vacuumed", "reindexed")
    lines = ["| relation | " + " | ".join(steps) + " |", "|---|" + "---|" * len(steps)]
    for name in found["before"]:
        lines.append(f"| {name} | " + " | ".join(f"{found[s][name] / 2**20:.1f} MB" for s in steps) + " |")
    job = found["job"]
    lines.append(
        f"\narchived {job['orders']:,} orders and {job['notices']:,} notices in {job['seconds']} s "
        f"({job['batches']} batches); VACUUM {found['vacuum_seconds']} s, REINDEX {found['reindex_seconds']} s; "
        f"rows now {found['rows']}"
    )
    lines += [
        f"\nthe heaviest member and provider, the member's newest order {found['people']}: hot statements"
        " before → after archiving",
        "| statement | rows | buffers | ms |",
        "|---|---|---|---|",
    ]
    for name, b in found["costs_before"].items():
        a = found["costs_after"][name]
        lines.append(
            f"| {name} | {b['rows']} → {a['rows']} | {b['buffers']} → {a['buffers']} | {b['ms']:.3f} → {a['ms']:.3f} |"
        )
    return "\n".join(lines)


async def _main(args) -> None:
    db = ScratchDb()
    await db.create()
    try:
        built = await build(db.sqlalchemy_url, args.factor)
        print(f"{db.name}: {args.factor}× in {built.seconds:.0f} s", flush=True)
        print(table(await apply(db.sqlalchemy_url, args.after_days)))
    finally:
        await db.drop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--factor", type=float, default=100)
    p.add_argument("--after-days", type=int, default=730, help="ARCHIVE_AFTER_DAYS")
    run_async(_main(p.parse_args()))


if __name__ == "__main__":
    main()
