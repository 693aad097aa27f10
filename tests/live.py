"""`marketplace serve` in a subprocess on 127.0.0.1, against the run's test database: for the browser tests
and for what only real concurrent connections show (tests/integration/test_waitlist_lines.py)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`marketplace serve` exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)  # start-up readiness only; page steps rely on Playwright's auto-waiting
    raise RuntimeError(f"the server at {url} did not become healthy")


def service_env(settings, **extra: str) -> dict[str, str]:
    """The environment of a `marketplace` process (serve, worker) on the run's database, queue and keys."""
    return {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "QUEUE_NAME": settings.queue_name,
        "SECRET_KEY": settings.secret_key,
        "PASSWORD_TIME_COST": str(settings.password_time_cost),
        "PASSWORD_MEMORY_KIB": str(settings.password_memory_kib),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@pytest.fixture(scope="session")
def live_server(settings):
    """`marketplace serve` against the run's test database, on a free loopback port."""
    env = service_env(
        settings,
        LANGUAGE="zh-CN",
        # Each test empties the tables and starts its ids from 1 again, which no use case tells the menu
        # cache about: a page cached by the previous test could be served to the next. The cache has its
        # own tests (tests/integration/test_menu_cache.py, pages/test_menu_page_cache.py).
        MENU_CACHE_SECONDS="0",
        DEV_SMS_INBOX=str(settings.sms_inbox),  # the server's development SMS sender writes codes here
    )
    with serving(env) as base:
        yield base


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """`marketplace serve` with this environment on a free loopback port, healthy; its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
