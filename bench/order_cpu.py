"""Where a waitlisted order's web CPU goes, in process: the app called as ASGI, no server, one at a time.

    .venv/bin/python -m bench.order_cpu [--orders 1200]

A scratch database with a full session of one seat and `--orders` members, each of whom orders it once with
an Idempotency-Key (as `bench.burst`'s members do: every order but the first is waitlisted). Prints the CPU
this process spends per order — the lowest of 8 chunks (the machine's other work only adds) and their
median — and the part of it inside each step of the order's path (each step's own CPU, its children
included; steps nest). Every order but the first is of a full session, so it is written by a group
(services/waitlist_joins.py: `join_if_full` holds the request's part, `_write` the group's); one at a time,
each group holds one order, where in a burst it holds hundreds. `--alone` measures the path every other
order takes (`_created` holds most of its steps), by making this process's groups send every order alone.
"""

import argparse
import collections
import functools
import json
import logging
import os
import secrets
import time

from .common import REDIS_URL, SECRET_KEY, ScratchDb, run_async
from .data import Data

CHUNKS = 8


def _steps(spent: collections.Counter) -> None:
    """Count the CPU spent in each step of the order path (patched in place: this process only)."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from marketplace import auth, ratelimits
    from marketplace.services import idempotency, order_placement, order_views, orders, waitlist_joins, waitlist_lines
    from marketplace.web import orders as web_orders

    def patch(owner, name: str) -> None:
        step = getattr(owner, name)
        label = f"{getattr(owner, '__name__', owner)}.{name}".removeprefix("marketplace.")

        @functools.wraps(step)
        async def counted(*args, **kwargs):
            started = time.process_time()
            try:
                return await step(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started

        setattr(owner, name, counted)

    for owner, name in [
        (waitlist_joins, "join_if_full"),
        (waitlist_joins, "_write"),
        (web_orders, "_created"),
        (auth, "user_for_token"),
        (idempotency, "claim"),
        (ratelimits.Limits, "count_order"),
        (orders, "place"),
        (order_placement, "read_target"),
        (order_placement, "place"),
        (web_orders, "_answer"),
        (order_views, "build"),
        (idempotency, "remember"),
        (AsyncSession, "commit"),
        (waitlist_lines, "take_places"),
    ]:
        patch(owner, name)


async def measure(orders: int, alone: bool) -> None:
    db = ScratchDb()
    await db.create()
    try:
        data = Data(db.sqlalchemy_url)
        await data.base()
        members = await data.members(orders + 300)
        listing_id, (session_id,) = await data.listing([1], n=1)
        await data.close()
        os.environ.update(
            DATABASE_URL=db.sqlalchemy_url, REDIS_URL=REDIS_URL, SECRET_KEY=SECRET_KEY, QUEUE_NAME=secrets.token_hex(4)
        )
        from marketplace.app import create_app

        spent: collections.Counter = collections.Counter()
        _steps(spent)
        if alone:
            from marketplace.services import waitlist_joins

            waitlist_joins.joins_the_line = lambda member, target: False
        app = create_app()
        logging.disable(logging.INFO)  # not a line per request
        body = json.dumps({"listing_id": listing_id, "session_id": session_id}).encode()

        async def order(member) -> None:
            headers = [
                (b"authorization", f"Bearer {member.token}".encode()),
                (b"idempotency-key", f"cpu-{member.id}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/api/v1/orders",
                "raw_path": b"/api/v1/orders",
                "query_string": b"",
                "root_path": "",
                "headers": headers,
                "client": ("127.0.0.1", 50000),
                "server": ("127.0.0.1", 80),
                "state": {},
            }
            sent = []

            async def receive() -> dict:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict) -> None:
                sent.append(message)

            await app(scope, receive, send)
            if sent[0]["status"] != 201:
                raise SystemExit(f"an order was answered {sent[0]['status']}: {sent[1].get('body')}")

        async with app.lifespan():
            for member in members[orders:]:  # warm: the connections' prepared statements, the caches
                await order(member)
            spent.clear()
            size, chunks = orders // CHUNKS, []
            for n in range(CHUNKS):
                started = time.process_time()
                for member in members[n * size : (n + 1) * size]:
                    await order(member)
                chunks.append((time.process_time() - started) * 1e6 / size)
    finally:
        await db.drop()
    chunks.sort()
    print(f"CPU per waitlisted order: lowest chunk {chunks[0]:.0f} µs, median {chunks[CHUNKS // 2]:.0f} µs")
    for label, seconds in spent.most_common():
        print(f"  {label:38} {seconds * 1e6 / (size * CHUNKS):6.0f} µs")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--orders", type=int, default=1200)
    p.add_argument("--alone", action="store_true", help="every order in a transaction of its own")
    args = p.parse_args()
    run_async(measure(args.orders, args.alone))


if __name__ == "__main__":
    main()
