"""The member menu page with the cache on: its public part is shared, the visitor's own part never is.

The page is cached per language and address (anonymous visitors) or its public part per language and
query (members), under the menu's version and TTL. These tests look for what must stay right through
it: a change shows, seats left are never older than the TTL, and no visitor sees another's page.
"""

import re
import time
from dataclasses import dataclass, field

import httpx
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from marketplace import auth, cache
from marketplace.app import create_app

from .conftest import CSRF_COOKIE, Pages

TTL = 60


@pytest.fixture
async def cached_app(settings):
    app = create_app(settings.model_copy(update={"menu_cache_seconds": TTL}))
    async with AsyncTestClient(app=app) as client:
        # the tables are emptied between tests, the cache is not: start from a version no test has seen
        redis = Redis.from_url(settings.redis_url)
        await cache.bump_version(redis, settings.queue_name, app.state.market_id)
        await redis.aclose()
        yield app, client


@dataclass
class Browser(Pages):
    """A visitor with cookies of their own, on the one test client of the cached app."""

    jar: httpx.Cookies = field(default_factory=httpx.Cookies)

    def login(self, user) -> None:
        self.jar.set(auth.SESSION_COOKIE, self.factory.token(user))

    def logout(self) -> None:
        self.jar.clear()

    async def _as_me(self, call):
        self.client.cookies = self.jar
        try:
            return await call()
        finally:
            self.jar = self.client.cookies

    async def get(self, path: str, **kwargs):
        return await self._as_me(lambda: Pages.get(self, path, **kwargs))

    async def post(self, path: str, data: dict | None = None, csrf: bool = True):
        return await self._as_me(lambda: Pages.post(self, path, data, csrf))


@pytest.fixture
async def browsers(cached_app, factory):
    """Two visitors sharing the one cached app."""
    return Browser(cached_app[1], factory), Browser(cached_app[1], factory)


def _csrf_field(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]*)"', html)
    return found.group(1) if found else ""


def _seats(html: str, listing_id: int) -> str:
    card = html.split(f'href="/listings/{listing_id}"', 1)[1].split("</li>", 1)[0]
    return re.search(r"余 (\d+) 个名额", card).group(1)


async def _listing(factory, title="书法培训（硬笔）", **kwargs):
    provider = await factory.provider(name="王老师")
    category = await factory.category("书法培训", name_en="Calligraphy")
    listing = await factory.listing(provider, category, title=title, **kwargs)
    return provider, category, listing


async def test_a_paused_listing_leaves_the_cached_page_at_once(browsers, factory):
    anonymous, member_pages = browsers
    provider, category, listing = await _listing(factory)
    member = await factory.user()
    member_pages.login(member)
    for pages in (anonymous, member_pages):
        assert f"/listings/{listing.id}" in (await pages.get("/menu")).text
        assert f"/listings/{listing.id}" in (await pages.get("/menu", params={"category": category.id})).text
    paused = await anonymous.client.post(f"/api/v1/listings/{listing.id}/pause", headers=factory.headers(provider))
    assert paused.status_code == 200
    for pages in (anonymous, member_pages):
        assert f"/listings/{listing.id}" not in (await pages.get("/menu")).text
        assert "找到 0 项服务" in (await pages.get("/menu", params={"category": category.id})).text


async def test_seats_left_are_never_older_than_the_ttl(browsers, factory, monkeypatch):
    anonymous, member_pages = browsers
    _, _, listing = await _listing(factory, sessions=[(3, 5)], auto_accept=True)
    session_id = (await factory.sessions_of(listing))[0].id
    member = await factory.user()
    member_pages.login(member)
    assert _seats((await anonymous.get("/menu")).text, listing.id) == "5"
    assert _seats((await member_pages.get("/menu")).text, listing.id) == "5"
    placed = await anonymous.client.post(
        "/api/v1/orders", json={"listing_id": listing.id, "session_id": session_id}, headers=factory.headers(member)
    )
    assert placed.status_code == 201, placed.text
    # an order is not a change of the menu: the cached page may still say 5, until its TTL is over …
    assert _seats((await anonymous.get("/menu")).text, listing.id) == "5"
    # … and not a moment longer (the clock moved on instead of the test sleeping)
    real_time, real_monotonic = time.time, time.monotonic
    monkeypatch.setattr(cache.time, "time", lambda: real_time() + TTL)
    monkeypatch.setattr(cache.time, "monotonic", lambda: real_monotonic() + TTL)
    assert _seats((await anonymous.get("/menu")).text, listing.id) == "4"
    assert _seats((await member_pages.get("/menu")).text, listing.id) == "4"


