"""End-to-end: `marketplace serve` in a subprocess on 127.0.0.1 and Debian's Chromium driven by Playwright.

Playwright uses the system browser (executable_path); it never downloads one. Each test saves a screenshot
of its last page at phone width in test-artifacts/.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "The end-to-end tests drive Debian's Chromium, which is not installed at {path}. "
    "Install it with `sudo apt-get update && sudo apt-get install -y chromium` "
    "(or point CHROMIUM at another Chromium binary). Playwright never downloads a browser here."
)


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    if not (Path(path).exists() or shutil.which(path)):
        pytest.fail(INSTALL_HINT.format(path=path), pytrace=False)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
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


@pytest.fixture(scope="session")
def live_server(settings):
    """`marketplace serve` against the run's test database, on a free loopback port."""
    port = _free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "QUEUE_NAME": settings.queue_name,
        "SECRET_KEY": settings.secret_key,
        "PASSWORD_TIME_COST": str(settings.password_time_cost),
        "PASSWORD_MEMORY_KIB": str(settings.password_memory_kib),
        "LOG_LEVEL": "WARNING",
        "LANGUAGE": "zh-CN",
        # Each test empties the tables and starts its ids from 1 again, which no use case tells the menu
        # cache about: a page cached by the previous test could be served to the next. The cache has its
        # own tests (tests/integration/test_menu_cache.py, pages/test_menu_page_cache.py).
        "MENU_CACHE_SECONDS": "0",
        "DEV_SMS_INBOX": str(settings.sms_inbox),  # the server's development SMS sender writes codes here
    }
    command = [sys.executable, "-m", "marketplace", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture(autouse=True)
async def _empty_tables(engine, client, limits):
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name != "markets"]
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        await conn.execute(sa.text("UPDATE markets SET verified_only = false"))  # the kept rows' settings
    await limits.reset()  # the live server counts in the same Redis keys


async def _open_page(browser, live_server, request, javascript: bool):
    context = await browser.new_context(
        base_url=live_server, viewport=PHONE, java_script_enabled=javascript, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    await context.close()


@pytest.fixture
async def page(browser, live_server, request):
    """A phone-sized page with JavaScript on; its last state is saved as a screenshot."""
    async for opened in _open_page(browser, live_server, request, javascript=True):
        yield opened


@pytest.fixture
async def page_without_js(browser, live_server, request):
    async for opened in _open_page(browser, live_server, request, javascript=False):
        yield opened
