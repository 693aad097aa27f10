"""Order burst (抢座) and sustained order placement, against raw asyncpg and pgbench in the same run.

    .venv/bin/python -m bench.orders [--members 2000 --seats 50 --duration 10 --repeats 3]

The product is served by `marketplace serve` (one uvicorn process) with a worker beside it; the raw
ceiling by bench/raw_endpoint.py under the same uvicorn settings; the load comes from this process.
"""

import argparse
import asyncio
import random
import secrets
from collections.abc import Iterator

from .common import (
    VENV_BIN,
    RssSampler,
    ScratchDb,
    child,
    cpu_seconds,
    free_port,
    median,
    run_async,
    service_env,
    uvicorn_args,
)
from .common import wait_http as wait_http_sync
from .data import Data, Member
from .load import Request, Result, run
from .pgbench import pgbench_orders
from .report import Row, save, table

APP_PATH, RAW_PATH = "/api/v1/orders", "/raw/orders"


def order_requests(path: str, pairs: list[tuple[int, int]], members: list[Member]) -> Iterator[Request]:
    """Orders round-robin over the sessions, each session getting members in turn: no pair repeats."""
    for k in range(len(pairs) * len(members)):
        listing_id, session_id = pairs[k % len(pairs)]
        member = members[(k // len(pairs)) % len(members)]
        headers = {"Authorization": f"Bearer {member.token}", "Idempotency-Key": f"o-{session_id}-{member.id}"}
        yield "POST", path, {"listing_id": listing_id, "session_id": session_id}, headers


async def timed(pid: int, base: str, requests, concurrency: int, duration: float) -> Result:
    """A run, with the server's CPU milliseconds per request (robust to other load on the machine)."""
    cpu = cpu_seconds(pid)
    result = await run(base, requests, concurrency, duration, True)
    result.cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / max(result.count, 1)
    return result


async def burst(data: Data, server, path: str, members: list[Member], seats: int, concurrency: int, n: int):
    """N members order one session of M seats; exactly M must get a seat, the rest a waitlist place."""
    listing_id, (session_id,) = await data.listing([seats], auto_accept=True, n=n)
    requests = order_requests(path, [(listing_id, session_id)], members)
    result = await timed(server.pid, server.base, requests, concurrency, 120)
    taken = await data.seats_taken(session_id)
    seated = result.states["accepted"] + result.states["offered"]
    refused = result.states["waitlisted"] + result.statuses.get(409, 0)
    problems = []
    if seated != seats or taken != seats:
        problems.append(f"{seated} answered seated and {taken} seats taken, for {seats} seats")
    if seated + refused != len(members):
        problems.append(f"{len(members) - seated - refused} of {len(members)} neither seated nor waitlisted/full")
    if result.server_errors:
        problems.append(f"{result.server_errors} 5xx or transport errors")
    if problems:
        raise SystemExit(f"BURST FAILED on {path}: " + "; ".join(problems) + f"\n  {result.summary()}")
    return result


async def sessions_for_mix(data: Data, rng: random.Random, listings: int, per_listing: int, n0: int):
    """Many sessions with mixed capacities, half of them accepting at once: seats run out on some."""
    pairs = []
    for i in range(listings):
        seats = [rng.randint(5, 60) for _ in range(per_listing)]
        listing_id, session_ids = await data.listing(seats, auto_accept=i % 2 == 0, n=n0 + i)
        pairs += [(listing_id, s) for s in session_ids]
    return pairs


async def sustained(data: Data, server, path: str, members: list[Member], args, rng, n0: int) -> Result:
    pairs = await sessions_for_mix(data, rng, args.listings, args.sessions_per_listing, n0)
    return await timed(server.pid, server.base, order_requests(path, pairs, members), args.concurrency, args.duration)


async def wait_http(url: str, proc) -> float:
    return await asyncio.to_thread(wait_http_sync, url, proc)


async def measure(args) -> tuple[list[Row], dict]:
    db = ScratchDb()
    await db.create()
    queue = f"bench-{secrets.token_hex(4)}"
    env = service_env(db, queue)
    details: dict = {"burst": {"app": [], "raw": []}, "sustained": {"app": [], "raw": [], "pgbench": []}}
    try:
        data = Data(db.sqlalchemy_url)
        await data.base()
        members = await data.members(args.members)
        app_port, raw_port = free_port(), free_port()
        app_args = [str(VENV_BIN / "marketplace"), "serve", "--port", str(app_port)]
        with (
            child(app_args, env, "bench-web") as web,
            child([str(VENV_BIN / "marketplace"), "worker"], env, "bench-worker") as worker,
            child(uvicorn_args("bench.raw_endpoint:app", raw_port), env, "bench-raw") as raw,
        ):
            web.base, raw.base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{raw_port}"
            await wait_http(f"{web.base}/healthz", web)
            await wait_http(f"{raw.base}/raw/hello", raw)
            rng = random.Random(6)
            with RssSampler(web.pid) as web_rss, RssSampler(worker.pid) as worker_rss:
                # Warm both servers (connections, statement caches) on sessions that are then left alone.
                for server, path in ((web, APP_PATH), (raw, RAW_PATH)):
                    await sustained(data, server, path, members[:300], _warmup(args), rng, 900)
                for rep in range(args.repeats):
                    for name, server, path in (("app", web, APP_PATH), ("raw", raw, RAW_PATH)):
                        r = await burst(data, server, path, members, args.seats, args.concurrency, rep)
                        details["burst"][name].append(_figures(r))
                        print(f"burst {name} #{rep + 1}: {r.summary()}", flush=True)
                    for name, server, path in (("app", web, APP_PATH), ("raw", raw, RAW_PATH)):
                        r = await sustained(data, server, path, members, args, rng, 100 * (rep + 1))
                        details["sustained"][name].append(_figures(r))
                        print(f"sustained {name} #{rep + 1}: {r.summary()}", flush=True)
                    pairs = await sessions_for_mix(data, rng, args.listings, args.sessions_per_listing, 50)
                    pg = await pgbench_orders(db, pairs, members, args.concurrency, args.duration)
                    if pg is not None:
                        details["sustained"]["pgbench"].append(pg)
                        print(f"pgbench #{rep + 1}: {pg}", flush=True)
                if args.all_at_once:
                    r = await burst(data, web, APP_PATH, members, args.seats, len(members), 99)
                    details["burst_all_at_once"] = _figures(r)
                    print(f"burst app, all {len(members)} at once: {r.summary()}", flush=True)
            details["rss_mb"] = {"web": web_rss.peak_mb, "worker": worker_rss.peak_mb}
        await data.close()
    finally:
        await db.drop()
    return _rows(details, args), details


def _warmup(args) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "duration": 3, "listings": 2})


