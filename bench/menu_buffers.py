"""What each menu query costs the database, at two sizes: the statements `services/menu.browse` issues for
the asked market, their shared buffers touched and execution time (EXPLAIN (ANALYZE, BUFFERS), the third
run of each, warm). Buffers do not depend on the machine's load, so two versions compare on a busy machine.

    .venv/bin/python -m bench.scale_data --factor 1 --keep      # prints bench_aaaa
    .venv/bin/python -m bench.scale_data --factor 100 --keep    # prints bench_bbbb
    .venv/bin/python -m bench.menu_buffers bench_aaaa bench_bbbb
    PYTHONPATH=../other/src .venv/bin/python -m bench.menu_buffers bench_aaaa bench_bbbb   # another version
    .venv/bin/python -m bench.menu_buffers bench_aaaa bench_bbbb --generic   # the plans the app runs

The app's statements are prepared (asyncpg), and PostgreSQL plans a prepared statement for its parameters'
values only for its first five runs: from then on it keeps one generic plan when that costs about as much.
`--generic` shows those (PREPARE with plan_cache_mode = force_generic_plan, then EXPLAIN EXECUTE).
"""

import argparse
import asyncio
import re

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from marketplace.services import menu

from .common import ScratchDb

QUERIES = [
    {},
    {"mode": "online"},
    {"available": True},
    {"group": "new_employment"},
    {"q": "书法"},
    {"q": "心理"},
    {"q": "编程"},
    {"q": "急救培训"},
    {"q": "亲子"},
    {"sort": "rating"},
    {"sort": "soon", "available": True},
    {"sort": "soon"},
    {"sort": "soon", "offset": 100},
]


def _literal(value) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "NULL"}[value]
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]" if value else "'{}'"
    return "'" + str(value).replace("'", "''") + "'"


async def cost(url: str, market_id: int, generic: bool = False) -> dict[str, tuple[int, int, float]]:
    """Per query: (statements, buffers, execution ms)."""
    engine = create_async_engine(url)
    issued: list = []

    @sa.event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("EXPLAIN"):
            issued.append((statement, parameters))

    found = {}
    try:
        async with AsyncSession(engine) as db:
            raw = (await (await db.connection()).get_raw_connection()).driver_connection
            for query in QUERIES:
                issued.clear()
                await menu.browse(db, market_id, limit=20, **query)
                statements = list(issued)
                if generic:
                    await raw.execute("SET plan_cache_mode = force_generic_plan")
                    for n, (statement, _) in enumerate(statements):
                        await raw.execute(f"PREPARE menu_{len(found)}_{n} AS {statement}")
                for _ in range(3):
                    buffers, ms = 0, 0.0
                    for n, (statement, parameters) in enumerate(statements):
                        if generic:  # EXECUTE takes no bind parameters: their values as literals
                            args = ", ".join(_literal(p) for p in parameters)
                            explained = f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE menu_{len(found)}_{n}" + (
                                f"({args})" if args else ""
                            )
                            parameters = ()
                        else:
                            explained = "EXPLAIN (ANALYZE, BUFFERS) " + statement
                        plan = [r[0] for r in await raw.fetch(explained, *parameters)]
                        top = next((line for line in plan if "Buffers:" in line), "")
                        buffers += sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top))
                        ms += float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1))
                found[str(query)] = (len(statements), buffers, ms)
    finally:
        await engine.dispose()
    return found


async def main(args) -> None:
    small = await cost(ScratchDb(name=args.small).sqlalchemy_url, args.market, args.generic)
    large = await cost(ScratchDb(name=args.large).sqlalchemy_url, args.market, args.generic)
    print("| query | statements | buffers (small) | buffers (large) | SQL ms (small) | SQL ms (large) |")
    print("|---|---|---|---|---|---|")
    for query, (n, buffers, ms) in small.items():
        print(f"| `{query}` | {n} | {buffers} | {large[query][1]} | {ms:.2f} | {large[query][2]:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("small", help="a database of bench.scale_data --keep (e.g. 1×)")
    parser.add_argument("large", help="another (e.g. 100×)")
    parser.add_argument("--market", type=int, default=1, help="the market asked (1: the largest)")
    parser.add_argument("--generic", action="store_true", help="the generic plans of the prepared statements")
    asyncio.run(main(parser.parse_args()))
