"""A fresh `marketplace up` as a union would start it: no SECRET_KEY, no demo, the first curator asked for.

The real command runs in a subprocess (web and worker processes of its own) on a database made for this
test; the test talks to it over HTTP as anyone on the network could.
"""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import jwt
import pytest

from marketplace import keys

from ..live import free_port
from ..servers import _with_database

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "dev-secret-not-for-production"
CURATOR = ("13800009999", "周主席", "union-curator-2026")


@pytest.fixture
async def fresh_database(servers):
    name = f"marketplace_fresh_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(servers.admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield _with_database(servers.database_url, name)
    conn = await asyncpg.connect(servers.admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _environment(database_url: str, redis_url: str, data_dir: Path, **more: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ENVIRONMENT")}
    return {
        **env,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(data_dir),
        "QUEUE_NAME": f"mkt-fresh-{secrets.token_hex(4)}",
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_KIB": "64",
        "LOG_LEVEL": "WARNING",
        **more,
    }


def _production(database_url: str, settings, data_dir: Path, **more: str) -> dict:
    secret = secrets.token_urlsafe(48)
    return _environment(
        database_url,
        settings.redis_url,
        data_dir,
        ENVIRONMENT="production",
        SECRET_KEY=secret,
        ALLOW_DEV_SMS="true",
        **more,
    )


def _migrate(env: dict, typed: str | None) -> subprocess.CompletedProcess:
    """`marketplace migrate` with `typed` on its input (None: the input ends at once, nobody at the terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "marketplace", "migrate"],
        env=env,
        cwd=ROOT,
        input=typed if typed is not None else "",
        capture_output=True,
        text=True,
        timeout=180,
    )


def _call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


@contextlib.contextmanager
def _up(args: list[str], env: dict, typed: str, timeout: float = 120) -> Iterator[tuple[str, str]]:
    """`marketplace up ARGS` with `typed` on its input, until it says it runs: (its address, what it said)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "marketplace", "up", *args],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    said: list[str] = []
    threading.Thread(target=lambda: said.extend(iter(process.stdout.readline, "")), daemon=True).start()
    process.stdin.write(typed)
    process.stdin.close()
    try:
        deadline = time.monotonic() + timeout
        while not any("Cloud Market is running" in line for line in said):
            assert process.poll() is None, "".join(said)
            assert time.monotonic() < deadline, "".join(said)
            time.sleep(0.2)
        yield f"http://{env['HOST']}:{env['PORT']}", "".join(said)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _assert_first_curator_and_no_demo(base: str, output: str) -> str:
    """The curator typed in was made and logs in; no demo person does. The curator's token."""
    assert "This market has no curator yet" in output and "first curator created" in output
    assert "DEMO" not in output and "demo1234" not in output
    status, login = _call(base, "POST", "/api/v1/auth/login", {"phone": CURATOR[0], "password": CURATOR[2]})
    assert status == 200, login
    status, me = _call(base, "GET", "/api/v1/me", token=login["access_token"])
    assert status == 200 and "curator" in me["roles"] and me["name"] == CURATOR[1]
    # no demo people: their published password opens nothing
    status, _ = _call(base, "POST", "/api/v1/auth/login", {"phone": "13800000001", "password": "demo1234"})
    assert status == 401
    return login["access_token"]


@pytest.mark.filterwarnings("ignore:The HMAC key is")  # the forger's short placeholder, on purpose
def test_a_fresh_up_without_secret_key_refuses_tokens_minted_with_the_placeholder(fresh_database, settings, tmp_path):
    env = _environment(fresh_database, settings.redis_url, tmp_path, HOST="127.0.0.1", PORT=str(free_port()))
    # The first answers are refused (a phone that is no phone), then the first curator is made.
    typed = "12345\n某人\nwhatever-1234\n" + "\n".join(CURATOR) + "\n"
    with _up(["--no-demo"], env, typed) as (base, output):
        assert "refused: phone" in output
        token = _assert_first_curator_and_no_demo(base, output)
        claims = jwt.decode(token, options={"verify_signature": False})
        forged_claims = {"sub": claims["sub"], "sid": claims["sid"], "exp": time.time() + 3600}
        for forger_key in (PLACEHOLDER, keys.derive(PLACEHOLDER, "tokens")):
            forged = jwt.encode(forged_claims, forger_key, algorithm="HS256")
            status, answer = _call(base, "GET", "/api/v1/me", token=forged)
            assert status == 401, answer
    secret = (tmp_path / keys.SECRET_FILE).read_text().strip()
    assert len(secret) >= 32 and secret != PLACEHOLDER
    assert (tmp_path / keys.SECRET_FILE).stat().st_mode & 0o077 == 0  # readable by its owner only


def test_a_production_up_loads_no_demo_and_asks_for_the_first_curator(fresh_database, settings, tmp_path):
    env = _production(fresh_database, settings, tmp_path, HOST="127.0.0.1", PORT=str(free_port()))
    with _up([], env, "\n".join(CURATOR) + "\n") as (base, output):  # no --no-demo: production needs none
        _assert_first_curator_and_no_demo(base, output)


def test_production_migrate_asks_for_the_first_curator_and_seed_is_refused(fresh_database, settings, tmp_path):
    env = _production(fresh_database, settings, tmp_path)
    seeded = subprocess.run(
        [sys.executable, "-m", "marketplace", "seed"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert seeded.returncode == 2 and "published password" in seeded.stderr
    # Nobody at the terminal (input ends at once): it says how to make the first curator.
    migrated = _migrate(env, None)
    assert migrated.returncode == 0, migrated.stderr
    assert "This market has no curator yet" in migrated.stdout
    assert "marketplace create-user --role curator" in migrated.stdout
    # Given on its input, the first curator is made, and a second migrate asks no more.
    made = _migrate(env, "\n".join(CURATOR) + "\n")
    assert "first curator created" in made.stdout, made.stdout + made.stderr
    again = _migrate(env, None)
    assert "no curator" not in again.stdout


def test_a_plain_up_says_plainly_that_it_runs_a_demo(fresh_database, settings, tmp_path):
    env = _environment(fresh_database, settings.redis_url, tmp_path, HOST="127.0.0.1", PORT=str(free_port()))
    with _up([], env, "", timeout=600) as (base, output):
        assert "This is a DEMO market" in output and "up --no-demo" in output and "demo remove" in output
        assert "demo curator   13800000001 / demo1234" in output
        assert "no curator yet" not in output  # the demo has its curator; nobody is asked
        status, _ = _call(base, "POST", "/api/v1/auth/login", {"phone": "13800000001", "password": "demo1234"})
        assert status == 200
