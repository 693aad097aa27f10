"""抢座 as members live it: N members press 报名 at the same instant, with 1 and with 2 web processes.

    .venv/bin/python -m bench.burst [--members 2000 --seats 30 --web 1 2 --repeats 3]

Every member's connection is opened first; then all N requests are written at once and each member's
wait is counted from that common instant to the end of their answer (not from when the driver got round
to them). The product is `marketplace serve --workers W` with a worker beside it; the ceiling is
bench/raw_endpoint.py (the same rows in raw asyncpg) under uvicorn with the same W, in the same run.
Exactness is checked after every burst: exactly M seated, seats taken = M, every other member answered
with a waitlist place, the places 1..N−M each given once.
"""

import argparse
import asyncio
import contextlib
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

import psutil

from .common import VENV_BIN, ScratchDb, child, free_port, median, percentile, run_async, service_env, uvicorn_args
from .common import wait_http as wait_http_sync
from .data import Data, Member
from .http import Connection, HttpError
from .orders import APP_PATH, RAW_PATH
from .report import Row, save, table


@dataclass
class Burst:
    waits: list[float] = field(default_factory=list)  # seconds from the common instant to the answer's end
    statuses: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)
    places: list[int] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    cpu_ms: float = 0.0  # server CPU per request, every process of the server counted
    postgres_cpu_ms: float = 0.0  # PostgreSQL's CPU per request (every postgres process on the machine)
    redis_cpu_ms: float = 0.0  # Redis's likewise
    wrong_places: int = 0  # members told a waitlist place that another member was told too

    def p(self, q: float) -> float:
        return percentile(self.waits, q) * 1000

    def summary(self) -> str:
        return (
            f"p50 {self.p(50):.0f} ms, p99 {self.p(99):.0f} ms, max {self.p(100):.0f} ms, {dict(self.statuses)}, "
            f"{dict(self.states)}, server CPU {self.cpu_ms:.2f} ms/order"
            + (f", errors {dict(self.errors)}" if self.errors else "")
        )


def server_cpu(pid: int) -> float:
    proc = psutil.Process(pid)
    times = [proc.cpu_times(), *(c.cpu_times() for c in proc.children(recursive=True))]
    return sum(t.user + t.system for t in times)


def named_cpu(name: str) -> float:
    """CPU seconds used so far by every process called `name` (postgres, redis-server), those that have
    exited too: a backend or an autovacuum worker that ends in the middle of a burst took its CPU with it,
    which its parent (the postmaster) counts among its reaped children's."""
    total = 0.0
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] == name:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
                if proc.parent() is None or proc.parent().name() != name:
                    total += times.children_user + times.children_system
    return total


async def fire(base: str, pid: int, path: str, listing_id: int, session_id: int, members: list[Member]) -> Burst:
    """All the members' orders written at one instant over connections opened beforehand."""
    result = Burst()
    connections = [Connection(base) for _ in members]
    await asyncio.gather(*(c.open() for c in connections))
    cpu, postgres, redis = server_cpu(pid), named_cpu("postgres"), named_cpu("redis-server")
    body = {"listing_id": listing_id, "session_id": session_id}

    async def one(conn: Connection, member: Member, instant: float) -> None:
        headers = {"Authorization": f"Bearer {member.token}", "Idempotency-Key": f"b-{session_id}-{member.id}"}
        try:
            status, content = await conn.request("POST", path, body, headers)
        except (HttpError, OSError) as exc:
            result.errors[type(exc).__name__] += 1
            return
        result.waits.append(time.perf_counter() - instant)
        result.statuses[status] += 1
        if status < 300:
            answer = json.loads(content)
            result.states[answer.get("state")] += 1
            if answer.get("waitlist_position") is not None:
                result.places.append(answer["waitlist_position"])

    instant = time.perf_counter()
    try:
        await asyncio.gather(*(one(c, m, instant) for c, m in zip(connections, members, strict=True)))
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    answered = max(len(result.waits), 1)
    result.cpu_ms = (server_cpu(pid) - cpu) * 1000 / answered
    result.postgres_cpu_ms = (named_cpu("postgres") - postgres) * 1000 / answered
    result.redis_cpu_ms = (named_cpu("redis-server") - redis) * 1000 / answered
    given = Counter(result.places)
    result.wrong_places = sum(n for n in given.values() if n > 1)  # members told a place another was told
    return result


