"""Reminders: K reminders due over a span of seconds, sent by the product's worker (`marketplace worker`:
outbox relay → one arq deferred job per 0.1 s slice of due times → run_outbox_batch → the reminders'
notices in one transaction), against arq's own ceiling for an empty deferred job in the same run.

    .venv/bin/python -m bench.reminders            # 10,000 over 30 s (the default, about 2 minutes)
    .venv/bin/python -m bench.reminders --full     # 100,000 over 180 s

Lag is when a reminder's outbox row was marked done minus when it was due (the row's own clock).
"""

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from arq import create_pool

from marketplace.models import Order
from marketplace.queue import redis_settings

from .common import REDIS_URL, VENV_BIN, RssSampler, ScratchDb, child, median, percentile, run_async, service_env
from .data import Data
from .report import Row, save, table

# What arq allows when its worker is told to take more jobs at once and to look for due jobs more often.
TUNED = ("200", "0.05")


async def delivered_orders(data: Data, count: int) -> list[int]:
    """Orders in `delivered`, so each sign-off reminder re-reads its order and writes a real notice."""
    members = await data.members(count)
    listing_id, (session_id,) = await data.listing([count], auto_accept=True)
    orders = [
        Order(
            market_id=data.market_id,
            kind="listing",
            member_id=m.id,
            listing_id=listing_id,
            session_id=session_id,
            category_id=data.categories[0].id,
            provider_id=data.providers[0].id,
            title="书法培训",
            state="delivered",
            holds_seat=True,
            delivered_at=datetime.now(UTC),
        )
        for m in members
    ]
    async with data.sessionmaker() as db, db.begin():
        db.add_all(orders)
    return [o.id for o in orders]


async def plan(dsn: str, order_ids: list[int], count: int, first_due: datetime, span: float) -> None:
    rows = []
    for i in range(count):
        key = f"bench:{i}:remind:sign_off"
        args = {"key": key, "kind": "sign_off", "to": "member", "order_id": order_ids[i % len(order_ids)]}
        due = first_due + timedelta(seconds=span * i / count)
        rows.append(("remind", json.dumps(args), due, key, "pending", 0, 0, datetime.now(UTC)))
    conn = await asyncpg.connect(dsn)
    try:
        columns = ["job", "args", "due_at", "dedupe_key", "state", "attempts", "sends", "created_at"]
        await conn.copy_records_to_table("outbox_jobs", records=rows, columns=columns)
    finally:
        await conn.close()


async def product(args, db: ScratchDb) -> dict:
    data = Data(db.sqlalchemy_url)
    await data.base()
    order_ids = await delivered_orders(data, 500)
    await data.close()
    first_due = datetime.now(UTC) + timedelta(seconds=args.lead)
    await plan(db.dsn, order_ids, args.count, first_due, args.span)
    env = service_env(db, f"bench-{secrets.token_hex(4)}")
    conn = await asyncpg.connect(db.dsn)
    deadline = time.monotonic() + args.lead + args.span + args.timeout
    try:
        with child([str(VENV_BIN / "marketplace"), "worker"], env, "bench-reminders-worker") as worker:
            with RssSampler(worker.pid) as rss:
                while time.monotonic() < deadline:
                    left = await conn.fetchval("SELECT count(*) FROM outbox_jobs WHERE state <> 'done'")
                    if left == 0:
                        break
                    await asyncio.sleep(1)
        lags = await conn.fetch(
            "SELECT extract(epoch FROM finished_at - due_at)::float8 AS lag, finished_at FROM outbox_jobs "
            "WHERE state = 'done'"
        )
        notices = await conn.fetchval("SELECT count(*) FROM notifications WHERE kind = 'reminder_sign_off'")
    finally:
        await conn.close()
    done = [r["lag"] for r in lags]
    last = max((r["finished_at"] for r in lags), default=first_due)
    return _figures(done, args, (last - first_due).total_seconds()) | {"notices": notices, "rss_mb": rss.peak_mb}