def _figures(r: Result) -> dict:
    return {
        "rate": r.rate,
        "p50_ms": r.p(50),
        "p99_ms": r.p(99),
        "cpu_ms": r.cpu_ms,
        "count": r.count,
        "states": dict(r.states),
    }


def _med(runs: list[dict], key: str) -> float:
    return median([run[key] for run in runs])


def _rows(d: dict, args) -> list[Row]:
    b, s, rss = d["burst"], d["sustained"], d["rss_mb"]
    raw_rate, pg_rate = _med(s["raw"], "rate"), _med(s["pgbench"], "tps") or None
    app = Row("sustained orders/s (app)", _med(s["app"], "rate"), "/s", "raw asyncpg", raw_rate, "≥ 0.5 of raw")
    app.met = app.ratio >= 0.5
    p99 = Row(f"burst p99, N={args.members} M={args.seats} (app)", _med(b["app"], "p99_ms"), "ms", "raw asyncpg")
    p99.ceiling_value, p99.target, p99.met = _med(b["raw"], "p99_ms"), "< 250 ms", p99.value < 250
    rows = [
        app,
        Row("sustained orders/s (raw asyncpg)", raw_rate, "/s", "pgbench" if pg_rate else "", pg_rate),
        Row("web CPU per order, sustained (app)", _med(s["app"], "cpu_ms"), "ms", "raw", _med(s["raw"], "cpu_ms")),
        Row("sustained p99 (app)", _med(s["app"], "p99_ms"), "ms", "raw asyncpg", _med(s["raw"], "p99_ms")),
        p99,
        Row("burst p50 (app)", _med(b["app"], "p50_ms"), "ms", "raw asyncpg", _med(b["raw"], "p50_ms")),
        Row("burst orders/s (app)", _med(b["app"], "rate"), "/s", "raw asyncpg", _med(b["raw"], "rate")),
        Row("web RSS peak under order load", rss["web"], "MB", target="< 150 MB", met=rss["web"] < 150),
        Row("worker RSS peak under order load", rss["worker"], "MB", target="< 120 MB", met=rss["worker"] < 120),
    ]
    if "burst_all_at_once" in d:
        rows.append(Row(f"burst p99, all {args.members} at once (app)", d["burst_all_at_once"]["p99_ms"], "ms"))
    return rows


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=2000, help="N: members in the burst (and the sustained pool)")
    p.add_argument("--seats", type=int, default=50, help="M: seats of the burst's session")
    p.add_argument("--concurrency", type=int, default=32, help="connections of the driver and pgbench clients")
    p.add_argument("--duration", type=float, default=10, help="seconds of each sustained run")
    p.add_argument("--listings", type=int, default=20, help="listings of the sustained mix")
    p.add_argument("--sessions-per-listing", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3, help="medians are taken over this many runs")
    p.add_argument("--all-at-once", action="store_true", help="also fire all N at once (one connection each)")
    return p


def main() -> None:
    args = parser().parse_args()
    rows, details = run_async(measure(args))
    print(table(rows))
    print(f"saved {save('orders', rows, details)}")


if __name__ == "__main__":
    main()
