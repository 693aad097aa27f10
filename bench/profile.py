"""Profile the web process under load with py-spy: where a missed target's time goes.

    .venv/bin/python -m bench.profile orders [--duration 15]   # sustained order placement
    .venv/bin/python -m bench.profile menu                    # the menu JSON
    .venv/bin/python -m bench.profile burst                   # 2,000 members at once on 30 seats (bench.burst)

Writes bench/results/profile-<what>.txt (collapsed stacks) and .svg (flame graph), and prints the
functions with the most samples: inclusive (on the stack) and self (on top of it).
"""

import argparse
import asyncio
import random
import secrets
import subprocess
from collections import Counter
from pathlib import Path

from .burst import fire
from .common import VENV_BIN, ScratchDb, child, free_port, run_async, service_env, uvicorn_args, wait_http
from .data import Data
from .load import run
from .menu import _gets, menu_queries
from .orders import APP_PATH, order_requests, sessions_for_mix
from .report import RESULTS


def top_functions(collapsed: Path, n: int = 25) -> str:
    inclusive, own, total = Counter(), Counter(), 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    lines = [f"{total} samples; inclusive:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in inclusive.most_common(n)]
    lines += ["self:"] + [f"  {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(n)]
    return "\n".join(lines)


def py_spy(pid: int, seconds: float, out: Path, fmt: str) -> subprocess.Popen:
    args = [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--duration", str(int(seconds))]
    return subprocess.Popen([*args, "--rate", "200", "--format", fmt, "--output", str(out), "--nonblocking"])


async def profile(what: str, duration: float, concurrency: int) -> None:
    db = ScratchDb()
    await db.create()
    try:
        data = Data(db.sqlalchemy_url)
        await data.base()
        members = await data.members(2000)
        rng = random.Random(6)
        pairs = await sessions_for_mix(data, rng, 20, 5, 0)
        for n in range(80 if what == "menu" else 0):
            await data.listing([rng.randint(5, 60) for _ in range(3)], n=n)
        categories = [c.id for c in data.categories]
        port = free_port()
        env = service_env(db, f"bench-{secrets.token_hex(4)}")
        with child(uvicorn_args("bench.hello_app:create", port, factory=True), env, "bench-profile-web") as web:
            base = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(wait_http, f"{base}/healthz", web)
            if what == "burst":
                await _bursts(data, base, web.pid, members, 1)  # warm up
                requests = None
            elif what == "orders":
                requests = order_requests(APP_PATH, pairs, members)
            else:
                requests = _gets([f"/api/v1/listings{q}" for q in menu_queries(categories)])
            if requests is not None:
                await run(base, requests, concurrency, 3)  # warm up
            RESULTS.mkdir(exist_ok=True)
            spies = [
                py_spy(web.pid, duration, RESULTS / f"profile-{what}.{ext}", fmt)
                for ext, fmt in (("txt", "raw"), ("svg", "flamegraph"))
            ]
            if what == "burst":
                result = await _bursts(data, base, web.pid, members, duration)
            else:
                result = await run(base, requests, concurrency, duration + 1)
            for spy in spies:
                await asyncio.to_thread(spy.wait, 30)
        await data.close()
    finally:
        await db.drop()
    print(f"load during the profile: {result.summary()}")
    print(top_functions(RESULTS / f"profile-{what}.txt"))


async def _bursts(data: Data, base: str, pid: int, members: list, duration: float):
    """bench.burst's 2,000 at once on 30 seats, a new session each time, for `duration` seconds."""
    ends, result = asyncio.get_running_loop().time() + duration, None
    while result is None or asyncio.get_running_loop().time() < ends:
        listing_id, (session_id,) = await data.listing([30], n=secrets.randbelow(10**6))
        result = await fire(base, pid, APP_PATH, listing_id, session_id, members)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["orders", "menu", "burst"])
    p.add_argument("--duration", type=float, default=15)
    p.add_argument("--concurrency", type=int, default=32)
    args = p.parse_args()
    run_async(profile(args.what, args.duration, args.concurrency))


if __name__ == "__main__":
    main()