async def ceiling(args, tuning: tuple[str, ...] = ()) -> dict:
    queue = f"bench-arq-{secrets.token_hex(4)}"
    pool = await create_pool(redis_settings(REDIS_URL), default_queue_name=queue)
    first_due = time.time() + 5 + args.count / 2000  # after the enqueueing, at about 2,000 jobs/s
    try:
        for start in range(0, args.count, 500):
            await asyncio.gather(
                *(
                    pool.enqueue_job("empty", due, _defer_until=datetime.fromtimestamp(due, UTC))
                    for due in (first_due + args.span * i / args.count for i in range(start, start + 500))
                    if due < first_due + args.span
                )
            )
        if time.time() > first_due:
            raise SystemExit("enqueueing the ceiling's jobs took longer than planned")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "lags.json"
            command = [str(VENV_BIN / "python"), "-m", "bench.arq_ceiling", queue, str(out), *tuning]
            with child(command, dict(os.environ), "bench-arq") as proc:
                await asyncio.to_thread(_wait, proc, first_due - time.time() + args.span + args.timeout)
            lags = json.loads(await asyncio.to_thread(out.read_text))
    finally:
        await pool.delete(queue)
        await pool.aclose()
    return _figures(lags, args, max(lags, default=0) + args.span)


def _wait(proc: subprocess.Popen, seconds: float) -> None:
    """The ceiling's worker stops by itself once its queue is empty; it is stopped after `seconds`."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(seconds)


def _figures(lags: list[float], args, elapsed: float) -> dict:
    return {
        "done": len(lags),
        "p50_s": percentile(lags, 50),
        "p99_s": percentile(lags, 99),
        "max_s": max(lags, default=0),
        "rate": len(lags) / elapsed if elapsed > 0 else 0,
        "offered_rate": args.count / args.span,
    }


async def measure(args) -> tuple[list[Row], dict]:
    details: dict = {"product": [], "arq": [], "arq_tuned": []}
    for rep in range(args.repeats):
        details["arq"].append(await ceiling(args))
        print(f"arq empty job, arq's defaults #{rep + 1}: {details['arq'][-1]}", flush=True)
        details["arq_tuned"].append(await ceiling(args, TUNED))
        print(f"arq empty job, max_jobs={TUNED[0]} poll_delay={TUNED[1]} #{rep + 1}: {details['arq_tuned'][-1]}")
        db = ScratchDb()
        await db.create()
        try:
            details["product"].append(await product(args, db))
        finally:
            await db.drop()
        print(f"product reminders #{rep + 1}: {details['product'][-1]}", flush=True)
    p, a, t = details["product"], details["arq"], details["arq_tuned"]
    if any(run["done"] < args.count for run in p):
        print(f"NOT ALL SENT: {[run['done'] for run in p]} of {args.count} within the time allowed")
    # The ceiling: the best arq itself does with an empty job on this machine in the same run (tuned);
    # arq's defaults, which the product's worker does not use, are shown for what they would cost.
    tuned = f"arq empty job (max_jobs={TUNED[0]}, poll {TUNED[1]} s)"
    rows = [
        Row(
            f"reminder lag p99 ({args.count:,} over {args.span:.0f} s)",
            median([x["p99_s"] for x in p]),
            "s",
            tuned,
            median([x["p99_s"] for x in t]),
            "< 1 s",
            median([x["p99_s"] for x in p]) < 1 and all(run["done"] == args.count for run in p),
        ),
        Row("reminder lag p50", median([x["p50_s"] for x in p]), "s", tuned, median([x["p50_s"] for x in t])),
        Row("reminders sent/s", median([x["rate"] for x in p]), "/s", tuned, median([x["rate"] for x in t])),
        Row(
            "arq empty job lag p99 with arq's defaults (max_jobs=10, poll 0.5 s)",
            median([x["p99_s"] for x in a]),
            "s",
            tuned,
            median([x["p99_s"] for x in t]),
        ),
        Row("worker RSS peak during reminders", median([x["rss_mb"] for x in p]), "MB", target="< 120 MB"),
    ]
    rows[4].met = rows[4].value < 120
    return rows, details


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=10_000, help="reminders")
    p.add_argument("--span", type=float, default=30, help="seconds over which they fall due")
    p.add_argument("--full", action="store_true", help="the issue's size: 100,000 over 180 s")
    p.add_argument("--lead", type=float, default=10, help="seconds from start until the first is due")
    p.add_argument("--timeout", type=float, default=120, help="seconds allowed after the last is due")
    p.add_argument("--repeats", type=int, default=1)
    return p


def main() -> None:
    args = parser().parse_args()
    if args.full:
        args.count, args.span = 100_000, 180
    rows, details = run_async(measure(args))
    print(table(rows))
    print(f"saved {save('reminders', rows, details)}")


if __name__ == "__main__":
    main()
