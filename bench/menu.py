"""The public menu under load — JSON (GET /api/v1/listings, 20 listings, with filters) and the member's
menu page (GET /menu, zh-CN) — against a hello-world route of the same app, in the same run.

    .venv/bin/python -m bench.menu [--duration 8 --concurrency 32 --repeats 3] [--members]

The page is asked for as an anonymous visitor (the target); `--members` also asks for it with logged-in
members' session cookies (for information: each such request looks the member up in the database).
"""

import argparse
import asyncio
import itertools
import json
import random
import secrets
from urllib.parse import quote

from .common import ScratchDb, child, free_port, median, run_async, service_env, uvicorn_args, wait_http
from .data import GROUPS, Data
from .http import Connection
from .load import Result, run, warm
from .report import Row, save, table


def menu_queries(category_ids: list[int]) -> list[str]:
    """What members ask of the menu: the first page, a domain, online only, a group, a search, by rating."""
    return [
        "?limit=20",
        *(f"?limit=20&category={c}" for c in category_ids[:3]),
        "?limit=20&mode=online",
        "?limit=20&available=true",
        f"?limit=20&group={GROUPS[0]}",
        f"?limit=20&q={quote('书法')}",
        "?limit=20&sort=rating",
        "?limit=20&sort=soon&available=true",
    ]


def _gets(paths: list[str], cookies: list[str] = ()):
    """GETs of the paths in turn; with cookies, each request carries the next one (one visitor each)."""
    if not cookies:
        return (("GET", p, None, {"Accept-Language": "zh-CN"}) for p in itertools.cycle(paths))
    return (
        ("GET", p, None, {"Accept-Language": "zh-CN", "Cookie": c})
        for p, c in zip(itertools.cycle(paths), itertools.cycle(cookies), strict=False)
    )


async def measure(args) -> tuple[list[Row], dict]:
    db = ScratchDb()
    await db.create()
    details: dict = {"hello": [], "json": [], "html": [], "member": []}
    try:
        data = Data(db.sqlalchemy_url)
        await data.base()
        rng = random.Random(6)
        for n in range(args.listings):
            await data.listing([rng.randint(5, 60) for _ in range(3)], auto_accept=n % 2 == 0, n=n)
        queries = menu_queries([c.id for c in data.categories])
        members = await data.members(50) if args.members else []
        await data.close()
        cookies = [f"mkt_session={m.token}" for m in members]
        port = free_port()
        env = service_env(db, f"bench-{secrets.token_hex(4)}")
        with child(uvicorn_args("bench.hello_app:create", port, factory=True), env, "bench-menu-web") as web:
            base = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(wait_http, f"{base}/healthz", web)
            targets = {
                "hello": ["/bench/hello"],
                "json": [f"/api/v1/listings{q}" for q in queries],
                "html": [f"/menu{q}" for q in queries],
            }
            if cookies:
                targets["member"] = targets["html"]
            probe = Connection(base)
            status, body = await probe.request("GET", targets["json"][0])
            if status != 200 or len(json.loads(body)["items"]) != 20:
                raise SystemExit(f"the menu answered {status} with not 20 listings: {body[:200]!r}")
            details["html_available"] = (await probe.request("GET", "/menu"))[0] == 200
            await probe.close()
            if not details["html_available"]:
                del targets["html"]
                targets.pop("member", None)
            for paths in targets.values():
                await warm(base, paths[0], args.concurrency)
            for rep in range(args.repeats):
                for name, paths in targets.items():
                    requests = _gets(paths, cookies if name == "member" else ())
                    r = await run(base, requests, args.concurrency, args.duration)
                    _check(r, name)
                    details[name].append({"rate": r.rate, "p50_ms": r.p(50), "p99_ms": r.p(99)})
                    print(f"{name} #{rep + 1}: {r.summary()}", flush=True)
    finally:
        await db.drop()
    return _rows(details), details


def _check(r: Result, name: str) -> None:
    if r.server_errors or set(r.statuses) != {200}:
        raise SystemExit(f"MENU FAILED ({name}): {r.summary()}")


def _rows(d: dict) -> list[Row]:
    hello = median([x["rate"] for x in d["hello"]])
    rows = []
    for name, label in (
        ("json", "menu JSON, 20 listings + filters"),
        ("html", "menu page /menu (zh-CN)"),
        ("member", "menu page /menu, logged-in members"),
    ):
        if d[name]:
            rate = median([x["rate"] for x in d[name]])
            if name == "member":  # for information: no target
                rows.append(Row(f"{label} req/s", rate, "/s", "hello-world", hello))
            else:
                met = rate / hello >= 0.5
                rows.append(Row(f"{label} req/s", rate, "/s", "hello-world", hello, "≥ 0.5 of hello", met))
            rows.append(Row(f"{label} p99", median([x["p99_ms"] for x in d[name]]), "ms"))
    return rows


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=8, help="seconds of each run")
    p.add_argument("--concurrency", type=int, default=32, help="connections of the driver")
    p.add_argument("--listings", type=int, default=80, help="published listings (the demo market has 80)")
    p.add_argument("--repeats", type=int, default=3, help="medians are taken over this many runs")
    p.add_argument("--members", action="store_true", help="also the page as logged-in members see it")
    return p


def main() -> None:
    rows, details = run_async(measure(parser().parse_args()))
    print(table(rows))
    print(f"saved {save('menu', rows, details)}")


if __name__ == "__main__":
    main()
