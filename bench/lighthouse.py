"""Lighthouse (mobile) on a running quick-start: the home page, the menu, a listing and an order page, with the
four category scores (performance, accessibility, best practices, SEO) of each.

Needs Node.js (npx fetches the `lighthouse` package from the npm registry on first use) and Debian's Chromium;
it is not part of the test suite. Start the service with the demo data first (`python3 run.py up`), then:

    .venv/bin/python -m bench.lighthouse                      # http://127.0.0.1:8000, the demo member
    .venv/bin/python -m bench.lighthouse --base http://127.0.0.1:8000 --json

The order page is seen as the demo member (13800000004 / demo1234): the script logs in through the API and
hands Lighthouse the session cookie. Exit status 1 when a category of a page scores below --floor (95).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
LIGHTHOUSE = os.environ.get("LIGHTHOUSE_PACKAGE", "lighthouse@12")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _json(url: str, body: dict | None = None, token: str | None = None):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def pages(base: str, phone: str, password: str) -> tuple[list[tuple[str, str]], str]:
    """(name, URL) of the four pages, and the member's token (the order page is theirs)."""
    api = f"{base}/api/v1"
    token = _json(f"{api}/auth/login", {"phone": phone, "password": password})["access_token"]
    listing = _json(f"{api}/listings?limit=1")["items"][0]["id"]
    orders = _json(f"{api}/orders?limit=1", token=token)["items"]
    if not orders:
        sys.exit(f"{phone} has no order to show: load the demo data (python3 run.py up)")
    found = [("home", f"{base}/"), ("menu", f"{base}/menu"), ("listing", f"{base}/listings/{listing}")]
    return [*found, ("order", f"{base}/orders/{orders[0]['id']}")], token


def lighthouse(url: str, cookie: str | None) -> dict[str, int]:
    """The four category scores (0–100) of one page, mobile form factor and throttling (Lighthouse's default)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            "npx",
            "--yes",
            LIGHTHOUSE,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-path={CHROMIUM}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ]
        if cookie:
            command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
        # A trace Lighthouse could not record (NO_NAVSTART, on a busy machine) is tried again, twice at most.
        for attempt in range(3):
            done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM})
            if done.returncode == 0:
                break
            print(f"{url}: Lighthouse failed (exit {done.returncode}), attempt {attempt + 1} of 3", file=sys.stderr)
        else:
            sys.exit(f"{url}: Lighthouse failed three times")
        found = json.loads(report.read_text())
    return {name: round((found["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--phone", default="13800000004")
    parser.add_argument("--password", default="demo1234")
    parser.add_argument("--floor", type=int, default=95)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    found, token = pages(base, args.phone, args.password)
    scores = {}
    for name, url in found:
        # Every page as the member would see it, logged in (the home and menu pages too).
        scores[name] = lighthouse(url, f"mkt_session={token}")
    if args.json:
        print(json.dumps({"base": base, "scores": scores}))
    else:
        print(f"{'page':10}" + "".join(f"{c:>16}" for c in CATEGORIES))
        for name, row in scores.items():
            print(f"{name:10}" + "".join(f"{row[c]:>16}" for c in CATEGORIES))
    low = [(page, c, s) for page, row in scores.items() for c, s in row.items() if s < args.floor]
    if low:
        print(f"below {args.floor}: {low}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