def problems(r: Burst, members: int, seats: int, taken: int) -> list[str]:
    found = []
    seated = r.states["accepted"] + r.states["offered"]
    if seated != seats or taken != seats:
        found.append(f"{seated} answered seated and {taken} seats taken, for {seats} seats")
    if r.states["waitlisted"] != members - seats:
        found.append(f"{r.states['waitlisted']} waitlisted, not {members - seats}")
    if r.errors or any(status >= 500 for status in r.statuses):
        found.append(f"{sum(r.errors.values())} transport errors, statuses {dict(r.statuses)}")
    return found


async def measure(args) -> tuple[list[Row], dict]:
    db = ScratchDb()
    await db.create()
    env = service_env(db, f"bench-{secrets.token_hex(4)}", DB_POOL_SIZE=str(args.pool_size))
    details: dict = {"members": args.members, "seats": args.seats, "pool_size": args.pool_size, "runs": {}}
    try:
        data = Data(db.sqlalchemy_url)
        await data.base()
        members = await data.members(args.members)
        with child([str(VENV_BIN / "marketplace"), "worker"], env, "bench-burst-worker"):
            for web in args.web:
                for name, path in (("app", APP_PATH), ("raw", RAW_PATH)):
                    port = free_port()
                    if name == "app":
                        command = [str(VENV_BIN / "marketplace"), "serve", "--port", str(port), "--workers", str(web)]
                    else:
                        command = [*uvicorn_args("bench.raw_endpoint:app", port), "--workers", str(web)]
                    with child(command, env, f"bench-burst-{name}-{web}") as server:
                        base = f"http://127.0.0.1:{port}"
                        await asyncio.to_thread(
                            wait_http_sync, f"{base}/healthz" if name == "app" else f"{base}/raw/hello", server
                        )
                        runs = details["runs"].setdefault(f"{name} × {web}", [])
                        for rep in range(args.repeats + 1):  # the first burst warms every process
                            listing_id, (session_id,) = await data.listing(
                                [args.seats], n=1000 * web + 10 * rep + (name == "raw")
                            )
                            r = await fire(base, server.pid, path, listing_id, session_id, members)
                            found = problems(r, len(members), args.seats, await data.seats_taken(session_id))
                            label = "warm-up" if rep == 0 else f"#{rep}"
                            print(f"{name}, {web} web process(es), {label}: {r.summary()}", flush=True)
                            if found:
                                raise SystemExit(f"BURST NOT EXACT ({name} × {web}): " + "; ".join(found))
                            if rep:
                                runs.append(
                                    {
                                        "p50_ms": r.p(50),
                                        "p99_ms": r.p(99),
                                        "max_ms": r.p(100),
                                        "cpu_ms": r.cpu_ms,
                                        "postgres_cpu_ms": r.postgres_cpu_ms,
                                        "redis_cpu_ms": r.redis_cpu_ms,
                                        "wrong_places": r.wrong_places,
                                    }
                                )
        await data.close()
    finally:
        await db.drop()
    return _rows(details, args), details


def _rows(d: dict, args) -> list[Row]:
    rows = []
    for web in args.web:
        app, raw = d["runs"][f"app × {web}"], d["runs"][f"raw × {web}"]

        def both(key: str, app=app, raw=raw) -> tuple[float, float]:
            return median([r[key] for r in app]), median([r[key] for r in raw])

        p99 = Row(f"all {args.members} at once, p99, {web} web", *_pair(both("p99_ms")), "< 2000 ms")
        p99.met = p99.value < 2000
        rows.append(p99)
        rows.append(Row(f"  max wait, {web} web", *_pair(both("max_ms"))))
        for key, what in (("cpu_ms", "web"), ("postgres_cpu_ms", "PostgreSQL"), ("redis_cpu_ms", "Redis")):
            rows.append(Row(f"  {what} CPU per order, {web} web", *_pair(both(key))))
        places = Row(f"  members told a waitlist place another was told too, {web} web", both("wrong_places")[0], "")
        places.target, places.met = "0", places.value == 0
        rows.append(places)
    return rows


def _pair(values: tuple[float, float]) -> tuple[float, str, str, float]:
    """(app value, unit, ceiling name, raw value) for a Row."""
    return values[0], "ms", "raw asyncpg", values[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=2000)
    p.add_argument("--seats", type=int, default=30)
    p.add_argument("--web", type=int, nargs="+", default=[1, 2], help="web processes to measure")
    p.add_argument("--repeats", type=int, default=3, help="bursts per setting after a warm-up burst (medians)")
    p.add_argument("--pool-size", type=int, default=20, help="DB_POOL_SIZE of each web process (and of raw's)")
    args = p.parse_args()
    rows, details = run_async(measure(args))
    print(table(rows))
    print(f"saved {save('burst', rows, details)}")


if __name__ == "__main__":
    main()
