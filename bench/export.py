"""The orders export at k× the demo data (issue #17: "exports stream with constant memory"): time to the
first byte, total time and the web process's peak RSS while `/desk/export/orders.csv` and `.xlsx` are
downloaded by a curator of the asked market, three times each, on `marketplace serve`; then the temporary
files left in its DATA_DIR (a workbook's are removed after its response). Run it against another
checkout's code (`--src`, put first on PYTHONPATH) to compare two versions on the same database.

    .venv/bin/python -m bench.export [--factor 100] [--db bench_xxx] [--src path/to/src] [--format xlsx]
"""

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from .common import ScratchDb, child, free_port, service_env, wait_http
from .scale import probes, tokens
from .scale_data import build


def _peak_rss(process: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.005)


def _files_left(data_dir: Path) -> list[str]:
    """What the served code left in DATA_DIR/exports (services/exports.exports_dir) after a download."""
    return sorted(p.name for p in (data_dir / "exports").glob("*"))


async def _download(port: int, token: str, kind: str) -> tuple[int, float, float, int]:
    started, first, size = time.perf_counter(), None, 0
    headers = {"Cookie": f"mkt_session={token}", "Accept-Language": "zh-CN"}
    async with httpx.AsyncClient(timeout=300) as client:
        async with client.stream("GET", f"http://127.0.0.1:{port}/desk/export/orders.{kind}", headers=headers) as r:
            async for chunk in r.aiter_bytes():
                first = first if first is not None else time.perf_counter() - started
                size += len(chunk)
    return r.status_code, first or 0.0, time.perf_counter() - started, size


async def measure(args) -> None:
    db = ScratchDb(name=args.db) if args.db else ScratchDb()
    if not args.db:
        await db.create()
        built = await build(db.sqlalchemy_url, args.factor)
        print(f"built {args.factor:g}× in {built.seconds:.0f} s", flush=True)
    try:
        found = await probes(db, (built.markets[0] if not args.db else args.market))
        (token,) = await tokens(db, [found["curator"]])
        port = free_port()
        data_dir = Path(tempfile.mkdtemp(prefix="export-bench-"))
        env = service_env(
            db, "export-bench", PORT=str(port), DATA_DIR=str(data_dir), **({"PYTHONPATH": args.src} if args.src else {})
        )
        with child([sys.executable, "-m", "marketplace", "serve"], env, "export-serve") as proc:
            wait_http(f"http://127.0.0.1:{port}/healthz", proc)
            process = psutil.Process(proc.pid)
            for kind in args.format or ["csv", "xlsx"]:
                for attempt in range(1, 4):
                    base, stop = process.memory_info().rss, threading.Event()
                    peak = [base]
                    watcher = threading.Thread(target=_peak_rss, args=(process, stop, peak))
                    watcher.start()
                    status, first, total, size = await _download(port, token, kind)
                    stop.set()
                    watcher.join()
                    print(
                        f"{kind} try {attempt}: {status}, first byte {first * 1000:.0f} ms, "
                        f"total {total * 1000:.0f} ms, {size / 1e6:.1f} MB, web RSS {base / 1e6:.0f} MB, "
                        f"peak +{(peak[0] - base) / 1e6:.0f} MB, "
                        f"files left: {_files_left(data_dir) or 'none'}",
                        flush=True,
                    )
    finally:
        if not args.db:
            await db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factor", type=float, default=100)
    parser.add_argument("--db", help="an existing database (bench.scale_data --keep) instead of building one")
    parser.add_argument("--market", type=int, default=1, help="with --db: the market asked")
    parser.add_argument("--src", help="another checkout's src/ to serve instead of this one")
    parser.add_argument("--format", action="append", choices=["csv", "xlsx"], help="only this one (repeatable)")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