async def test_a_members_page_is_their_own_and_not_the_next_visitors(browsers, factory):
    first, second = browsers
    _, category, listing = await _listing(factory)
    provider = await factory.provider(name="李老师")
    member = await factory.user(name="张师傅")
    first.login(provider)
    second.login(member)
    followed = await second.post(f"/categories/{category.id}/follow", {"next": "/menu"})
    assert followed.status_code == 303
    path = f"/menu?category={category.id}"
    for _ in range(2):  # the second round is served from the cache
        provider_page = (await first.get(path)).text
        member_page = (await second.get(path)).text
        assert f"/listings/{listing.id}" in provider_page and f"/listings/{listing.id}" in member_page
        assert "服务者工作台" in provider_page and "服务者工作台" not in member_page  # the provider's console
        assert "已关注（点此取消）" in member_page and "已关注（点此取消）" not in provider_page
        assert "关注此分类" in provider_page
        assert "退出" in provider_page and "退出" in member_page and "登录" not in member_page
        # each form carries its own visitor's CSRF token
        assert _csrf_field(provider_page) == first.jar[CSRF_COOKIE]
        assert _csrf_field(member_page) == second.jar[CSRF_COOKIE]
        assert first.jar[CSRF_COOKIE] != second.jar[CSRF_COOKIE]
    # logged out, the same address shows the anonymous page: nothing of either member
    second.logout()
    anonymous = await second.get(path)
    assert anonymous.headers["content-type"] == (await first.get(path)).headers["content-type"]
    anonymous_page = anonymous.text
    assert "退出" not in anonymous_page and "登录" in anonymous_page and "服务者工作台" not in anonymous_page
    assert "已关注（点此取消）" not in anonymous_page and "关注此分类" in anonymous_page


async def test_anonymous_visitors_share_the_page_but_not_the_csrf_token(browsers, factory):
    first, second = browsers
    _, category, _ = await _listing(factory)
    path = f"/menu?category={category.id}"
    one, two = (await first.get(path)).text, (await second.get(path)).text
    again = (await first.get(path)).text
    assert _csrf_field(one) == _csrf_field(again) == first.jar[CSRF_COOKIE]
    assert _csrf_field(two) == second.jar[CSRF_COOKIE] != _csrf_field(one)
    assert one.replace(_csrf_field(one), "") == two.replace(_csrf_field(two), "")
    # a token is put in escaped, whatever the cookie held
    second.jar.set(CSRF_COOKIE, '"><b>x')
    forged = (await second.get(path)).text
    assert '"><b>x' not in forged and "&#34;&gt;&lt;b&gt;x" in forged


async def test_english_and_chinese_pages_are_cached_apart(browsers, factory):
    english, chinese = browsers
    _, category, listing = await _listing(factory)
    member = await factory.user()
    await english.get("/lang/en")
    for logged_in in (False, True):
        if logged_in:
            english.login(member)
            chinese.login(member)
        for _ in range(2):
            en = (await english.get("/menu")).text
            zh = (await chinese.get("/menu")).text
            assert '<html lang="en">' in en and "Calligraphy" in en and "services found" in en
            assert "服务菜单" not in en and "余 " not in en
            assert '<html lang="zh-CN">' in zh and "服务菜单" in zh and "找到 1 项服务" in zh
            assert "services found" not in zh
            assert f"/listings/{listing.id}" in en and f"/listings/{listing.id}" in zh
    assert (await chinese.get("/menu", params={"category": category.id, "q": "书法"})).status_code == 200


async def test_the_language_link_and_flash_follow_the_address(browsers, factory):
    first, second = browsers
    await _listing(factory)
    shown = (await first.get("/menu", params={"q": "书法", "sort": "rating"})).text
    # the link back after switching language is this page's own address, as it was asked for
    assert re.search(r"/lang/en\?next=/menu%3Fq%3D[%0-9A-F]+%26sort%3Drating\"", shown)
    other = (await second.get("/menu", params={"sort": "rating", "q": "书法"})).text
    assert re.search(r"/lang/en\?next=/menu%3Fsort%3Drating%26q%3D[%0-9A-F]+\"", other)
    assert 'class="flash ok"' not in other
    assert 'class="flash ok"' in (await second.get("/menu", params={"ok": "followed"})).text
