"""What every benchmark shares: a scratch database, child processes, statistics, the machine.

Benchmarks never touch a database or a queue anyone else uses: each run creates `bench_<hex>`
on the local PostgreSQL (dropped at the end) and a Redis queue name of its own.
"""

import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# One secret for the servers and the driver, so tokens made before the clock starts are accepted.
SECRET_KEY = "bench-" + "x" * 40


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


@dataclass
class ScratchDb:
    """A database of this run's own, migrated with the project's migrations; dropped on exit."""

    name: str = field(default_factory=lambda: f"bench_{secrets.token_hex(4)}")

    @property
    def dsn(self) -> str:
        return f"{PG_URL}/{self.name}"

    @property
    def sqlalchemy_url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def create(self) -> None:
        conn = await asyncpg.connect(f"{PG_URL}/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        await self.migrate()

    async def migrate(self) -> None:
        """The project's migrations up to head (a kept database: only those it lacks)."""
        env = {**os.environ, "DATABASE_URL": self.sqlalchemy_url, "REDIS_URL": REDIS_URL}
        proc = await asyncio.create_subprocess_exec(
            str(VENV_BIN / "marketplace"), "migrate", env=env, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        if await proc.wait() != 0:
            raise RuntimeError("marketplace migrate failed")

    async def drop(self) -> None:
        conn = await asyncpg.connect(f"{PG_URL}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()


def service_env(db: ScratchDb, queue_name: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db.sqlalchemy_url,
        "REDIS_URL": REDIS_URL,
        "QUEUE_NAME": queue_name,
        "SECRET_KEY": SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        # The load reuses a pool of members far faster than a person orders: the limits are still
        # counted on every request (their cost is measured), but never reached.
        "ORDER_LIMIT_PER_MEMBER": "1000000 per minute",
        "LOGIN_LIMIT_PER_IP": "1000000 per minute",
        **extra,
    }


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 60) -> float:
    """Seconds until `url` answers 200; raises when the process dies or time runs out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return time.monotonic() - start
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


@contextlib.contextmanager
def child(args: list[str], env: dict[str, str], log_name: str) -> Iterator[subprocess.Popen]:
    """A child process in its own process group, stopped (SIGTERM, then SIGKILL) on exit."""
    log_path = Path(os.environ.get("BENCH_LOG_DIR", "/tmp")) / f"{log_name}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, grace: float = 15) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def uvicorn_args(target: str, port: int, factory: bool = False) -> list[str]:
    """The same server settings as `marketplace serve`: one process, uvloop/httptools, no access log."""
    args = [str(VENV_BIN / "python"), "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    return [*args, "--no-access-log", "--log-level", "warning", *(["--factory"] if factory else [])]


class RssSampler:
    """Peak resident memory of a process and its children, sampled every `interval` s in a thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = False
        self._task: asyncio.Future | None = None

    def _rss(self) -> int:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(self.pid)
            return proc.memory_info().rss + sum(
                c.memory_info().rss for c in proc.children(recursive=True) if c.is_running()
            )
        return 0

    def _run(self) -> None:
        while not self._stop:
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def __enter__(self) -> "RssSampler":
        self._task = asyncio.get_running_loop().run_in_executor(None, self._run)
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True

    @property
    def peak_mb(self) -> float:
        return round(self.peak / 2**20, 1)


def run_async(coro):
    """asyncio.run on uvloop, as the servers run: the driver should not be the slow side."""
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return asyncio.run(coro)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: per-request CPU is robust to a busy machine."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _positional(engine, query, values: dict | None = None) -> tuple[str, list]:
    compiled = query.compile(dialect=engine.dialect)
    known = {**compiled.params, **(values or {})}
    return compiled.string, [known[name] for name in compiled.positiontup]


async def server_ms(raw, engine, query, values: dict | None = None) -> float:
    """The database's own execution time of `query` (EXPLAIN ANALYZE): what the query costs, whatever the
    client and the machine's load add around it."""
    text, params = _positional(engine, query, values)
    plan = await raw.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + text, *params)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Execution Time"]


async def explain(raw, engine, query, values: dict) -> list[str]:
    text, params = _positional(engine, query, values)
    return [r[0] for r in await raw.fetch("EXPLAIN (ANALYZE, BUFFERS) " + text, *params)]
