"""End-to-end: `marketplace serve` in a subprocess on 127.0.0.1 and Debian's Chromium driven by Playwright.

Playwright uses the system browser (executable_path); it never downloads one. Each test saves a screenshot
of its last page at phone width in test-artifacts/.
"""

import os
import shutil
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
