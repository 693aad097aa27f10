"""POST /api/v1/admin/needs/classify with 500 texts against `marketplace serve` on the seeded demo market.

Used by `python -m bench.classify --speed`: a scratch database, migrated and seeded (`marketplace seed`),
one web process; the first call (the segmenter loads, the classifier is built) is reported apart from the
timed ones.
"""

import asyncio
import json
import secrets
import subprocess
import time
import urllib.request

from .common import VENV_BIN, ScratchDb, child, free_port, service_env, uvicorn_args, wait_http

CURATOR = {"phone": "13800000001", "password": "demo1234"}  # seeds/loader.py DEMO_LOGINS


def _post(url: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status, json.loads(answer.read())


async def time_endpoint(texts: list[str], repeats: int) -> dict:
    db = ScratchDb()
    await db.create()
    try:
        env = service_env(db, f"bench-{secrets.token_hex(4)}")
        seed = [str(VENV_BIN / "marketplace"), "seed"]
        seeded = await asyncio.to_thread(subprocess.run, seed, env=env, capture_output=True, text=True)
        if seeded.returncode != 0:
            raise SystemExit(f"marketplace seed failed: {seeded.stderr[-500:]}")
        port = free_port()
        with child(uvicorn_args("marketplace.app:create_app", port, factory=True), env, "bench-classify-web") as web:
            base = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(wait_http, f"{base}/healthz", web)
            _, login = await asyncio.to_thread(_post, f"{base}/api/v1/auth/login", CURATOR)
            token = login["access_token"]
            url = f"{base}/api/v1/admin/needs/classify"
            timings = []
            for _ in range(repeats + 1):
                start = time.perf_counter()
                status, answer = await asyncio.to_thread(_post, url, {"texts": texts}, token)
                timings.append(time.perf_counter() - start)
                if status != 200 or len(answer["items"]) != len(texts):
                    raise SystemExit(f"classify answered {status} with {len(answer.get('items', []))} items")
        return {"first_s": timings[0], "warm_s": timings[1:]}
    finally:
        await db.drop()
