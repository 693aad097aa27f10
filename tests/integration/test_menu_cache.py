"""The public menu is served from a shared cache that a change to the menu invalidates at once."""

import asyncio

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from marketplace import cache
from marketplace.app import create_app
from marketplace.domain.roles import Role


@pytest.fixture
async def cached_client(settings):
    app = create_app(settings.model_copy(update={"menu_cache_seconds": 60}))
    async with AsyncTestClient(app=app) as client:
        # the tables are emptied between tests, the cache is not: start from a version no test has seen
        redis = Redis.from_url(settings.redis_url)
        await cache.bump_version(redis, settings.queue_name, app.state.market_id)
        await redis.aclose()
        yield client


async def test_cached_menu_follows_pause_resume_and_new_sessions(cached_client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), title="书法培训", sessions=[(2, 5)])
    h = factory.headers(provider)

    first = (await cached_client.get("/api/v1/listings", params={"q": "书法"})).json()
    assert [i["id"] for i in first["items"]] == [listing.id]
    # a row written behind the services' back is not seen while the cached answer lives (60 s here) …
    hidden = await factory.listing(provider, await factory.category(), title="书法进阶", sessions=[(3, 5)])
    assert (await cached_client.get("/api/v1/listings", params={"q": "书法"})).json() == first
    # … but any change through a use case is seen at once
    assert (await cached_client.post(f"/api/v1/listings/{listing.id}/pause", headers=h)).status_code == 200
    after_pause = (await cached_client.get("/api/v1/listings", params={"q": "书法"})).json()
    assert [i["id"] for i in after_pause["items"]] == [hidden.id]
    await cached_client.post(f"/api/v1/listings/{listing.id}/resume", headers=h)
    added = await cached_client.post(
        f"/api/v1/listings/{listing.id}/sessions",
        json={
            "sessions": [
                {"starts_at": "2027-06-01T10:00:00+08:00", "ends_at": "2027-06-01T12:00:00+08:00", "capacity": 7}
            ]
        },
        headers=h,
    )
    assert added.status_code == 200
    card = next(
        i
        for i in (await cached_client.get("/api/v1/listings", params={"q": "书法"})).json()["items"]
        if i["id"] == listing.id
    )
    assert card["seats_left"] == 12


async def test_cached_category_tree_follows_a_rename(cached_client, factory):
    curator = await factory.user(Role.curator)
    category = await factory.category("医疗健康")
    assert (await cached_client.get("/api/v1/categories")).json()["items"][0]["name_zh"] == "医疗健康"
    await cached_client.patch(
        f"/api/v1/admin/categories/{category.id}", json={"name_zh": "健康服务"}, headers=factory.headers(curator)
    )
    assert (await cached_client.get("/api/v1/categories")).json()["items"][0]["name_zh"] == "健康服务"


async def test_the_menu_page_uses_the_same_cache(cached_client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), title="少儿编程")
    assert "少儿编程" in (await cached_client.get("/menu")).text
    await cached_client.post(f"/api/v1/listings/{listing.id}/close", headers=factory.headers(provider))
    assert "少儿编程" not in (await cached_client.get("/menu")).text


async def test_a_missing_entry_is_computed_once_for_the_requests_asking_at_the_same_time(settings):
    redis = Redis.from_url(settings.redis_url)
    prefix = f"{settings.queue_name}:single-flight"
    await cache.bump_version(redis, prefix, 1)
    computed = []

    async def render() -> str:
        computed.append(1)
        await asyncio.sleep(0.05)
        return "<p>菜单</p>"

    try:
        asked = [cache.cached_fragment(redis, prefix, 60, 1, "page", {"lang": "zh-CN"}, render) for _ in range(8)]
        assert set(await asyncio.gather(*asked)) == {"<p>菜单</p>".encode()}
        assert len(computed) == 1
        # another process (no copy of its own) reads it from Redis, still computed once
        cache._local.clear()
        assert (
            await cache.cached_fragment(redis, prefix, 60, 1, "page", {"lang": "zh-CN"}, render)
            == "<p>菜单</p>".encode()
        )
        assert len(computed) == 1
        await cache.bump_version(redis, prefix, 1)  # a change to the menu: computed again
        await cache.cached_fragment(redis, prefix, 60, 1, "page", {"lang": "zh-CN"}, render)
        assert len(computed) == 2
    finally:
        await redis.aclose()
