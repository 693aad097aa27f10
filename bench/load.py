"""The load driver: `concurrency` connections, each sending its next request as soon as the last one
answered (a closed loop), bounded by a request count and a deadline, whichever comes first.

Latency is measured from just before a request is written to when its body has been read, so it is
the server's time plus the loopback, not time spent waiting in the driver.
"""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from .common import percentile
from .http import Connection, HttpError

# (method, path, json body or None, headers)
Request = tuple[str, str, dict | None, dict[str, str]]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)  # "state" of JSON answers (orders)
    errors: Counter = field(default_factory=Counter)  # transport errors, by exception name
    elapsed: float = 0.0
    cpu_ms: float = 0.0  # the server's CPU time per request, when the caller measured it

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float:
        """Percentile q of latency, in milliseconds."""
        return percentile(self.latencies, q) * 1000

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500) + sum(self.errors.values())

    def summary(self) -> str:
        return (
            f"{self.count} in {self.elapsed:.2f} s = {self.rate:.0f}/s, p50 {self.p(50):.1f} ms, "
            f"p99 {self.p(99):.1f} ms, statuses {dict(self.statuses)}, states {dict(self.states)}"
            + (f", server CPU {self.cpu_ms:.2f} ms/request" if self.cpu_ms else "")
            + (f", errors {dict(self.errors)}" if self.errors else "")
        )


async def run(
    base_url: str, requests: Iterator[Request], concurrency: int, duration: float, read_state: bool = False
) -> Result:
    """Send requests from the iterator over `concurrency` connections until it ends or `duration` s pass."""
    result = Result()
    connections = [Connection(base_url) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in connections))
    deadline = time.perf_counter() + duration

    async def loop(conn: Connection) -> None:
        for method, path, body, headers in requests:
            if time.perf_counter() >= deadline:
                return
            start = time.perf_counter()
            try:
                status, content = await conn.request(method, path, body, headers)
            except (HttpError, OSError) as exc:
                result.errors[type(exc).__name__] += 1
                continue
            result.latencies.append(time.perf_counter() - start)
            result.statuses[status] += 1
            if read_state and status < 300:
                result.states[json.loads(content).get("state")] += 1

    start = time.perf_counter()
    try:
        await asyncio.gather(*(loop(c) for c in connections))
    finally:
        result.elapsed = time.perf_counter() - start
        await asyncio.gather(*(c.close() for c in connections))
    return result


async def warm(base_url: str, path: str, concurrency: int, count: int = 200) -> None:
    """Warm the server (connections to PostgreSQL, statement and template caches) before a clock starts."""
    await run(base_url, iter([("GET", path, None, {})] * count), concurrency, 30)
