"""The public menu is served from a shared cache that a change to the menu invalidates at once."""

import pytest
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.domain.roles import Role


@pytest.fixture
async def cached_client(settings):
    app = create_app(settings.model_copy(update={"menu_cache_seconds": 60}))
    async with AsyncTestClient(app=app) as client:
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
                {"starts_at": "2031-01-01T10:00:00+08:00", "ends_at": "2031-01-01T12:00:00+08:00", "capacity": 7}
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
